"""Which series are a folder's images, and which PET goes with which CT (core.workspace.select_series):
the one rule of the gui's folder opening and of the command line."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from core.case import Case, ImageRef
from core.lesions import Lesion, LesionMask, LesionSet
from core.volume import Modality, SeriesInfo
from core.workspace import can_overlay, matching_pet, select_series


@dataclass(eq=False)
class Entry:
    info: SeriesInfo
    shape: tuple[int, int, int]

    @property
    def n_slices(self) -> int:
        return self.shape[0]


def entry(uid, modality=Modality.CT, shape=(100, 512, 512), patient="P1", study="S1", frame="F1"):
    return Entry(SeriesInfo(series_uid=uid, study_uid=study, frame_of_reference_uid=frame, modality=modality,
                            patient_id=patient), shape)


def test_the_largest_ct_is_the_primary_whatever_the_order():
    scout, thin, thick = entry("scout", shape=(1, 512, 512)), entry("thin", shape=(300, 512, 512)), \
        entry("thick", shape=(100, 512, 512))
    assert select_series([scout, thick, thin])[0] is thin
    assert select_series([scout, thin, thick])[0] is thin
    # one voxel more is more
    a, b = entry("a", shape=(100, 512, 512)), entry("b", shape=(100, 512, 513))
    assert select_series([a, b])[0] is b
    # equal: the first listed
    c = entry("c", shape=(100, 512, 512))
    assert select_series([a, c])[0] is a


def test_a_ct_before_a_larger_mr_before_a_pet():
    ct, mr, pet = entry("ct", shape=(50, 256, 256)), entry("mr", Modality.MR, (200, 512, 512)), \
        entry("pet", Modality.PT, (300, 256, 256))
    assert select_series([mr, pet, ct])[0] is ct
    assert select_series([pet, mr]) == (mr, pet)  # a PET of the same frame is fused over an MR too
    assert select_series([pet]) == (pet, None)  # a PET alone is its own primary, nothing fused
    assert select_series([]) == (None, None)


def test_the_pet_is_of_the_same_patient_and_frame_else_study():
    ct = entry("ct")
    same_for = entry("pet-for", Modality.PT, (200, 128, 128), study="S2")
    same_study = entry("pet-study", Modality.PT, (400, 128, 128), frame="F9")
    other_patient = entry("pet-other", Modality.PT, (500, 128, 128), patient="P2")
    unknown_patient = entry("pet-anon", Modality.PT, (100, 128, 128), patient="", frame="F7")
    unrelated = entry("pet-unrelated", Modality.PT, (100, 128, 128), study="S8", frame="F8")
    assert matching_pet([ct, same_study, same_for, other_patient], ct) is same_for  # frame first
    assert matching_pet([ct, same_study, other_patient], ct) is same_study  # else the study
    assert matching_pet([ct, other_patient], ct) is None  # same frame, another patient: never
    assert not can_overlay(ct.info, other_patient.info)
    assert can_overlay(ct.info, unknown_patient.info)  # an unknown patient ID is not a mismatch
    assert matching_pet([ct, unrelated], ct) is None
    assert select_series([same_for, ct, other_patient]) == (ct, same_for)


def test_a_case_opens_the_images_it_was_drawn_on_not_the_largest():
    small, large = entry("small", shape=(40, 256, 256)), entry("large", shape=(300, 512, 512))
    pet_a, pet_b = entry("pet-a", Modality.PT, (100, 128, 128)), entry("pet-b", Modality.PT, (300, 128, 128))
    series = [large, small, pet_a, pet_b]
    mask = LesionMask((0, 0, 0), np.ones((1, 1, 1), bool), (40, 256, 256), "small")
    drawn = Case(images=[ImageRef(".", "small", "F1", "CT"), ImageRef(".", "pet-a", "F1", "PT")],
                 lesions=LesionSet([Lesion("L1", "Site 1", mask=mask)]))
    assert select_series(series, drawn) == (small, pet_a)
    # a case that records only its CT was drawn without a PET: none is fused
    ct_only = Case(images=[ImageRef(".", "small", "F1", "CT")])
    assert select_series(series, ct_only) == (small, None)
    # a case whose images are not in the folder: the folder's own choice
    elsewhere = Case(images=[ImageRef(".", "gone", "F1", "CT")])
    assert select_series(series, elsewhere) == (large, pet_b)


def test_a_folder_of_two_patients_is_refused_before_anything_is_loaded(tmp_path):
    """`oligoplan segment FOLDER` of two patients opened the largest CT of either, without a word."""
    from core.errors import SeveralPatientsError
    from core.samples import SAMPLE_ROOT
    from core.workspace import open_folder

    if not (SAMPLE_ROOT / "phantom-poly").is_dir():
        pytest.skip("sample scans not present")
    (tmp_path / "oligo").symlink_to(SAMPLE_ROOT / "phantom-oligo" / "CT", target_is_directory=True)
    (tmp_path / "poly").symlink_to(SAMPLE_ROOT / "phantom-poly" / "CT", target_is_directory=True)
    with pytest.raises(SeveralPatientsError, match="holds the images of 2 patients; a case is of one") as caught:
        open_folder(tmp_path)
    assert "PHANTOM" not in str(caught.value)  # no patient ID in a message that may reach a log
    assert open_folder(tmp_path / "oligo").primary.shape == (96, 256, 256)  # one patient: opened

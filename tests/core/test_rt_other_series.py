"""A structure set drawn on another series of the same frame of reference is rasterised
onto the series shown (PET of a PET/CT, the other MR sequence), and says so; other
frames of reference and other patients are still refused."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pydicom
import pytest

from core.dicom import load_series, scan_folder
from core.errors import StructureSetError
from core.measure import mask_volume_cc
from core.rt.matching import ImageStack
from core.rt.rtstruct_read import import_structure_sets, read_rtstruct

ROOT = Path(__file__).resolve().parents[2]
PHANTOM = ROOT / "sample_scans" / "phantom-oligo"
STS = ROOT.parent / "shared" / "data" / "tcia-sts-001"


@pytest.fixture(scope="module")
def phantom():
    if not PHANTOM.is_dir():
        pytest.skip("sample_scans/phantom-oligo not generated")
    scan = scan_folder(PHANTOM)
    vols = {e.info.modality.value: load_series(e) for e in scan.series}
    return scan, vols["CT"], vols["PT"]


def centroid_mm(mask, volume) -> np.ndarray:
    idx = np.argwhere(mask.full())
    return volume.index_to_patient(idx.mean(axis=0))


def test_ct_structure_set_is_shown_on_the_pet_with_a_warning(phantom):
    scan, ct, pet = phantom
    (on_pet,) = import_structure_sets(scan, pet).placed
    (on_ct,) = import_structure_sets(scan, ct).placed
    assert on_pet.series_uid == pet.info.series_uid
    assert any("drawn on series CT" in w and "shown on series PT" in w for w in on_pet.warnings)
    assert "resampled" in on_pet.how
    assert on_ct.warnings == []  # on its own series nothing to say
    ct_by_name = {s.name: s for s in on_ct.structures}
    for s in on_pet.structures:
        assert s.mask.series_uid == pet.info.series_uid and s.mask.grid_shape == pet.shape
        # no "contour planes not drawn" noise: 3 mm contours on 4 mm slices is resampling
        assert s.warnings == ()
        ref = ct_by_name[s.name]
        v_ct, v_pet = mask_volume_cc(ref.mask, ct), mask_volume_cc(s.mask, pet)
        if v_ct > 100:  # organs large against a 4 mm voxel: same volume, same place
            assert v_pet == pytest.approx(v_ct, rel=0.02)
            assert np.linalg.norm(centroid_mm(s.mask, pet) - centroid_mm(ref.mask, ct)) < 2.0


def test_another_frame_of_reference_or_patient_is_still_refused(phantom, tmp_path):
    scan, ct, pet = phantom
    path = scan.structure_sets[0].path
    ct_stack = ImageStack.from_volume(ct)
    elsewhere = dataclasses.replace(ct_stack, frame_of_reference_uid="1.2.3.999")
    with pytest.raises(StructureSetError, match="another frame of reference"):
        read_rtstruct(path, pet, [elsewhere])
    ds = pydicom.dcmread(path)
    ds.PatientID = "SOMEONE-ELSE"
    other = tmp_path / "other_patient.dcm"
    ds.save_as(other)
    with pytest.raises(StructureSetError, match="another patient"):
        read_rtstruct(other, pet, [ct_stack])


@pytest.mark.skipif(not STS.is_dir(), reason="../shared/data/tcia-sts-001 (real MR with RTSTRUCTs) is not here")
def test_real_t1_structure_set_on_the_t2_of_the_same_frame_matches_the_t2_one():
    scan = scan_folder(STS)
    t2 = load_series(next(e for e in scan.series if "T2" in e.info.description.upper()))
    result = import_structure_sets(scan, t2)
    by_folder = {Path(p.path).parts[-3]: p for p in result.placed}
    assert set(by_folder) == {"MR_T1", "MR_T2"}
    from_t1, own = by_folder["MR_T1"], by_folder["MR_T2"]
    assert any("drawn on series MR AXIAL SE T1" in w and "shown on series MR AXIAL SE T2" in w
               for w in from_t1.warnings)
    for a, b in zip(from_t1.structures, own.structures):
        assert a.name == b.name
        assert mask_volume_cc(a.mask, t2) == pytest.approx(mask_volume_cc(b.mask, t2), rel=0.01)
        overlap = (a.mask.full() & b.mask.full()).sum() / b.mask.n_voxels
        assert overlap > 0.95
    # the PET has another frame of reference: its structure set stays refused
    ((refused_path, reason),) = result.refused
    assert "FDG_PET" in refused_path and "another frame of reference" in reason

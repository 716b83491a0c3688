"""Facts the images suggest are proposals of the shown images only: modality and PET tracer."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from pydicom.dataset import Dataset

from core.dicom.scan import series_info
from core.image_facts import propose_image_facts, tracer_choice
from core.volume import Modality, SeriesInfo


def vol(modality: Modality, tracer: str = ""):
    """What propose_image_facts reads of a core.volume.Volume: its modality and series info."""
    return SimpleNamespace(modality=modality, info=SeriesInfo("1.2." + modality.value, modality=modality,
                                                              tracer=tracer))


@pytest.mark.parametrize("volumes, expected", [
    ((Modality.CT, Modality.PT), "PET-CT"),
    ((Modality.CT,), "CT"),
    ((Modality.MR,), "MR"),
    ((Modality.MR, Modality.PT), "MR"),  # PET/MR: not a PET-CT
    ((), None),
    ((Modality.OTHER,), None),
])
def test_the_imaging_modality_of_the_shown_images(volumes, expected):
    assert propose_image_facts(*[vol(m) for m in volumes]).get("imaging_modality") == expected


@pytest.mark.parametrize("name, choice", [
    ("Fluorodeoxyglucose", "FDG"), ("18F-FDG", "FDG"), ("Ga-68 PSMA-11", "PSMA"), ("piflufolastat F 18", "PSMA"),
    ("11C-choline", "choline"), ("Axumin (fluciclovine)", "fluciclovine"), ("Ga-68 DOTATATE", "other"),
    ("", None), ("   ", None),
])
def test_a_tracer_name_maps_to_the_choice(name, choice):
    assert tracer_choice(name) == choice


def test_the_tracer_is_proposed_only_with_a_named_pet():
    assert propose_image_facts(vol(Modality.CT), vol(Modality.PT, "Fluorodeoxyglucose"))["pet_tracer"] == "FDG"
    assert "pet_tracer" not in propose_image_facts(vol(Modality.CT), vol(Modality.PT))
    assert "pet_tracer" not in propose_image_facts(vol(Modality.CT), None)


def test_the_tracer_is_read_from_the_radiopharmaceutical_sequence_and_a_bad_one_is_no_tracer():
    item = Dataset()
    item.Radiopharmaceutical = "Fluorodeoxyglucose"
    ds = Dataset()
    ds.Modality = "PT"
    ds.SeriesInstanceUID = "1.2.3"
    ds.RadiopharmaceuticalInformationSequence = [item]
    assert series_info(ds).tracer == "Fluorodeoxyglucose"
    code = Dataset()
    code.CodeMeaning = "Fluorodeoxyglucose F^18^"
    item2 = Dataset()
    item2.RadiopharmaceuticalCodeSequence = [code]
    ds.RadiopharmaceuticalInformationSequence = [item2]
    assert series_info(ds).tracer == "Fluorodeoxyglucose F^18^"
    del ds.RadiopharmaceuticalInformationSequence
    assert series_info(ds).tracer == ""

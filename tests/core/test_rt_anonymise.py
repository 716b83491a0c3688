"""De-identification (PS3.15 basic profile) of third-party objects: nothing identifying survives."""

from pathlib import Path

import pydicom
import pytest

from core.rt.anonymise import Anonymiser
from tests.core.rt_helpers import every_value

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
MIM_RTSTRUCT = SHARED / "tcia-sts-001" / "FDG_PET" / "mask" / "1-1.dcm"
PET_IMAGE = SHARED / "tcia-sts-001" / "FDG_PET" / "image" / "1-001.dcm"


@pytest.mark.skipif(not MIM_RTSTRUCT.is_file(), reason="../shared/data (real DICOM) is not here")
@pytest.mark.parametrize("path", [MIM_RTSTRUCT, PET_IMAGE], ids=["MIM RTSTRUCT", "GE PET image"])
def test_real_objects_lose_every_identifier_private_tag_and_uid(path):
    original = pydicom.dcmread(path)
    identifiers = {str(original.PatientID), str(original.PatientName)}
    identifiers |= {str(v) for k in ("PatientBirthDate", "InstitutionName", "ReferringPhysicianName",
                                      "OperatorsName", "StationName", "DeviceSerialNumber")
                    if (v := original.get(k)) not in (None, "")}
    uids = {text for elem, text in every_value(original) if elem.VR == "UI" and not text.startswith("1.2.840.10008.")}
    anonymiser = Anonymiser()
    clean = anonymiser.dataset(original)
    assert str(original.PatientID) in identifiers and original.PatientID != clean.PatientID  # original untouched
    for elem, text in every_value(clean):
        assert not elem.tag.is_private
        assert text not in identifiers, f"{elem.keyword} keeps an identifier"
        assert text not in uids, f"{elem.keyword} keeps an original UID"
    # the same original UID maps to the same new UID everywhere in the object
    if "ReferencedFrameOfReferenceSequence" in original:
        frame = original.ReferencedFrameOfReferenceSequence[0].FrameOfReferenceUID
        assert clean.ReferencedFrameOfReferenceSequence[0].FrameOfReferenceUID == anonymiser.uid(frame)
        assert {r.ReferencedFrameOfReferenceUID for r in clean.StructureSetROISequence} == {anonymiser.uid(frame)}

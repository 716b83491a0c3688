"""How a lesion was segmented: kept on the lesion, in the case file, marked when edited by hand."""

import json

import numpy as np
import pytest

from core.case import Case, load_case, save_case
from core.errors import CaseFileError
from core.lesions import AddLesion, Lesion, LesionMask, UndoStack
from core.segment import SegmentParams, segment_lesion
from core.segment_record import SegmentMethod, SegmentRecord
from tests.core.test_segment import liver_ct  # noqa: F401 (fixture)

ADAPTIVE = SegmentRecord(SegmentMethod.PET_ADAPTIVE, 3.854, "SUVbw", reference_max=8.2, background=1.1,
                         fwhm_mm=5.5)


def test_describe_gives_the_threshold_as_a_percentage_of_suvmax():
    assert ADAPTIVE.describe() == "PET: 47% of SUVmax 8.2 (adaptive, 5.5 mm FWHM)"
    fixed = SegmentRecord("pet-fixed", 5.5, "SUVbw", reference_max=10.0, background=2.5, fraction_percent=40,
                          background_corrected=True)
    assert fixed.describe() == "PET: 55% of SUVmax 10.0 (fixed 40% above background 2.5)"
    plain = SegmentRecord("pet-fixed", 4.0, "SUVbw", reference_max=10.0, fraction_percent=40,
                          background_corrected=False)
    assert plain.describe() == "PET: 40% of SUVmax 10.0 (fixed 40%)"


def test_ct_click_records_its_edge_level(liver_ct):  # noqa: F811
    ct, centre, _ = liver_ct
    record = segment_lesion(ct, centre).record
    assert record.method is SegmentMethod.CT_REGION_GROWING
    assert 10.0 < record.threshold < 60.0  # between the lesion (10 HU) and the organ (60 HU)
    assert record.background == pytest.approx(60.0, abs=10.0)
    assert record.threshold_percent is None


def test_record_survives_the_case_file_and_a_hand_edit_marks_it(tmp_path):
    mask = LesionMask((2, 3, 4), np.ones((2, 2, 2), bool), (10, 10, 10), "1.2.3")
    case = Case()
    UndoStack().push(AddLesion(case.lesions, Lesion("L1", "L1", mask=mask, segmentation=ADAPTIVE)))
    path = save_case(case, tmp_path / "case.json")
    again = load_case(path).lesions["L1"]
    assert again.segmentation == ADAPTIVE
    assert json.loads(path.read_text())["lesions"][0]["segmentation"]["method"] == "pet-adaptive"

    edited = again.with_changes(mask=mask.with_voxels(np.ones((1, 1, 1), bool), (0, 0, 0), True))
    assert edited.segmentation.edited and edited.segmentation.describe().endswith("edited by hand since")
    assert again.with_changes(label="liver 1").segmentation == ADAPTIVE  # relabelling is no edit


@pytest.mark.parametrize("bad, message", [
    ({"method": "otsu", "threshold": 1.0}, "segmentation method 'otsu' is unknown"),
    ({"method": "pet-fixed"}, "needs method and threshold"),
    ({"method": "pet-fixed", "threshold": "high"}, "threshold must be a finite number"),
    ({"method": "pet-fixed", "threshold": 1.0, "colour": "red"}, "unknown fields"),
    ("pet-fixed", "must be an object"),
])
def test_a_bad_segmentation_record_names_the_lesion_and_the_problem(tmp_path, bad, message):
    mask = LesionMask((0, 0, 0), np.ones((1, 1, 1), bool), (4, 4, 4), "1.2.3")
    case = Case()
    UndoStack().push(AddLesion(case.lesions, Lesion("L1", "L1", mask=mask)))
    path = save_case(case, tmp_path / "case.json")
    doc = json.loads(path.read_text())
    doc["lesions"][0]["segmentation"] = bad
    path.write_text(json.dumps(doc))
    with pytest.raises(CaseFileError, match=r"lesions\[0\]\.segmentation: .*" + message.replace("(", r"\(")):
        load_case(path)


def test_segment_params_name_what_is_out_of_range():
    with pytest.raises(ValueError, match="PET FWHM -1 mm is out of range"):
        SegmentParams(pet_fwhm_mm=-1)
    with pytest.raises(ValueError, match="PET threshold 120% of SUVmax is out of range"):
        SegmentParams(pet_fraction=1.2)
    with pytest.raises(ValueError, match="PET method 'otsu' is unknown"):
        SegmentParams(pet_method="otsu")

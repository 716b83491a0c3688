"""A structure set cut short (a truncated copy, a file still being written) is never loaded in
part: pydicom alone stops quietly at the cut and gives the contours before it, i.e. organs at
risk with slices missing. Importing it is refused, naming the cut and the ROIs that may be
incomplete."""

from __future__ import annotations

import shutil

import pytest

from core.dicom import load_series, scan_folder
from core.errors import BrokenDicomError
from core.rt.rtstruct_read import import_structure_sets, read_rtstruct
from tests.core.sample_copies import PHANTOM_CT

RTSTRUCT = PHANTOM_CT.parent / "RTSTRUCT" / "rtstruct.dcm"
ROIS = ["BODY", "LUNG_L", "LUNG_R", "LIVER", "SPINALCORD", "BRONCHUS_PROX", "HEART"]

pytestmark = pytest.mark.skipif(not RTSTRUCT.is_file(), reason="sample_scans/phantom-oligo not generated")


@pytest.fixture(scope="module")
def ct():
    scan = scan_folder(PHANTOM_CT)
    return load_series(scan.series[0])


def cut_copy(tmp_path, fraction: float):
    data = RTSTRUCT.read_bytes()
    path = tmp_path / "rtstruct.dcm"
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def test_the_intact_copy_loads_every_roi(ct, tmp_path):
    path = cut_copy(tmp_path, 1.0)
    placed = read_rtstruct(path, ct)
    assert [s.name for s in placed.structures] == ROIS
    assert all(s.mask is not None for s in placed.structures)


def test_a_structure_set_cut_inside_its_contours_is_refused_naming_the_rois_that_may_be_incomplete(ct, tmp_path):
    path = cut_copy(tmp_path, 0.9)  # pydicom alone: BODY..LIVER whole, SPINALCORD in part, the rest absent

    with pytest.raises(BrokenDicomError) as info:
        read_rtstruct(path, ct)

    message = str(info.value)
    assert message.startswith("rtstruct.dcm: the file was cut short")
    assert "(3006,0039) ROIContourSequence" in message
    assert "ROI(s) that may be incomplete or missing: SPINALCORD, BRONCHUS_PROX, HEART" in message
    assert "(read in full: BODY, LUNG_L, LUNG_R, LIVER)" in message
    assert message.endswith("nothing was loaded from it")


def test_a_structure_set_cut_before_its_roi_list_says_any_roi_may_be_incomplete(ct, tmp_path):
    path = cut_copy(tmp_path, 0.01)
    with pytest.raises(BrokenDicomError, match=r"the file was cut short.*its list of ROIs was cut too, so any of "
                                               r"them may be incomplete; nothing was loaded from it"):
        read_rtstruct(path, ct)


def test_a_structure_set_cut_after_the_folder_was_scanned_is_refused_with_the_reason(ct, tmp_path):
    (tmp_path / "RTSTRUCT").mkdir()
    shutil.copy(RTSTRUCT, tmp_path / "RTSTRUCT" / "rtstruct.dcm")
    shutil.copytree(PHANTOM_CT, tmp_path / "CT")
    scan = scan_folder(tmp_path)
    assert len(scan.structure_sets) == 1
    cut_copy(tmp_path / "RTSTRUCT", 0.5)  # cut while (or after) the folder was read

    result = import_structure_sets(scan, ct)

    assert result.placed == []
    ((path, reason),) = result.refused
    assert path.endswith("rtstruct.dcm")
    assert "the file was cut short" in reason and "ROI(s) that may be incomplete or missing: BODY" in reason


def test_a_dataset_given_without_a_file_preamble_is_checked_without_a_raw_error():
    """read_rtstruct(path, dataset=...) may get a plain Dataset (no preamble attribute):
    an empty one raised AttributeError from the cut-short check."""
    from pydicom.dataset import Dataset

    from core.dicom.headers import cut_short_reason

    assert cut_short_reason(str(RTSTRUCT), Dataset()) is None

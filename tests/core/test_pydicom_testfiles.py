"""Every file pydicom ships for its own tests, scanned alone: it either loads, or is
listed (skipped or as a structure set) with a reason. Nothing raises."""

from __future__ import annotations

from pathlib import Path

import pydicom.data
import pytest

from core.dicom import load_series, scan_folder

TEST_FILES = Path(pydicom.data.__file__).resolve().parent / "test_files"


def _all_files() -> list[Path]:
    files = {Path(p).resolve() for p in pydicom.data.get_testdata_files() if Path(p).is_file()}
    files |= {p.resolve() for p in TEST_FILES.rglob("*") if p.is_file()}
    return sorted(files)


ALL_FILES = _all_files()


def _id(path: Path) -> str:
    try:
        return str(path.relative_to(TEST_FILES))
    except ValueError:
        return path.name


def test_the_pydicom_test_files_are_there():
    assert len(ALL_FILES) > 100
    names = {p.name for p in ALL_FILES}
    assert {"MR_truncated.dcm", "badVR.dcm", "rtplan_truncated.dcm", "no_meta.dcm"} <= names


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("path", ALL_FILES, ids=_id)
def test_file_loads_or_is_listed_with_a_reason(path):
    result = scan_folder(path)
    for entry in result.series:
        vol = load_series(entry)
        assert vol.shape == entry.shape
        assert not any("could not be decoded" in w for w in vol.warnings), vol.warnings
    for skipped in result.skipped:
        assert skipped.reason.strip()
        assert skipped.path == str(path)
    assert result.series or result.skipped or result.structure_sets


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize(
    "name, reason",
    [
        ("MR_truncated.dcm", "pixel data truncated: 8130 of 8192 bytes present"),
        ("badVR.dcm", "Number of Frames is '1A', expected a whole number"),
        ("rtplan_truncated.dcm", "not an image series (RTPLAN"),
        ("rtdose.dcm", "15 frames but 0 per-frame functional group items"),
        ("JPEG2000.dcm", "no Image Position/Orientation (Patient)"),
        ("SC_rgb_rle.dcm", "colour image (3 samples per pixel)"),
        ("liver_1frame.dcm", "1 bits allocated is not supported"),
        ("README.txt", "not a DICOM file"),
    ],
)
def test_broken_or_unsupported_files_are_reported_with_their_reason(name, reason):
    result = scan_folder(TEST_FILES / name)
    assert result.series == []
    (skipped,) = result.skipped
    assert reason in skipped.reason


@pytest.mark.filterwarnings("ignore")
def test_image_without_pixel_data_says_so():
    path = TEST_FILES / "dicomdirtests" / "TINY_ALPHA" / "PT000000" / "ST000000" / "SE000000" / "IM000000"
    (skipped,) = scan_folder(path).skipped
    assert "no (7FE0,0010) Pixel Data" in skipped.reason


def test_rtstruct_is_listed_as_a_structure_set():
    result = scan_folder(TEST_FILES / "rtstruct.dcm")
    (structures,) = result.structure_sets
    assert structures.rois and all(r.name for r in structures.rois)

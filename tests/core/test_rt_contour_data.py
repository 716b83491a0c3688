"""(3006,0050) Contour Data is parsed from the element's raw bytes by numpy (pydicom's DSfloat
per value froze the GUI for ~200 ms on a 1.2 MB structure set): the points must be exactly
those pydicom gives, on every real structure set we have, and odd values must take pydicom's
path (same numbers, same errors)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from core.dicom.headers import RTSTRUCT_SOP_CLASS, read_dataset
from core.rt.rtstruct_read import contour_values, read_contours

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = [ROOT / "sample_scans", ROOT.parent / "shared" / "data"]


def structure_set_files() -> list[Path]:
    found = []
    for folder in FOLDERS:
        for dirpath, _, names in os.walk(folder):
            for name in sorted(names):
                path = Path(dirpath) / name
                try:
                    ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SOPClassUID"])
                except Exception:  # noqa: BLE001 - not DICOM
                    continue
                if str(ds.get("SOPClassUID", "")) == RTSTRUCT_SOP_CLASS:
                    found.append(path)
    return sorted(found)


FILES = structure_set_files()


def pydicom_points(ds: Dataset) -> list[tuple[int, np.ndarray, str, str]]:
    """Every contour as pydicom's own values give it (the reference)."""
    out = []
    for roi in ds.get("ROIContourSequence", []) or []:
        for item in roi.get("ContourSequence", []) or []:
            values = np.asarray([float(v) for v in (item.get("ContourData") or [])], dtype=np.float64)
            images = item.get("ContourImageSequence", []) or []
            uid = str(images[0].get("ReferencedSOPInstanceUID", "")) if images else ""
            out.append((int(roi.get("ReferencedROINumber", -1)), values[: len(values) // 3 * 3].reshape(-1, 3),
                        str(item.get("ContourGeometricType", "") or ""), uid))
    return out


def test_the_sample_and_real_structure_sets_are_all_found():
    assert any("phantom-oligo" in str(p) for p in FILES)
    if FOLDERS[1].is_dir():
        assert sum("tcia-sts-001" in str(p) for p in FILES) == 3


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}")
def test_contour_points_are_identical_to_pydicoms_values(path):
    ours = read_contours(read_dataset(path))
    reference = pydicom_points(read_dataset(path))
    flat = [(number, c.points_mm, c.kind, c.image_uid) for number, cs in ours.items() for c in cs]
    assert len(flat) == len(reference) > 0
    for (n1, p1, k1, u1), (n2, p2, k2, u2) in zip(sorted(flat, key=_order), sorted(reference, key=_order)):
        assert (n1, k1, u1) == (n2, k2, u2)
        assert p1.dtype == np.float64 and p1.shape == p2.shape
        assert np.array_equal(p1, p2)


def _order(entry):
    number, points, kind, uid = entry
    return number, uid, kind, points.shape, points.tobytes()


def item_from_file(contour_data: bytes, syntax=ExplicitVRLittleEndian) -> Dataset:
    """A contour item read back from bytes, so that its Contour Data is still raw as in a real file
    (written at the top level: the bytes are swapped in without any enclosing length to fix)."""
    item = Dataset()
    item.ContourGeometricType = "CLOSED_PLANAR"
    item.add_new(0x30060050, "DS", "0")  # placeholder, its bytes replaced below
    item.file_meta = FileMetaDataset()
    item.file_meta.TransferSyntaxUID = syntax
    item.file_meta.MediaStorageSOPClassUID = RTSTRUCT_SOP_CLASS
    item.file_meta.MediaStorageSOPInstanceUID = "1.2.3"
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, item, enforce_file_format=True)
    placeholder = _element(b"0 ", syntax)
    assert buffer.getvalue().endswith(placeholder)
    return pydicom.dcmread(io.BytesIO(buffer.getvalue()[: -len(placeholder)] + _element(contour_data, syntax)))


def _element(value: bytes, syntax) -> bytes:
    tag = (0x3006).to_bytes(2, "little") + (0x0050).to_bytes(2, "little")
    if syntax == ImplicitVRLittleEndian:
        return tag + len(value).to_bytes(4, "little") + value
    return tag + b"DS" + len(value).to_bytes(2, "little") + value


@pytest.mark.parametrize("syntax", [ExplicitVRLittleEndian, ImplicitVRLittleEndian], ids=["explicit", "implicit"])
@pytest.mark.parametrize("raw", [b"1.5\\-2\\3e1 ", b" 10.25\\+.5\\-0 ", b"0.1000000000000000055511151231257827\\1\\2 "])
def test_raw_values_give_pydicoms_numbers(raw, syntax):
    item = item_from_file(raw, syntax)
    expected = [float(v) for v in item_from_file(raw, syntax).ContourData]
    values = contour_values(item)
    assert values.dtype == np.float64 and values.tolist() == expected


@pytest.mark.parametrize("raw", [b"1.0\\2.0\\abc ", b"1.0\\\\3.0 "])
def test_a_malformed_value_raises_as_pydicom_does(raw):
    with pytest.raises(ValueError):
        contour_values(item_from_file(raw))


def test_a_value_numpy_would_read_as_nan_takes_pydicoms_path():
    item = item_from_file(b"1.0\\nan\\3.0 ")
    calls = []
    original = Dataset.get

    def spy(self, key, *args, **kwargs):
        calls.append(key)
        return original(self, key, *args, **kwargs)

    Dataset.get = spy
    try:
        values = contour_values(item)
    finally:
        Dataset.get = original
    assert "ContourData" in calls  # fell back to pydicom's values
    assert values[0] == 1.0 and np.isnan(values[1]) and values[2] == 3.0


def test_an_already_converted_value_is_used_as_it_is():
    item = Dataset()
    item.ContourData = [1.5, 2.5, 3.5]
    assert contour_values(item).tolist() == [1.5, 2.5, 3.5]

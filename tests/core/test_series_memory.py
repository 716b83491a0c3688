"""A series whose headers declare more than can be loaded is refused with the numbers, before
anything is allocated or decoded (no MemoryError, no half-gigabyte spent on a 107 KB file,
no machine brought down)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pydicom
import pytest
from pydicom.uid import generate_uid

from core.dicom import load_series, memory, scan_folder
from core.errors import DicomError
from tests.core.sample_copies import PHANTOM_CT


def _declaring(tmp_path, side: int, n: int):
    """``n`` JPEG 2000 phantom slices whose headers claim ``side`` x ``side`` pixels (the
    compressed data are the phantom's own few kilobytes: the header pass cannot tell)."""
    if not PHANTOM_CT.is_dir():
        pytest.skip("sample_scans/phantom-oligo not generated")
    template = pydicom.dcmread(sorted(PHANTOM_CT.glob("*.dcm"))[0])
    series_uid = generate_uid()
    for k in range(n):
        template.Rows = template.Columns = side
        template.SeriesInstanceUID = series_uid
        template.SOPInstanceUID = generate_uid()
        template.file_meta.MediaStorageSOPInstanceUID = template.SOPInstanceUID
        template.ImagePositionPatient = [0, 0, 3.0 * k]
        template.save_as(tmp_path / f"huge_{k:03d}.dcm")
    (entry,) = scan_folder(tmp_path).series
    assert entry.shape == (n, side, side)
    return entry


def test_compressed_images_declaring_16384_squared_are_refused_before_any_decoding(tmp_path):
    entry = _declaring(tmp_path, 16384, 4)  # four files of a few KB that would take 2.2 GB
    tracemalloc.start()
    try:
        with pytest.raises(DicomError, match=r"declare 16384 x 16384 pixels \(268 million each\), more than "
                                             r"the 4096 x 4096 .* nothing was decoded\. check \(0028,0010\) Rows"):
            load_series(entry)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MB spent before refusing"


def test_the_per_image_limit_lets_4096_squared_through_to_the_memory_check(tmp_path, monkeypatch):
    entry = _declaring(tmp_path, 4096, 3)
    monkeypatch.setattr(memory, "physical_memory_bytes", lambda: 64 * 2**20)
    with pytest.raises(DicomError, match=r"3 x 4096 x 4096 voxels need 0\.2 GB, more than this computer's "
                                         r"0\.1 GB of memory; check \(0028,0010\) Rows and \(0028,0011\) Columns"):
        load_series(entry)


def _phantom_entry():
    if not PHANTOM_CT.is_dir():
        pytest.skip("sample_scans/phantom-oligo not generated")
    (entry,) = scan_folder(PHANTOM_CT).series
    return entry


def _needed_bytes(entry) -> int:
    nz, ny, nx = entry.shape
    return nz * ny * nx * 2 + ny * nx * memory.DECODE_BYTES_PER_PIXEL  # int16 CT + one JPEG 2000 decode


def test_a_series_that_needs_more_than_the_free_memory_is_refused_with_the_numbers(monkeypatch):
    entry = _phantom_entry()
    needed = _needed_bytes(entry)
    monkeypatch.setattr(memory, "available_memory_bytes", lambda: needed - 1)  # just outside
    with pytest.raises(DicomError, match=r"voxels need \d+\.\d GB, more than the \d+\.\d GB of memory free now "
                                         r"of \d+\.\d GB; close other series or programs"):
        load_series(entry)


def test_a_series_that_just_fits_in_the_free_memory_loads(monkeypatch):
    entry = _phantom_entry()
    monkeypatch.setattr(memory, "available_memory_bytes", lambda: _needed_bytes(entry))  # on the limit
    volume = load_series(entry)
    assert volume.voxels.shape == entry.shape and np.issubdtype(volume.voxels.dtype, np.integer)


def test_unknown_free_memory_does_not_refuse(monkeypatch):
    entry = _phantom_entry()
    monkeypatch.setattr(memory, "available_memory_bytes", lambda: None)  # a platform that does not say
    assert load_series(entry).voxels.shape == entry.shape


def test_the_free_memory_is_read_from_the_system():
    available, total = memory.available_memory_bytes(), memory.physical_memory_bytes()
    if available is None or total is None:
        pytest.skip("this platform does not report its memory")
    assert 0 < available <= total

"""A series whose headers declare a volume larger than the computer's memory is refused
with a message, before anything is allocated (no MemoryError, no machine brought down)."""

from __future__ import annotations

import math
import os

import pydicom
import pytest
from pydicom.uid import generate_uid

from core.dicom import load_series, scan_folder
from core.errors import DicomError
from tests.core.sample_copies import PHANTOM_CT

SIDE = 16384  # the largest Rows/Columns the header check lets through
SLICE_BYTES = SIDE * SIDE * 2  # int16 CT


def physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        pytest.skip("this platform does not report its physical memory")


def test_a_series_declaring_more_voxels_than_memory_is_refused_with_what_to_check(tmp_path):
    if not PHANTOM_CT.is_dir():
        pytest.skip("sample_scans/phantom-oligo not generated")
    n = math.ceil(physical_memory() / SLICE_BYTES) + 1
    if n > 600:
        pytest.skip(f"{n} files would be needed to exceed this computer's memory")
    template = pydicom.dcmread(sorted(PHANTOM_CT.glob("*.dcm"))[0])
    series_uid = generate_uid()
    for k in range(n):  # compressed: the declared size is not checked against the data
        template.Rows = template.Columns = SIDE
        template.SeriesInstanceUID = series_uid
        template.SOPInstanceUID = generate_uid()
        template.file_meta.MediaStorageSOPInstanceUID = template.SOPInstanceUID
        template.ImagePositionPatient = [0, 0, 3.0 * k]
        template.save_as(tmp_path / f"huge_{k:03d}.dcm")
    (entry,) = scan_folder(tmp_path).series
    assert entry.shape == (n, SIDE, SIDE)

    with pytest.raises(DicomError, match=r"voxels need \d+\.\d GB, more than this computer's .* "
                                         r"check \(0028,0010\) Rows and \(0028,0011\) Columns"):
        load_series(entry)

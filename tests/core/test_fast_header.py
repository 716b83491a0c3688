"""The fast header reader gives exactly what the pydicom path gives, or hands over.

Every test compares the two paths on the same file: the same slices (position,
orientation, spacing, pixel format, rescale, UIDs, pixel offset), or the same
error with the same message, and the same loaded volume.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import ExplicitVRBigEndian, ImplicitVRLittleEndian

import core.dicom.headers as headers_module
from core.dicom import load_series, scan_folder
from core.dicom.fast_header import read_header_fast
from core.dicom.headers import read_header
from core.dicom.scan import list_files
from core.errors import BrokenDicomError, DicomError, UnsupportedDicomError
from tests.core import dicom_factory as factory

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "sample_scans"
SHARED = REPO.parent / "shared" / "data"


def outcome(path, fast: bool):
    """(slices, SOP class) or (error type, message) of one path."""
    try:
        header = read_header(path, fast=fast)
    except DicomError as exc:
        return ("error", type(exc).__name__, str(exc))
    return ("ok", header.slices, header.sop_class_uid)


def assert_same(path) -> bool:
    """Both paths agree on ``path``; returns whether the fast reader took it
    (gave its slices or raised the error itself)."""
    assert outcome(path, fast=True) == outcome(path, fast=False), path
    try:
        return read_header_fast(str(path)) is not None
    except DicomError:
        return True


def plain(path) -> bool:
    """What pydicom says of the file: an uncompressed little-endian single-frame image."""
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=False, defer_size=1024)
    except Exception:  # noqa: BLE001 - not DICOM, or broken: not plain
        return False
    syntax = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", ""))
    return (
        syntax in (pydicom.uid.ExplicitVRLittleEndian, pydicom.uid.ImplicitVRLittleEndian)
        and "PixelData" in ds
        and "NumberOfFrames" not in ds
        and ds.get("SOPClassUID") != "1.2.840.10008.5.1.4.1.1.481.3"
    )


def ct_slice(**kwargs) -> Dataset:
    stored = (np.arange(64 * 64).reshape(64, 64) % 3000).astype(np.uint16)
    kwargs.setdefault("intercept", -1024)
    kwargs.setdefault("bits_stored", 12)
    return factory.slice_dataset(stored, (-10.0, -20.0, 30.0), **kwargs)


def written(ds: Dataset, tmp_path: Path, name="x.dcm", syntax=None) -> Path:
    return factory.write(ds, tmp_path / name, syntax)


# ------------------------------------------------------------------ real and sample data
def test_sample_scans_fast_and_pydicom_headers_agree_and_plain_files_take_the_fast_path():
    files = list_files(SAMPLES)
    assert len(files) > 300
    fast = {f: assert_same(f) for f in files}
    expected = {f: plain(f) for f in files}
    assert fast == expected
    # the real CT and the phantom PETs are plain; the phantom CTs are JPEG 2000
    assert sum(fast.values()) == 41 + 72 + 72 - 72  # phantom-poly PET is compressed too
    assert all(took for f, took in fast.items() if "tcia-crlm-ct-1004" in f)


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"real DICOM data not present at {SHARED}")
def test_real_data_fast_and_pydicom_headers_agree():
    files = list_files(SHARED)
    fast = {f: assert_same(f) for f in files}
    assert fast == {f: plain(f) for f in files}
    assert sum(fast.values()) > 40  # the real scanner CT files are plain


def test_volume_is_identical_with_and_without_the_fast_reader(monkeypatch):
    folder = SAMPLES / "tcia-crlm-ct-1004"
    fast_scan = scan_folder(folder)
    with monkeypatch.context() as m:
        m.setattr(headers_module, "read_header_fast", lambda path: None)
        slow_scan = scan_folder(folder)
    assert [e.key for e in fast_scan.series] == [e.key for e in slow_scan.series]
    assert [s.path for s in fast_scan.skipped] == [s.path for s in slow_scan.skipped]
    for a, b in zip(fast_scan.series, slow_scan.series):
        assert a.slices == b.slices
        assert a.warnings == b.warnings
        va, vb = load_series(a), load_series(b)
        assert va.voxels.dtype == vb.voxels.dtype
        assert np.array_equal(va.voxels, vb.voxels)
        assert np.array_equal(va.affine, vb.affine)
        assert va.info == vb.info and va.slice_thickness_mm == vb.slice_thickness_mm


# ------------------------------------------------------------------ factory-made odd files
def test_plain_explicit_and_implicit_files_take_the_fast_path(tmp_path):
    assert assert_same(written(ct_slice(), tmp_path, "explicit.dcm"))
    assert assert_same(written(ct_slice(), tmp_path, "implicit.dcm", ImplicitVRLittleEndian))


def test_sequences_before_pixel_data_are_stepped_over(tmp_path):
    ds = ct_slice()
    inner = Dataset()
    inner.CodeValue, inner.CodingSchemeDesignator, inner.CodeMeaning = "T-D4000", "SRT", "Abdomen"
    item = Dataset()
    item.ReferencedSOPInstanceUID = pydicom.uid.generate_uid()
    item.AnatomicRegionSequence = DicomSequence([inner])
    ds.ReferencedImageSequence = DicomSequence([item, Dataset()])
    assert assert_same(written(ds, tmp_path, "defined.dcm"))
    assert assert_same(written(ds, tmp_path, "defined-implicit.dcm", ImplicitVRLittleEndian))
    # undefined lengths, nested: sequence and items end with delimiters
    ds["ReferencedImageSequence"].is_undefined_length = True
    for it in ds.ReferencedImageSequence:
        it.is_undefined_length_sequence_item = True
    item["AnatomicRegionSequence"].is_undefined_length = True
    raw = written(ds, tmp_path, "undefined.dcm").read_bytes()
    assert b"\xfe\xff\xdd\xe0" in raw and b"\xfe\xff\x0d\xe0" in raw  # the delimiters are there
    assert assert_same(tmp_path / "undefined.dcm")
    assert assert_same(written(ds, tmp_path, "undefined-implicit.dcm", ImplicitVRLittleEndian))


def test_a_long_private_element_makes_it_read_more_of_the_file(tmp_path):
    ds = ct_slice()
    block = ds.private_block(0x0029, "OLIGOPLAN TEST", create=True)
    block.add_new(0x10, "OB", bytes(range(256)) * 80)  # 20 kB, beyond the first read
    assert assert_same(written(ds, tmp_path))


@pytest.mark.parametrize(
    "change",
    [
        "rows_as_UL",
        "two_valued_rows",
        "number_of_frames",
        "big_endian",
        "no_preamble",
        "trailing_element",
        "no_transfer_syntax",
        "small_pixel_data",
    ],
)
def test_odd_files_are_left_to_pydicom_with_the_same_result(tmp_path, change):
    ds = ct_slice()
    syntax = None
    if change == "rows_as_UL":
        ds["Rows"].VR = "UL"
    elif change == "two_valued_rows":
        ds["Rows"].value = [64, 64]
    elif change == "number_of_frames":
        ds.NumberOfFrames = 1
    elif change == "big_endian":
        syntax = ExplicitVRBigEndian
    elif change == "small_pixel_data":
        ds = factory.slice_dataset(np.zeros((8, 8), np.int16), (0, 0, 0))
    path = written(ds, tmp_path, syntax=syntax)
    raw = path.read_bytes()
    if change == "no_preamble":
        path.write_bytes(raw[132:])
    elif change == "trailing_element":
        path.write_bytes(raw + b"\xfc\xff\xfc\xff" + b"OB\x00\x00" + (4).to_bytes(4, "little") + b"\0" * 4)
    elif change == "no_transfer_syntax":
        at = raw.index(b"\x02\x00\x10\x00UI")
        length = int.from_bytes(raw[at + 6:at + 8], "little")
        path.write_bytes(raw[:at] + raw[at + 8 + length:])
    assert read_header_fast(str(path)) is None
    assert_same(path)


@pytest.mark.parametrize(
    "change, error, message",
    [
        ("no_position", UnsupportedDicomError, "cannot be placed in 3D"),
        ("no_spacing", UnsupportedDicomError, "no Pixel Spacing"),
        ("colour", UnsupportedDicomError, "colour image"),
        ("bits_stored", BrokenDicomError, "Bits Stored is 17"),
        ("bad_rescale", BrokenDicomError, "Rescale Intercept is 'abc'"),
        ("parallel_orientation", BrokenDicomError, "does not define a plane"),
        ("huge_rows", BrokenDicomError, "implausible image size"),
    ],
)
def test_bad_plain_files_raise_the_same_error_on_both_paths(tmp_path, change, error, message):
    ds = ct_slice()
    if change == "no_position":
        del ds.ImagePositionPatient
    elif change == "no_spacing":
        del ds.PixelSpacing
    elif change == "colour":
        ds.SamplesPerPixel = 3
    elif change == "bits_stored":
        ds.BitsStored = 17
    elif change == "parallel_orientation":
        ds.ImageOrientationPatient = [1, 0, 0, 1, 0, 0]
    elif change == "huge_rows":
        ds.Rows = 20000
    path = written(ds, tmp_path)
    if change == "bad_rescale":  # pydicom will not write it: patch the bytes
        raw = path.read_bytes()
        assert raw.count(b"-1024.0 ") == 1
        path.write_bytes(raw.replace(b"-1024.0 ", b"abc     "))
    assert_same(path)
    with pytest.raises(error, match=message):
        read_header(path)


@pytest.mark.parametrize("keep", [60, 131, 140, 300, 600, 700, 4000, 8000])
def test_truncated_files_give_the_same_clear_error(tmp_path, keep):
    path = written(ct_slice(), tmp_path)
    raw = path.read_bytes()
    assert len(raw) > 8000
    path.write_bytes(raw[:keep])
    fast, slow = outcome(path, True), outcome(path, False)
    assert fast == slow
    # an error, or a header without image slices (listed as skipped, not an image)
    assert fast[0] == "error" or fast[1] == []


def test_a_file_cut_in_its_pixel_data_says_so(tmp_path):
    path = written(ct_slice(), tmp_path)
    path.write_bytes(path.read_bytes()[:-100])
    assert read_header_fast(str(path)) is None
    with pytest.raises(BrokenDicomError, match="pixel data truncated"):
        read_header(path)


def test_the_pydicom_dataset_of_a_fast_header_is_read_when_asked(tmp_path):
    path = written(ct_slice(description="late dataset"), tmp_path)
    header = read_header(path)
    assert header._dataset is None  # not parsed yet
    assert header.dataset.SeriesDescription == "late dataset"
    assert header.dataset.Rows == 64


# ------------------------------------------------------------------ differential fuzz
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_SEEDS: dict[str, bytes] = {}


def _seed(kind: str) -> bytes:
    if kind not in _SEEDS:
        ds = ct_slice()
        if kind == "sequence":
            item = Dataset()
            item.ReferencedSOPInstanceUID = "1.2.3.4"
            ds.ReferencedImageSequence = DicomSequence([item])
            ds["ReferencedImageSequence"].is_undefined_length = True
            item.is_undefined_length_sequence_item = True
        if kind == "implicit":
            ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
        _SEEDS[kind] = factory.to_bytes(ds)
    return _SEEDS[kind]


@st.composite
def mutated(draw):
    data = bytearray(_seed(draw(st.sampled_from(["explicit", "sequence", "implicit"]))))
    header_end = data.index(b"\xe0\x7f\x10\x00") + 12
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
        at = draw(st.integers(128, min(header_end, len(data) - 1)))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "truncate":
            del data[draw(st.integers(0, len(data) - 1)):]
            break
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=6))
        else:
            del data[at:at + draw(st.integers(1, 6))]
    return bytes(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=mutated())
def test_mutated_files_give_the_same_result_on_both_paths(tmp_path, data):
    path = tmp_path / "m.dcm"
    path.write_bytes(data)
    assert outcome(path, True) == outcome(path, False)

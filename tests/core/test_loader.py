"""Loading series into volumes: rescale per slice, dtypes, masking, multi-frame,
transfer syntaxes, files without a header, bad files in a folder, memory."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import DeflatedExplicitVRLittleEndian

from core.dicom import load_series, scan_folder
from core.errors import Cancelled
from core.volume import Modality
from tests.core import dicom_factory as factory


def z_stack(n, step=2.0):
    return factory.axial_positions(n, step)


def load_only_series(folder):
    result = scan_folder(folder)
    assert len(result.series) == 1, [(s.path, s.reason) for s in result.skipped]
    return load_series(result.series[0])


def ramp(n, rows=8, columns=10, start=0, dtype=np.int16):
    """Distinct stored values: slice k, row j, column i holds start + 100 k + 10 j + i."""
    k, j, i = np.meshgrid(np.arange(n), np.arange(rows), np.arange(columns), indexing="ij")
    return (start + 100 * k + 10 * j + i).astype(dtype)


# ------------------------------------------------------------- rescale
def test_ct_with_a_different_intercept_on_every_slice_stays_int16(tmp_path):
    stored = ramp(5, start=1000)
    intercepts = [-1024, -1000, -1030, -990, -1024]
    factory.write_series(tmp_path, stored, z_stack(5), slopes=[1] * 5, intercepts=intercepts)
    vol = load_only_series(tmp_path)
    assert vol.voxels.dtype == np.int16
    assert vol.unit == "HU"
    expected = stored.astype(np.int32) + np.array(intercepts)[:, None, None]
    np.testing.assert_array_equal(vol.voxels, expected)


def test_ct_with_a_different_slope_on_every_slice_is_exact_in_float32(tmp_path):
    stored = ramp(4, start=500)
    slopes = [0.5, 1.0, 2.0, 1.25]
    intercepts = [-1024.0, -1024.0, -1000.5, -512.0]
    factory.write_series(tmp_path, stored, z_stack(4), slopes=slopes, intercepts=intercepts)
    vol = load_only_series(tmp_path)
    assert vol.voxels.dtype == np.float32
    for k in range(4):
        np.testing.assert_allclose(vol.voxels[k], stored[k] * slopes[k] + intercepts[k], rtol=0, atol=1e-3)
    # e.g. slice 2, row 3, column 4: (500 + 200 + 30 + 4) * 2.0 - 1000.5 = 467.5 HU
    assert vol.voxels[2, 3, 4] == pytest.approx(467.5)


def test_pet_with_a_different_slope_on_every_slice_gives_bq_per_ml(tmp_path):
    stored = ramp(4, start=100)
    slopes = [0.209417, 1.7141, 8.35781, 3.5]  # as varied as in a real GE PET
    pet = dict(weight_kg=None, dose_bq=3.7e8, half_life_s=6586.2, injection_time="100000",
               series_time="110000")
    factory.write_series(tmp_path, stored, z_stack(4), slopes=slopes, intercepts=[0] * 4,
                         modality="PT", pet=pet)
    vol = load_only_series(tmp_path)
    assert vol.unit == "BQML"
    assert vol.voxels.dtype == np.float32
    for k in range(4):
        np.testing.assert_allclose(vol.voxels[k], stored[k] * slopes[k], rtol=1e-6)


def test_ct_overflowing_int16_after_rescale_becomes_float32_and_stays_correct(tmp_path):
    # Unsigned 16-bit stored values up to 40000 with intercept -1024: slice 2 reaches
    # 38976 HU (metal), which does not fit int16; slices 0 and 1 do.
    stored = ramp(3, start=0, dtype=np.uint16)
    stored[2] += 39000
    factory.write_series(tmp_path, stored, z_stack(3), slopes=[1] * 3, intercepts=[-1024] * 3)
    vol = load_only_series(tmp_path)
    assert vol.voxels.dtype == np.float32
    np.testing.assert_array_equal(vol.voxels, stored.astype(np.float64) - 1024)
    assert vol.voxels.max() == 39000 + 200 + 70 + 9 - 1024


def test_signed_ct_pushed_past_int16_by_its_intercept_becomes_float32(tmp_path):
    stored = ramp(2, start=32000)  # up to 32179 stored, signed
    factory.write_series(tmp_path, stored, z_stack(2), slopes=[1, 1], intercepts=[1000, 1000])
    vol = load_only_series(tmp_path)
    assert vol.voxels.dtype == np.float32
    np.testing.assert_array_equal(vol.voxels, stored.astype(np.float64) + 1000)


def garbage_above(values: np.ndarray, bits_stored: int, garbage: int) -> bytes:
    """Stored values in the low ``bits_stored`` bits, ``garbage`` in the bits above."""
    low = values.astype(np.int64) & ((1 << bits_stored) - 1)
    return (low | garbage).astype("<u2").tobytes()


def test_ct_bits_stored_12_masks_garbage_in_high_bits(tmp_path):
    stored = ramp(3, start=0, dtype=np.uint16)  # 0 .. 279, HU -1024 .. -745
    raw = [garbage_above(s, 12, 0xB000) for s in stored]
    factory.write_series(tmp_path, stored, z_stack(3), slopes=[1] * 3, intercepts=[-1024] * 3,
                         bits_stored=12, signed=False, raw_pixel_bytes=raw)
    vol = load_only_series(tmp_path)
    assert vol.voxels.dtype == np.int16
    np.testing.assert_array_equal(vol.voxels, stored.astype(np.int32) - 1024)


def test_signed_bits_stored_12_masks_and_sign_extends(tmp_path):
    stored = ramp(2, start=-1000)  # -1000 .. -811, negative 12-bit values
    raw = [garbage_above(s, 12, 0x5000) for s in stored]
    factory.write_series(tmp_path, stored, z_stack(2), slopes=[1, 1], intercepts=[0, 0],
                         bits_stored=12, signed=True, raw_pixel_bytes=raw)
    vol = load_only_series(tmp_path)
    np.testing.assert_array_equal(vol.voxels, stored)


def test_mr_bits_stored_12_masks_garbage_in_high_bits(tmp_path):
    stored = ramp(2, start=4000, dtype=np.uint16)  # up to 4179: one bit above 12 would show
    stored %= 4096
    raw = [garbage_above(s, 12, 0xF000) for s in stored]
    factory.write_series(tmp_path, stored, z_stack(2), modality="MR", bits_stored=12, signed=False,
                         raw_pixel_bytes=raw)
    vol = load_only_series(tmp_path)
    assert vol.unit == ""
    np.testing.assert_array_equal(vol.voxels, stored)


def test_slices_stored_signed_and_unsigned_in_one_series_keep_their_values(tmp_path):
    # Same series, slice 0 unsigned, slice 1 signed with negative values: no wrap-around.
    uids = dict(series_uid=pydicom.uid.generate_uid(), frame_uid=pydicom.uid.generate_uid(),
                study_uid=pydicom.uid.generate_uid())
    unsigned = ramp(1, start=60000, dtype=np.uint16)
    signed = ramp(1, start=-300)
    positions = z_stack(2)
    factory.write_series(tmp_path / "a", unsigned, positions[:1], modality="MR", **uids)
    factory.write_series(tmp_path / "b", signed, positions[1:], modality="MR", **uids)
    vol = load_only_series(tmp_path)
    np.testing.assert_array_equal(vol.voxels[0], unsigned[0])
    np.testing.assert_array_equal(vol.voxels[1], signed[0])
    assert vol.voxels.min() == -300 and vol.voxels.max() == 60000 + 79


# ------------------------------------------------------------ multi-frame
@pytest.mark.parametrize(
    "slopes, intercepts, dtype",
    [
        ([1, 1, 1, 1, 1], [-1024, -1000, -1024, -1010, -1024], np.int16),
        ([1.0, 0.5, 2.0, 1.0, 1.5], [-1024, -1024, -1000, -1024, -1024], np.float32),
    ],
    ids=["per-frame intercept", "per-frame slope"],
)
def test_enhanced_ct_loads_sorted_with_per_frame_rescale(tmp_path, slopes, intercepts, dtype):
    stored = ramp(5, rows=6, columns=7, start=1000)
    z_of_frame = [8.0, 0.0, 4.0, 2.0, 6.0]  # frames not in position order
    positions = np.array([(-50.0, -60.0, z) for z in z_of_frame])
    ds = factory.enhanced_ct(stored, positions, slopes=slopes, intercepts=intercepts,
                             pixel_spacing=(0.8, 0.6))
    factory.write(ds, tmp_path / "enhanced.dcm")
    vol = load_only_series(tmp_path)
    assert vol.shape == (5, 6, 7)
    assert vol.voxels.dtype == dtype
    assert vol.spacing_mm == pytest.approx((2.0, 0.8, 0.6))
    np.testing.assert_allclose(vol.positions_mm[:, 2], [0, 2, 4, 6, 8])
    order = np.argsort(z_of_frame)  # frame shown as slice k
    for k, frame in enumerate(order):
        expected = stored[frame] * slopes[frame] + intercepts[frame]
        np.testing.assert_allclose(vol.voxels[k], expected, atol=1e-3)


def test_enhanced_ct_with_missing_per_frame_items_is_skipped_with_reason(tmp_path):
    stored = ramp(4, rows=4, columns=4)
    ds = factory.enhanced_ct(stored, factory.axial_positions(4, 2.0), slopes=[1] * 4, intercepts=[0] * 4)
    del ds.PerFrameFunctionalGroupsSequence[3]
    factory.write(ds, tmp_path / "enhanced.dcm")
    result = scan_folder(tmp_path)
    assert result.series == []
    (skipped,) = result.skipped
    assert "4 frames but 3 per-frame functional group items" in skipped.reason


def test_number_of_frames_larger_than_the_pixel_data_is_skipped_with_reason(tmp_path):
    stored = ramp(3, rows=4, columns=4)
    ds = factory.enhanced_ct(stored, z_stack(3), slopes=[1] * 3, intercepts=[0] * 3)
    ds.NumberOfFrames = 4
    factory.write(ds, tmp_path / "enhanced.dcm")
    result = scan_folder(tmp_path)
    assert result.series == []
    (skipped,) = result.skipped
    assert "pixel data has 96 bytes, but 4 frame(s) of 4x4 at 16 bits need 128" in skipped.reason


# ------------------------------------------------------- transfer syntaxes
MR_SMALL_LOSSLESS = [
    "MR_small_RLE.dcm",
    "MR_small_jp2klossless.dcm",
    "MR_small_jpeg_ls_lossless.dcm",
    "MR_small_bigendian.dcm",
    "MR_small_expb.dcm",
    "MR_small_implicit.dcm",
    "MR_small_padded.dcm",
]


@pytest.fixture(scope="module")
def mr_small_reference():
    return load_only_series(get_testdata_file("MR_small.dcm"))


@pytest.mark.parametrize("name", MR_SMALL_LOSSLESS)
def test_lossless_transfer_syntaxes_load_identical_to_uncompressed(name, mr_small_reference):
    vol = load_only_series(get_testdata_file(name))
    assert vol.shape == (1, 64, 64)
    np.testing.assert_array_equal(vol.voxels, mr_small_reference.voxels)
    np.testing.assert_allclose(vol.positions_mm, mr_small_reference.positions_mm)


def test_deflated_file_loads_identical_to_uncompressed(tmp_path, mr_small_reference):
    ds = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    factory.write(ds, tmp_path / "deflated.dcm", transfer_syntax=DeflatedExplicitVRLittleEndian)
    assert pydicom.dcmread(tmp_path / "deflated.dcm").file_meta.TransferSyntaxUID == DeflatedExplicitVRLittleEndian
    vol = load_only_series(tmp_path)
    np.testing.assert_array_equal(vol.voxels, mr_small_reference.voxels)


def test_lossy_jpeg2000_ct_is_rescaled_to_hounsfield_units():
    path = get_testdata_file("693_J2KI.dcm")
    vol = load_only_series(path)
    ds = pydicom.dcmread(path)
    assert vol.shape == (1, 512, 512)
    assert vol.voxels.dtype == np.int16
    expected = ds.pixel_array.astype(np.int32) * int(ds.RescaleSlope) + int(ds.RescaleIntercept)
    np.testing.assert_array_equal(vol.voxels[0], expected)


# ---------------------------------------------------------- no file header
def test_file_without_meta_header_loads_like_the_original():
    # pydicom's no_meta.dcm is CT_small.dcm with its file meta header stripped
    # (and a stray padding byte left in front).
    reference = load_only_series(get_testdata_file("CT_small.dcm"))
    vol = load_only_series(get_testdata_file("no_meta.dcm"))
    np.testing.assert_array_equal(vol.voxels, reference.voxels)
    np.testing.assert_allclose(vol.positions_mm, reference.positions_mm)
    assert vol.modality is Modality.CT


def test_headerless_non_image_is_reported_not_crashed():
    result = scan_folder(get_testdata_file("ExplVR_LitEndNoMeta.dcm"))
    assert result.series == []
    (skipped,) = result.skipped
    assert "not an image series (RTPLAN" in skipped.reason


@pytest.mark.parametrize("little_endian, implicit", [(True, True), (True, False), (False, False)],
                         ids=["implicit little", "explicit little", "explicit big"])
def test_headerless_synthetic_ct_loads(tmp_path, little_endian, implicit):
    stored = ramp(1, rows=16, columns=16, start=-50)[0]
    ds = factory.slice_dataset(stored, (1.0, 2.0, 3.0), slope=1, intercept=-1024)
    if not little_endian:
        ds.PixelData = stored.astype(">i2").tobytes()
    del ds.file_meta
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, implicit_vr=implicit, little_endian=little_endian)
    (tmp_path / "raw.dcm").write_bytes(buffer.getvalue())
    vol = load_only_series(tmp_path)
    np.testing.assert_array_equal(vol.voxels[0], stored.astype(np.int32) - 1024)


# ------------------------------------------------------- bad files, splits
def test_folder_with_bad_files_loads_the_good_series_and_lists_the_rest(tmp_path):
    stored = ramp(5, rows=32, columns=32)
    paths = factory.write_series(tmp_path / "series", stored, z_stack(5), slopes=[1] * 5,
                                 intercepts=[-1024] * 5)
    good = paths[2].read_bytes()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "truncated.dcm").write_bytes(good[: int(len(good) * 0.6)])
    (bad / "noise.dcm").write_bytes(np.random.default_rng(3).integers(0, 256, 5000, np.uint8).tobytes())
    (bad / "empty.dcm").write_bytes(b"")
    (bad / "notes.dcm").write_text("Patient notes: lesion in segment VII\n")

    result = scan_folder(tmp_path)
    assert len(result.series) == 1
    vol = load_series(result.series[0])
    assert vol.shape == (5, 32, 32)
    np.testing.assert_array_equal(vol.voxels, stored.astype(np.int32) - 1024)
    assert not any("blank" in w for w in vol.warnings)

    reasons = {Path(s.path).name: s.reason for s in result.skipped}
    assert set(reasons) == {"truncated.dcm", "noise.dcm", "empty.dcm", "notes.dcm"}
    assert "truncated" in reasons["truncated.dcm"]
    for name in ("noise.dcm", "empty.dcm", "notes.dcm"):
        assert f"{name}: not a DICOM file" in reasons[name]


def test_image_without_position_is_skipped_with_reason(tmp_path):
    ds = factory.slice_dataset(ramp(1)[0], (0, 0, 0))
    del ds.ImagePositionPatient
    factory.write(ds, tmp_path / "scout.dcm")
    result = scan_folder(tmp_path)
    assert result.series == []
    assert "cannot be placed in 3D" in result.skipped[0].reason


def test_localiser_in_the_same_series_is_split_off(tmp_path):
    uids = dict(series_uid=pydicom.uid.generate_uid(), frame_uid=pydicom.uid.generate_uid(),
                study_uid=pydicom.uid.generate_uid())
    factory.write_series(tmp_path / "axial", ramp(6), z_stack(6), **uids)
    factory.write_series(tmp_path / "scout", ramp(1), z_stack(1), orientation=(1, 0, 0, 0, 0, -1),
                         **uids)
    result = scan_folder(tmp_path)
    assert sorted(e.n_slices for e in result.series) == [1, 6]
    assert all("series was split" in " ".join(e.warnings) for e in result.series)


def test_cancel_stops_loading(tmp_path):
    factory.write_series(tmp_path, ramp(4), z_stack(4))
    entry = scan_folder(tmp_path).series[0]
    with pytest.raises(Cancelled, match="cancelled"):
        load_series(entry, cancel=lambda: True)


def test_progress_reports_every_slice_count_up_to_the_total(tmp_path):
    factory.write_series(tmp_path, ramp(10), z_stack(10))
    entry = scan_folder(tmp_path).series[0]
    calls = []
    load_series(entry, progress=lambda done, total, text: calls.append((done, total)))
    assert calls[-1] == (10, 10)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


# ------------------------------------------------------------------ memory
def test_loading_a_ct_makes_no_float64_copy(tmp_path):
    n, size = 60, 512
    yy, xx = np.mgrid[0:size, 0:size]
    body = ((xx - 256) / 200.0) ** 2 + ((yy - 256) / 150.0) ** 2 <= 1
    plane = np.where(body, 1064, 24).astype(np.uint16)  # stored: 40 HU inside, -1000 HU outside
    stored = np.broadcast_to(plane, (n, size, size))
    factory.write_series(tmp_path, stored, z_stack(n, 1.25), slopes=[1] * n, intercepts=[-1024] * n,
                         bits_stored=12, signed=False)
    entry = scan_folder(tmp_path).series[0]
    voxel_bytes = n * size * size * 2

    tracemalloc.start()
    try:
        vol = load_series(entry)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert vol.voxels.dtype == np.int16
    assert vol.voxels[30, 256, 256] == 40 and vol.voxels[30, 5, 5] == -1000
    assert peak <= 1.5 * voxel_bytes, f"peak {peak / 2**20:.1f} MiB for {voxel_bytes / 2**20:.1f} MiB of voxels"

"""CT slices read raw into the int16 volume (two threads) hold the right HU."""

from __future__ import annotations

import numpy as np
import pytest

import core.dicom.raw_slices as raw_slices
from core.dicom import load_series, scan_folder
from core.errors import Cancelled
from tests.core import dicom_factory as factory

N, SIZE = 40, 64  # more slices than one chunk, so both threads read


def z_stack(n):
    return factory.axial_positions(n, 2.5)


def stored_stack(seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 4096, (N, SIZE, SIZE)).astype(np.uint16)


@pytest.fixture(params=[1, 2], ids=["one thread", "two threads"])
def threads(request, monkeypatch):
    monkeypatch.setattr(raw_slices, "THREADS", request.param)
    return request.param


def test_every_slice_gets_its_own_intercept_and_garbage_above_bits_stored_is_masked(tmp_path, threads):
    stored = stored_stack()
    intercepts = [-1024 if k % 3 else -1000 for k in range(N)]
    raw = [s.tobytes() for s in stored]
    dirty = stored[7].copy()
    dirty[0, :5] |= 0x3000  # overlay bits above the 12 stored ones
    raw[7] = dirty.tobytes()
    factory.write_series(tmp_path, stored, z_stack(N), slopes=[1] * N, intercepts=intercepts,
                         bits_stored=12, signed=False, raw_pixel_bytes=raw,
                         file_names=[f"f{(k * 17) % N:03d}.dcm" for k in range(N)])
    volume = load_series(scan_folder(tmp_path).series[0])
    assert volume.voxels.dtype == np.int16
    expected = stored.astype(np.int32) + np.array(intercepts)[:, None, None]
    assert np.array_equal(volume.voxels, expected)


def test_a_slice_that_overflows_int16_turns_the_volume_into_float32_with_exact_values(tmp_path, threads):
    stored = stored_stack(1)
    intercepts = [-1024] * N
    intercepts[30] = 32000  # 4095 + 32000 does not fit int16
    factory.write_series(tmp_path, stored, z_stack(N), slopes=[1] * N, intercepts=intercepts,
                         bits_stored=12, signed=False)
    volume = load_series(scan_folder(tmp_path).series[0])
    assert volume.voxels.dtype == np.float32
    expected = stored.astype(np.float64) + np.array(intercepts)[:, None, None]
    assert np.array_equal(volume.voxels, expected)


def test_signed_slices_without_intercept_are_read_as_stored(tmp_path, threads):
    stored = np.random.default_rng(2).integers(-3000, 3000, (N, SIZE, SIZE)).astype(np.int16)
    factory.write_series(tmp_path, stored, z_stack(N), signed=True)
    volume = load_series(scan_folder(tmp_path).series[0])
    assert volume.voxels.dtype == np.int16
    assert np.array_equal(volume.voxels, stored)


def test_a_slice_whose_file_vanished_is_shown_blank_with_a_warning(tmp_path, threads):
    stored = stored_stack(3)
    paths = factory.write_series(tmp_path, stored, z_stack(N), slopes=[1] * N, intercepts=[-1024] * N,
                                 bits_stored=12, signed=False)
    entry = scan_folder(tmp_path).series[0]
    paths[5].unlink()
    volume = load_series(entry)
    assert (volume.voxels[5] == np.iinfo(np.int16).min).all()
    assert np.array_equal(volume.voxels[6], stored[6].astype(np.int32) - 1024)
    assert any("could not be decoded" in w for w in volume.warnings)


def test_cancel_midway_stops_the_threads_and_raises(tmp_path, threads):
    factory.write_series(tmp_path, stored_stack(4), z_stack(N), slopes=[1] * N, intercepts=[-1024] * N,
                         bits_stored=12, signed=False)
    entry = scan_folder(tmp_path).series[0]
    calls = []
    with pytest.raises(Cancelled, match="cancelled"):
        load_series(entry, progress=lambda done, total, text: calls.append(done),
                    cancel=lambda: len(calls) >= 1)
    assert calls and calls[0] < N  # stopped before the end


def test_progress_counts_up_to_the_total(tmp_path, threads):
    factory.write_series(tmp_path, stored_stack(5), z_stack(N), slopes=[1] * N, intercepts=[-1024] * N,
                         bits_stored=12, signed=False)
    calls = []
    load_series(scan_folder(tmp_path).series[0], progress=lambda d, t, text: calls.append((d, t)))
    assert calls[-1] == (N, N)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)

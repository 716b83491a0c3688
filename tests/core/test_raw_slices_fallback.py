"""Raw slice reads without os.preadv (Windows has none) give the very same volumes.

:func:`core.dicom.raw_slices.read_at` checks ``hasattr(os, "preadv")``; the
tests remove it from ``os`` for the second load, as on Windows, and compare
every voxel with the first load, which used preadv.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import core.dicom.raw_slices as raw_slices
import core.dicom.series as series_module
from core.dicom import load_series, scan_folder
from core.volume import Modality
from tests.core.sample_copies import PHANTOM_CT, PHANTOM_PT, SHARED_DATA, write_uncompressed

pytestmark = pytest.mark.skipif(not hasattr(os, "preadv"),
                                reason="this platform has no os.preadv to compare the fallback with")

REAL_CT = SHARED_DATA / "tcia-crlm-ct-1004" / "image"
REAL_PET = SHARED_DATA / "tcia-sts-001" / "FDG_PET" / "image"


@pytest.fixture(scope="module")
def phantom_ct(tmp_path_factory) -> Path:
    if not PHANTOM_CT.is_dir():
        pytest.skip("sample_scans/phantom-oligo not generated")
    return write_uncompressed(PHANTOM_CT, tmp_path_factory.mktemp("phantom_ct"))


def real(folder: Path) -> Path:
    if not folder.is_dir():
        pytest.skip(f"real DICOM test data not present at {folder} (see shared/data/README.md)")
    return folder


def count_raw_reads(monkeypatch) -> list[str]:
    """Record every raw read (the int16 path and the general path both call read_at)."""
    calls: list[str] = []
    read_at = raw_slices.read_at

    def counting(path, offset, target):
        calls.append(path)
        return read_at(path, offset, target)

    monkeypatch.setattr(raw_slices, "read_at", counting)
    monkeypatch.setattr(series_module, "read_at", counting)
    return calls


def load_both_ways(folder: Path, monkeypatch, modality: Modality):
    (entry,) = [e for e in scan_folder(folder).series if e.info.modality is modality]
    calls = count_raw_reads(monkeypatch)
    with_preadv = load_series(entry)
    assert sorted(calls) == sorted(r.path for r in entry.slices)  # every slice read raw
    calls.clear()
    monkeypatch.delattr(os, "preadv")
    without = load_series(entry)
    assert sorted(calls) == sorted(r.path for r in entry.slices)
    return with_preadv, without


@pytest.mark.parametrize("threads", [1, 2], ids=["one thread", "two threads"])
def test_phantom_ct_reads_the_same_hu_without_preadv(phantom_ct, monkeypatch, threads):
    monkeypatch.setattr(raw_slices, "THREADS", threads)
    with_preadv, without = load_both_ways(phantom_ct, monkeypatch, Modality.CT)
    assert with_preadv.voxels.dtype == without.voxels.dtype == np.int16
    assert np.array_equal(with_preadv.voxels, without.voxels)
    assert with_preadv.warnings == without.warnings == ()
    assert -1100 < without.voxels.min() and without.voxels.max() > 300  # air to bone, in HU


def test_phantom_pet_reads_the_same_suv_without_preadv(monkeypatch):
    if not PHANTOM_PT.is_dir():
        pytest.skip("sample_scans/phantom-oligo not generated")
    with_preadv, without = load_both_ways(PHANTOM_PT, monkeypatch, Modality.PT)
    assert without.voxels.dtype == np.float32
    assert np.array_equal(with_preadv.voxels, without.voxels)
    assert without.unit == with_preadv.unit == "SUVbw"


def test_real_ct_reads_the_same_hu_without_preadv(monkeypatch):
    with_preadv, without = load_both_ways(real(REAL_CT), monkeypatch, Modality.CT)
    assert without.voxels.shape == (41, 512, 512)
    assert np.array_equal(with_preadv.voxels, without.voxels)
    assert with_preadv.warnings == without.warnings


def test_real_pet_with_a_slope_per_slice_reads_the_same_without_preadv(monkeypatch):
    with_preadv, without = load_both_ways(real(REAL_PET), monkeypatch, Modality.PT)
    assert without.voxels.shape[0] == 267
    assert np.array_equal(with_preadv.voxels, without.voxels)


@pytest.mark.parametrize("preadv", [True, False], ids=["preadv", "no preadv"])
def test_a_slice_cut_short_after_the_scan_is_blank_with_a_warning_either_way(
        phantom_ct, tmp_path, monkeypatch, preadv):
    folder = tmp_path / "CT"
    shutil.copytree(phantom_ct, folder)
    (entry,) = scan_folder(folder).series
    intact = load_series(entry)
    cut = entry.slices[10].path
    data = Path(cut).read_bytes()
    Path(cut).write_bytes(data[: len(data) - 1000])  # the last rows of its pixel data are gone
    if not preadv:
        monkeypatch.delattr(os, "preadv")

    volume = load_series(entry)

    assert (volume.voxels[10] == np.iinfo(np.int16).min).all()
    assert np.array_equal(np.delete(volume.voxels, 10, axis=0), np.delete(intact.voxels, 10, axis=0))
    (warning,) = [w for w in volume.warnings if "could not be decoded" in w]
    assert f"{Path(cut).name}: pixel data truncated" in warning

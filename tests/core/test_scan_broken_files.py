"""A broken file in a real multi-slice series costs that file, never the series.

The phantom CT (96 JPEG 2000 slices) is copied as stored and also rewritten
uncompressed, so that both header paths are exercised: pydicom for compressed
files, the fast struct reader (which parses one pydicom dataset per series, at
grouping time) for uncompressed ones.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import core.dicom.scan as scan_module
from core.cli import inspect_folder
from core.dicom import load_series, scan_folder
from core.dicom.fast_header import read_header_fast
from tests.core.sample_copies import PHANTOM_CT, REPO, write_uncompressed

N_SLICES = 96

pytestmark = pytest.mark.skipif(not PHANTOM_CT.is_dir(), reason="sample_scans/phantom-oligo not generated")


@pytest.fixture(scope="module")
def uncompressed_ct(tmp_path_factory) -> Path:
    """The phantom CT as Explicit VR Little Endian files (the fast header path)."""
    root = write_uncompressed(PHANTOM_CT, tmp_path_factory.mktemp("ct_uncompressed"))
    assert read_header_fast(str(root / "CT_0001.dcm")) is not None  # really the fast path
    return root


@pytest.fixture(params=["as stored (JPEG 2000)", "uncompressed"])
def ct_copy(request, tmp_path, uncompressed_ct) -> Path:
    source = PHANTOM_CT if request.param.startswith("as stored") else uncompressed_ct
    target = tmp_path / "CT"
    shutil.copytree(source, target)
    return target


def truncate(path: Path) -> None:
    """Cut the file inside its header, as an interrupted copy leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[:400])


def cut_in_pixel_data(path: Path) -> None:
    """Cut the file 1000 bytes before its end, inside its pixel data."""
    data = path.read_bytes()
    path.write_bytes(data[:-1000])


def garbage(path: Path) -> None:
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 3000, dtype=np.uint8).tobytes())


def empty(path: Path) -> None:
    path.write_bytes(b"")


DAMAGE = {"truncated": truncate, "cut in its pixel data": cut_in_pixel_data, "garbage": garbage,
          "empty": empty}
REASON = {"truncated": "the file was cut short", "cut in its pixel data": "cut short",
          "garbage": "not a DICOM file", "empty": "not a DICOM file (empty, 0 bytes)"}


def slice_order(folder: Path) -> list[str]:
    """File names sorted along the slice normal (feet to head), from an intact scan."""
    (entry,) = scan_folder(folder).series
    return [Path(r.path).name for r in entry.slices]


def the_ct(result) -> scan_module.SeriesEntry:
    (entry,) = [e for e in result.series if e.info.modality.value == "CT"]
    return entry


def skipped_names(result) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in result.skipped}


@pytest.mark.parametrize("how", DAMAGE)
def test_a_broken_first_file_is_listed_and_the_series_loads_without_it(ct_copy, how):
    order = slice_order(ct_copy)
    first = sorted(order)[0]  # the file read first, whose dataset the series would use
    DAMAGE[how](ct_copy / first)

    result = scan_folder(ct_copy)

    entry = the_ct(result)
    assert entry.n_slices == N_SLICES - 1
    assert first not in {Path(r.path).name for r in entry.slices}
    assert list(skipped_names(result)) == [first]
    reason = skipped_names(result)[first]
    assert reason.startswith(f"{first}: ") and REASON[how] in reason
    volume = load_series(entry)
    assert volume.shape == (N_SLICES - 1, 256, 256)
    assert not any("could not be decoded" in w for w in volume.warnings)


def test_several_broken_files_in_the_middle_are_listed_and_the_gap_is_reported(ct_copy):
    order = slice_order(ct_copy)
    broken = [sorted(order)[0], order[40], order[41], order[70]]  # first read, and a gap of 2 + 1
    truncate(ct_copy / broken[0])
    truncate(ct_copy / broken[1])
    garbage(ct_copy / broken[2])
    empty(ct_copy / broken[3])

    result = scan_folder(ct_copy)

    entry = the_ct(result)
    assert entry.n_slices == N_SLICES - 4
    assert sorted(skipped_names(result)) == sorted(broken)
    (gap,) = [w for w in entry.warnings if w.startswith("missing slices")]
    assert "2 gap(s), about 3 slice(s) absent" in gap
    assert load_series(entry).shape == (N_SLICES - 4, 256, 256)


def damage_after_header_read(monkeypatch, names: dict[str, str]):
    """Damage each named file just after its header was read: the file changes on disk
    while the folder is scanned (a copy or a PACS retrieve still writing)."""
    read_header = scan_module.read_header

    def read_then_damage(path, *args, **kwargs):
        header = read_header(path, *args, **kwargs)
        how = names.get(Path(path).name)
        if how:
            DAMAGE[how](Path(path))
        return header

    monkeypatch.setattr(scan_module, "read_header", read_then_damage)


@pytest.mark.parametrize("how", DAMAGE)
def test_a_file_broken_after_its_header_was_read_costs_that_file_not_the_series(
        uncompressed_ct, tmp_path, monkeypatch, how):
    folder = tmp_path / "CT"
    shutil.copytree(uncompressed_ct, folder)
    first = sorted(slice_order(folder))[0]
    damage_after_header_read(monkeypatch, {first: how})

    doc = inspect_folder(folder)

    (series,) = doc["series"]
    assert series["n_slices"] == N_SLICES - 1
    assert series["shape"] == [N_SLICES - 1, 256, 256]
    (skipped,) = doc["skipped"]
    assert Path(skipped["path"]).name == first
    assert skipped["reason"].startswith(f"{first}: ") and REASON[how] in skipped["reason"]


def test_when_the_first_files_all_broke_after_their_headers_the_next_one_is_used(
        uncompressed_ct, tmp_path, monkeypatch):
    folder = tmp_path / "CT"
    shutil.copytree(uncompressed_ct, folder)
    order = slice_order(folder)
    # file names out of slice order, as many exports have them: the first files read
    # are slices from the middle of the stack
    for k, name in enumerate(order):
        (folder / name).rename(folder / f"x{(k * 37) % N_SLICES:03d}.dcm")
    renamed = slice_order(folder)
    first_three = sorted(renamed)[:3]
    damage_after_header_read(monkeypatch, dict(zip(first_three, ["truncated", "garbage", "empty"])))

    result = scan_folder(folder)

    entry = the_ct(result)
    assert entry.n_slices == N_SLICES - 3
    assert sorted(skipped_names(result)) == first_three
    assert any(w.startswith("missing slices") for w in entry.warnings)
    monkeypatch.undo()
    volume = load_series(entry)
    intact = load_series(scan_folder(uncompressed_ct).series[0])
    kept = [renamed.index(Path(p).name) for p in volume.source_files]
    assert np.array_equal(volume.voxels, intact.voxels[kept])


def test_every_file_broken_after_its_header_lists_them_all_and_loads_nothing(
        uncompressed_ct, tmp_path, monkeypatch):
    folder = tmp_path / "CT"
    shutil.copytree(uncompressed_ct, folder)
    names = sorted(p.name for p in folder.iterdir())[:5]
    for extra in sorted(p.name for p in folder.iterdir())[5:]:
        (folder / extra).unlink()
    damage_after_header_read(monkeypatch, {n: "garbage" for n in names})

    result = scan_folder(folder)

    assert result.series == []
    assert sorted(skipped_names(result)) == names
    assert all("not a DICOM file" in r for r in skipped_names(result).values())


def test_inspect_json_shows_the_series_without_the_broken_files(ct_copy):
    order = slice_order(ct_copy)
    broken = [sorted(order)[0], order[50]]
    truncate(ct_copy / broken[0])
    garbage(ct_copy / broken[1])

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "gui.entry", "inspect", str(ct_copy), "--json"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    (series,) = doc["series"]
    assert series["n_slices"] == N_SLICES - 2
    assert series["shape"] == [N_SLICES - 2, 256, 256]
    assert any(w.startswith("missing slices") for w in series["warnings"])
    assert sorted(Path(s["path"]).name for s in doc["skipped"]) == sorted(broken)
    assert doc == inspect_folder(ct_copy)


def test_a_structure_set_cut_short_is_listed_not_summarised_with_the_contours_before_the_cut(tmp_path):
    source = PHANTOM_CT.parent / "RTSTRUCT" / "rtstruct.dcm"
    data = source.read_bytes()
    (tmp_path / "rtstruct.dcm").write_bytes(data[: len(data) // 3])

    result = scan_folder(tmp_path)

    assert result.structure_sets == []  # pydicom alone reads 1 of 7 ROIs' contours, silently
    (skipped,) = result.skipped
    assert skipped.reason.startswith("rtstruct.dcm: the file was cut short")
    assert "(3006,0039) ROIContourSequence" in skipped.reason
    (tmp_path / "rtstruct.dcm").write_bytes(data)
    (intact,) = scan_folder(tmp_path).structure_sets
    assert len(intact.rois) == 7

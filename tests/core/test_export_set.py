"""The files of one export land together or not at all (core.export_set).

An export killed between two files left a new RTSTRUCT and SEG beside the old SR that
references neither. Now the files are written in a staging folder and moved into place
as a set, recorded in oligoplan-export.json: a kill before the move leaves the old set
whole, a kill during the move leaves a folder without a manifest (detectable), and the
staging folder a killed export leaves is removed by the next export."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.export_set import (MANIFEST_NAME, REGISTRY_DIR, STAGING_PREFIX, STALE_AFTER_S, check_export_set,
                             clean_recorded_leftovers, read_manifest, remove_leftovers)
from tests.phantom_cases import phantom_case

REPO = Path(__file__).resolve().parents[2]
PHANTOM = REPO / "sample_scans" / "phantom-oligo"
pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")

#: `oligoplan export ...` in a process that dies (os._exit: no clean-up runs, as under kill -9)
#: at the moment given by DIE_AT: "sr" when the SR is written (after the RTSTRUCT and SEG), or
#: "move" when the second file is moved from the staging folder into place.
KILLED_EXPORT = """
import os, sys
import core.rt.export_job as export_job
import core.export_set as export_set
die_at = sys.argv[1]
if die_at == "sr":
    real_write = export_job.write_validated
    def write_validated(ds, path, what):
        if "SR" in what:
            os._exit(137)
        return real_write(ds, path, what)
    export_job.write_validated = write_validated
else:
    real_replace, moves = os.replace, []
    def replace(src, dst):  # os.replace also finishes each atomic write inside the staging folder
        if ".partial" not in str(dst):
            moves.append(dst)
        if len(moves) == 2:
            os._exit(137)
        return real_replace(src, dst)
    export_set.os.replace = replace
from gui.entry import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """The record of staging folders (and the exports the tests start) use a temporary data folder."""
    folder = tmp_path / "oligoplan-data"
    monkeypatch.setenv("OLIGOPLAN_DATA_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def case_path(tmp_path_factory):
    return phantom_case("phantom-oligo", tmp_path_factory.mktemp("case"))


def _export(case_path: Path, out: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gui.entry", "export", str(case_path), "--out", str(out), *flags],
                          capture_output=True, text=True, cwd=REPO, timeout=600)


def _killed_export(case_path: Path, out: Path, die_at: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", KILLED_EXPORT, die_at, "export", str(case_path), "--out", str(out),
                           "--rtstruct", "--sr"], capture_output=True, text=True, cwd=REPO, timeout=600)


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_an_export_killed_between_its_files_leaves_the_previous_set_whole(case_path, tmp_path):
    out = tmp_path / "out"
    first = _export(case_path, out, "--rtstruct", "--sr")
    assert first.returncode == 0, first.stderr
    assert f"listed in {MANIFEST_NAME}" in first.stdout
    assert sorted(e["name"] for e in read_manifest(out)["files"]) == ["rtstruct.dcm", "seg.dcm", "sr.dcm"]
    assert check_export_set(out) == []
    before = _contents(out)

    killed = _killed_export(case_path, out, "sr")
    assert killed.returncode == 137
    assert _contents(out) == before  # no new RTSTRUCT or SEG beside the old SR
    assert check_export_set(out) == []
    leftovers = [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]
    assert len(leftovers) == 1 and (leftovers[0] / "rtstruct.dcm").is_file()

    again = _export(case_path, out, "--rtstruct", "--sr")  # the next export cleans up after the killed one
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST_NAME, "rtstruct.dcm", "seg.dcm", "sr.dcm"]
    assert check_export_set(out) == []
    assert _contents(out)["sr.dcm"] != before["sr.dcm"]


def test_an_export_killed_while_moving_its_files_into_place_is_detectable(case_path, tmp_path):
    out = tmp_path / "out"
    assert _export(case_path, out, "--rtstruct", "--sr").returncode == 0
    killed = _killed_export(case_path, out, "move")
    assert killed.returncode == 137
    (problem,) = check_export_set(out)
    assert f"no {MANIFEST_NAME}: the export into this folder was interrupted" in problem


def test_a_file_swapped_for_one_of_another_export_is_named(case_path, tmp_path):
    old, out = tmp_path / "old", tmp_path / "out"
    assert _export(case_path, old, "--rtstruct", "--sr").returncode == 0
    assert _export(case_path, out, "--rtstruct", "--sr").returncode == 0
    (out / "sr.dcm").write_bytes((old / "sr.dcm").read_bytes())
    (out / "seg.dcm").unlink()
    problems = check_export_set(out)
    assert any(p.startswith("sr.dcm: not the file of the last export") and "mixed" in p for p in problems)
    assert "seg.dcm: listed in oligoplan-export.json but missing" in problems


def test_files_of_an_earlier_export_that_stay_beside_a_new_set_are_named(case_path, tmp_path):
    out = tmp_path / "out"
    assert _export(case_path, out, "--rtstruct", "--sr").returncode == 0
    second = _export(case_path, out, "--rtstruct")
    assert second.returncode == 0, second.stderr
    assert ("note: seg.dcm, sr.dcm in " in second.stdout
            and "are from an earlier export and do not belong to this one" in second.stdout)
    assert [e["name"] for e in read_manifest(out)["files"]] == ["rtstruct.dcm"]


def test_a_staging_folder_in_use_or_recent_from_another_computer_is_kept(tmp_path):
    import os

    mine = tmp_path / f"{STAGING_PREFIX}{_host()}-{os.getpid()}-abcd1234.partial"
    other_host = tmp_path / f"{STAGING_PREFIX}otherhost-12345-abcd1234.partial"
    dead = tmp_path / f"{STAGING_PREFIX}{_host()}-{_dead_pid()}-abcd1234.partial"
    for folder in (mine, other_host, dead):
        folder.mkdir()
    assert remove_leftovers(tmp_path) == [dead.name]
    assert mine.is_dir() and other_host.is_dir()


def _host() -> str:
    from core.export_set import _host as host

    return host()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _records(data_dir: Path) -> list[str]:
    folder = data_dir / REGISTRY_DIR
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_killed_export_s_staging_folder_is_removed_at_the_next_start_of_an_export_elsewhere(
        case_path, tmp_path, data_dir):
    out, elsewhere = tmp_path / "smithers-out", tmp_path / "elsewhere"
    killed = _killed_export(case_path, out, "sr")
    assert killed.returncode == 137
    (leftover,) = [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]
    assert _records(data_dir) == [f"{leftover.name}.json"]  # recorded while the export ran

    again = _export(case_path, elsewhere, "--json")  # not into `out`: the start of the command cleans up
    assert again.returncode == 0, again.stderr
    assert not leftover.exists() and list(out.iterdir()) == []
    assert _records(data_dir) == []
    line = next(x for x in again.stderr.splitlines() if "interrupted" in x)
    assert line.startswith(f"oligoplan export: removed {leftover.name}: the staging folder(s) of 1 export(s)")
    assert "smithers" not in line  # the folder's name only, not the path it was in
    assert sorted(p.name for p in elsewhere.iterdir()) == [MANIFEST_NAME, "summary.json"]


def test_a_finished_export_leaves_no_record(case_path, tmp_path, data_dir):
    assert _export(case_path, tmp_path / "out", "--json").returncode == 0
    assert _records(data_dir) == []


def test_at_start_staging_folders_in_use_or_recent_from_another_computer_are_kept(tmp_path, data_dir):
    import os

    from core.export_set import _record

    out = tmp_path / "out"
    out.mkdir()
    live = out / f"{STAGING_PREFIX}{_host()}-{os.getpid()}-abcd1234.partial"  # this process: still exporting
    dead = out / f"{STAGING_PREFIX}{_host()}-{_dead_pid()}-abcd1234.partial"
    recent = out / f"{STAGING_PREFIX}otherhost-12345-abcd1234.partial"  # another computer, under a day old
    old = out / f"{STAGING_PREFIX}otherhost-12346-abcd1234.partial"  # another computer, just over a day old
    for folder in (live, dead, recent, old):
        folder.mkdir()
        (folder / "rtstruct.dcm").write_bytes(b"x")
        _record(folder)
    day_ago = time.time() - STALE_AFTER_S
    os.utime(recent, (day_ago + 60, day_ago + 60))
    os.utime(old, (day_ago - 60, day_ago - 60))
    assert sorted(clean_recorded_leftovers()) == sorted([dead.name, old.name])
    assert live.is_dir() and recent.is_dir() and not dead.exists() and not old.exists()
    assert _records(data_dir) == sorted([f"{live.name}.json", f"{recent.name}.json"])  # asked again next start


def test_at_start_a_record_that_is_torn_gone_or_not_of_a_staging_folder_removes_nothing(tmp_path, data_dir):
    import json

    keep = tmp_path / "patient-folder"  # a record naming a folder that is not a staging folder: never removed
    keep.mkdir()
    registry = data_dir / REGISTRY_DIR
    registry.mkdir(parents=True)
    (registry / f"{STAGING_PREFIX}{_host()}-1-aaaa0000.partial.json").write_text('{"staging_fol', encoding="utf-8")
    (registry / f"{STAGING_PREFIX}{_host()}-2-bbbb0000.partial.json").write_text(
        json.dumps({"staging_folder": str(keep)}), encoding="utf-8")
    gone = tmp_path / f"{STAGING_PREFIX}{_host()}-3-cccc0000.partial"  # removed already (by an export into it)
    (registry / f"{gone.name}.json").write_text(json.dumps({"staging_folder": str(gone)}), encoding="utf-8")
    assert clean_recorded_leftovers() == []
    assert keep.is_dir() and _records(data_dir) == []

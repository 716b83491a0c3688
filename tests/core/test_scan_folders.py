"""What a folder holds besides plain files: linked folders, archives, folders that cannot
be read. Nothing in it is passed over without a word."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from core.cli import inspect_folder
from core.dicom import scan_folder
from tests.core.sample_copies import PHANTOM_CT, PHANTOM_PT, REPO

pytestmark = pytest.mark.skipif(not PHANTOM_PT.is_dir(), reason="sample_scans/phantom-oligo not generated")


def modalities(result) -> list[tuple[str, int]]:
    return sorted((e.info.modality.value, e.n_slices) for e in result.series)


def link_or_skip(target: Path, link: Path) -> None:
    try:
        os.symlink(target, link, target_is_directory=target.is_dir())
    except (OSError, NotImplementedError) as exc:
        pytest.skip(f"cannot make symbolic links here: {exc}")


def test_a_linked_series_folder_is_scanned(tmp_path):
    case = tmp_path / "case"
    shutil.copytree(PHANTOM_CT, case / "CT")
    link_or_skip(PHANTOM_PT, case / "PT")  # the PET linked in, as users assemble a case

    result = scan_folder(case)

    assert modalities(result) == [("CT", 96), ("PT", 72)]
    assert result.skipped == []


def test_a_link_back_up_the_tree_is_followed_once_and_does_not_loop(tmp_path):
    case = tmp_path / "case"
    shutil.copytree(PHANTOM_PT, case / "PT")
    link_or_skip(case, case / "PT" / "back-to-case")
    link_or_skip(case / "PT", case / "PT again")

    result = scan_folder(case)

    assert modalities(result) == [("PT", 72)]  # each file once: no duplicate-position warning
    assert result.series[0].warnings == []


def test_an_archive_is_listed_with_what_to_do(tmp_path):
    shutil.copytree(PHANTOM_PT, tmp_path / "PT")
    with zipfile.ZipFile(tmp_path / "CT.zip", "w") as archive:
        for path in sorted(PHANTOM_CT.glob("*.dcm"))[:3]:
            archive.write(path, path.name)

    doc = inspect_folder(tmp_path)

    assert [s["modality"] for s in doc["series"]] == ["PT"]
    (skipped,) = doc["skipped"]
    assert skipped["path"] == str(tmp_path / "CT.zip")
    assert "extract it" in skipped["reason"]


def test_a_folder_that_cannot_be_listed_is_reported_and_the_rest_loads(tmp_path, monkeypatch):
    shutil.copytree(PHANTOM_PT, tmp_path / "PT")
    shutil.copytree(PHANTOM_CT, tmp_path / "CT")
    locked = str(tmp_path / "CT")
    scandir = os.scandir

    def scandir_as_without_permission(path="."):
        # root reads every folder, so the refusal a user without permission gets is made here
        if os.fspath(path) == locked:
            raise PermissionError(errno.EACCES, "Permission denied", locked)
        return scandir(path)

    monkeypatch.setattr(os, "scandir", scandir_as_without_permission)

    result = scan_folder(tmp_path)

    assert modalities(result) == [("PT", 72)]
    (skipped,) = result.skipped
    assert skipped.path == locked
    assert skipped.reason.startswith("folder cannot be read (Permission denied)")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads folders whatever their permissions")
def test_a_folder_without_read_permission_is_reported(tmp_path):
    shutil.copytree(PHANTOM_PT, tmp_path / "PT")
    locked = tmp_path / "CT"
    shutil.copytree(PHANTOM_CT, locked)
    locked.chmod(0)
    try:
        result = scan_folder(tmp_path)
    finally:
        locked.chmod(0o755)
    assert modalities(result) == [("PT", 72)]
    assert [s.path for s in result.skipped] == [str(locked)]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_a_named_pipe_in_the_folder_is_listed_and_does_not_hang_inspect(tmp_path):
    shutil.copytree(PHANTOM_PT, tmp_path / "PT")
    os.mkfifo(tmp_path / "PT" / "PT_9999.dcm")  # opening it for reading waits for a writer

    done = subprocess.run([sys.executable, "-m", "gui.entry", "inspect", str(tmp_path), "--json"],
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert [(s["modality"], s["n_slices"]) for s in doc["series"]] == [("PT", 72)]
    assert doc["skipped"] == [{"path": str(tmp_path / "PT" / "PT_9999.dcm"),
                               "reason": "PT_9999.dcm: not a regular file (a pipe, socket or device)"}]


def test_a_broken_link_is_listed(tmp_path):
    shutil.copytree(PHANTOM_PT, tmp_path / "PT")
    link_or_skip(tmp_path / "gone.dcm", tmp_path / "PT" / "PT_0000.dcm")

    result = scan_folder(tmp_path)

    assert modalities(result) == [("PT", 72)]
    (skipped,) = result.skipped
    assert skipped.reason.startswith("PT_0000.dcm: cannot read file (")

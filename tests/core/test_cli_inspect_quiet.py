"""`oligoplan inspect` on a folder with a damaged file: the file is listed with its
reason, and nothing else reaches the terminal (pydicom's own warnings, with
site-packages paths and the file's full path, used to be printed around it)."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CT = REPO / "sample_scans" / "phantom-oligo" / "CT"


@pytest.fixture
def damaged_folder(tmp_path) -> Path:
    if not CT.is_dir():
        pytest.skip("sample case phantom-oligo not generated")
    for name in ("CT_0001.dcm", "CT_0002.dcm", "CT_0003.dcm"):
        shutil.copy(CT / name, tmp_path / name)
    # cut short inside the header of a fourth slice
    (tmp_path / "cut.dcm").write_bytes((CT / "CT_0004.dcm").read_bytes()[:3000])
    return tmp_path


def _inspect(folder: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gui.entry", "inspect", str(folder), *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=120)


def test_inspect_lists_the_damaged_file_and_prints_nothing_else(damaged_folder):
    proc = _inspect(damaged_folder, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["series"][0]["n_slices"] == 3
    assert [Path(s["path"]).name for s in data["skipped"]] == ["cut.dcm"]
    assert "cut short" in data["skipped"][0]["reason"]
    assert proc.stderr == ""


def test_the_damaged_file_leaves_no_pydicom_log_record_with_its_path(damaged_folder, caplog):
    from core.dicom import scan_folder

    with caplog.at_level(logging.DEBUG):
        result = scan_folder(damaged_folder)
    assert [Path(s.path).name for s in result.skipped] == ["cut.dcm"]
    assert not [r for r in caplog.records if str(damaged_folder) in r.getMessage()]

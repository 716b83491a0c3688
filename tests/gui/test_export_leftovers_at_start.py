"""The GUI's start-up removes the staging folders of exports killed in an earlier run (core.export_set,
issue 14) and says so in the status bar by folder name; a staging folder of a live export is kept."""

from __future__ import annotations

import os
import subprocess
import sys

from core.export_set import REGISTRY_DIR, STAGING_PREFIX, _host, _record
from gui.settings import USER_NAME, USER_ROLE


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_start_up_removes_a_killed_export_s_staging_folder_and_keeps_a_live_one(window, settings, data_dir,
                                                                                tmp_path):
    settings.set(USER_NAME, "A. Smith")  # no name dialog at this start
    settings.set(USER_ROLE, "medical physicist")
    out = tmp_path / "smithers-export"
    out.mkdir()
    dead = out / f"{STAGING_PREFIX}{_host()}-{_dead_pid()}-abcd1234.partial"  # as `kill -9` during an export leaves it
    live = out / f"{STAGING_PREFIX}{_host()}-{os.getpid()}-abcd1234.partial"  # an export still running
    for folder in (dead, live):
        folder.mkdir()
        (folder / "seg.dcm").write_bytes(b"x")
        _record(folder)
    window.start_up(None)
    assert not dead.exists() and live.is_dir()
    text = window.task_label.text()
    assert text.startswith(f"Removed {dead.name}: the staging folder(s) of 1 export(s) that were interrupted")
    assert live.name not in text and "smithers" not in text
    assert sorted(p.name for p in (data_dir / REGISTRY_DIR).iterdir()) == [f"{live.name}.json"]


def test_start_up_with_nothing_left_over_says_nothing(window, settings, data_dir):
    settings.set(USER_NAME, "A. Smith")
    settings.set(USER_ROLE, "medical physicist")
    window.start_up(None)
    assert window.task_label.text() == ""

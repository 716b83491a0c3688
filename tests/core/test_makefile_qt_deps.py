"""`make run` on a Debian desktop that lacks a library of Qt's window (xcb)
plugin: the Makefile names it and prints the apt line, instead of Qt aborting
later with "could not load the Qt platform plugin xcb". `make test` (offscreen)
does not ask for the window libraries."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not (shutil.which("make") and shutil.which("ldconfig")),
                                reason="needs make and ldconfig (Linux)")


@pytest.fixture
def machine_without_xcb_cursor(tmp_path) -> dict:
    """A PATH where ldconfig lists every library but libxcb-cursor and `id -u` is not root."""

    libs = ["libEGL.so.1", "libGL.so.1", "libfontconfig.so.1", "libxkbcommon.so.0", "libdbus-1.so.3",
            "libglib-2.0.so.0", "libxkbcommon-x11.so.0", "libxcb-icccm.so.4", "libxcb-image.so.0",
            "libxcb-keysyms.so.1", "libxcb-randr.so.0", "libxcb-render-util.so.0", "libxcb-shape.so.0",
            "libxcb-xkb.so.1"]
    listing = "".join(f"\t{lib} (libc6,x86-64) => /usr/lib/{lib}\n" for lib in libs)
    assert "libxcb-cursor" not in listing
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "listing").write_text(listing)
    (bin_dir / "ldconfig").write_text(f"#!/bin/sh\ncat '{bin_dir / 'listing'}'\n")
    (bin_dir / "id").write_text("#!/bin/sh\necho 1000\n")
    for tool in ("ldconfig", "id"):
        (bin_dir / tool).chmod(0o755)

    return dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")


def _make(target: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-f", str(REPO / "Makefile"), target],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


def test_window_deps_name_the_missing_xcb_library_and_print_the_apt_line(machine_without_xcb_cursor):
    proc = _make("qt-window-deps", machine_without_xcb_cursor)
    assert proc.returncode != 0
    assert "missing: libxcb-cursor.so.0" in proc.stdout
    assert "sudo apt-get install -y --no-install-recommends" in proc.stdout
    assert " libxcb-cursor0 " in proc.stdout


def test_make_run_checks_the_window_libraries(machine_without_xcb_cursor):
    proc = subprocess.run(["make", "-n", "-f", str(REPO / "Makefile"), "run"], cwd=REPO,
                          env=machine_without_xcb_cursor, capture_output=True, text=True, timeout=60)
    # -n still runs the recursive $(MAKE) line, so the check itself runs and fails
    assert "libxcb-cursor.so.0" in proc.stdout + proc.stderr


def test_offscreen_tests_do_not_need_the_window_libraries(machine_without_xcb_cursor):
    proc = _make("qt-deps", machine_without_xcb_cursor)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""

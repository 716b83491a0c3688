"""`oligoplan open-dicom`: what is missing from its options is named in one line, exit 2.

The round trip, the choice of report and the PACS retrieval are tested in
test_case_dicom_roundtrip.py and test_open_dicom_pacs.py."""

from __future__ import annotations

import subprocess
import sys

import pytest


def oligoplan(*args):
    return subprocess.run([sys.executable, "-m", "gui.entry", *map(str, args)], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("args, message", [
    (["--host", "127.0.0.1", "--port", "4242", "--called-aet", "X"], "needs --study-uid too"),
    (["--host", "127.0.0.1", "--study-uid", "1.2.3"], "needs --port, --called-aet too"),
    ([], "give the folder of the images and the exported objects (PATH)"),
])
def test_pacs_options_incomplete_exit_2(args, message):
    run = oligoplan("open-dicom", *args)
    assert run.returncode == 2 and message in run.stderr, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1

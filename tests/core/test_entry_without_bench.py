"""The shipped entry point does not import the bench package (it needs the bench extra and
imports the gui); `oligoplan bench ...` still runs the benchmarks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}

PROBE = """
import contextlib, io, json, sys
from gui.entry import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        status = main({argv!r})
    except SystemExit as exc:  # --help
        status = exc.code
print(json.dumps({{"status": status, "out": out.getvalue(), "bench": sorted(m for m in sys.modules if m.split(".")[0] == "bench"),
                  "qt": sorted(m for m in sys.modules if m.split(".")[0] == "PySide6")}}))
"""


def _probe(argv):
    done = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], cwd=REPO, env=ENV,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_clinical_command_runs_without_importing_bench_or_qt():
    report = _probe(["inspect", str(REPO / "sample_scans" / "phantom-oligo"), "--json"])
    assert json.loads(report.pop("out"))["series"]
    assert report == {"status": 0, "bench": [], "qt": []}


def test_help_names_bench_without_importing_it():
    report = _probe(["--help"])
    assert "bench" in report["out"] and "speed and memory figures" in report["out"]
    assert report["bench"] == [] and report["status"] == 0


def test_bench_subcommands_still_parse():
    done = subprocess.run([sys.executable, "-m", "gui.entry", "bench", "load", "--help"], cwd=REPO, env=ENV,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "oligoplan bench load" in done.stdout and "--repeats" in done.stdout

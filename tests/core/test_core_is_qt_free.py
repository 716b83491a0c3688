"""core never imports Qt or the gui: import every core module in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, json, pkgutil, sys
import core
names = sorted(m.name for m in pkgutil.walk_packages(core.__path__, "core."))
for name in names:
    importlib.import_module(name)
loaded = sorted(sys.modules)
bad = [m for m in loaded if m.split(".")[0] in ("PySide6", "shiboken6", "gui")]
print(json.dumps({"imported": names, "bad": bad}))
"""


def test_importing_every_core_module_loads_no_qt_and_no_gui():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    # the walk really found the package, sub-packages included
    assert {"core.volume", "core.errors", "core.cli", "core.dicom.series", "core.dicom.scan"} <= set(
        report["imported"]
    )
    assert report["bad"] == [], f"core pulled in {report['bad']}"

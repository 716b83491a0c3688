"""`oligoplan` with no argument (the console entry point, as `make run` calls it)
opens the bundled sample case phantom-oligo: its CT with the PET fused over it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from gui import app as app_module, entry
from gui.settings import Settings

app_module.create_application()  # timers need the application; main() reuses it
real_main = app_module.main
app_module.main = lambda path, argv=None, settings=None: real_main(path, settings=Settings.in_file(sys.argv[1]))

polls = [0]

def poll():
    polls[0] += 1
    wins = [w for w in QApplication.topLevelWidgets() if w.objectName() == "main_window"]
    if wins and polls[0] > 1200:  # 60 s and nothing opened
        print("BASE None")
        wins[0].close()
        return
    if wins and wins[0].model.base is not None and not wins[0].runner.busy:
        m = wins[0].model
        print("BASE", m.base.modality.value, m.base.shape)
        print("OVERLAY", None if m.overlay is None else m.overlay.modality.value)
        wins[0].close()
        return
    QTimer.singleShot(50, poll)
QTimer.singleShot(50, poll)
sys.exit(entry.main([]))
"""


@pytest.mark.skipif(not (REPO / "sample_scans" / "phantom-oligo").is_dir(), reason="sample case not generated")
def test_oligoplan_without_argument_opens_the_phantom_ct_with_its_pet(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO), HOME=str(tmp_path),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "s.ini")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "BASE CT (96, 256, 256)" in proc.stdout
    assert "OVERLAY PT" in proc.stdout

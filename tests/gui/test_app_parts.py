"""Actions, settings, rendering helpers, the viewer model, workers and main()."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QApplication

from core.errors import Cancelled
from gui.actions import help_text, make_actions
from gui.render import WINDOW_PRESETS, Window, colormap_lut, window_to_uint8
from gui.settings import LAST_FOLDER, OVERLAY_OPACITY, WINDOW_GEOMETRY, Settings
from gui.viewer_model import ViewerModel
from gui.workers import TaskRunner
from tests.gui.conftest import make_ct, make_pet


# ----------------------------------------------------------------- actions
def test_every_action_has_a_unique_name_and_shortcut(qtbot):
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    actions = make_actions(parent).all()
    names = [a.objectName() for a in actions]
    assert all(names) and len(set(names)) == len(names)
    keys = [a.shortcut().toString() for a in actions if not a.shortcut().isEmpty()]
    assert len(set(keys)) == len(keys)
    assert {"Ctrl+O", "1", "2", "3", "4", "5", "6"} <= set(keys)
    text = help_text(make_actions(parent))
    assert "Ctrl+O" in text and "Right drag" in text and "Lung" in text


# ---------------------------------------------------------------- settings
def test_settings_round_trip_and_types(tmp_path):
    s = Settings.in_file(tmp_path / "a.ini")
    assert s.get(LAST_FOLDER) == "" and s.get(OVERLAY_OPACITY) == 50
    s.set(LAST_FOLDER, "/data")
    s.set(OVERLAY_OPACITY, 70)
    s.set(WINDOW_GEOMETRY, QByteArray(b"\x01\x02"))
    s.sync()
    again = Settings.in_file(tmp_path / "a.ini")
    assert again.get(LAST_FOLDER) == "/data"
    assert again.get(OVERLAY_OPACITY) == 70
    assert bytes(again.get(WINDOW_GEOMETRY)) == b"\x01\x02"
    with pytest.raises(TypeError, match="takes int; got str"):
        s.set(OVERLAY_OPACITY, "70")
    s.store.setValue(OVERLAY_OPACITY.key, "not a number")
    assert s.get(OVERLAY_OPACITY) == 50


def test_window_remembers_opacity(qtbot, settings, ct_volume, pet_volume):
    from gui.main_window import MainWindow

    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.model.set_overlay_opacity(0.8)
    win.close()
    again = MainWindow(settings)
    qtbot.addWidget(again)
    assert again.model.overlay_opacity == pytest.approx(0.8)


# --------------------------------------------------------------- rendering
def test_window_to_uint8_maps_the_window_ends():
    w = Window(400, 40)  # -160 .. 240
    values = np.array([[-1000, -160, 40, 240, 3000]], dtype=np.int16)
    assert window_to_uint8(values, w).tolist() == [[0, 0, 128, 255, 255]]
    floats = np.array([[np.nan, 0.0, 10.0]], dtype=np.float32)
    assert window_to_uint8(floats, Window.from_range(0, 10)).tolist() == [[0, 0, 255]]
    transposed = np.arange(12, dtype=np.int16).reshape(3, 4).T
    out = window_to_uint8(transposed, Window.from_range(0, 11))
    assert out.flags.c_contiguous and out.shape == (4, 3)


def test_window_and_colormap_check_their_input():
    with pytest.raises(ValueError, match="window width must be a positive number; got 0"):
        Window(0, 10)
    with pytest.raises(ValueError, match="unknown colour map 'viridis'"):
        colormap_lut("viridis")
    lut = colormap_lut("hot")  # the name earlier versions remembered: hot iron
    assert lut.shape == (256, 4) and lut[0, 3] == 0 and lut[255].tolist() == [255, 255, 255, 255]


def test_presets_are_the_documented_windows():
    got = {p.key: (p.window.width, p.window.level) for p in WINDOW_PRESETS if p.window is not None}
    assert got == {"1": (1500, -600), "2": (400, 40), "3": (150, 60), "4": (1800, 400),
                   "5": (80, 40), "6": (10, 5)}
    mr = {p.key: p.percentiles_pct for p in WINDOW_PRESETS if p.unit == "MR"}
    assert mr == {"7": (1.0, 99.5), "8": (0.1, 99.9), "9": (20.0, 90.0)}


# ------------------------------------------------------------ viewer model
def test_viewer_model_validates_and_emits():
    model = ViewerModel()
    events = []
    model.events.cursor.connect(lambda old, new: events.append(("cursor", new)))
    model.events.window.connect(lambda: events.append("window"))
    with pytest.raises(ValueError, match="an overlay needs a base volume"):
        model.set_volumes(None, make_pet())
    with pytest.raises(TypeError, match="base must be a core.volume.Volume; got ndarray"):
        model.set_volumes(np.zeros((2, 2, 2)))
    model.set_volumes(make_ct())
    with pytest.raises(ValueError, match="overlay opacity must be between 0 and 1; got 1.5"):
        model.set_overlay_opacity(1.5)
    model.set_cursor((1000, -5, 3.4))
    assert model.cursor == (39, 0, 3) and events == [("cursor", (39, 0, 3))]
    model.set_cursor((39, 0, 3))  # no change, no event
    model.set_base_window(Window(100, 0))
    model.set_base_window(Window(100, 0))
    assert events[1:] == ["window"]


def test_presets_only_touch_a_layer_with_the_right_unit():
    model = ViewerModel()
    model.set_volumes(make_pet())  # PET alone, in SUV
    lung = next(p for p in WINDOW_PRESETS if p.key == "1")
    suv = next(p for p in WINDOW_PRESETS if p.key == "6")
    assert model.apply_preset(lung) == ""
    assert model.apply_preset(suv) == "base"
    model.set_volumes(make_ct(), make_pet())
    assert model.apply_preset(suv) == "overlay"
    assert model.apply_preset(lung) == "base"


# ----------------------------------------------------------------- workers
def test_a_new_task_cancels_the_running_one_and_drops_its_result(qtbot):
    runner = TaskRunner()
    release = threading.Event()
    results = []

    def first(progress, cancel):
        release.wait(5)
        if cancel():
            raise Cancelled("superseded")
        return "first"

    def second(progress, cancel):
        progress(1, 1, "done")
        return "second"

    runner.start(first, "first", results.append, results.append)
    runner.start(second, "second", results.append, results.append)
    release.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    runner.wait(5000)
    QApplication.processEvents()
    assert results == ["second"]


def test_worker_exception_reaches_the_failure_callback(qtbot):
    runner = TaskRunner()
    failures = []

    def bad(progress, cancel):
        raise KeyError("missing tag")

    with qtbot.waitSignal(runner.finished, timeout=5000):
        runner.start(bad, "bad", lambda r: None, failures.append)
    assert isinstance(failures[0], KeyError)


# -------------------------------------------------------------------- main
MAIN_SCRIPT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from gui import app as app_module
from gui.settings import Settings

path = sys.argv[1] or None
app_module.create_application()  # timers need the application; main() reuses it
def poll():
    wins = [w for w in QApplication.topLevelWidgets() if w.objectName() == "main_window"]
    if wins and (path is None or (wins[0].model.base is not None and not wins[0].runner.busy)):
        w = wins[0]
        print("TITLE", w.windowTitle())
        print("BASE", None if w.model.base is None else w.model.base.shape)
        w.close()
        return
    QTimer.singleShot(50, poll)
QTimer.singleShot(50, poll)
sys.exit(app_module.main(path, settings=Settings.in_file(sys.argv[2])))
"""


@pytest.mark.parametrize("with_folder", [False, True], ids=["no folder", "real CT folder"])
def test_main_opens_the_window_and_returns_zero(tmp_path, with_folder):
    """main() runs its own event loop, so it runs in a child process."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    folder = Path("/work/shared/data/tcia-crlm-ct-1004/image")
    if with_folder and not folder.is_dir():
        pytest.skip("real CT data set not on this machine")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.run(
        [sys.executable, "-c", MAIN_SCRIPT, str(folder) if with_folder else "", str(tmp_path / "s.ini")],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    if with_folder:
        assert "TITLE OligoPlan — CT" in proc.stdout
        assert "BASE (41, 512, 512)" in proc.stdout
    else:
        assert "TITLE OligoPlan\n" in proc.stdout
        assert "BASE None" in proc.stdout

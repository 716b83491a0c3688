"""Closing the main window with a case, lesions and tools active prints nothing: no "Internal C++
object ... already deleted" tracebacks from slots of the undo stack that outlived the window."""

from __future__ import annotations

import gc
import sys

import pytest
import shiboken6
from PySide6.QtWidgets import QApplication


@pytest.fixture
def errors(monkeypatch):
    """Every exception that reached sys.excepthook (how PySide prints a slot's exception) or
    sys.unraisablehook."""
    seen: list[str] = []
    monkeypatch.setattr(sys, "excepthook", lambda t, v, tb: seen.append(f"{t.__name__}: {v}"))
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(f"{u.exc_type.__name__}: {u.exc_value}"))
    return seen


def _window_with_work(qtbot, settings, ct, pet):
    from core.lesions import AddLesion
    from gui.main_window import MainWindow
    from tests.gui.test_verdict_panel import cube_lesion

    w = MainWindow(settings)
    w.resize(1024, 768)
    w.show()
    qtbot.waitExposed(w)
    w.show_volumes(ct, pet)
    for n, site in enumerate(["liver", "lung", "bone"]):
        w.undo_stack.push_command(AddLesion(w.model.lesions, cube_lesion(ct, n, site)))
    w.actions.tool_action("segment").trigger()  # a tool active, as the user left it
    assert w.tool_manager.active is w.tool_manager.tool("segment")
    qtbot.wait(20)
    return w


def _destroy(w) -> None:
    w.runner.shutdown()
    shiboken6.delete(w)
    gc.collect()
    QApplication.processEvents()


def test_closing_then_destroying_a_window_with_edits_left_prints_no_exception(qtbot, settings, ct_volume,
                                                                           pet_volume, errors, capfd):
    w = _window_with_work(qtbot, settings, ct_volume, pet_volume)
    assert w.close()  # the save question is answered Discard (conftest)
    w.undo_stack.undo()  # a script goes on editing after the close: the stack is not clean any more
    _destroy(w)
    assert errors == []
    assert "already deleted" not in capfd.readouterr().err


def test_a_window_destroyed_without_being_closed_prints_no_exception(qtbot, settings, ct_volume, pet_volume,
                                                                     errors, capfd):
    w = _window_with_work(qtbot, settings, ct_volume, pet_volume)
    assert w.undo_stack.count() == 3 and not w.undo_stack.isClean()
    w.hide()
    _destroy(w)  # its undo stack, cleared as it dies, signalled actions and a title already gone
    assert errors == []
    assert "already deleted" not in capfd.readouterr().err

"""Opening a folder whose compressed images declare 16384 x 16384 pixels (a few KB each) shows
a message with the numbers before anything is decoded, and the window keeps working."""

from __future__ import annotations

import pytest

from tests.core.test_series_memory import _declaring
from tests.gui.conftest import make_window


def test_a_series_declaring_absurd_image_sizes_is_a_message_not_a_memory_error(qtbot, settings, tmp_path,
                                                                                monkeypatch):
    shown = []
    monkeypatch.setattr("gui.errors.QMessageBox.warning", lambda parent, title, text: shown.append(text))
    monkeypatch.setattr("gui.errors.QMessageBox.critical", lambda parent, title, text: shown.append(text))
    (tmp_path / "huge").mkdir()
    _declaring(tmp_path / "huge", 16384, 4)
    win = make_window(qtbot, settings)
    win.open_folder(str(tmp_path / "huge"))
    qtbot.waitUntil(lambda: bool(shown) and not win.runner.busy, timeout=60000)
    assert "declare 16384 x 16384 pixels" in shown[0] and "nothing was decoded" in shown[0]
    assert "unexpected error" not in shown[0]
    assert win.model.base is None
    win.close()

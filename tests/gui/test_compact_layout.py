"""A first window fits the screen it opens on; a saved window keeps the size the user gave it. (The layout
of the docks at each window size is tests/gui/test_view_layout.py.)"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated(message_boxes, tmp_path, monkeypatch):
    monkeypatch.setenv("OLIGOPLAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OLIGOPLAN_CONFIG_DIR", str(tmp_path / "config"))


def test_a_first_window_fits_the_screen_and_a_saved_window_keeps_its_size(qtbot, settings):
    from gui.main_window import MainWindow

    first = MainWindow(settings)
    qtbot.addWidget(first)
    free = first.screen().availableGeometry()
    first.fit_screen()  # what `oligoplan` does before the first show
    smallest = first.minimumSizeHint()  # the offscreen screen (800 px) is narrower than the window can be
    assert first.width() < 1400 and first.width() <= max(free.width(), smallest.width())
    assert first.height() < 950 and first.height() <= max(free.height(), smallest.height())
    first.resize(min(700, free.width()), min(560, free.height()))  # the user's own size
    first.show()
    qtbot.waitExposed(first)
    size = first.size()
    try:
        assert first.close()
    finally:
        first.runner.shutdown()
    again = MainWindow(settings)
    qtbot.addWidget(again)
    again.fit_screen()
    assert again.size() == size  # it reopened at 1400 x 950 whatever the user had made it
    again.runner.shutdown()

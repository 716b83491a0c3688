"""First start on a laptop screen: the series and display docks fold into tabs beside the verdicts, so the
three views get most of a 1024 px window (they had 324 px between two side columns, the axial view 160);
a wide window keeps its two side columns; a saved layout is restored as the user left it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QTabBar

from core.orientation import Plane


@pytest.fixture(autouse=True)
def isolated(message_boxes, tmp_path, monkeypatch):
    monkeypatch.setenv("OLIGOPLAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OLIGOPLAN_CONFIG_DIR", str(tmp_path / "config"))


def _open(qtbot, settings, size, ct=None, pet=None):
    from gui.main_window import MainWindow

    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    if ct is not None:
        w.show_volumes(ct, pet)
    qtbot.wait(100)  # the first layout and its second pass (a zero timer)
    return w


def _tab(w, title: str) -> tuple[QTabBar, int] | None:
    for bar in w.findChildren(QTabBar):
        if bar.isVisible():
            for i in range(bar.count()):
                if bar.tabText(i) == title:
                    return bar, i
    return None


def _reachable(w, dock: QDockWidget) -> bool:
    """On screen, or a click away: its tab is visible."""
    return (dock.isVisible() and not dock.visibleRegion().isEmpty()) or _tab(w, dock.windowTitle()) is not None


def test_a_1024_window_gives_the_axial_view_nearly_half_its_width_and_every_dock_stays_reachable(
        qtbot, settings, ct_volume, pet_volume):
    w = _open(qtbot, settings, (1024, 768), ct_volume, pet_volume)
    try:
        assert w.width() == 1024 and w.compact
        axial = w.views[Plane.AXIAL]
        assert axial.width() >= 0.45 * w.width(), axial.width()  # it was 160 px (16%)
        for plane in (Plane.CORONAL, Plane.SAGITTAL):
            assert w.views[plane].width() >= 200
        docks = [w.browser_dock, w.display_dock, w.lesion_dock, w.rules_wiring.verdict_dock,
                 w.rules_wiring.facts_dock, w.structure_wiring.dock]
        for dock in docks:
            assert _reachable(w, dock), dock.objectName()
        assert w.rules_wiring.panel.isVisible()  # the verdicts are the tab in front
        # a click on the Series tab shows the series list, on Display the window/level controls
        for dock, widget in ((w.browser_dock, w.browser), (w.display_dock, w.display_panel)):
            bar, index = _tab(w, dock.windowTitle())
            qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
            qtbot.waitUntil(widget.isVisible)
            assert widget.width() >= 300
        assert w.minimumSizeHint().width() <= 1024 and w.minimumSizeHint().height() <= 768
    finally:
        w.runner.shutdown()


def test_a_1400_window_keeps_its_series_and_display_column_beside_the_views(window, ct_volume, qtbot):
    w = window  # 1400 x 950, fresh settings
    w.show_volumes(ct_volume)
    qtbot.wait(100)
    assert not w.compact
    assert w.tabifiedDockWidgets(w.browser_dock) == []
    assert w.dockWidgetArea(w.browser_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert w.browser_dock.width() >= 320 and w.rules_wiring.verdict_dock.width() >= 440
    axial = w.views[Plane.AXIAL]
    assert w.browser_dock.geometry().right() < axial.mapTo(w, axial.rect().topLeft()).x()


def test_a_saved_layout_is_restored_as_the_user_left_it(qtbot, settings, ct_volume):
    w = _open(qtbot, settings, (1024, 768), ct_volume)
    try:
        assert w.compact
        w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, w.browser_dock)  # the user drags it back
        qtbot.wait(50)
        assert w.close()
    finally:
        w.runner.shutdown()
    again = _open(qtbot, settings, (1024, 768), ct_volume)
    try:
        assert not again.compact  # the saved layout is the user's own: not folded again
        assert again.dockWidgetArea(again.browser_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
        assert again.tabifiedDockWidgets(again.browser_dock) == []
        assert again.display_dock in again.tabifiedDockWidgets(again.rules_wiring.verdict_dock)
    finally:
        again.runner.shutdown()


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

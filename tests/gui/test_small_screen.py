"""The main window as first seen on 1024 x 768, 1400 x 950 and 1920 x 1080 screens: nothing wider or
taller than the screen (status messages, docks, dialogs), the decision-support note whole, the lesion
table and the verdicts in view, the title without stutter."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from core.orientation import Plane

LONG_TASK = ("Preview (Enter accepts, Esc rejects): PET: 61% of SUVmax 9.9 (adaptive, 5.5 mm FWHM), "
             "4.19 cm3, longest axial diameter 20.3 mm")
LONG_WARNING = "⚠ CT: irregular slice spacing (2.5 to 5.0 mm between slices 40 and 41); measurements use the " \
               "true positions (+2 more)"


def test_long_status_messages_fit_a_1024_screen_and_the_note_stays_whole(window, qtbot, ct_volume):
    w = window
    w.show_volumes(ct_volume)
    w.resize(1024, 768)
    w.show_message(LONG_TASK)
    w.warning_label.setText(LONG_WARNING)
    qtbot.wait(50)
    assert w.minimumSizeHint().width() <= 1024
    qtbot.waitUntil(lambda: w.width() <= 1024)
    note = w.note_label
    assert note.isVisible() and note.width() >= note.fontMetrics().horizontalAdvance(note.text())
    # the message is cut on screen, never lost: the whole text is in the label and its tooltip
    assert w.task_label.text() == LONG_TASK and w.task_label.toolTip() == LONG_TASK
    shown = w.task_label.elided_text()
    assert shown.endswith("…") and len(shown) < len(LONG_TASK)


def test_a_new_window_shows_five_lesions_in_the_table_without_scrolling(window, qtbot, ct_volume):
    from core.lesions import AddLesion
    from tests.gui.test_verdict_panel import cube_lesion

    w = window  # made at 1400 x 950 with fresh settings, as on a first start
    w.show_volumes(ct_volume)
    for n, site in enumerate(["liver", "liver", "liver", "lung", "bone"]):
        w.undo_stack.push_command(AddLesion(w.model.lesions, cube_lesion(ct_volume, n, site)))
    table = w.lesion_panel.table
    qtbot.waitUntil(lambda: table.model().rowCount() == 5)
    last = table.visualRect(table.model().index(4, 0))
    assert last.bottom() <= table.viewport().height()  # the fifth row is in view (it was cut after two)
    assert w.lesion_dock.width() >= 320  # the side column gets its intended width too


def test_history_and_scorecard_open_as_a_strip_under_the_views(window, qtbot, ct_volume):
    w = window
    w.show_volumes(ct_volume)
    verdict_height = w.rules_wiring.verdict_dock.height()
    rv = w.review_wiring
    rv.show_history()
    rv.scorecard_dock.show()
    qtbot.wait(50)
    assert w.tabifiedDockWidgets(rv.history_dock) == [rv.scorecard_dock]  # tabs of one strip
    assert w.dockWidgetArea(rv.history_dock) == Qt.DockWidgetArea.BottomDockWidgetArea
    axial = w.views[Plane.AXIAL]
    front = next(d for d in (rv.history_dock, rv.scorecard_dock) if not d.visibleRegion().isEmpty())
    assert front.geometry().top() >= axial.mapTo(w, axial.rect().bottomLeft()).y()  # under the views
    assert front.geometry().right() < w.rules_wiring.verdict_dock.geometry().left()  # not under the column
    assert w.rules_wiring.verdict_dock.height() == verdict_height  # the verdicts keep their room
    assert w.minimumSizeHint().height() <= 768  # still fits a 1024 x 768 screen


def test_a_pet_ct_with_its_docks_fits_a_1024_screen(window, qtbot, ct_volume, pet_volume):
    w = window
    w.show_volumes(ct_volume, pet_volume)  # the PET overlay box and its range row are shown
    qtbot.wait(50)
    assert w.minimumSizeHint().width() <= 1024
    panel = w.rules_wiring.panel
    assert panel.cutoff.isVisible() and panel.findChild(type(panel.class_label), "sync_cutoff_label").isVisible()


def test_f1_help_fits_the_screen_and_lists_the_shortcuts(window, qtbot):
    from PySide6.QtCore import Qt

    w = window
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=3000)
    qtbot.keyClick(w, Qt.Key.Key_F1)
    dialog = w.help_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    free = w.screen().availableGeometry()
    assert dialog.width() <= free.width() and dialog.height() <= free.height()  # it was 400 x 2752
    text = dialog.browser.toPlainText()
    assert "Ctrl+Z" in text and "Click-segment tool" in text
    assert dialog.browser.verticalScrollBar().maximum() > 0  # the rest is a scroll away, not off-screen
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_the_lesion_map_window_fits_the_screen(window, qtbot, ct_volume):
    w = window
    w.show_volumes(ct_volume)
    w.review_wiring.show_lesion_map()
    lesion_map = w.review_wiring.lesion_map_window
    qtbot.waitExposed(lesion_map)
    free = w.screen().availableGeometry()
    assert lesion_map.width() <= free.width() and lesion_map.height() <= free.height()


def test_the_verdicts_stay_in_view_on_a_1024_screen_with_a_structure_set(window, qtbot):
    from pathlib import Path

    phantom = Path(__file__).resolve().parents[2] / "sample_scans" / "phantom-oligo"
    if not phantom.is_dir():
        pytest.skip("sample_scans/phantom-oligo is not there (make samples)")
    w = window
    w.open_folder(str(phantom))  # CT, PET and the RTSTRUCT of organs at risk, as a user opens it
    qtbot.waitUntil(lambda: w.model.overlay is not None and not w.runner.busy, timeout=60000)
    qtbot.waitUntil(lambda: bool(w.structure_wiring.sets) and not w.runner.busy, timeout=30000)
    w.resize(1024, 768)
    qtbot.wait(200)
    tree = w.rules_wiring.panel.tree
    first = tree.visualItemRect(tree.topLevelItem(0))
    assert first.height() > 0
    # four lines of verdicts in view (a rule set's row wraps to two or three lines in the side column)
    assert tree.viewport().height() >= 4 * tree.fontMetrics().height()  # it was squeezed to 0 rows
    assert w.rules_wiring.facts_dock.isVisible()  # beside (under) the verdicts, not behind a tab
    assert w.height() <= 768
    w.review_wiring.show_history()  # the physicist's history tab under the views
    qtbot.wait(50)
    assert w.minimumSizeHint().height() <= 768


def test_a_wide_first_window_gives_the_verdicts_more_room(qtbot, settings):
    from gui.main_window import MainWindow

    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.resize(1920, 1080)
    w.show()
    qtbot.waitExposed(w)
    try:
        qtbot.wait(100)
        assert w.width() == 1920, w.width()
        # the side column takes a quarter of a wide window (330 px at 1280), the views keep the rest
        assert w.rules_wiring.verdict_dock.width() >= 470
    finally:
        w.runner.shutdown()


@pytest.mark.parametrize("description, shown", [("CT 3.0 mm soft tissue", "CT 3.0 mm soft tissue + PT"),
                                                ("Thorax", "CT Thorax + PT"), ("", "CT + PT")])
def test_the_title_names_the_series_without_repeating_the_modality(window, ct_volume, pet_volume,
                                                                    description, shown):
    import dataclasses

    ct = dataclasses.replace(ct_volume, info=dataclasses.replace(ct_volume.info, description=description))
    window.show_volumes(ct, pet_volume)
    assert window.windowTitle().endswith(f"— {shown}[*]"), window.windowTitle()


def test_the_series_list_keeps_the_slice_count_in_view(window, qtbot):
    from pathlib import Path

    phantom = Path(__file__).resolve().parents[2] / "sample_scans" / "phantom-oligo"
    if not phantom.is_dir():
        pytest.skip("sample_scans/phantom-oligo is not there (make samples)")
    w = window
    w.open_folder(str(phantom))
    qtbot.waitUntil(lambda: w.model.overlay is not None and not w.runner.busy, timeout=60000)
    w.browser_dock.raise_()  # a tab beside the lesion table
    tree = w.browser.tree
    qtbot.wait(50)
    slices_right = tree.columnViewportPosition(2) + tree.columnWidth(2)
    assert slices_right <= tree.viewport().width()  # "96" was cut to "9"
    item = tree.topLevelItem(0).child(0)
    fm = tree.fontMetrics()
    assert fm.horizontalAdvance(item.text(2)) <= tree.columnWidth(2)

"""Small things that interrupt a reader (issue 16): a click-segment that finds nothing is a status-bar
note with what to try (no dialog to dismiss); Esc closes the lesion map; the title names the product once."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from tests.gui.test_lesion_tools import at, axial, go_to_mm
from tests.gui.test_review_layout import open_lesion_map
from tests.gui.test_review_practice import reference  # noqa: F401 (fixture)


def test_a_click_segment_that_finds_nothing_is_a_status_note_with_what_to_try(win, phantom, boxes, truth, qtbot):
    w = win
    w.show_volumes(phantom.primary)  # the CT alone: region growing needs an edge
    idx = np.rint(go_to_mm(w, truth["L1"]["centre_mm"])).astype(int)
    view = axial(w)
    w.tool_manager.set_tool("segment")
    corner = (int(idx[0]), 3, 3)  # air in the corner of the slice: nothing to segment
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=at(view, corner).toPoint())
    assert boxes.shown == []  # no dialog
    note = w.task_label.text() if not hasattr(w.task_label, "full_text") else w.task_label.full_text()
    assert note.startswith("No lesion here: try its centre") and "(no lesion edge at the seed" in note, note
    # what to try is shown whole (the reason after it may be cut: it is in the tooltip)
    qtbot.waitUntil(lambda: "or Polygon/Brush (" in w.task_label.elided_text())
    assert w.tool_manager.tool("segment").preview is None and len(w.model.lesions) == 0


def test_escape_closes_the_lesion_map_and_another_case_closes_it_too(win, phantom, qtbot, reference):  # noqa: F811
    w = win
    w.show_volumes(phantom.primary, phantom.pet)
    lesion_map = open_lesion_map(w, qtbot, reference)
    assert lesion_map.isVisible()
    lesion_map.activateWindow()
    qtbot.keyClick(lesion_map.scroll, Qt.Key.Key_Escape)
    assert not lesion_map.isVisible()
    w.review_wiring.actions.lesion_map.trigger()
    qtbot.waitExposed(lesion_map)
    w.case_controller.new_case()  # another case: the map of the old one does not stay up
    assert not lesion_map.isVisible()


def test_the_window_title_names_the_product_once(win, phantom, reference):  # noqa: F811
    w = win
    assert w.windowTitle() == "OligoPlan"
    w.show_volumes(phantom.primary, phantom.pet)
    w.case_controller.open_case(reference)
    w.review_wiring.practice.start(reference)
    assert "[Practice]" in w.windowTitle() and w.windowTitle().count("OligoPlan") == 1, w.windowTitle()
    w.review_wiring.actions.lesion_map.trigger()
    assert w.review_wiring.lesion_map_window.windowTitle().count("OligoPlan") == 1
    from PySide6.QtWidgets import QApplication

    from gui.app import create_application

    app = create_application()
    assert app is QApplication.instance()
    # Qt appends a set application display name to every title not ending with it (the product twice)
    assert app.applicationDisplayName() == app.applicationName()

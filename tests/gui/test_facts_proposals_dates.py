"""The facts form (issue 16): modality and tracer pre-filled from the loaded images as PROPOSALS (the
rule sets see unknown until the user picks them); dates typed or picked on a calendar."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QCalendarWidget, QTableView, QToolButton


@pytest.fixture
def form_of(win):
    def shown():
        rules = win.rules_wiring
        rules.facts_dock.show()
        rules.facts_dock.raise_()
        return rules.facts_form
    return shown


def test_modality_and_tracer_are_proposed_from_the_images_and_count_only_once_chosen(win, phantom, form_of, qtbot):
    w = win
    w.show_volumes(phantom.primary, phantom.pet)
    form = form_of()
    rules = w.rules_wiring
    modality = form.editors["imaging_modality"]
    assert form.proposal("imaging_modality") == "PET-CT" and form.proposal("pet_tracer") == "FDG"
    assert modality.currentText() == "proposed: PET-CT" and "unknown until you choose" in modality.toolTip()
    assert modality.font().italic()  # shown as derived
    assert form.value_text("imaging_modality") == "unknown"
    assert "imaging_modality" not in rules.case.facts and "pet_tracer" not in rules.case.facts  # not a fact yet
    assert not [e for e in w.case_controller.case.audit if "imaging_modality" in str(e)]  # nothing recorded
    # the user confirms: picks the proposed value in the list
    qtbot.mouseClick(modality, Qt.MouseButton.LeftButton)
    modality.setCurrentIndex(modality.findData("PET-CT"))
    modality.hidePopup()
    assert rules.case.facts["imaging_modality"] == "PET-CT"
    assert form.proposal("imaging_modality") is None and not modality.font().italic()


def test_another_patients_images_replace_the_proposals(win, phantom, form_of, ct_volume):
    w = win
    w.show_volumes(phantom.primary, phantom.pet)
    w.show_volumes(ct_volume)  # a CT alone, no PET
    form = form_of()
    assert form.proposal("imaging_modality") == "CT"
    assert form.proposal("pet_tracer") is None
    assert form.editors["pet_tracer"].currentText() == "unknown"
    w.show_volumes(None)
    assert form.proposal("imaging_modality") is None


def _calendar_button(edit) -> QToolButton:
    buttons = [b for b in edit.findChildren(QToolButton) if b.isVisible() and b.defaultAction() is not None
               and b.defaultAction().objectName().endswith("_calendar_button")]
    assert len(buttons) == 1, [b.defaultAction() for b in edit.findChildren(QToolButton)]
    return buttons[0]


def test_a_date_is_picked_on_the_calendar_or_typed(win, ct_volume, form_of, qtbot):
    w = win
    w.show_volumes(ct_volume)
    form = form_of()
    edit = form.editors["imaging_date"]
    qtbot.waitUntil(edit.isVisible)
    qtbot.mouseClick(_calendar_button(edit), Qt.MouseButton.LeftButton)
    calendar = edit.findChild(QCalendarWidget)
    qtbot.waitUntil(calendar.isVisible)
    assert calendar.selectedDate() == QDate.currentDate()  # an empty field opens on today
    calendar.setSelectedDate(QDate(2024, 3, 15))
    view = calendar.findChild(QTableView, "qt_calendar_calendarview")
    qtbot.keyClick(view, Qt.Key.Key_Return)  # Enter on the selected day, as a click on it
    assert not calendar.isVisible()
    assert edit.text() == "2024-03-15"
    assert str(w.rules_wiring.case.facts["imaging_date"]) == "2024-03-15"
    # typed entry still works, and the calendar opens on the typed date; Esc leaves it unchanged
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "2023-11-02")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert str(w.rules_wiring.case.facts["imaging_date"]) == "2023-11-02"
    qtbot.mouseClick(_calendar_button(edit), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(calendar.isVisible)
    assert calendar.selectedDate() == QDate(2023, 11, 2)
    qtbot.keyClick(calendar, Qt.Key.Key_Escape)
    assert not calendar.isVisible() and edit.text() == "2023-11-02"

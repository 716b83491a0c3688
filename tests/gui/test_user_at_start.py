"""Name and role are asked at the first start (issue 16): never the login name ("root") in the audit
trail, and no role chosen for the user."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from core.lesions import AddLesion, Lesion
from gui.settings import USER_NAME, USER_ROLE


def test_first_start_asks_name_and_role_with_no_role_chosen(window, qtbot, settings, ct_volume):
    w = window
    w.start_up(None)
    dialog = w.review_wiring.user_dialog
    assert dialog is not None and dialog.isVisible()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert dialog.role_combo.currentText() == "" and dialog.role_combo.currentIndex() == -1  # no default
    assert not ok.isEnabled()
    assert w.case_controller.case.review.user == ""  # not the login name while unanswered
    qtbot.keyClicks(dialog.name_edit, "A. Smith")
    assert not ok.isEnabled()  # a name alone is not enough
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findText("radiation oncologist"))
    assert ok.isEnabled()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert settings.get(USER_NAME) == "A. Smith" and settings.get(USER_ROLE) == "radiation oncologist"
    w.show_volumes(ct_volume)
    lesions = w.model.lesions
    w.undo_stack.push_command(AddLesion(lesions, Lesion(lesions.new_id(), "Lesion 1", point_mm=(0.0, 0.0, 0.0))))
    w.review_wiring.record_fact_changes()
    whos = {entry.who for entry in w.case_controller.case.audit}
    assert whos == {"A. Smith"}, whos


def test_a_known_user_is_not_asked_again(window, settings):
    settings.set(USER_NAME, "A. Smith")
    settings.set(USER_ROLE, "medical physicist")
    window.start_up(None)
    assert window.review_wiring.user_dialog is None


def test_a_user_who_does_not_answer_is_recorded_as_unknown_not_as_the_login(window, ct_volume):
    w = window
    w.start_up(None)
    w.review_wiring.user_dialog.reject()
    w.show_volumes(ct_volume)
    lesions = w.model.lesions
    w.undo_stack.push_command(AddLesion(lesions, Lesion(lesions.new_id(), "Lesion 1", point_mm=(0.0, 0.0, 0.0))))
    assert {entry.who for entry in w.case_controller.case.audit} == {""}  # shown as "unknown user"

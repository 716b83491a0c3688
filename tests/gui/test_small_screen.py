"""The main window on a 1024 x 768 screen: long status messages must not widen the window past the
screen nor push the decision-support note out of the status bar."""

from __future__ import annotations

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

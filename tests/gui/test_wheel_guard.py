"""The mouse wheel never changes a field by accident (issue 16): scrolling over the facts form scrolls
the form; only a field the user clicked (and that still has the focus) takes the wheel."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QDateEdit, QScrollArea, QSpinBox, QVBoxLayout, QWidget


def wheel(widget: QWidget, notches: int = -1) -> None:
    """One wheel turn (down for negative notches) with the pointer over the middle of ``widget``."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 * notches), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


@pytest.fixture
def facts_form(window, ct_volume, qtbot):
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    window.show_volumes(ct_volume)
    rules = window.rules_wiring
    rules.facts_dock.show()
    rules.facts_dock.raise_()
    form = rules.facts_form
    form.setFixedHeight(260)  # shorter than its fields, as on a laptop: the form must scroll
    qtbot.waitUntil(lambda: form.findChild(QScrollArea).verticalScrollBar().maximum() > 0)
    return form


def test_scrolling_over_every_field_changes_nothing_and_scrolls_the_form(window, facts_form, qtbot):
    form = facts_form
    bar = form.findChild(QScrollArea).verticalScrollBar()
    form.set_value("brain_imaging_done", "yes")  # a known value: the wheel must not turn it into "no"
    facts_before = dict(window.rules_wiring.case.facts)
    texts_before = {key: form.value_text(key) for key in form.editors}
    audit_before = len(window.case_controller.case.audit)
    assert bar.value() == 0
    combos = [e for e in form.editors.values() if isinstance(e, QComboBox)]
    assert len(combos) >= 5  # yes/no and choice facts
    for editor in form.editors.values():
        form.findChild(QScrollArea).ensureWidgetVisible(editor)
        for notches in (-1, 1, -1):
            wheel(editor, notches)
    assert {key: form.value_text(key) for key in form.editors} == texts_before
    assert window.rules_wiring.case.facts == facts_before
    assert len(window.case_controller.case.audit) == audit_before
    bar.setValue(0)
    wheel(form.editors["brain_imaging_done"], -3)
    assert bar.value() > 0  # the form scrolled instead
    assert form.value_text("brain_imaging_done") == "yes"


def test_a_field_the_user_clicked_takes_the_wheel(window, facts_form, qtbot):
    form = facts_form
    combo = form.editors["brain_imaging_done"]
    form.findChild(QScrollArea).ensureWidgetVisible(combo)
    combo.setFocus()  # focus by the keyboard (Tab) alone is not enough
    wheel(combo, -1)
    assert form.value_text("brain_imaging_done") == "unknown"
    qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)  # opens the list
    combo.hidePopup()
    assert combo.hasFocus()
    wheel(combo, -1)
    assert form.value_text("brain_imaging_done") != "unknown"
    assert window.rules_wiring.case.facts.get("brain_imaging_done") is not None
    window.views[next(iter(window.views))].setFocus()  # the focus moves on: the wheel no longer changes it
    before = form.value_text("brain_imaging_done")
    wheel(combo, 1)
    assert form.value_text("brain_imaging_done") == before


@pytest.mark.parametrize("make", [QSpinBox, QDateEdit, QComboBox], ids=["spin", "date", "combo"])
def test_every_value_field_of_the_app_is_guarded(window, qtbot, make):
    """Fields made anywhere (panels, dialogs, the lesion table's editors) are guarded by one filter."""
    outer = QScrollArea()
    inner = QWidget()
    column = QVBoxLayout(inner)
    field = make()
    if isinstance(field, QComboBox):
        field.addItems(["a", "b", "c"])
        field.setCurrentIndex(1)
    elif isinstance(field, QSpinBox):
        field.setValue(5)
    column.addWidget(field)
    column.addSpacing(2000)
    outer.setWidget(inner)
    outer.resize(200, 200)
    qtbot.addWidget(outer)
    outer.show()
    qtbot.waitExposed(outer)
    value = lambda: field.currentIndex() if isinstance(field, QComboBox) else field.text()  # noqa: E731
    before = value()
    assert field.focusPolicy() == Qt.FocusPolicy.StrongFocus  # the wheel never gives it the focus
    wheel(field, -1)
    assert value() == before
    assert outer.verticalScrollBar().value() > 0


def test_the_lesion_table_s_site_editor_ignores_the_wheel_until_clicked(window, ct_volume, qtbot):
    """An open editor of the lesion table (site, side, kind) is a combo box like the facts form's."""
    from core.lesions import AddLesion, Lesion
    from gui.panels.lesion_table import C_SITE

    w = window
    w.show_volumes(ct_volume)
    lesions = w.model.lesions
    w.undo_stack.push_command(AddLesion(lesions, Lesion(lesions.new_id(), "Lesion 1", point_mm=(0.0, 0.0, 0.0))))
    w.lesion_dock.show()
    w.lesion_dock.raise_()
    table = w.lesion_panel.table
    qtbot.waitUntil(table.isVisible)
    index = table.model().index(0, C_SITE)
    site_before = next(iter(w.model.lesions)).site
    table.edit(index)  # as a double-click on the cell does
    editor = table.viewport().findChild(QComboBox)
    assert isinstance(editor, QComboBox) and editor.isVisible()
    shown = editor.currentIndex()
    for notches in (-1, -1, 1):  # the pointer over the open editor, the wheel turned to scroll the table
        wheel(editor, notches)
    assert editor.currentIndex() == shown
    table.commitData(editor)
    assert next(iter(w.model.lesions)).site == site_before


def test_the_wheel_scrolls_an_open_drop_down_list_not_the_form(window, facts_form, qtbot):
    from PySide6.QtWidgets import QListView

    form = facts_form
    combo = form.editors["primary_site"]  # a long list
    bar = form.findChild(QScrollArea).verticalScrollBar()
    form.findChild(QScrollArea).ensureWidgetVisible(combo)
    form_at = bar.value()
    qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)  # opens the list
    view = combo.view()
    assert isinstance(view, QListView)
    qtbot.waitUntil(view.isVisible)
    view.setFixedHeight(60)  # shorter than its items: the list itself scrolls
    list_at = view.verticalScrollBar().value()
    wheel(view.viewport(), -2)
    assert bar.value() == form_at  # the form behind the open list did not move
    assert view.verticalScrollBar().value() > list_at  # the list scrolled
    combo.hidePopup()
    assert form.value_text("primary_site") == "unknown"

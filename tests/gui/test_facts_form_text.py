"""The case-facts form shows what the user typed: whole numbers without decimals ("67", not "67.0"),
decimals where they mean something, and the staging imaging field says it wants a date."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLineEdit


@pytest.fixture(autouse=True)
def isolated(message_boxes, tmp_path, monkeypatch):
    monkeypatch.setenv("OLIGOPLAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OLIGOPLAN_CONFIG_DIR", str(tmp_path / "config"))


def _type(qtbot, form, key: str, text: str) -> None:
    edit = form.editors[key]
    assert isinstance(edit, QLineEdit)
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def _label(form, key: str) -> str:
    editor = form.editors[key]
    layout = editor.parentWidget().layout()
    assert isinstance(layout, QFormLayout)
    return layout.labelForField(editor).text()


def test_whole_numbers_show_without_decimals_and_others_keep_them(window, ct_volume, qtbot):
    w = window
    w.show_volumes(ct_volume)
    rules = w.rules_wiring
    rules.facts_dock.show()
    rules.facts_dock.raise_()
    form = rules.facts_form
    _type(qtbot, form, "age_years", "67")
    _type(qtbot, form, "life_expectancy_months", "24")
    _type(qtbot, form, "ecog", "1")
    assert rules.case.facts["age_years"] == 67 and rules.case.facts["life_expectancy_months"] == 24
    rules._load_facts()  # shown again from the case (undo, reopening the case, another case and back)
    assert form.value_text("age_years") == "67"  # it read "67.0"
    assert form.value_text("life_expectancy_months") == "24"  # it read "24.0"
    assert form.value_text("ecog") == "1"
    _type(qtbot, form, "life_expectancy_months", "18.5")
    rules._load_facts()
    assert form.value_text("life_expectancy_months") == "18.5"  # a fraction of a month is kept
    w.undo_stack.undo()
    assert form.value_text("life_expectancy_months") == "24"


def test_the_staging_imaging_field_asks_for_a_date(window):
    form = window.rules_wiring.facts_form
    assert _label(form, "imaging_date") == "Staging imaging date"
    assert form.editors["imaging_date"].placeholderText() == "YYYY-MM-DD"
    assert _label(form, "age_years") == "Age (years)"

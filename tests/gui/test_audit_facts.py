"""Case-fact edits go into the audit trail when they are made, not when the case is saved."""

from __future__ import annotations

import pytest

from core.audit import AuditAction


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Data and config in tmp (conftest answers the "save?" question at close with Discard)."""
    monkeypatch.setenv("OLIGOPLAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OLIGOPLAN_CONFIG_DIR", str(tmp_path / "config"))


def test_a_fact_edit_and_its_undo_are_in_the_history_before_any_save(window, ct_volume):
    window.show_volumes(ct_volume)
    window.review_wiring.set_user("Dr Test", "physicist")
    case = window.rules_wiring.case
    history = window.review_wiring.history_panel
    before = len(case.audit)

    window.rules_wiring.facts_form.set_value("ecog", "2")
    entries = list(case.audit)[before:]
    assert [e.action for e in entries] == [AuditAction.FACTS_CHANGED]
    assert "ecog" in entries[0].what and entries[0].who == "Dr Test"
    assert history.cell_text(0, 4) == entries[0].action_label and "ecog" in history.cell_text(0, 5)

    window.undo_stack.undo()  # undoing is a change too, and is recorded
    entries = list(case.audit)[before:]
    assert [e.action for e in entries] == [AuditAction.FACTS_CHANGED] * 2
    assert "ecog" not in case.facts
    assert case.audit.intact

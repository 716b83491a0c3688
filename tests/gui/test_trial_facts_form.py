"""Issue 12: the trial facts (HER2, driver, PSA, castration sensitivity, PET tracer, treatment of the
primary, counts at diagnosis and in a lifetime, line of therapy) are fields of the case-facts form; a
value core refuses is named in red and not stored; a chosen value changes the verdict it decides."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit

from tests.gui.test_facts_form_text import _label, _type, isolated  # noqa: F401 - fixture
from tests.gui.test_verdict_panel import criterion, rules_window  # noqa: F401 - fixture

NEW = {"her2_status": "HER2 status", "driver_alteration": "Driver alteration", "psa_ng_ml": "PSA (ng/ml)",
       "psa_date": "PSA measured", "castration_sensitive": "Castration-sensitive", "pet_tracer": "PET tracer",
       "primary_treatment": "Treatment of the primary", "metastases_at_diagnosis": "Metastases at diagnosis",
       "metastases_lifetime": "Metastases ever (lifetime)", "systemic_line": "Line of systemic therapy"}


def _choose(form, key: str, text: str) -> None:
    combo = form.editors[key]
    assert isinstance(combo, QComboBox)
    index = combo.findText(text)
    assert index >= 0, (key, text)
    combo.setCurrentIndex(index)  # the user picks the item from the list: one edit


def test_every_trial_fact_has_a_labelled_field_starting_unknown(window):
    form = window.rules_wiring.facts_form
    for key, label in NEW.items():
        assert _label(form, key) == label
        assert form.value_text(key) in ("unknown", "")
    assert [form.editors["pet_tracer"].itemText(i) for i in range(form.editors["pet_tracer"].count())] == [
        "unknown", "FDG", "PSMA", "choline", "fluciclovine", "other"]
    assert isinstance(form.editors["psa_ng_ml"], QLineEdit)


def test_a_refused_psa_is_named_and_not_stored(window, ct_volume, qtbot):
    window.show_volumes(ct_volume)
    rules = window.rules_wiring
    form = rules.facts_form
    _type(qtbot, form, "psa_ng_ml", "-2")
    assert "psa_ng_ml" not in rules.case.facts
    assert form.error_label.text().startswith("facts.psa_ng_ml: '-2' is outside 0..10000 ng/ml")
    _type(qtbot, form, "psa_ng_ml", "4.5")
    assert rules.case.facts["psa_ng_ml"] == 4.5 and form.error_label.text() == ""


def test_choosing_the_tracer_and_the_treatment_of_the_primary_decides_stomp(rules_window, qtbot):
    w = rules_window
    panel = w.rules_wiring.panel
    panel.rule_set_actions["stomp"].trigger()
    form = w.rules_wiring.facts_form
    assert criterion(panel, "stomp", "choline").text(1) == "unknown"
    _choose(form, "pet_tracer", "PSMA")
    assert w.rules_wiring.case.facts["pet_tracer"] == "PSMA"
    assert criterion(panel, "stomp", "choline").text(1) == "FAIL"
    _choose(form, "pet_tracer", "choline")
    assert criterion(panel, "stomp", "choline").text(1) == "pass"
    _choose(form, "primary_treatment", "none")  # de-novo, the primary in place
    assert criterion(panel, "stomp", "curative_primary").text(1) == "FAIL"
    assert panel.rule_set_item("stomp").text(1) == "NOT ELIGIBLE"
    w.undo_stack.undo()
    assert "primary_treatment" not in w.rules_wiring.case.facts
    assert criterion(panel, "stomp", "curative_primary").text(1) == "unknown"

"""The facts form shows facts derived from the prior scan (`oligoplan track`) marked as derived: the rule sets
use them until the user enters a value, which overrides them; the "derived: ..." entry goes back (issue 17)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from core.case import Case, save_case
from core.tracking.derived import DerivedFact
from core.tracking.record import TrackingRecord

WHY = "derived from prior scan of 2024-01-02: progressing: L1"


def _pick(qtbot, combo, index: int) -> None:
    qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)
    combo.setCurrentIndex(index)
    combo.hidePopup()


def test_a_derived_value_is_marked_and_can_be_overridden_and_restored(qtbot):
    from gui.panels.facts_form import FactsForm

    form = FactsForm()
    qtbot.addWidget(form)
    form.show()
    form.set_derived({"lesions_progressing": ("yes", WHY)})
    form.set_facts({})
    combo = form.editors["lesions_progressing"]
    assert combo.currentText() == "derived: yes" and combo.font().italic()
    assert WHY in combo.toolTip() and "Choose another value to override it" in combo.toolTip()
    assert form.derived("lesions_progressing") == "yes"
    assert form.editors["ecog"].toolTip() and not form.editors["history_polymetastatic"].font().italic()
    with qtbot.waitSignal(form.facts_edited) as edited:
        _pick(qtbot, combo, combo.findData("no"))
    assert edited.args == [{"lesions_progressing": "no"}]
    assert not combo.font().italic() and form.derived("lesions_progressing") is None
    assert combo.itemText(0) == "derived: yes"  # still there to go back to
    with qtbot.waitSignal(form.facts_edited) as edited:
        _pick(qtbot, combo, 0)
    assert edited.args == [{}] and combo.font().italic()
    form.set_derived({})  # another case: nothing carries over
    assert combo.currentText() == "unknown" and not combo.font().italic()


def test_the_window_shows_the_cases_derived_facts_and_the_override_counts(win, ct_volume, qtbot, tmp_path):
    win.show_volumes(ct_volume)  # the case's images are those shown
    derived = {"history_oligometastatic": DerivedFact("history_oligometastatic", "yes", "the prior case had 2"),
               "lesions_progressing": DerivedFact("lesions_progressing", "yes", "progressing: L1")}
    case = Case(images=win.case_controller.current_image_refs(),
                facts={"history_polymetastatic": "no", "on_systemic_therapy": "yes"},
                tracking=TrackingRecord(prior_date="2024-01-02", derived=derived))
    path = save_case(case, tmp_path / "tracked.json")
    win.case_controller.open_case(path)
    rules = win.rules_wiring
    qtbot.waitUntil(lambda: rules.facts_form.derived("lesions_progressing") == "yes", timeout=10000)
    rules.facts_dock.show()
    combo = rules.facts_form.editors["lesions_progressing"]
    assert "derived from prior scan of 2024-01-02" in combo.toolTip()
    assert rules.evaluate_now().classification.label == "repeat oligoprogression"
    label = rules.panel.class_label
    assert "derived, not entered" in label.text() and "Lesions progressing on imaging" in label.text()
    assert "derived from prior scan of 2024-01-02 (progressing: L1)" in label.toolTip()
    assert any("not entered but derived" in w for w in rules.warnings)
    _pick(qtbot, combo, combo.findData("no"))  # the user overrides: not progressing
    open_case = win.case_controller.case
    assert open_case.facts["lesions_progressing"] == "no"
    assert rules.evaluation.classification.label == "repeat oligopersistence"
    assert "Lesions progressing" not in label.text() and "Earlier oligometastatic disease" in label.text()
    open_case.review.sync()
    assert [e for e in open_case.audit if e.action == "derived_fact_overridden"]
    win.case_controller.new_case()  # another case: the derived values of this one do not carry over
    assert rules.facts_form.derived("lesions_progressing") is None
    assert rules.facts_form.editors["lesions_progressing"].currentText() == "unknown"

"""The verdict panel shows the Fong score with each factor, and a class refused for dates that cannot be right
(issue 12); the facts are entered through the real facts form."""

from __future__ import annotations

from tests.gui.test_verdict_panel import isolated, rules_window  # noqa: F401 - fixtures


def enter(form, **values):
    for key, text in values.items():
        form.set_value(key, text)


def test_the_fong_score_row_gives_each_factor_and_stays_incomplete_until_every_fact_is_known(rules_window):
    w = rules_window
    form, panel = w.rules_wiring.facts_form, w.rules_wiring.panel
    row = panel.score_item("fong-crs")
    assert row is not None and "not applicable" in row.text(0)  # a breast primary
    enter(form, primary_site="colorectal", primary_diagnosis_date="2024-01-01",
          metastasis_diagnosis_date="2024-03-01", primary_node_positive="no")
    row = panel.score_item("fong-crs")
    assert row.text(0).startswith("Fong clinical risk score: incomplete")
    factors = {row.child(i).text(0): (row.child(i).text(1), row.child(i).text(2)) for i in range(row.childCount())}
    assert factors["CEA > 200 ng/ml"] == ("unknown", "unknown")
    assert factors["More than one liver tumour"] == ("1", "3")  # three liver cubes
    assert factors["Node-positive primary"] == ("0", "no")
    assert factors["Disease-free interval < 12 months"] == ("1", "2.0 months")
    enter(form, cea_ng_ml="201")
    row = panel.score_item("fong-crs")
    assert "CEA > 200 1" in row.text(0) and "incomplete" not in row.text(0)
    assert row.text(0).startswith("Fong clinical risk score: 3 of 5")  # node 0, DFI 1, number 1, CEA 1, size 0
    w.undo_stack.undo()  # the CEA edit
    assert "incomplete" in panel.score_item("fong-crs").text(0)


def test_metastases_dated_before_the_primary_give_no_class_and_say_why(rules_window):
    w = rules_window
    form, panel = w.rules_wiring.facts_form, w.rules_wiring.panel
    enter(form, history_polymetastatic="no", history_oligometastatic="no", on_systemic_therapy="no",
          primary_diagnosis_date="2024-05-01", metastasis_diagnosis_date="2024-02-01")
    text = panel.class_label.text()
    assert "<b>unknown</b>" in text and "the metastases are dated before the primary" in text
    assert "Primary diagnosed 2024-05-01, Metastases diagnosed 2024-02-01" in panel.class_label.toolTip()
    enter(form, metastasis_diagnosis_date="2024-11-01")  # 6 calendar months: synchronous
    assert "synchronous oligometastatic disease" in panel.class_label.text()


def test_the_case_fact_all_lesions_treatable_decides_until_each_lesion_is_assessed(rules_window):
    w = rules_window
    form, panel = w.rules_wiring.facts_form, w.rules_wiring.panel

    def treatable():
        item = panel.criterion_item("sabr-comet", "treatable")
        return item.text(1), item.toolTip(0)

    assert treatable()[0] == "pass" and "case fact" in treatable()[1]  # the fixture's facts say yes
    enter(form, all_lesions_treatable="no")
    assert treatable()[0] == "FAIL" and panel.rule_set_item("sabr-comet").text(1) == "NOT ELIGIBLE"
    enter(form, all_lesions_treatable="unknown")  # every lesion is still not assessed
    status, tip = treatable()
    assert status == "unknown" and "not assessed for L1, L2, L3, L4, L5" in tip
    assert panel.rule_set_item("sabr-comet").text(1) == "UNDETERMINED"


def test_a_diagnosis_date_in_the_future_is_named_and_its_dates_are_in_the_tooltip(rules_window):
    w = rules_window
    form, panel = w.rules_wiring.facts_form, w.rules_wiring.panel
    enter(form, history_polymetastatic="no", history_oligometastatic="no", primary_diagnosis_date="2024-01-01",
          metastasis_diagnosis_date="2999-01-01")
    assert "Metastases diagnosed 2999-01-01 is after the evaluation date" in panel.class_label.text()
    assert "correct the date in the case facts" in panel.class_label.toolTip()

"""Facts derived from the prior scan (a case's "tracking") through check: class, sources, overrides, audit, schema."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from core.case import Case, load_case, save_case
from core.errors import CaseFileError
from core.lesions import AddLesion, Lesion, UndoStack
from core.rules.case_check import evaluate_case
from core.rules.facts import CaseFacts, SetFacts
from core.tracking.derived import DerivedFact
from core.tracking.record import TrackingRecord

THERAPY_YES = {"history_polymetastatic": "no", "on_systemic_therapy": "yes"}


def _tracking(progressing="yes", oligo="yes", date="2024-01-02") -> TrackingRecord:
    derived = {"new_lesions": DerivedFact("new_lesions", 0, "none found")}
    if oligo is not None:
        derived["history_oligometastatic"] = DerivedFact("history_oligometastatic", oligo, "the prior case had 3")
    if progressing is not None:
        derived["lesions_progressing"] = DerivedFact("lesions_progressing", progressing, "progressing: L1")
    return TrackingRecord(prior_case="/prior/case.json", prior_date=date, current_date="2024-05-02",
                          counts={"prior": 3, "current": 3}, derived=derived)


def _case(facts: dict, tracking: TrackingRecord | None) -> Case:
    case = Case(facts=dict(facts), tracking=tracking)
    UndoStack().push(AddLesion(case.lesions, Lesion("L1", "L1", site="lung", point_mm=(0.0, 0.0, 0.0))))
    return case


def _evaluate(case: Case):
    ev, warnings = evaluate_case(case, [], None, CaseFacts(case.facts))
    return ev, warnings


@pytest.mark.parametrize("progressing, therapy, label", [
    ("yes", "yes", "repeat oligoprogression"),
    ("no", "yes", "repeat oligopersistence"),
    ("yes", "no", "repeat oligorecurrence"),
])
def test_class_follows_from_derived_facts_and_therapy_facts(progressing, therapy, label):
    ev, warnings = _evaluate(_case({**THERAPY_YES, "on_systemic_therapy": therapy}, _tracking(progressing)))
    assert ev.classification.label == label
    assert ev.fact_sources["history_oligometastatic"] == {
        "source": "derived from prior scan of 2024-01-02", "derived": True, "reason": "the prior case had 3"}
    assert ev.fact_sources["on_systemic_therapy"] == {"source": "entered", "derived": False}
    assert any("not entered but derived from prior scan of 2024-01-02" in w for w in warnings)


def test_an_entered_value_overrides_the_derived_one_and_changes_the_class():
    ev, _ = _evaluate(_case({**THERAPY_YES, "lesions_progressing": "no"}, _tracking("yes")))
    assert ev.classification.label == "repeat oligopersistence"
    assert ev.facts.get("lesions_progressing") == "no"
    assert ev.fact_sources["lesions_progressing"] == {
        "source": "entered", "derived": False,
        "overrides": {"value": "yes", "source": "derived from prior scan of 2024-01-02"}}


def test_unknown_stays_unknown():
    # not derived (e.g. a lesion not measurable at both dates) and not entered: the class says what it needs
    ev, _ = _evaluate(_case(THERAPY_YES, _tracking(progressing=None)))
    assert ev.classification.label == "unknown" and ev.classification.missing == ("lesions_progressing",)
    assert "lesions_progressing" not in ev.fact_sources
    # history of polymetastatic disease is never derived from 1 to 5 prior lesions
    ev, _ = _evaluate(_case({"on_systemic_therapy": "yes"}, _tracking()))
    assert ev.classification.missing == ("history_polymetastatic",)
    # no comparison at all: nothing is filled
    ev, warnings = _evaluate(_case(THERAPY_YES, None))
    assert ev.classification.missing == ("history_oligometastatic",)
    assert not any(source["derived"] for source in ev.fact_sources.values()) and not warnings


def test_the_prior_date_unknown_is_said_so():
    ev, _ = _evaluate(_case(THERAPY_YES, _tracking(date=None)))
    assert ev.fact_sources["lesions_progressing"]["source"] == "derived from prior scan (its date is not known)"


@pytest.fixture()
def saved(tmp_path):
    case = _case(THERAPY_YES, _tracking())
    case.review.sync()
    case.review.record_derived_facts(case.tracking)
    return save_case(case, tmp_path / "case.json")


def _check(path, *extra) -> tuple[str, str]:
    from core import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert cli.run(cli.build_parser().parse_args(["check", str(path), "--rules", "sabr-comet", *extra])) == 0
    return out.getvalue(), err.getvalue()


def test_check_json_and_text_show_each_facts_source(saved):
    out, _ = _check(saved, "--json")
    doc = json.loads(out)
    assert doc["facts"]["lesions_progressing"] == "yes"
    assert doc["fact_sources"]["lesions_progressing"]["source"] == "derived from prior scan of 2024-01-02"
    assert doc["fact_sources"]["history_polymetastatic"] == {"source": "entered", "derived": False}
    assert doc["classification"]["class"] == "repeat oligoprogression"
    text, err = _check(saved)
    assert "DERIVED Lesions progressing on imaging = yes (derived from prior scan of 2024-01-02" in text
    assert "DERIVED History of polymetastatic disease" not in text
    assert "not entered but derived" in err


def test_tracking_round_trips_and_the_audit_records_derivation_and_overrides(saved):
    case = load_case(saved)
    assert case.tracking.derived["lesions_progressing"].value == "yes"
    assert case.tracking.prior_date == "2024-01-02" and case.tracking.counts == {"prior": 3, "current": 3}
    actions = [e.action for e in case.audit]
    assert "derived_facts_set" in actions
    entry = next(e for e in case.audit if e.action == "derived_facts_set")
    assert "derived from prior scan of 2024-01-02" in entry.what and entry.details["derived"]["lesions_progressing"] == "yes"
    stack = UndoStack()
    stack.push(SetFacts(case, {**case.facts, "lesions_progressing": "no"}))
    case.review.sync()
    stack.push(SetFacts(case, {**case.facts, "lesions_progressing": "yes"}))  # the derived value, entered: no override
    case.review.sync()
    stack.push(SetFacts(case, {k: v for k, v in case.facts.items() if k != "lesions_progressing"}))
    case.review.sync()
    overrides = [e for e in case.audit if e.action == "derived_fact_overridden"]
    assert [e.details["entered"] for e in overrides] == ["no", None]
    assert "overrides the derived" in overrides[0].what and "applies again" in overrides[1].what
    trail = load_case(save_case(case, saved)).audit
    assert trail.intact and [e.action for e in trail].count("derived_fact_overridden") == 2


@pytest.mark.parametrize("change, where", [
    (lambda t: t["derived_facts"]["lesions_progressing"].update(value="maybe"),
     "tracking.derived_facts.lesions_progressing.value"),
    (lambda t: t["statuses"].update(L1="growing"), "tracking.statuses.L1"),
    (lambda t: t.update(prior_date="02/01/2024"), "tracking.prior_date"),
    (lambda t: t["counts"].update(prior=-1), "tracking.counts.prior"),
    (lambda t: t.update(derived_facts=[]), "tracking.derived_facts"),
])
def test_a_bad_tracking_field_is_refused_naming_it(saved, change, where):
    body = json.loads(saved.read_text())
    body["tracking"]["statuses"] = {"L1": "progressing"}
    change(body["tracking"])
    saved.write_text(json.dumps(body))
    with pytest.raises(CaseFileError) as exc:
        load_case(saved)
    assert where in str(exc.value)


def test_unknown_fields_of_tracking_are_kept(saved):
    body = json.loads(saved.read_text())
    body["tracking"]["from_a_newer_version"] = {"x": 1}
    saved.write_text(json.dumps(body))
    case = load_case(saved)
    save_case(case, saved)
    assert json.loads(saved.read_text())["tracking"]["from_a_newer_version"] == {"x": 1}


def test_the_summary_marks_derived_facts_on_its_facts_table():
    from core.summary.document import build_summary
    from core.summary.pdf import summary_figures

    ev, warnings = _evaluate(_case({**THERAPY_YES, "lesions_progressing": "no"}, _tracking("yes")))
    summary = build_summary(ev, warnings=warnings)
    assert summary["fact_sources"]["history_oligometastatic"]["derived"] is True
    assert "overrides" in summary["fact_sources"]["lesions_progressing"]
    figure = summary_figures(summary)[0]
    texts = {t.get_text(): t for t in figure.texts}
    marked = texts["yes (derived from prior scan)"]  # earlier oligometastatic disease
    assert marked.get_style() == "italic"
    assert texts["no"].get_style() == "normal"  # the entered override is not marked derived


def test_an_anonymised_summary_shifts_the_prior_scans_date_too():
    from core.export_privacy import AnonymisePolicy, anonymise_summary
    from core.summary.document import build_summary

    case = _case(THERAPY_YES, _tracking())
    ev, warnings = _evaluate(case)
    policy = AnonymisePolicy(date_shift_days=-400)
    doc = anonymise_summary(build_summary(ev, warnings=warnings), policy, case)
    assert "2024-01-02" not in json.dumps(doc)
    assert doc["fact_sources"]["lesions_progressing"]["source"] == "derived from prior scan of 2022-11-28"


def test_a_derived_fact_edited_by_hand_after_sign_off_is_reported(saved):
    case = load_case(saved)
    case.review.sign("reviewed", name="Dr Example", role="radiation oncologist")
    save_case(case, saved)
    assert not load_case(saved).integrity_warnings
    body = json.loads(saved.read_text())
    body["tracking"]["derived_facts"]["lesions_progressing"]["value"] = "no"
    saved.write_text(json.dumps(body))
    assert any("edited outside OligoPlan" in w for w in load_case(saved).integrity_warnings)


def _criterion(results, criterion_id):
    return next(c for r in results for c in r.criteria if c.id == criterion_id)


def test_a_criterion_reading_a_derived_fact_says_it_was_derived_not_entered():
    from core.rules.loader import load_catalog

    tracking = _tracking()
    tracking.derived["history_polymetastatic"] = DerivedFact("history_polymetastatic", "yes", "7 metastases")
    catalog = load_catalog([])
    case = _case({"on_systemic_therapy": "yes"}, tracking)
    ev, _ = evaluate_case(case, catalog.select(["bauml-pembro-nsclc", "eortc-lcg-nsclc-2019"]), None,
                          CaseFacts(case.facts))
    fact = _criterion(ev.results, "not_induced")
    assert fact.status != "pass" and "derived from prior scan of 2024-01-02, not entered" in fact.reason
    entered = _case({"on_systemic_therapy": "yes", "history_polymetastatic": "no"}, tracking)
    ev, _ = evaluate_case(entered, catalog.select(["bauml-pembro-nsclc"]), None, CaseFacts(entered.facts))
    assert _criterion(ev.results, "not_induced").reason == "History of polymetastatic disease: no"


def test_a_class_criterion_from_derived_facts_says_so():
    from tests.core.test_rule_unknown_site import rule_set

    state = rule_set({"id": "oligoprogression", "type": "classification", "title": "Oligoprogression",
                      "field": "state", "op": "==", "threshold": "oligoprogression"})
    derived = _case(THERAPY_YES, _tracking("yes"))
    ev, _ = evaluate_case(derived, [state], None, CaseFacts(derived.facts))
    reason = _criterion(ev.results, "oligoprogression").reason
    assert reason.startswith("repeat oligoprogression (from ") and "derived from the prior scan, not entered" in reason
    entered = _case({**THERAPY_YES, "history_oligometastatic": "yes", "lesions_progressing": "yes"}, None)
    ev, _ = evaluate_case(entered, [state], None, CaseFacts(entered.facts))
    assert _criterion(ev.results, "oligoprogression").reason == "repeat oligoprogression"

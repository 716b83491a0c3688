"""Calendar-month intervals, dates in the future and dates out of order (issue 12).

The ESTRO-EORTC classification and every interval criterion share one helper
(core.rules.dates): these tests pin its month arithmetic and that a date that
cannot be right gives "unknown" with the reason, never a class or a pass.
"""

from __future__ import annotations

from datetime import date

import pytest

from core.rules.classification import classify
from core.rules.counting import LesionInfo
from core.rules.dates import add_months, interval, months_between
from core.rules.engine import NOT_ELIGIBLE, UNDETERMINED, evaluate
from core.rules.facts import CaseFacts
from core.rules.loader import load_catalog

CATALOG = load_catalog(user_dir=False)
TODAY = date(2025, 12, 1)
D = date.fromisoformat


# --------------------------------------------------------------- calendar months
@pytest.mark.parametrize("start,months,expected", [
    ("2025-03-01", 6, "2025-09-01"),
    ("2025-01-31", 1, "2025-02-28"),   # month end: clamped to the last day
    ("2024-01-31", 1, "2024-02-29"),   # leap year
    ("2024-02-29", 12, "2025-02-28"),  # leap day + 1 year
    ("2025-08-31", 6, "2026-02-28"),
    ("2025-11-15", 3, "2026-02-15"),   # across the new year
    ("2025-03-31", -1, "2025-02-28"),
])
def test_add_months_is_calendar_months_clamped_to_month_end(start, months, expected):
    assert add_months(D(start), months) == D(expected)


@pytest.mark.parametrize("start,end,expected", [
    ("2025-03-01", "2025-09-01", 6.0),
    ("2025-01-31", "2025-02-28", 1.0),
    ("2024-01-31", "2024-02-29", 1.0),
    ("2024-02-29", "2025-02-28", 12.0),
    ("2025-03-01", "2025-03-01", 0.0),
])
def test_whole_calendar_months_are_exact(start, end, expected):
    assert months_between(D(start), D(end)) == expected


def test_a_part_month_is_counted_in_days_of_its_month():
    assert months_between(D("2025-03-01"), D("2025-03-16")) == pytest.approx(15 / 31)
    assert months_between(D("2025-02-01"), D("2025-02-15")) == pytest.approx(14 / 28)
    assert months_between(D("2025-09-01"), D("2025-03-01")) == -6.0


# --------------------------------------------------------------- classification
BASE = {"history_polymetastatic": "no", "history_oligometastatic": "no",
        "primary_diagnosis_date": "2025-03-01", "on_systemic_therapy": "no", "lesions_progressing": "no"}


def classify_with(today=TODAY, cutoff=6.0, **changes):
    return classify(CaseFacts({**BASE, **changes}), cutoff, today)


@pytest.mark.parametrize("primary,metastasis,label", [
    ("2025-03-01", "2025-09-01", "synchronous oligometastatic disease"),   # exactly 6 months: on the cut-off
    ("2025-03-01", "2025-08-31", "synchronous oligometastatic disease"),   # just inside
    ("2025-03-01", "2025-09-02", "metachronous oligorecurrence"),          # just outside
    ("2025-03-01", "2025-03-01", "synchronous oligometastatic disease"),   # same day
    ("2024-08-31", "2025-02-28", "synchronous oligometastatic disease"),   # month end: 31 Aug + 6 = 28 Feb
    ("2024-08-31", "2025-03-01", "metachronous oligorecurrence"),
    ("2023-08-31", "2024-02-29", "synchronous oligometastatic disease"),   # leap year: 31 Aug + 6 = 29 Feb
    ("2023-08-31", "2024-03-01", "metachronous oligorecurrence"),
])
def test_synchronous_cut_off_in_calendar_months(primary, metastasis, label):
    result = classify_with(primary_diagnosis_date=primary, metastasis_diagnosis_date=metastasis)
    assert result.label == label and result.problems == ()


def test_exactly_six_months_was_metachronous_with_30_day_months():
    # 2025-03-01 -> 2025-09-01 is 184 days: 6.05 "months" of 30.44 days, which called it metachronous
    result = classify_with(metastasis_diagnosis_date="2025-09-01")
    assert result.timing == "synchronous" and result.interval_months == 6.0


@pytest.mark.parametrize("changes,label", [
    ({"metastasis_diagnosis_date": "2025-10-01", "on_systemic_therapy": "yes"}, "metachronous oligoprogression"),
    ({"metastasis_diagnosis_date": "2025-10-01"}, "metachronous oligorecurrence"),
    ({"metastasis_diagnosis_date": "2025-04-01", "history_polymetastatic": "yes"}, "induced oligorecurrence"),
    ({"metastasis_diagnosis_date": "2025-04-01", "history_oligometastatic": "yes", "on_systemic_therapy": "yes",
      "lesions_progressing": "yes"}, "repeat oligoprogression"),
    ({"metastasis_diagnosis_date": "2025-04-01", "history_oligometastatic": "yes", "on_systemic_therapy": "yes"},
     "repeat oligopersistence"),
])
def test_every_class_with_dates_that_add_up(changes, label):
    assert classify_with(**changes).label == label


@pytest.mark.parametrize("changes,words", [
    ({"metastasis_diagnosis_date": "2025-12-02"}, "Metastases diagnosed 2025-12-02 is after the evaluation date"),
    ({"primary_diagnosis_date": "2026-01-01", "metastasis_diagnosis_date": "2026-02-01"},
     "Primary diagnosed 2026-01-01 is after the evaluation date"),
    ({"metastasis_diagnosis_date": "2025-02-28"}, "the metastases are dated before the primary"),
    # the history branches do not read the dates, but dates that cannot be right still give no class
    ({"metastasis_diagnosis_date": "2024-01-01", "history_polymetastatic": "yes"},
     "the metastases are dated before the primary"),
    ({"metastasis_diagnosis_date": "2026-01-01", "history_oligometastatic": "yes"},
     "is after the evaluation date"),
])
def test_future_or_out_of_order_dates_give_unknown_with_the_reason(changes, words):
    result = classify_with(**changes)
    assert result.label == "unknown"
    assert any(words in p for p in result.problems), result.problems
    doc = result.to_json()
    assert doc["class"] == "unknown" and any(words in p for p in doc["problems"])
    assert result.field_value("genesis") is None and result.field_value("timing") is None


def test_a_diagnosis_on_the_evaluation_date_is_not_in_the_future():
    assert classify_with(metastasis_diagnosis_date="2025-12-01").label == "metachronous oligorecurrence"


# --------------------------------------------------------------- interval criteria
def run(rid, facts, lesions=None):
    lesions = lesions or [LesionInfo("L1", site="bone", longest_diameter_mm=20, treatable="yes")]
    return evaluate([CATALOG[rid]], lesions, facts, today=TODAY).results[0]


def criterion(result, cid):
    return next(c for c in result.criteria if c.id == cid)


LU002 = {"primary_site": "lung", "histology": "NSCLC", "systemic_cycles": 4, "systemic_response": "partial",
         "ecog": 0}


@pytest.mark.parametrize("imaging,status", [
    ("2025-11-02", "pass"),  # 29 days
    ("2025-11-01", "pass"),  # 30 days: on the limit
    ("2025-10-31", "fail"),  # 31 days
    ("2025-12-01", "pass"),  # today
])
def test_staging_imaging_within_30_days_at_each_boundary(imaging, status):
    assert criterion(run("nrg-lu002", {**LU002, "imaging_date": imaging}), "imaging_recent").status == status


@pytest.mark.parametrize("imaging", ["2025-12-02", "2026-03-03"])
def test_staging_imaging_dated_in_the_future_is_never_a_pass(imaging):
    # 2026-03-03 is "-92 days", which passed "<= 30" before
    result = run("nrg-lu002", {**LU002, "imaging_date": imaging})
    c = criterion(result, "imaging_recent")
    assert c.status == "unknown" and c.value is None
    assert "is after the evaluation date" in c.reason and imaging in c.reason
    assert result.verdict in (UNDETERMINED, NOT_ELIGIBLE)


@pytest.mark.parametrize("treated,status", [
    ("2025-09-01", "pass"),  # exactly 3 calendar months
    ("2025-09-02", "fail"),
    ("2025-08-31", "pass"),
])
def test_time_since_primary_treatment_in_calendar_months(treated, status):
    facts = {"primary_site": "breast", "primary_controlled": "yes", "primary_definitive_treatment_date": treated}
    assert criterion(run("nrg-br002", facts), "primary_control_time").status == status


def test_primary_treated_in_the_future_is_unknown_not_a_fail_or_pass():
    facts = {"primary_site": "breast", "primary_controlled": "yes", "primary_definitive_treatment_date": "2026-06-01"}
    c = criterion(run("nrg-br002", facts), "primary_control_time")
    assert c.status == "unknown" and "Primary treated 2026-06-01 is after the evaluation date" in c.reason


NHS = {"primary_site": "kidney", "ecog": 0, "life_expectancy_months": 12}


@pytest.mark.parametrize("metastasis,status", [
    ("2025-03-02", "pass"),  # just over 6 months
    ("2025-03-01", "fail"),  # exactly 6 months: "> 6" is not met
    ("2025-02-28", "fail"),
])
def test_disease_free_interval_at_its_boundary(metastasis, status):
    facts = {**NHS, "primary_diagnosis_date": "2024-09-01", "metastasis_diagnosis_date": metastasis}
    assert criterion(run("nhs-cte", facts), "dfi").status == status


def test_metastases_before_the_primary_give_an_unknown_interval_even_where_exempt():
    facts = {**NHS, "primary_site": "colorectal", "primary_diagnosis_date": "2025-05-01",
             "metastasis_diagnosis_date": "2025-01-01"}
    liver = [LesionInfo("L1", site="liver", longest_diameter_mm=20, treatable="yes")]
    c = criterion(run("nhs-cte", facts, liver), "dfi")
    assert c.status == "unknown" and "the metastases are dated before the primary" in c.reason
    assert "120 days earlier" in c.reason


def test_the_interval_helper_names_missing_dates_and_problems():
    facts = CaseFacts({"primary_diagnosis_date": "2025-01-01"})
    assert interval(facts, "primary_diagnosis_date", "metastasis_diagnosis_date", TODAY).missing == (
        "metastasis_diagnosis_date",)
    span = interval(facts, "primary_diagnosis_date", "today", TODAY, "days")
    assert span.value == 334.0 and span.text() == "334 days"


def test_the_classification_criterion_gives_the_date_problem():
    facts = {**NHS, "primary_diagnosis_date": "2025-05-01", "metastasis_diagnosis_date": "2025-01-01",
             "history_polymetastatic": "no", "history_oligometastatic": "no"}
    ev = evaluate([CATALOG["estro-astro-2020"]], [], facts, today=TODAY)
    assert ev.classification.label == "unknown"
    assert "the metastases are dated before the primary" in ev.to_json()["classification"]["problems"][0]

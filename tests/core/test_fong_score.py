"""The Fong clinical risk score (Fong et al., Ann Surg 1999): each factor unknown / 0 / 1, when it applies,
and that an unknown factor keeps the score incomplete (never guessed)."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import FactsError
from core.rules.counting import LesionInfo
from core.rules.engine import evaluate
from core.rules.facts import CaseFacts
from core.rules.scores import ScoreStatus, fong_score

TODAY = date(2025, 12, 1)
ZERO = {"primary_site": "colorectal", "primary_node_positive": "no", "cea_ng_ml": 10,
        "primary_diagnosis_date": "2023-01-01", "metastasis_diagnosis_date": "2025-01-01"}


def liver(*sizes):
    return [LesionInfo(f"L{i + 1}", site="liver", longest_diameter_mm=s) for i, s in enumerate(sizes)]


def score(lesions=None, **changes):
    return fong_score(lesions if lesions is not None else liver(30), CaseFacts({**ZERO, **changes}), TODAY)


def factor(result, fid):
    return next(f for f in result.factors if f.id == fid)


def test_a_low_risk_case_scores_zero_with_every_factor_listed():
    result = score()
    assert result.status is ScoreStatus.COMPLETE and result.value == 0 and result.summary == "0 of 5"
    assert [f.id for f in result.factors] == ["node_positive_primary", "disease_free_interval", "liver_tumours",
                                               "cea", "largest_liver_tumour"]
    assert all(f.points == 0 for f in result.factors)


def test_every_factor_at_one_gives_five():
    result = score(liver(51, 20), primary_node_positive="yes", cea_ng_ml=201,
                   metastasis_diagnosis_date="2023-06-01")
    assert result.value == 5 and all(f.points == 1 for f in result.factors)


@pytest.mark.parametrize("changes,fid,points", [
    ({"primary_node_positive": "yes"}, "node_positive_primary", 1),
    ({"primary_node_positive": "no"}, "node_positive_primary", 0),
    ({"primary_node_positive": None}, "node_positive_primary", None),
    ({"cea_ng_ml": 200}, "cea", 0),      # on the limit: "> 200" is not met
    ({"cea_ng_ml": 200.1}, "cea", 1),
    ({"cea_ng_ml": 199.9}, "cea", 0),
    ({"cea_ng_ml": None}, "cea", None),
    # disease-free interval in calendar months: exactly 12 is not "< 12"
    ({"metastasis_diagnosis_date": "2024-01-01"}, "disease_free_interval", 0),
    ({"metastasis_diagnosis_date": "2023-12-31"}, "disease_free_interval", 1),
    ({"metastasis_diagnosis_date": "2023-01-01"}, "disease_free_interval", 1),  # synchronous
    ({"metastasis_diagnosis_date": None}, "disease_free_interval", None),
    ({"metastasis_diagnosis_date": "2022-12-01"}, "disease_free_interval", None),  # before the primary
    ({"metastasis_diagnosis_date": "2026-01-01"}, "disease_free_interval", None),  # in the future
])
def test_each_fact_factor_unknown_zero_or_one(changes, fid, points):
    result = score(**changes)
    assert factor(result, fid).points == points
    if points is None:
        assert result.status is ScoreStatus.INCOMPLETE and result.value is None
        assert factor(result, fid).label in result.reason
    else:
        assert result.status is ScoreStatus.COMPLETE and result.value == points


@pytest.mark.parametrize("lesions,fid,points", [
    (liver(30), "liver_tumours", 0),
    (liver(30, 20), "liver_tumours", 1),
    (liver(50), "largest_liver_tumour", 0),     # 5 cm exactly: not "> 5 cm"
    (liver(50.1), "largest_liver_tumour", 1),
    (liver(49.9), "largest_liver_tumour", 0),
    (liver(30, None), "largest_liver_tumour", None),  # the unmeasured one could be larger
    (liver(60, None), "largest_liver_tumour", 1),     # known > 5 cm whatever the other measures
])
def test_each_lesion_factor_unknown_zero_or_one(lesions, fid, points):
    assert factor(score(lesions), fid).points == points


def test_an_unknown_factor_keeps_the_score_incomplete_with_the_known_points():
    result = score(liver(30, 20), cea_ng_ml=None)
    assert result.status is ScoreStatus.INCOMPLETE and result.value is None
    assert result.reason == "1 point from known factors; unknown: CEA > 200 ng/ml"
    assert result.summary.startswith("incomplete")


@pytest.mark.parametrize("lesions,changes,words", [
    (liver(30), {"primary_site": "lung"}, "primary site lung"),
    ([LesionInfo("L1", site="lung", longest_diameter_mm=20)], {}, "no liver metastasis marked"),
    ([LesionInfo("P", site="liver", kind="primary", longest_diameter_mm=20)], {}, "no liver metastasis marked"),
])
def test_the_score_is_not_applicable_outside_colorectal_liver_metastases(lesions, changes, words):
    result = score(lesions, **changes)
    assert result.status is ScoreStatus.NOT_APPLICABLE and result.value is None and words in result.reason


def test_an_unknown_primary_site_keeps_the_score_incomplete():
    result = score(primary_site=None)
    assert result.status is ScoreStatus.INCOMPLETE and "primary site unknown" in result.reason


def test_check_json_scores_shape():
    ev = evaluate([], liver(30, 55), {**ZERO, "cea_ng_ml": 250}, today=TODAY)
    (doc,) = ev.to_json()["scores"]
    assert {"id", "value", "factors", "source"} <= set(doc)
    assert doc["id"] == "fong-crs" and doc["value"] == 3 and doc["status"] == "complete"
    assert "Ann Surg 1999" in doc["source"]
    cea = next(f for f in doc["factors"] if f["id"] == "cea")
    assert cea == {**cea, "value": 250, "points": 1}


@pytest.mark.parametrize("raw,words", [
    ({"cea_ng_ml": -1}, "facts.cea_ng_ml: -1 is outside 0..100000 ng/ml"),
    ({"cea_ng_ml": "high"}, "facts.cea_ng_ml: 'high' is not a number"),
    ({"primary_node_positive": "N1"}, "facts.primary_node_positive: 'N1' is not yes, no or unknown"),
])
def test_the_new_facts_are_validated(raw, words):
    with pytest.raises(FactsError, match=words.replace(".", r"\.")):
        CaseFacts(raw)

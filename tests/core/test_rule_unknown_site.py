"""A lesion whose site is neither proposed nor confirmed (site "unknown") never makes a per-organ
criterion pass or fail on a guess: the criterion is unknown unless every possible site gives the same
answer."""

from __future__ import annotations

from core.rules.counting import LesionInfo
from core.rules.engine import ELIGIBLE, NOT_ELIGIBLE, UNDETERMINED, evaluate
from core.rules.schema import rule_set_from_json


def rule_set(*criteria, **counting):
    doc = {
        "schema": "oligoplan.ruleset", "schema_version": 1, "id": "t", "title": "test", "version": "1",
        "scope": {"description": "any"}, "sources": ["test"],
        "counting": {"unit": "lesions", "count_primary": False, "count_brain": True,
                     "count_regional_nodes": True, "merge_distance_mm": None, **counting},
        "criteria": [{"verified": True, **c} for c in criteria],
    }
    return rule_set_from_json(doc, "test")


PER_ORGAN = {"id": "per_organ", "type": "per_organ", "title": "per organ", "op": "<=", "threshold": 3}
ORGANS = {"id": "organs", "type": "organ_count", "title": "organs", "op": "<=", "threshold": 2}
ALLOWED = {"id": "allowed", "type": "sites_allowed", "title": "liver only", "threshold": ["liver"]}
COUNT = {"id": "count", "type": "count", "title": "count", "op": "<=", "threshold": 3}
BRAIN_SIZE = {"id": "brain_size", "type": "lesion", "title": "brain", "measure": "longest_diameter_mm",
              "op": "<=", "threshold": 30, "unit": "mm", "sites": ["brain"]}


def L(i, site, d=10.0):
    return LesionInfo(i, site=site, longest_diameter_mm=d)


def result(rs, lesions):
    res = evaluate([rs], lesions).results[0]
    return res, {c.id: c for c in res.criteria}


def test_per_organ_unknown_when_an_unknown_site_could_tip_an_organ_over_the_limit():
    rs = rule_set(PER_ORGAN)
    res, c = result(rs, [L("A", "liver"), L("B", "liver"), L("C", "liver"), L("U", "unknown")])
    assert c["per_organ"].status == "unknown" and res.verdict == UNDETERMINED
    assert "U" in c["per_organ"].lesions and "site unknown for U" in c["per_organ"].reason
    # the same four with U confirmed elsewhere: pass; confirmed in the liver: fail
    assert result(rs, [L("A", "liver"), L("B", "liver"), L("C", "liver"), L("U", "lung")])[0].verdict == ELIGIBLE
    assert result(rs, [L("A", "liver"), L("B", "liver"), L("C", "liver"), L("U", "liver")])[0].verdict \
        == NOT_ELIGIBLE


def test_per_organ_passes_when_even_the_worst_placement_of_unknown_sites_is_within_the_limit():
    res, c = result(rule_set(PER_ORGAN), [L("A", "liver"), L("B", "liver"), L("U", "unknown")])
    assert c["per_organ"].status == "pass" and "even if U" in c["per_organ"].reason
    res, c = result(rule_set(PER_ORGAN), [L("U1", "unknown"), L("U2", "unknown"), L("U3", "unknown")])
    assert c["per_organ"].status == "pass"  # three in one organ at most: within <= 3
    res, c = result(rule_set(PER_ORGAN), [L(f"U{i}", "unknown") for i in range(4)])
    assert c["per_organ"].status == "unknown"  # four might all be in one organ


def test_per_organ_still_fails_on_what_is_known():
    lesions = [L(f"H{i}", "liver") for i in range(4)] + [L("U", "unknown")]
    res, c = result(rule_set(PER_ORGAN), lesions)
    assert c["per_organ"].status == "fail" and res.verdict == NOT_ELIGIBLE


def test_organ_count_with_an_unknown_site():
    rs = rule_set(ORGANS)
    assert result(rs, [L("A", "liver"), L("U", "unknown")])[1]["organs"].status == "pass"  # 1 or 2 organs
    assert result(rs, [L("A", "liver"), L("B", "lung"), L("U", "unknown")])[1]["organs"].status == "unknown"
    assert result(rs, [L("A", "liver"), L("B", "lung"), L("C", "bone"), L("U", "unknown")])[1]["organs"].status \
        == "fail"


def test_sites_allowed_is_unknown_not_failed_for_an_unknown_site():
    rs = rule_set(ALLOWED)
    res, c = result(rs, [L("A", "liver"), L("U", "unknown")])
    assert c["allowed"].status == "unknown" and c["allowed"].lesions == ("U",)
    assert result(rs, [L("A", "bone"), L("U", "unknown")])[1]["allowed"].status == "fail"
    assert result(rs, [L("A", "liver")])[1]["allowed"].status == "pass"


def test_a_site_limited_size_criterion_never_fails_a_lesion_of_unknown_site():
    rs = rule_set(BRAIN_SIZE)
    big = L("U", "unknown", d=45.0)
    res, c = result(rs, [big])
    assert c["brain_size"].status == "unknown" and "whether the criterion applies is unknown" in c["brain_size"].reason
    assert result(rs, [L("U", "unknown", d=20.0)])[1]["brain_size"].status == "pass"  # within it either way
    assert result(rs, [L("B", "brain", d=45.0)])[1]["brain_size"].status == "fail"
    assert result(rs, [L("H", "liver", d=45.0)])[1]["brain_size"].status == "pass"  # does not apply


def test_count_unknown_when_an_unknown_site_may_be_a_brain_lesion_left_out():
    rs = rule_set(COUNT, count_brain=False)
    lesions = [L("A", "liver"), L("B", "liver"), L("C", "lung"), L("U", "unknown")]
    res, c = result(rs, lesions)
    assert c["count"].status == "unknown" and "3 to 4" in c["count"].reason
    # counting every lesion whatever its site: the count is known
    assert result(rule_set(COUNT), lesions)[1]["count"].status == "fail"
    assert result(rs, lesions[:2] + [L("U", "unknown")])[1]["count"].status == "pass"


def test_fong_score_factors_that_a_lesion_of_unknown_site_could_change_are_unknown():
    from datetime import date

    from core.rules.facts import CaseFacts
    from core.rules.scores import fong_score

    facts = CaseFacts({"primary_site": "colorectal"})
    one = [LesionInfo("A", site="liver", longest_diameter_mm=20.0)]
    factors = {f.id: f for f in fong_score(one, facts, date(2025, 1, 1)).factors}
    assert factors["liver_tumours"].points == 0 and factors["largest_liver_tumour"].points == 0
    maybe = one + [LesionInfo("U", site="unknown", longest_diameter_mm=60.0)]
    factors = {f.id: f for f in fong_score(maybe, facts, date(2025, 1, 1)).factors}
    assert factors["liver_tumours"].points is None and "site unknown for U" in factors["liver_tumours"].text
    assert factors["largest_liver_tumour"].points is None
    small = one + [LesionInfo("U", site="unknown", longest_diameter_mm=10.0)]
    factors = {f.id: f for f in fong_score(small, facts, date(2025, 1, 1)).factors}
    assert factors["largest_liver_tumour"].points == 0  # under 5 cm wherever it is
    only = fong_score([LesionInfo("U", site="unknown")], facts, date(2025, 1, 1))
    assert only.status.value == "incomplete" and "site of U is unknown" in only.reason

"""Every shipped rule set, each criterion just inside, on and just outside its threshold.

For each rule set a baseline case (lesions + facts) passes every criterion;
one criterion at a time, the measured value is then moved to just inside, onto
and just outside the threshold and the criterion's status and the verdict are
checked. Hand-written tests below pin the literal numbers of the key rule sets.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.rules.counting import LesionInfo
from core.rules.engine import ELIGIBLE, NOT_ELIGIBLE, UNDETERMINED, evaluate
from core.rules.facts import FIELD_BY_KEY, FactKind
from core.rules.loader import BUILTIN_IDS, load_catalog

TODAY = date(2025, 6, 1)
CATALOG = load_catalog(user_dir=False)

GOOD_FACTS = {
    "histology": "adenocarcinoma", "primary_controlled": "yes",
    "primary_diagnosis_date": "2023-01-01", "metastasis_diagnosis_date": "2025-05-01",
    "primary_definitive_treatment_date": "2023-03-01", "history_polymetastatic": "no",
    "history_oligometastatic": "no", "on_systemic_therapy": "no", "lesions_progressing": "no",
    "ecog": 0, "life_expectancy_months": 36, "age_years": 60, "imaging_date": "2025-05-20",
    "imaging_modality": "PET-CT", "brain_imaging_done": "yes", "systemic_response": "partial",
    "systemic_cycles": 4, "symptomatic": "no", "psa_doubling_time_months": 10, "adt_within_6_months": "no",
    # issue 12: the scope and entry conditions are criteria over these facts
    "her2_status": "negative", "driver_alteration": "none", "psa_ng_ml": 8.0, "psa_date": "2025-05-10",
    "castration_sensitive": "yes", "pet_tracer": "FDG", "primary_treatment": "curative",
    "metastases_at_diagnosis": 3, "metastases_lifetime": 4, "systemic_line": 1,
    "all_lesions_treatable": "yes",
}
#: Facts a rule set needs other than GOOD_FACTS for its baseline case to be eligible.
RULE_FACTS = {
    "stomp": {"pet_tracer": "choline"},
    "iyengar-nsclc": {"primary_treatment": "none"},  # the primary in place: counted as the sixth site
}
PRIMARY = {
    "sabr-comet": "breast", "sabr-comet-3": "breast", "sabr-comet-10": "breast", "estro-astro-2020": "kidney",
    "eortc-lcg-nsclc-2019": "lung", "gomez-nsclc": "lung", "iyengar-nsclc": "lung", "nrg-lu002": "lung",
    "nrg-br002": "breast", "ea2183": "stomach", "omec-2023": "oesophagus", "stomp": "prostate",
    "oriole": "prostate", "nhs-cte": "kidney", "crc-liver-limited": "colorectal", "bauml-pembro-nsclc": "lung",
}
#: Sites baseline lesions are spread over (so per-organ and organ-count limits hold).
SITE_POOL = {
    "eortc-lcg-nsclc-2019": ["liver", "bone", "adrenal"],
    "oriole": ["bone", "soft tissue"],
    "crc-liver-limited": ["liver"],
    "omec-2023": ["liver"],
}
DEFAULT_POOL = ["liver", "bone", "adrenal", "soft tissue", "peritoneum", "other"]


def facts_for(rid: str, **changes) -> dict:
    facts = {**GOOD_FACTS, "primary_site": PRIMARY[rid], **RULE_FACTS.get(rid, {}), **changes}
    if rid == "eortc-lcg-nsclc-2019" and "metastasis_diagnosis_date" not in changes:  # synchronous
        facts["metastasis_diagnosis_date"] = "2023-03-01"
    return facts


def lesions_for(rid: str, n: int | None = None, diameter: float = 20.0) -> list[LesionInfo]:
    rs = CATALOG[rid]
    count = next((c for c in rs.criteria if c.type == "count"), None)
    if n is None:
        n = count.threshold[0] if count is not None and count.op == "between" else 1
    pool = SITE_POOL.get(rid, DEFAULT_POOL)
    return [LesionInfo(f"L{i + 1}", site=pool[i % len(pool)], longest_diameter_mm=diameter, volume_cc=4.0)
            for i in range(n)]


def run(rid, lesions=None, facts=None, oar=None):
    result = evaluate([CATALOG[rid]], lesions if lesions is not None else lesions_for(rid),
                      facts if facts is not None else facts_for(rid), today=TODAY, oar=oar).results[0]
    return result


def status(result, cid):
    return next(c for c in result.criteria if c.id == cid).status


@pytest.mark.parametrize("rid", BUILTIN_IDS)
def test_every_rule_set_ships_with_id_title_version_scope_sources_and_criteria(rid):
    rs = CATALOG[rid]
    assert rs.id == rid and rs.builtin
    assert rs.title and rs.version and rs.scope.description and rs.sources
    for c in rs.criteria:
        assert isinstance(c.verified, bool) and c.source


@pytest.mark.parametrize("rid", BUILTIN_IDS)
def test_baseline_case_is_eligible(rid):
    result = run(rid)
    assert result.verdict == ELIGIBLE, [(c.id, c.status, c.reason) for c in result.criteria if c.status != "pass"]


# ------------------------------------------------------------- generated boundaries
def _cases():
    for rid in BUILTIN_IDS:
        for c in CATALOG[rid].criteria:
            if c.type in ("count", "per_organ", "organ_count", "lesion", "fact", "interval"):
                yield pytest.param(rid, c.id, id=f"{rid}:{c.id}")


def _numeric_points(op, threshold, step):
    """(value, expected pass) just inside, on, just outside."""
    if op == "between":
        lo, hi = threshold
        pts = [(hi, True), (hi + step, False), (lo, True)]
        if lo - step >= 0:
            pts.append((lo - step, False))
        if hi - step >= lo:
            pts.append((hi - step, True))
        return pts
    t = threshold
    return {
        "<=": [(t - step, True), (t, True), (t + step, False)],
        "<": [(t - step, True), (t, False), (t + step, False)],
        ">=": [(t + step, True), (t, True), (t - step, False)],
        ">": [(t + step, True), (t, False), (t - step, False)],
        "==": [(t, True), (t + step, False)],
    }[op]


@pytest.mark.parametrize("rid,cid", list(_cases()))
def test_criterion_just_inside_on_and_just_outside_its_threshold(rid, cid):
    rs = CATALOG[rid]
    c = next(c for c in rs.criteria if c.id == cid)
    checked = 0
    if c.type == "count":
        pool = SITE_POOL.get(rid, DEFAULT_POOL)
        for n, ok in _numeric_points(c.op, c.threshold, 1):
            if n > 3 * len(pool) or (rid == "omec-2023"):
                continue
            res = run(rid, lesions_for(rid, n))
            assert status(res, cid) == ("pass" if ok else "fail"), (n, res)
            assert res.verdict == (ELIGIBLE if ok else NOT_ELIGIBLE), (n, [(x.id, x.status) for x in res.criteria])
            checked += 1
    elif c.type == "per_organ":
        for n, ok in _numeric_points(c.op, c.threshold, 1):
            lesions = [LesionInfo(f"L{i}", site="lung", longest_diameter_mm=20) for i in range(n)]
            res = run(rid, lesions)
            assert status(res, cid) == ("pass" if ok else "fail")
            assert (res.verdict == ELIGIBLE) == ok
            checked += 1
    elif c.type == "organ_count":
        for n, ok in _numeric_points(c.op, c.threshold, 1):
            lesions = [LesionInfo(f"L{i}", site=s, longest_diameter_mm=20)
                       for i, s in enumerate(["liver", "bone", "adrenal", "soft tissue", "peritoneum"][:n])]
            res = run(rid, lesions)
            assert status(res, cid) == ("pass" if ok else "fail")
            checked += 1
    elif c.type == "lesion":
        pool = SITE_POOL.get(rid, DEFAULT_POOL) + ["lung", "brain"]
        site = c.sites[0] if c.sites else next(s for s in pool if s not in c.exclude_sites)
        for value, ok in _numeric_points(c.op, c.threshold, 0.1):
            base = lesions_for(rid)
            lesion = LesionInfo("LX", site=site, longest_diameter_mm=value, volume_cc=300.0)
            lesions = base[:-1] + [lesion] if len(base) > 1 or site in SITE_POOL.get(rid, DEFAULT_POOL) else [lesion]
            res = run(rid, lesions)
            assert status(res, cid) == ("pass" if ok else "fail"), (value, res)
            if not ok:
                assert res.verdict == NOT_ELIGIBLE
                assert next(x for x in res.criteria if x.id == cid).lesions == ("LX",)
            checked += 1
    elif c.type == "fact":
        spec = FIELD_BY_KEY[c.fact]
        if spec.kind in (FactKind.INTEGER, FactKind.NUMBER):
            step = 1 if spec.kind is FactKind.INTEGER else 0.1
            points = _numeric_points(c.op, c.threshold, step)
        elif c.op == "==":
            other = next(v for v in spec.choices if v != c.threshold)
            points = [(c.threshold, True), (other, False)]
        elif c.op in ("in", "not_in"):
            inside = [v for v in spec.choices if (v in c.threshold) == (c.op == "in")]
            outside = [v for v in spec.choices if (v in c.threshold) != (c.op == "in")]
            points = [(v, True) for v in inside] + [(v, False) for v in outside]
        not_met, not_met_verdict = ("unknown", UNDETERMINED) if c.if_not_met == "unknown" else ("fail", NOT_ELIGIBLE)
        for value, ok in points:
            res = run(rid, facts=facts_for(rid, **{c.fact: value}))
            assert status(res, cid) == ("pass" if ok else not_met), (value, res)
            assert res.verdict == (ELIGIBLE if ok else not_met_verdict)
            checked += 1
        res = run(rid, facts=facts_for(rid, **{c.fact: None}))  # unknown fact: never a pass
        assert status(res, cid) == "unknown" and res.verdict == UNDETERMINED
    elif c.type == "interval":
        end = TODAY if c.end == "today" else date(2025, 5, 1)
        days = c.threshold * 30.4375 if c.unit == "months" else c.threshold
        sign = 1 if c.op in (">=", ">") else -1
        points = [(days + sign * 2, True), (days - sign * 2, False)]
        if c.unit == "days":
            points.append((days, c.op in ("<=", ">=")))
        for span, ok in points:
            start = end - timedelta(days=round(span))
            facts = facts_for(rid, **{c.start: start.isoformat()})
            if c.end != "today":
                facts[c.end] = end.isoformat()
            res = run(rid, facts=facts)
            assert status(res, cid) == ("pass" if ok else "fail"), (span, res)
            checked += 1
        res = run(rid, facts=facts_for(rid, **{c.start: None}))
        assert status(res, cid) == "unknown"
    assert checked >= 2


# ------------------------------------------------------------- literal numbers
def test_sabr_comet_five_lesions_pass_six_fail_and_brain_limit_is_30_mm():
    five = [LesionInfo(f"L{i}", site=s, longest_diameter_mm=30) for i, s in
            enumerate(["liver", "liver", "lung", "bone", "adrenal"])]
    assert run("sabr-comet", five).verdict == ELIGIBLE
    six = five + [LesionInfo("L9", site="bone", longest_diameter_mm=10)]
    res = run("sabr-comet", six)
    assert res.verdict == NOT_ELIGIBLE and status(res, "count") == "fail"
    brain = five[:4] + [LesionInfo("B1", site="brain", longest_diameter_mm=30.0)]
    assert run("sabr-comet", brain).verdict == ELIGIBLE
    brain[-1] = LesionInfo("B1", site="brain", longest_diameter_mm=30.5)
    res = run("sabr-comet", brain)
    assert status(res, "brain_size") == "fail" and status(res, "size") == "pass"
    body = five[:4] + [LesionInfo("X", site="liver", longest_diameter_mm=50.5)]
    assert status(run("sabr-comet", body), "size") == "fail"


def test_point_only_lesion_counts_but_its_size_is_unknown():
    lesions = [LesionInfo("L1", site="liver", longest_diameter_mm=20), LesionInfo("L2", site="bone")]
    res = run("sabr-comet", lesions)
    assert status(res, "count") == "pass"
    size = next(c for c in res.criteria if c.id == "size")
    assert size.status == "unknown" and size.lesions == ("L2",)
    assert res.verdict == UNDETERMINED


def test_untreatable_lesion_fails_the_treatable_criterion_and_names_it():
    lesions = [LesionInfo("L1", site="liver", longest_diameter_mm=20),
               LesionInfo("L2", site="bone", longest_diameter_mm=20, treatable=False)]
    res = run("estro-astro-2020", lesions)
    crit = next(c for c in res.criteria if c.id == "treatable")
    assert crit.status == "fail" and crit.lesions == ("L2",) and res.verdict == NOT_ELIGIBLE
    assert crit.value_with_unit == "1 not treatable"  # what the summary and `check` print


def test_values_are_printed_with_their_unit():
    lesions = [LesionInfo("L1", site="liver", longest_diameter_mm=22.12)]
    res = run("sabr-comet", lesions)
    texts = {c.id: c.value_with_unit for c in res.criteria}
    assert texts["size"] == "22.1 mm" and texts["treatable"] == "0 not treatable"
    assert texts["count"].startswith("1 ")  # "1 metastases" or the rule set's counting unit


@pytest.mark.parametrize("site,histology,expected", [
    ("lung", "NSCLC adenocarcinoma", "pass"), ("lung", "small cell", "fail"), ("breast", "adenocarcinoma", "fail"),
    (None, "adenocarcinoma", "unknown"), ("lung", None, "unknown")])
def test_scope_by_primary_site_and_histology(site, histology, expected):
    res = run("gomez-nsclc", facts=facts_for("gomez-nsclc", primary_site=site, histology=histology))
    assert status(res, "scope") == expected


def test_nhs_cte_disease_free_interval_exempts_synchronous_colorectal_liver_metastases():
    sync = dict(primary_diagnosis_date="2025-03-01", metastasis_diagnosis_date="2025-05-01")
    liver = [LesionInfo("L1", site="liver", longest_diameter_mm=20)]
    crc = facts_for("nhs-cte", primary_site="colorectal", **sync)
    assert status(run("nhs-cte", liver, crc), "dfi") == "pass"
    assert status(run("nhs-cte", liver, facts_for("nhs-cte", **sync)), "dfi") == "fail"
    lung = [LesionInfo("L1", site="lung", longest_diameter_mm=20)]
    assert status(run("nhs-cte", lung, crc), "dfi") == "fail"


def test_nhs_cte_sizes_six_cm_outside_lung_and_liver_five_inside():
    assert run("nhs-cte", [LesionInfo("L1", site="bone", longest_diameter_mm=55)]).verdict == ELIGIBLE
    assert status(run("nhs-cte", [LesionInfo("L1", site="liver", longest_diameter_mm=55)]), "size_lung_liver") == "fail"
    assert status(run("nhs-cte", [LesionInfo("L1", site="bone", longest_diameter_mm=61)]), "size") == "fail"


def test_oriole_size_passes_on_volume_when_diameter_is_over_5_cm():
    big_but_small_volume = [LesionInfo("L1", site="bone", longest_diameter_mm=55, volume_cc=100)]
    assert status(run("oriole", big_but_small_volume), "size") == "pass"
    too_big = [LesionInfo("L1", site="bone", longest_diameter_mm=55, volume_cc=250)]
    assert status(run("oriole", too_big), "size") == "fail"
    liver = [LesionInfo("L1", site="liver", longest_diameter_mm=20)]
    res = run("oriole", liver)
    assert status(res, "sites") == "fail" and res.verdict == NOT_ELIGIBLE


def test_omec_one_organ_with_up_to_three_or_one_nodal_station():
    three_liver = [LesionInfo(f"L{i}", site="liver", longest_diameter_mm=20) for i in range(3)]
    assert run("omec-2023", three_liver).verdict == ELIGIBLE
    four_liver = three_liver + [LesionInfo("L9", site="liver", longest_diameter_mm=20)]
    assert run("omec-2023", four_liver).verdict == NOT_ELIGIBLE
    two_organs = three_liver[:2] + [LesionInfo("B", site="bone", longest_diameter_mm=20)]
    res = run("omec-2023", two_organs)
    assert res.verdict == NOT_ELIGIBLE
    assert [ch.status for ch in next(c for c in res.criteria if c.id == "pattern").children] == ["fail", "fail"]
    # two nodes on one side are one extra-regional station (counted as sites)
    nodes = [LesionInfo(f"N{i}", site="distant lymph node", laterality="left", longest_diameter_mm=15)
             for i in range(2)]
    assert run("omec-2023", nodes).verdict == ELIGIBLE
    regional = three_liver + [LesionInfo("R", site="regional lymph node", longest_diameter_mm=15)]
    assert run("omec-2023", regional).verdict == ELIGIBLE  # regional nodes are not counted


def test_eortc_needs_synchronous_disease_and_does_not_count_mediastinal_nodes():
    lesions = lesions_for("eortc-lcg-nsclc-2019", 5) + [
        LesionInfo("M1", site="regional lymph node", longest_diameter_mm=15)]
    res = run("eortc-lcg-nsclc-2019", lesions)
    assert status(res, "count") == "pass" and res.total == 5
    meta = facts_for("eortc-lcg-nsclc-2019", metastasis_diagnosis_date="2025-05-01")
    res = run("eortc-lcg-nsclc-2019", facts=meta)
    assert status(res, "synchronous") == "fail"
    res = run("eortc-lcg-nsclc-2019", facts=facts_for("eortc-lcg-nsclc-2019", history_polymetastatic=None))
    crit = next(c for c in res.criteria if c.id == "synchronous")
    assert crit.status == "unknown" and "History of polymetastatic disease" in crit.reason


def test_iyengar_counts_the_primary_through_a_fact_and_nrg_lu002_leaves_out_brain():
    # primary + 5 metastatic sites: the primary is a site whether drawn or not (primary_treatment "none")
    five = [LesionInfo(f"L{i}", site=s, longest_diameter_mm=10)
            for i, s in enumerate(["liver", "bone", "adrenal", "soft tissue", "other"])]
    drawn = [LesionInfo("P", site="lung", kind="primary", longest_diameter_mm=30)]
    for lesions in (five, drawn + five):
        res = run("iyengar-nsclc", lesions)
        assert res.total == 5 and status(res, "count") == "pass" and res.verdict == ELIGIBLE
    res = run("iyengar-nsclc", five + [LesionInfo("X", site="peritoneum", longest_diameter_mm=10)])
    assert res.total == 6 and status(res, "count") == "fail" and res.verdict == NOT_ELIGIBLE
    three = [LesionInfo(f"L{i}", site=s, longest_diameter_mm=10) for i, s in enumerate(["liver", "bone", "adrenal"])]
    brain = [LesionInfo("B1", site="brain", longest_diameter_mm=10)]
    assert run("nrg-lu002", three + brain).verdict == ELIGIBLE
    assert run("gomez-nsclc", three + brain).verdict == NOT_ELIGIBLE  # Gomez counts brain

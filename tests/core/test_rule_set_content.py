"""Issue 12, rule-set content: each kind of wrong ELIGIBLE, one test per kind.

* scope lines: a scope or entry condition is a criterion over a fact (pass / fail / unknown);
* criteria the trials require (STOMP, ORIOLE, NRG-BR002, EA2183, Iyengar, SABR-COMET-3/-10);
* induced disease is a criterion of every rule set (fail or unknown, never a silent pass);
* verified flags follow the cited sources;
* clinician text carries no internal names;
* the new case facts: choices, ranges and refusals.

The boundaries of every criterion (just inside, on, just outside, unknown) are in test_rule_sets.py.
"""

from __future__ import annotations

import re

import pytest

from core.errors import FactsError, RuleSetError
from core.rules.counting import LesionInfo
from core.rules.engine import ELIGIBLE, NOT_ELIGIBLE, UNDETERMINED, evaluate
from core.rules.facts import FIELD_BY_KEY, CaseFacts, FactKind
from core.rules.loader import BUILTIN_IDS, rule_set_from_text
from core.rules.schema import iter_criteria
from tests.core.test_rule_sets import CATALOG, TODAY, facts_for, lesions_for, run, status


def crit(result, cid):
    return next(c for c in result.criteria if c.id == cid)


def _fact_keys(rid: str) -> list[str]:
    keys = {c.fact for c in iter_criteria(CATALOG[rid].criteria) if c.type == "fact"}
    keys |= {k for c in iter_criteria(CATALOG[rid].criteria) if c.type == "interval" for k in (c.start, c.end)}
    if CATALOG[rid].scope.primary_sites:
        keys.add("primary_site")
    if CATALOG[rid].scope.histology:
        keys.add("histology")
    return sorted(keys - {"today"})


# ------------------------------------------------------------------ scope lines
@pytest.mark.parametrize("rid,key", [(rid, key) for rid in BUILTIN_IDS for key in _fact_keys(rid)])
def test_no_rule_set_is_eligible_while_a_fact_it_reads_is_unknown(rid, key):
    assert run(rid).verdict == ELIGIBLE  # the baseline case, every fact known
    res = run(rid, facts=facts_for(rid, **{key: None}))
    assert res.verdict == UNDETERMINED, [(c.id, c.status) for c in res.criteria]


@pytest.mark.parametrize("rid", BUILTIN_IDS)
def test_the_scope_line_names_only_what_it_checks(rid):
    """'PASS Scope: prostate cancer, biochemical recurrence' asserted what no fact recorded."""
    res = run(rid)
    scope = [c for c in res.criteria if c.id == "scope"]
    for c in scope:
        assert "Scope:" not in c.title and CATALOG[rid].scope.description not in c.title
        assert c.title in ("Primary site in the trial's scope", "Histology in the trial's scope",
                           "Primary site and histology in the trial's scope")


def test_stomp_is_no_longer_eligible_with_its_scope_facts_unknown():
    facts = facts_for("stomp", primary_treatment=None, pet_tracer=None, castration_sensitive=None)
    res = run("stomp", facts=facts)
    assert res.verdict == UNDETERMINED
    assert {c.id for c in res.criteria if c.status == "unknown"} == {
        "curative_primary", "choline", "castration_sensitive"}
    # de-novo metastatic prostate cancer, primary in place: excluded
    res = run("stomp", facts=facts_for("stomp", primary_treatment="none"))
    assert res.verdict == NOT_ELIGIBLE and status(res, "curative_primary") == "fail"
    # staged with PSMA, not choline
    assert run("stomp", facts=facts_for("stomp", pet_tracer="PSMA")).verdict == NOT_ELIGIBLE


def test_oriole_needs_ecog_life_expectancy_psa_castration_sensitivity_and_a_treated_primary():
    assert run("oriole").verdict == ELIGIBLE
    for change, cid in [({"ecog": 3}, "ecog"), ({"life_expectancy_months": 11}, "life_expectancy"),
                        ({"psa_ng_ml": 1}, "psa_low"), ({"psa_ng_ml": 50}, "psa_high"),
                        ({"castration_sensitive": "no"}, "castration_sensitive"),
                        ({"primary_treatment": "none"}, "treated_primary"), ({"symptomatic": "yes"}, "asymptomatic")]:
        res = run("oriole", facts=facts_for("oriole", **change))
        assert res.verdict == NOT_ELIGIBLE and status(res, cid) == "fail", change


def test_iyengar_six_metastatic_sites_with_the_primary_in_place_is_not_eligible():
    six = [LesionInfo(f"L{i}", site=s, longest_diameter_mm=10)
           for i, s in enumerate(["liver", "bone", "adrenal", "soft tissue", "other", "peritoneum"])]
    res = run("iyengar-nsclc", six, facts_for("iyengar-nsclc", primary_treatment="none"))
    assert res.verdict == NOT_ELIGIBLE and status(res, "count") == "fail"
    # five metastatic sites: eligible with the primary in place, undetermined while nobody says where it is
    res = run("iyengar-nsclc", six[:5], facts_for("iyengar-nsclc", primary_treatment="none"))
    assert res.verdict == ELIGIBLE
    res = run("iyengar-nsclc", six[:5], facts_for("iyengar-nsclc", primary_treatment=None))
    assert res.verdict == UNDETERMINED and status(res, "primary_in_place") == "unknown"


@pytest.mark.parametrize("driver,expected", [("none", ELIGIBLE), ("EGFR", NOT_ELIGIBLE), ("ALK", NOT_ELIGIBLE),
                                             ("ROS1", ELIGIBLE), (None, UNDETERMINED)])
def test_iyengar_excludes_an_egfr_or_alk_driver(driver, expected):
    assert run("iyengar-nsclc", facts=facts_for("iyengar-nsclc", driver_alteration=driver)).verdict == expected


def test_ea2183_counts_at_diagnosis_needs_her2_negative_and_induction_given_without_progression():
    two_today = lesions_for("ea2183", 2)
    assert run("ea2183", two_today, facts_for("ea2183", metastases_at_diagnosis=5)).verdict == ELIGIBLE
    res = run("ea2183", two_today, facts_for("ea2183", metastases_at_diagnosis=6))
    assert res.verdict == NOT_ELIGIBLE and status(res, "count_at_diagnosis") == "fail"  # today's 2 do not count
    assert run("ea2183", two_today, facts_for("ea2183", metastases_at_diagnosis=None)).verdict == UNDETERMINED
    assert run("ea2183", facts=facts_for("ea2183", her2_status="positive")).verdict == NOT_ELIGIBLE
    assert run("ea2183", facts=facts_for("ea2183", her2_status=None)).verdict == UNDETERMINED
    # "none given" passed the old "not progression" criterion
    res = run("ea2183", facts=facts_for("ea2183", systemic_response="none given"))
    assert res.verdict == NOT_ELIGIBLE and status(res, "induction_given") == "fail"


def test_nrg_br002_brain_metastases_exclude():
    lesions = lesions_for("nrg-br002", 1) + [LesionInfo("B1", site="brain", longest_diameter_mm=10)]
    res = run("nrg-br002", lesions)
    assert res.verdict == NOT_ELIGIBLE and crit(res, "sites").lesions == ("B1",)
    res = run("nrg-br002", facts=facts_for("nrg-br002", brain_imaging_done="no"))
    assert res.verdict == NOT_ELIGIBLE


@pytest.mark.parametrize("lifetime,expected", [(7, ELIGIBLE), (8, ELIGIBLE), (9, NOT_ELIGIBLE), (None, UNDETERMINED)])
def test_sabr_comet_3_allows_at_most_8_metastases_ever(lifetime, expected):
    res = run("sabr-comet-3", facts=facts_for("sabr-comet-3", metastases_lifetime=lifetime))
    assert res.verdict == expected


@pytest.mark.parametrize("rid", ["sabr-comet-3", "sabr-comet-10"])
def test_sabr_comet_3_and_10_check_performance_status_life_expectancy_and_brain_lesion_size(rid):
    assert status(run(rid, facts=facts_for(rid, ecog=3)), "ecog") == "fail"
    assert status(run(rid, facts=facts_for(rid, life_expectancy_months=5)), "life_expectancy") == "fail"
    lesions = lesions_for(rid)[:-1] + [LesionInfo("B1", site="brain", longest_diameter_mm=31)]
    res = run(rid, lesions)
    assert status(res, "brain_size") == "fail" and status(res, "size") == "pass"
    assert not crit(res, "brain_size").verified


# ------------------------------------------------------------------ induced disease
@pytest.mark.parametrize("rid", BUILTIN_IDS)
def test_induced_disease_is_never_a_silent_pass(rid):
    rs = CATALOG[rid]
    induced = [c for c in rs.criteria if c.type == "fact" and c.fact == "history_polymetastatic"]
    assert len(induced) == 1, "every rule set says, as a criterion, what its trial says about induced disease"
    res = run(rid, facts=facts_for(rid, history_polymetastatic="yes"))
    assert res.verdict in (NOT_ELIGIBLE, UNDETERMINED)
    c = crit(res, induced[0].id)
    assert c.status == ("unknown" if induced[0].if_not_met == "unknown" else "fail")
    if c.status == "unknown":  # the reason says what to check
        assert "unknown, not fail: " + induced[0].note in c.reason


def test_eortc_and_ea2183_exclude_induced_disease_the_others_leave_it_to_the_physician():
    for rid in ("eortc-lcg-nsclc-2019", "ea2183"):
        assert run(rid, facts=facts_for(rid, history_polymetastatic="yes")).verdict == NOT_ELIGIBLE
    assert run("sabr-comet", facts=facts_for("sabr-comet", history_polymetastatic="yes")).verdict == UNDETERMINED


# ------------------------------------------------------------------ verified flags
@pytest.mark.parametrize("rid,cid", [
    ("sabr-comet", "size"), ("sabr-comet", "brain_size"), ("sabr-comet-10", "size"), ("sabr-comet-10", "brain_size"),
    ("nhs-cte", "size"), ("nhs-cte", "size_lung_liver"),
    ("crc-liver-limited", "count"), ("crc-liver-limited", "liver_only"), ("crc-liver-limited", "treatable"),
    ("crc-liver-limited", "primary_controlled")])
def test_thresholds_the_cited_source_does_not_state_are_unverified(rid, cid):
    c = next(c for c in CATALOG[rid].criteria if c.id == cid)
    assert c.verified is False and c.note
    res = run(rid)
    assert res.has_unverified and crit(res, cid).verified is False


# ------------------------------------------------------------------ clinician text
_INTERNAL = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")


@pytest.mark.parametrize("rid", BUILTIN_IDS)
def test_criteria_read_as_a_clinician_writes_them(rid):
    """'needs <= 50 mm or volume_cc < 250 cm3': no internal name in a title or a threshold."""
    res = run(rid)
    for c in res.criteria:
        for text in (c.title, c.threshold_text, c.note):
            assert not _INTERNAL.search(text), (c.id, text)
            assert "<=" not in text and ">=" not in text and "==" not in text, (c.id, text)


def test_oriole_size_threshold_reads_longest_diameter_or_volume():
    c = crit(run("oriole"), "size")
    assert c.threshold_text == "≤ 50 mm or volume < 250 cm³"


def test_choice_thresholds_read_as_words():
    assert crit(run("iyengar-nsclc"), "no_driver").threshold_text == "not EGFR or ALK"
    assert crit(run("ea2183"), "induction_given").threshold_text == "complete, partial or stable"
    assert crit(run("stomp"), "asymptomatic").threshold_text == "no"


# ------------------------------------------------------------------ bauml-pembro-nsclc
def test_bauml_at_most_four_metastatic_sites_all_treated_locally():
    assert "bauml-pembro-nsclc" in BUILTIN_IDS
    rs = CATALOG["bauml-pembro-nsclc"]
    assert rs.source.startswith("Bauml et al., JAMA Oncol 2019;5:1283")
    four = lesions_for("bauml-pembro-nsclc", 4)
    assert len({l.site for l in four}) == 4 and run("bauml-pembro-nsclc", four).verdict == ELIGIBLE
    five = lesions_for("bauml-pembro-nsclc", 5)
    assert run("bauml-pembro-nsclc", five).verdict == NOT_ELIGIBLE
    untreatable = four[:3] + [LesionInfo("X", site="peritoneum", longest_diameter_mm=10, treatable=False)]
    assert run("bauml-pembro-nsclc", untreatable).verdict == NOT_ELIGIBLE
    assert run("bauml-pembro-nsclc", facts=facts_for("bauml-pembro-nsclc", primary_site="breast")).verdict \
        == NOT_ELIGIBLE
    assert not next(c for c in rs.criteria if c.id == "treatable").verified


# ------------------------------------------------------------------ if_not_met in rule-set files
_DOC = """{"schema": "oligoplan.ruleset", "schema_version": 1, "id": "local", "title": "t", "version": "1",
 "scope": {"description": "any"}, "sources": ["s"],
 "counting": {"unit": "lesions", "count_primary": false, "count_brain": true, "count_regional_nodes": true},
 "criteria": [{"id": "induced", "type": "fact", "title": "Not induced", "fact": "history_polymetastatic",
               "op": "==", "threshold": "no", "verified": false %s}]}"""


def test_if_not_met_unknown_turns_a_fail_into_unknown_with_the_note():
    rs = rule_set_from_text(_DOC % ', "if_not_met": "unknown", "note": "check the protocol"', "local.json")
    result = evaluate([rs], [LesionInfo("L1", site="liver")], {"history_polymetastatic": "yes"}, today=TODAY)
    c = result.results[0].criteria[0]
    assert c.status == "unknown" and "check the protocol" in c.reason
    result = evaluate([rs], [LesionInfo("L1", site="liver")], {"history_polymetastatic": "no"}, today=TODAY)
    assert result.results[0].verdict == ELIGIBLE


@pytest.mark.parametrize("extra,message", [
    (', "if_not_met": "maybe", "note": "x"', "local.json: criteria[0].if_not_met: 'maybe' is not one of fail, unknown"),
    (', "if_not_met": "unknown"', "local.json: criteria[0].note: a criterion with if_not_met \"unknown\" needs a note"),
])
def test_a_bad_if_not_met_is_refused_naming_the_file_and_field(extra, message):
    with pytest.raises(RuleSetError) as err:
        rule_set_from_text(_DOC % extra, "local.json")
    assert str(err.value).startswith(message)


# ------------------------------------------------------------------ the new facts
NEW_FACTS = {
    "her2_status": ("positive", "negative"), "driver_alteration": ("none", "EGFR", "ALK", "ROS1", "other"),
    "psa_ng_ml": None, "psa_date": None, "castration_sensitive": ("yes", "no"),
    "pet_tracer": ("FDG", "PSMA", "choline", "fluciclovine", "other"), "primary_treatment": ("curative", "palliative", "none"),
    "metastases_at_diagnosis": None, "metastases_lifetime": None, "systemic_line": None,
}


@pytest.mark.parametrize("key,choices", NEW_FACTS.items())
def test_new_fact_keys_exist_with_their_choices_and_stay_unknown_when_unknown(key, choices):
    spec = FIELD_BY_KEY[key]
    if choices is not None:
        assert spec.choices == choices
        for choice in choices:
            assert CaseFacts({key: choice.lower()}).get(key) == choice  # case-insensitive, normalised
    for unknown in (None, "unknown", ""):
        assert CaseFacts({key: unknown}).get(key) is None
    assert key in CaseFacts({}).to_json()  # `check --json` lists it (null when unknown)


@pytest.mark.parametrize("key,value,message", [
    ("her2_status", "equivocal", "facts.her2_status: 'equivocal' is not one of positive, negative (or unknown)"),
    ("driver_alteration", "KRAS", "facts.driver_alteration: 'KRAS' is not one of none, EGFR, ALK, ROS1, other"),
    ("pet_tracer", "PSMA-11", "facts.pet_tracer: 'PSMA-11' is not one of FDG, PSMA, choline, fluciclovine, other"),
    ("primary_treatment", "surgery", "facts.primary_treatment: 'surgery' is not one of curative, palliative, none"),
    ("castration_sensitive", "maybe", "facts.castration_sensitive: 'maybe' is not yes, no or unknown"),
    ("psa_ng_ml", -0.1, "facts.psa_ng_ml: -0.1 is outside 0..10000 ng/ml"),
    ("psa_ng_ml", 10001, "facts.psa_ng_ml: 10001 is outside 0..10000 ng/ml"),
    ("psa_ng_ml", "high", "facts.psa_ng_ml: 'high' is not a number"),
    ("psa_date", "12/03/2025", "facts.psa_date: '12/03/2025' is not a date; write it as YYYY-MM-DD"),
    ("metastases_at_diagnosis", 2.5, "facts.metastases_at_diagnosis: 2.5 is not a whole number"),
    ("metastases_lifetime", -1, "facts.metastases_lifetime: -1 is outside 0..1000"),
    ("systemic_line", 0, "facts.systemic_line: 0 is outside 1..20"),
])
def test_new_facts_refuse_bad_values_naming_the_fact_and_what_is_allowed(key, value, message):
    with pytest.raises(FactsError) as err:
        CaseFacts({key: value})
    assert str(err.value).startswith(message)


@pytest.mark.parametrize("key,value", [("psa_ng_ml", 0), ("psa_ng_ml", 10000), ("metastases_lifetime", 0),
                                       ("systemic_line", 1), ("systemic_line", 20), ("psa_date", "2025-02-28")])
def test_new_facts_accept_the_ends_of_their_range(key, value):
    assert CaseFacts({key: value}).get(key) is not None


def test_new_facts_are_in_the_protocol_group_of_the_form():
    for key in NEW_FACTS:
        assert FIELD_BY_KEY[key].group == "protocol" and FIELD_BY_KEY[key].label
    assert FIELD_BY_KEY["psa_ng_ml"].kind is FactKind.NUMBER and FIELD_BY_KEY["psa_ng_ml"].unit == "ng/ml"


def test_an_organ_at_risk_criterion_reads_in_words():
    import json

    from tests.core.test_oar_flags import GRID, OarCalculator, lesion_at, organ

    doc = {"schema": "oligoplan.ruleset", "schema_version": 1, "id": "local", "title": "Local", "version": "1",
           "scope": {"description": "any"}, "sources": ["local protocol"],
           "counting": {"unit": "lesions", "count_primary": False, "count_brain": True, "count_regional_nodes": True},
           "criteria": [{"id": "no_ultracentral", "type": "oar_flag", "title": "No ultracentral lesion",
                         "flag": "ultracentral_lung", "verified": True}]}
    rs = rule_set_from_text(json.dumps(doc), "local.json")
    oar = OarCalculator([organ("Trachea", 45, 60)]).report([(lesion_at(40, 50), GRID, "lung", 10.0)])
    c = evaluate([rs], [LesionInfo("L1", site="lung", longest_diameter_mm=10)], {}, oar=oar).results[0].criteria[0]
    assert c.threshold_text == "no ultracentral lung lesion" and c.reason == "L1: ultracentral lung lesion"
    assert not _INTERNAL.search(c.threshold_text + c.reason)


# ------------------------------------------------------------------ every sites_allowed and nested criterion
def _sites_allowed():
    for rid in BUILTIN_IDS:
        for c in CATALOG[rid].criteria:
            if c.type == "sites_allowed":
                yield pytest.param(rid, c.id, id=f"{rid}:{c.id}")


@pytest.mark.parametrize("rid,cid", list(_sites_allowed()))
def test_every_allowed_site_passes_and_any_other_site_fails(rid, cid):
    c = next(c for c in CATALOG[rid].criteria if c.id == cid)
    from core.codes import Site

    counting = CATALOG[rid].counting
    for site in Site:
        if (site is Site.REGIONAL_LYMPH_NODE and not counting.count_regional_nodes
                or site is Site.BRAIN and not counting.count_brain):
            continue  # not counted by this rule set: no site to allow or refuse
        res = run(rid, [LesionInfo("L1", site=site.value, longest_diameter_mm=10, volume_cc=1.0)])
        # a lesion whose site nobody proposed or confirmed is neither allowed nor refused (issue 13)
        expected = "unknown" if site is Site.UNKNOWN else "pass" if site.value in c.threshold else "fail"
        assert status(res, cid) == expected, site
        if expected == "fail":
            assert res.verdict == NOT_ELIGIBLE and crit(res, cid).lesions == ("L1",)


def _child(result, path):
    """The result of a nested criterion: _child(res, ["pattern", "one_organ", "count"])."""
    items = result.criteria
    for cid in path:
        node = next(c for c in items if c.id == cid)
        items = node.children
    return node


def test_omec_nested_criteria_just_inside_on_and_just_outside():
    def liver(n):
        return [LesionInfo(f"L{i}", site="liver", longest_diameter_mm=10) for i in range(n)]

    for n, ok in ((2, True), (3, True), (4, False)):
        res = run("omec-2023", liver(n))
        assert _child(res, ["pattern", "one_organ", "count"]).status == ("pass" if ok else "fail")
        assert res.verdict == (ELIGIBLE if ok else NOT_ELIGIBLE)
    res = run("omec-2023", liver(1) + [LesionInfo("B", site="bone", longest_diameter_mm=10)])
    assert _child(res, ["pattern", "one_organ", "organs"]).status == "fail" and res.verdict == NOT_ELIGIBLE
    left = [LesionInfo(f"N{i}", site="distant lymph node", laterality="left", longest_diameter_mm=10)
            for i in range(3)]
    right = [LesionInfo("R1", site="distant lymph node", laterality="right", longest_diameter_mm=10)]
    assert _child(run("omec-2023", left), ["pattern", "one_station", "count"]).status == "pass"
    res = run("omec-2023", left + right)  # two stations; one organ (distant nodes) with 2 sites also passes
    assert _child(res, ["pattern", "one_station", "count"]).status == "fail"
    assert res.verdict == ELIGIBLE  # through "one organ with at most 3": the source's "or"


# ------------------------------------------------------------------ the new facts through `check`
def test_check_reads_the_new_facts_from_a_facts_file_and_prints_them_in_its_json(tmp_path):
    import json
    import subprocess
    import sys

    from core.samples import SAMPLE_ROOT
    from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case

    if not (SAMPLE_ROOT / "phantom-oligo").is_dir():
        pytest.skip("sample scans not present")
    case = phantom_case("phantom-oligo", tmp_path / "case", {})
    facts = {**ELIGIBLE_FACTS, "primary_site": "prostate", "her2_status": "negative", "driver_alteration": "ALK",
             "psa_ng_ml": 4.2, "psa_date": "2024-03-01", "castration_sensitive": "yes", "pet_tracer": "choline",
             "primary_treatment": "curative", "metastases_at_diagnosis": 2, "metastases_lifetime": 3,
             "systemic_line": 1, "symptomatic": "no"}
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "gui.entry", "check", str(case), "--facts", str(path),
                           "--rules", "stomp", "--json", "--date", "2024-03-20"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert "is not a case fact" not in proc.stderr  # every new key is a case fact: no typo warning
    assert not any("is not a case fact" in w for w in doc["warnings"])
    for key in NEW_FACTS:
        assert doc["facts"][key] == facts[key], key
    stomp = {c["id"]: c for c in doc["rule_sets"][0]["criteria"]}
    assert stomp["choline"]["status"] == "pass" and stomp["curative_primary"]["status"] == "pass"
    # a bad value is refused in one line naming the fact
    path.write_text(json.dumps({**facts, "pet_tracer": "gallium"}), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "gui.entry", "check", str(case), "--facts", str(path),
                           "--rules", "stomp"], capture_output=True, text=True)
    assert proc.returncode != 0 and "pet_tracer: 'gallium' is not one of FDG, PSMA, choline" in proc.stderr
    assert "Traceback" not in proc.stderr

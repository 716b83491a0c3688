"""`oligoplan check` on the sample phantoms: the verdicts a user would read."""

import json
import subprocess
import sys

import pytest

from core.samples import SAMPLE_ROOT
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case

pytestmark = pytest.mark.skipif(not (SAMPLE_ROOT / "phantom-oligo").is_dir(), reason="sample scans not present")


def run_cli(*args):
    proc = subprocess.run([sys.executable, "-m", "gui.entry", *map(str, args)], capture_output=True, text=True)
    return proc


@pytest.fixture(scope="module")
def oligo_case(tmp_path_factory):
    return phantom_case("phantom-oligo", tmp_path_factory.mktemp("oligo"), ELIGIBLE_FACTS)


@pytest.fixture(scope="module")
def poly_case(tmp_path_factory):
    return phantom_case("phantom-poly", tmp_path_factory.mktemp("poly"), ELIGIBLE_FACTS)


@pytest.fixture(scope="module")
def oligo_check(oligo_case):
    proc = run_cli("check", oligo_case, "--json", "--date", "2024-03-20")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_phantom_oligo_is_eligible_under_sabr_comet_with_every_criterion_passed(oligo_check):
    doc = oligo_check
    assert doc["counts"] == {"total": 5, "by_site": {"lung": 1, "liver": 3, "bone": 1}, "primary": 0}
    comet = next(r for r in doc["rule_sets"] if r["id"] == "sabr-comet")
    assert comet["verdict"] == "eligible", [c for c in comet["criteria"] if c["status"] != "pass"]
    by_id = {c["id"]: c for c in comet["criteria"]}
    assert by_id["count"]["value"] == 5 and by_id["count"]["threshold"] == [1, 5]
    assert sorted(by_id["count"]["lesions"]) == ["L1", "L2", "L3", "L4", "L5"]
    assert by_id["per_organ"]["value"] == 3 and by_id["per_organ"]["verified"] is False
    assert 18 < by_id["size"]["value"] < 23  # the 20 mm liver lesion is the largest
    for c in comet["criteria"]:
        assert set(c) >= {"id", "status", "value", "threshold", "source", "verified", "lesions"}
        assert c["source"]


def test_phantom_oligo_lung_lesion_is_flagged_central_and_no_other_is(oligo_check):
    flags = {e["lesion"]: e for e in oligo_check["oar_flags"]}
    assert flags["L4"]["flags"] == ["central_lung"]
    assert flags["L4"]["distances_mm"]["BRONCHUS_PROX"] < 20
    for lesion_id in ("L1", "L2", "L3", "L5"):
        assert "central_lung" not in flags[lesion_id]["flags"]
    assert flags["L1"]["distances_mm"]["LIVER"] == 0.0  # a liver lesion lies inside the liver


def test_phantom_oligo_classification_is_metachronous_oligorecurrence(oligo_check):
    cls = oligo_check["classification"]
    assert cls["class"] == "metachronous oligorecurrence" and cls["missing"] == []


def test_phantom_poly_is_not_eligible_because_of_its_count(poly_case):
    proc = run_cli("check", poly_case, "--json", "--rules", "sabr-comet,estro-astro-2020", "--date", "2024-03-20")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [r["id"] for r in doc["rule_sets"]] == ["sabr-comet", "estro-astro-2020"]
    for r in doc["rule_sets"]:
        assert r["verdict"] == "not_eligible"
        count = next(c for c in r["criteria"] if c["id"] == "count")
        assert count["status"] == "fail" and count["value"] == 8
    comet = doc["rule_sets"][0]
    per_organ = next(c for c in comet["criteria"] if c["id"] == "per_organ")
    assert per_organ["status"] == "fail" and per_organ["lesions"] == ["L1", "L2", "L3", "L4"]


def test_check_without_facts_is_undetermined_and_names_what_is_missing(tmp_path):
    case = phantom_case("phantom-oligo", tmp_path, {})
    proc = run_cli("check", case, "--json", "--rules", "sabr-comet")
    doc = json.loads(proc.stdout)
    comet = doc["rule_sets"][0]
    assert comet["verdict"] == "undetermined"
    unknown = {c["id"] for c in comet["criteria"] if c["status"] == "unknown"}
    assert {"primary_controlled", "ecog", "life_expectancy", "age"} <= unknown
    assert doc["classification"] == {**doc["classification"], "class": "unknown",
                                     "missing": ["history_polymetastatic"]}
    # FACTS.json overrides the case's (empty) facts
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(ELIGIBLE_FACTS))
    doc = json.loads(run_cli("check", case, "--json", "--rules", "sabr-comet", "--facts", facts,
                             "--date", "2024-03-20").stdout)
    assert doc["rule_sets"][0]["verdict"] == "eligible"


def test_check_human_output_and_bad_input(oligo_case, tmp_path):
    proc = run_cli("check", oligo_case, "--rules", "sabr-comet", "--date", "2024-03-20")
    assert proc.returncode == 0
    assert "sabr-comet (version 2" in proc.stdout and "ELIGIBLE" in proc.stdout
    assert "Decision support" in proc.stdout
    proc = run_cli("check", oligo_case, "--rules", "no-such-rules")
    assert proc.returncode == 2 and "no rule set with id 'no-such-rules'" in proc.stderr
    bad = tmp_path / "facts.json"
    bad.write_text('{"ecog": "two"}')
    proc = run_cli("check", oligo_case, "--facts", bad)
    assert proc.returncode == 2 and "facts.json.ecog: 'two' is not a number" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_phantom_oligo_fong_score_is_incomplete_without_cea_and_node_status(oligo_check):
    (fong,) = oligo_check["scores"]
    assert fong["id"] == "fong-crs" and fong["status"] == "incomplete" and fong["value"] is None
    points = {f["id"]: f["points"] for f in fong["factors"]}
    # colorectal primary, 3 liver lesions of about 20 mm, 25.7 months from primary to metastases
    assert points == {"node_positive_primary": None, "disease_free_interval": 0, "liver_tumours": 1,
                      "cea": None, "largest_liver_tumour": 0}


def test_check_text_prints_the_score_with_each_factor(oligo_case):
    proc = run_cli("check", oligo_case, "--rules", "sabr-comet", "--date", "2024-03-20")
    assert "Fong clinical risk score (colorectal liver metastases): incomplete" in proc.stdout
    assert "  CEA > 200 ng/ml: unknown (unknown: enter CEA in the case facts)" in proc.stdout


def test_unknown_dates_and_history_are_named_as_a_clinician_reads_them(tmp_path):
    """With the history and dates left out, the class line and the interval reasons name the facts by
    their labels ("Earlier oligometastatic disease"), never by the case file's keys."""
    facts = {k: v for k, v in ELIGIBLE_FACTS.items()
             if k not in ("history_oligometastatic", "primary_definitive_treatment_date")}
    case = phantom_case("phantom-oligo", tmp_path, facts)
    proc = run_cli("check", case, "--rules", "sabr-comet", "--date", "2024-03-20")
    assert proc.returncode == 0, proc.stderr
    assert "needs Earlier oligometastatic disease" in proc.stdout
    assert "Primary treated unknown" in proc.stdout
    assert "history_oligometastatic" not in proc.stdout and "primary_definitive_treatment_date" not in proc.stdout

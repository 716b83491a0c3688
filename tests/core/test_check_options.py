"""`oligoplan check` and `oligoplan export` set up the same check (core.check_options):
the same rule sets (a --rules-file included), the same facts file, the same option errors."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import pytest

from core.rules.loader import builtin_files
from core.samples import SAMPLE_ROOT
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case

pytestmark = pytest.mark.skipif(not (SAMPLE_ROOT / "phantom-oligo").is_dir(), reason="sample scans not present")


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "gui.entry", *map(str, args)], capture_output=True, text=True,
                          env=env)


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    return phantom_case("phantom-oligo", tmp_path_factory.mktemp("options"), {})


@pytest.fixture
def config(tmp_path):
    """The environment with an empty user config folder (no user rule sets, default OAR flag settings)."""
    return dict(os.environ, OLIGOPLAN_CONFIG_DIR=str(tmp_path / "config"))


def local_rule_set(tmp_path, max_count: int):
    """sabr-comet copied as a local protocol whose count limit is ``max_count``."""
    doc = json.loads(next(f for f in builtin_files() if f.stem == "sabr-comet").read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    doc.update(id="local-protocol", title="Our local SBRT protocol", version="2025-02")
    count = next(c for c in doc["criteria"] if c["id"] == "count")
    count["threshold"] = [1, max_count]
    path = tmp_path / "local.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["check", "export"])
def test_negative_cutoff_is_refused_in_one_line_by_check_and_export(command, case, tmp_path, config):
    extra = ["--out", tmp_path / "out", "--json"] if command == "export" else []
    proc = cli(command, case, *extra, "--cutoff-months", "-1", env=config)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == f"oligoplan {command}: --cutoff-months -1: must be 0 or more"
    assert not (tmp_path / "out" / "summary.json").exists()


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_cutoff_that_is_not_a_number_of_months_is_refused(value, case, config):
    proc = cli("check", case, "--json", "--cutoff-months", value, env=config)
    assert proc.returncode == 2, proc.stdout  # was accepted, and the JSON said "cutoff_months": NaN
    assert proc.stderr.strip() == f"oligoplan check: --cutoff-months {value}: expected a number of months, " \
                                  "0 or more, e.g. 6"
    assert proc.stdout == ""


def test_check_and_export_evaluate_the_same_rules_file_and_facts_file(case, tmp_path, config):
    rules = local_rule_set(tmp_path, max_count=4)  # phantom-oligo has 5 metastases: over this limit
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(ELIGIBLE_FACTS), encoding="utf-8")
    common = ["--rules-file", rules, "--rules", "local-protocol,sabr-comet", "--facts", facts,
              "--date", "2024-03-20"]

    check = cli("check", case, "--json", *common, env=config)
    assert check.returncode == 0, check.stderr
    export = cli("export", case, "--out", tmp_path / "out", "--json", *common, env=config)
    assert export.returncode == 0, export.stderr

    checked = json.loads(check.stdout)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    verdicts = {r["id"]: r["verdict"] for r in checked["rule_sets"]}
    assert verdicts == {"local-protocol": "not_eligible", "sabr-comet": "eligible"}
    assert {r["id"]: r["verdict"] for r in summary["rule_sets"]} == verdicts
    assert summary["facts"]["ecog"] == 1 and checked["classification"] == {
        **checked["classification"], "class": "metachronous oligorecurrence"}


@pytest.mark.parametrize("command", ["check", "export"])
def test_a_malformed_rules_file_is_a_warning_naming_it_and_the_rest_still_run(command, case, tmp_path, config):
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    extra = ["--out", tmp_path / "out", "--json"] if command == "export" else ["--json"]
    proc = cli(command, case, *extra, "--rules-file", bad, "--rules", "sabr-comet", env=config)
    assert proc.returncode == 0, proc.stderr
    assert f"oligoplan {command}: warning: " in proc.stderr and str(bad) in proc.stderr
    assert "that rule set was left out" in proc.stderr


# ---------------------------------------------------------------- facts that are not case facts
def _facts_file(tmp_path, facts: dict, name: str = "facts.json"):
    path = tmp_path / name
    path.write_text(json.dumps(facts), encoding="utf-8")
    return path


def _verdicts(doc: dict) -> dict:
    return {r["id"]: (r["verdict"], {c["id"]: c["status"] for c in r["criteria"]}) for r in doc["rule_sets"]}


def test_a_misspelt_fact_is_a_one_line_warning_naming_the_closest_fact_and_the_check_is_unchanged(
        case, tmp_path, config):
    without_ecog = {k: v for k, v in ELIGIBLE_FACTS.items() if k != "ecog"}
    typo = _facts_file(tmp_path, {**without_ecog, "ecgo": 1}, "typo.json")
    plain = _facts_file(tmp_path, without_ecog, "plain.json")
    common = ["--rules", "sabr-comet", "--date", "2024-03-20", "--json"]

    checked = cli("check", case, "--facts", typo, *common, env=config)
    reference = cli("check", case, "--facts", plain, *common, env=config)

    assert checked.returncode == 0 == reference.returncode, checked.stderr
    (line,) = [l for l in checked.stderr.splitlines() if "ecgo" in l]
    assert line.startswith("oligoplan check: warning: typo.json: 'ecgo' is not a case fact")
    assert "did you mean 'ecog'?" in line and "docs/rules.md" in line
    assert reference.stderr.strip() == ""
    # the typo is not read as ecog: the ECOG criterion stays unknown, exactly as without it
    assert _verdicts(json.loads(checked.stdout)) == _verdicts(json.loads(reference.stdout))
    assert _verdicts(json.loads(checked.stdout))["sabr-comet"][1]["ecog"] == "unknown"


def test_export_warns_about_a_misspelt_fact_too_and_still_writes_the_summary(case, tmp_path, config):
    typo = _facts_file(tmp_path, {**ELIGIBLE_FACTS, "primary_sit": "lung"})
    proc = cli("export", case, "--out", tmp_path / "out", "--json", "--facts", typo, "--rules", "sabr-comet",
               env=config)
    assert proc.returncode == 0, proc.stderr
    assert ("oligoplan export: warning: facts.json: 'primary_sit' is not a case fact "
            "(did you mean 'primary_site'?)") in proc.stderr
    assert (tmp_path / "out" / "summary.json").exists()


def test_a_misspelt_fact_in_the_case_file_is_named_with_the_case_file(tmp_path, config):
    path = phantom_case("phantom-oligo", tmp_path, {**ELIGIBLE_FACTS, "life_expectancy": 24}, "patient.json")
    proc = cli("check", path, "--rules", "sabr-comet", "--json", env=config)
    assert proc.returncode == 0, proc.stderr
    assert ("oligoplan check: warning: patient.json: facts: 'life_expectancy' is not a case fact "
            "(did you mean 'life_expectancy_months'?)") in proc.stderr


def test_an_own_fact_that_a_local_rule_set_reads_and_the_case_rule_set_choice_are_not_warned_about(
        case, tmp_path, config):
    rules = local_rule_set(tmp_path, max_count=5)
    doc = json.loads(rules.read_text(encoding="utf-8"))
    doc["criteria"].append({"id": "kps", "type": "fact", "title": "Karnofsky", "fact": "karnofsky",
                            "op": ">=", "threshold": 70, "verified": False})
    rules.write_text(json.dumps(doc), encoding="utf-8")
    facts = _facts_file(tmp_path, {**ELIGIBLE_FACTS, "karnofsky": 80, "rule_sets": ["local-protocol"]})

    proc = cli("check", case, "--rules-file", rules, "--facts", facts, "--json", "--date", "2024-03-20",
               env=config)

    assert proc.returncode == 0, proc.stderr
    assert "not a case fact" not in proc.stderr
    result = next(r for r in json.loads(proc.stdout)["rule_sets"] if r["id"] == "local-protocol")
    assert {c["id"]: c["status"] for c in result["criteria"]}["kps"] == "pass"


# ---------------------------------------------------------------- --rules-file that does not exist
@pytest.mark.parametrize("command", ["check", "export", "rules"])
def test_a_rules_file_that_does_not_exist_exits_2_in_one_line_naming_it(command, case, tmp_path, config):
    missing = tmp_path / "loacl.json"
    args = {"check": [case], "export": [case, "--out", tmp_path / "out", "--json"], "rules": []}[command]
    proc = cli(command, *args, "--rules-file", missing, env=config)
    assert proc.returncode == 2, proc.stdout
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"oligoplan {command}: ") and f"{missing}: no such file" in line
    assert "check the file's name and folder" in line
    assert proc.stdout == ""
    assert not (tmp_path / "out").exists()


def test_a_date_in_the_right_form_that_does_not_exist_is_named_so():
    """`--date 2024-02-30` was told to "write the date as YYYY-MM-DD", which it was."""
    import pytest

    from core.check_options import parse_date
    from core.errors import OligoPlanError

    with pytest.raises(OligoPlanError, match=r"--date '2024-02-30': there is no such day; check the month and the day"):
        parse_date("2024-02-30")
    with pytest.raises(OligoPlanError, match=r"--date '30/02/2024': write the date as YYYY-MM-DD"):
        parse_date("30/02/2024")
    assert str(parse_date("2024-02-29")) == "2024-02-29"  # a leap day is a day

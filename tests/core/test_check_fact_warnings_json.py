"""A facts key that is not a case fact (a typo such as "ecgo") is in the "warnings" of
`oligoplan check --json` and of the summary JSON, not only on stderr: a script reads the JSON."""

from __future__ import annotations

import json

import pytest

from core.samples import SAMPLE_ROOT
from tests.core.test_check_options import _facts_file, cli
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case

pytestmark = pytest.mark.skipif(not (SAMPLE_ROOT / "phantom-oligo").is_dir(), reason="sample scans not present")


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    return phantom_case("phantom-oligo", tmp_path_factory.mktemp("factwarn"), {"ecgo": 1}, "patient.json")


@pytest.fixture
def config(tmp_path):
    import os

    return dict(os.environ, OLIGOPLAN_CONFIG_DIR=str(tmp_path / "config"))


def test_check_json_lists_the_misspelt_facts_in_its_warnings_and_stderr_names_each_once(case, tmp_path, config):
    typo = _facts_file(tmp_path, {**ELIGIBLE_FACTS, "primary_sit": "lung"}, "typo.json")
    proc = cli("check", case, "--facts", typo, "--rules", "sabr-comet", "--json", env=config)
    assert proc.returncode == 0, proc.stderr
    warnings = json.loads(proc.stdout)["warnings"]
    case_line = next(w for w in warnings if "'ecgo'" in w)
    file_line = next(w for w in warnings if "'primary_sit'" in w)
    assert case_line.startswith("patient.json: facts: 'ecgo' is not a case fact") and "'ecog'" in case_line
    assert file_line.startswith("typo.json: 'primary_sit' is not a case fact") and "'primary_site'" in file_line
    # each is one stderr line, not two
    assert sum("'ecgo'" in line for line in proc.stderr.splitlines()) == 1
    assert sum("'primary_sit'" in line for line in proc.stderr.splitlines()) == 1


def test_summary_json_lists_the_misspelt_fact_and_the_export_prints_it_once(case, tmp_path, config):
    proc = cli("export", case, "--out", tmp_path / "out", "--json", "--rules", "sabr-comet", env=config)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert any("'ecgo' is not a case fact" in w for w in summary["warnings"])
    assert sum("'ecgo'" in line for line in (proc.stdout + proc.stderr).splitlines()) == 1


def test_a_malformed_rule_file_left_out_is_in_the_warnings_of_check_json_and_the_summary_json(
        case, tmp_path, config):
    bad = tmp_path / "bad-protocol.json"
    bad.write_text('{"id": ', encoding="utf-8")

    checked = cli("check", case, "--rules-file", bad, "--rules", "sabr-comet", "--json", env=config)
    exported = cli("export", case, "--out", tmp_path / "out", "--json", "--rules-file", bad, "--rules",
                   "sabr-comet", env=config)

    assert checked.returncode == 0 == exported.returncode, checked.stderr + exported.stderr
    (line,) = [w for w in json.loads(checked.stdout)["warnings"] if "bad-protocol.json" in w]
    assert "not valid JSON" in line and line.endswith("that rule set was left out")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert any("bad-protocol.json" in w and "left out" in w for w in summary["warnings"])
    for proc in (checked, exported):  # one line each, not repeated as a note
        assert sum("bad-protocol.json" in l for l in (proc.stdout if proc is exported else "").splitlines()
                   + proc.stderr.splitlines()) == 1

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

"""`oligoplan check` and `oligoplan export` say when the case's audit trail was changed outside
OligoPlan (a hand-edited entry breaks the hash chain): on stderr and in the JSON "warnings".
The window and `oligoplan segment` said so already; a script running check saw nothing."""

from __future__ import annotations

import json

import pytest

from core.samples import SAMPLE_ROOT
from tests.core.test_check_options import cli
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case

pytestmark = pytest.mark.skipif(not (SAMPLE_ROOT / "phantom-oligo").is_dir(), reason="sample scans not present")


@pytest.fixture
def config(tmp_path):
    import os

    return dict(os.environ, OLIGOPLAN_CONFIG_DIR=str(tmp_path / "config"))


def _case(tmp_path, edit: bool):
    path = phantom_case("phantom-oligo", tmp_path / "case", ELIGIBLE_FACTS, "patient.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["audit"]["entries"], "the phantom case has an audit trail to edit"
    if edit:
        doc["audit"]["entries"][0]["who"] = "someone else"
        path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    return path


def test_check_names_a_hand_edited_audit_trail_on_stderr_and_in_its_json(tmp_path, config):
    proc = cli("check", _case(tmp_path, edit=True), "--rules", "sabr-comet", "--json", env=config)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    altered = [w for w in doc["warnings"] if w.startswith("patient.json: ")]
    assert altered and all("audit" in w for w in altered)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("oligoplan check: warning: patient.json: ")]
    assert len(lines) == len(altered)
    assert doc["rule_sets"][0]["verdict"] == "eligible"  # the check itself is unchanged


def test_export_puts_it_in_the_summary_json_and_an_untouched_case_has_no_such_warning(tmp_path, config):
    edited = cli("export", _case(tmp_path / "a", edit=True), "--out", tmp_path / "a" / "out", "--json",
                 "--rules", "sabr-comet", env=config)
    assert edited.returncode == 0, edited.stderr
    summary = json.loads((tmp_path / "a" / "out" / "summary.json").read_text(encoding="utf-8"))
    assert any(w.startswith("patient.json: ") and "audit" in w for w in summary["warnings"])

    plain = cli("check", _case(tmp_path / "b", edit=False), "--rules", "sabr-comet", "--json", env=config)
    assert plain.returncode == 0, plain.stderr
    assert not [w for w in json.loads(plain.stdout)["warnings"] if "audit" in w]
    assert "audit" not in plain.stderr

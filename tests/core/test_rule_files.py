"""User rule-set files: a good one is used, a malformed one is reported with file,
field and problem while every other rule set still works."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys

import pytest

from core.errors import RuleSetError
from core.rules.loader import BUILTIN_IDS, builtin_files, load_catalog, read_rule_set_file

GOOD = json.loads(builtin_files()[0].read_text(encoding="utf-8"))


def local(**changes):
    doc = copy.deepcopy(GOOD)
    doc.update(id="local-protocol", title="Our local SBRT protocol", version="2025-02")
    doc.update(changes)
    return doc


def write(folder, name, doc):
    path = folder / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


BROKEN = [
    ("not json", "{", r"bad\.json: not valid JSON \(line 1"),
    ("no id", {k: v for k, v in local().items() if k != "id"}, r"bad\.json: id: missing \(required\)"),
    ("bad id", local(id="Local Protocol"), r"bad\.json: id: 'Local Protocol' must be lower case"),
    ("wrong schema", local(schema="something"), r"bad\.json: schema: expected \"oligoplan\.ruleset\""),
    ("sources empty", local(sources=[]), r"bad\.json: sources: needs at least one citation"),
    ("unknown field", local(colour="red"), r"bad\.json: colour: unknown field"),
    ("counting unit", local(counting={**GOOD["counting"], "unit": "organs"}),
     r"bad\.json: counting\.unit: 'organs' is not one of lesions, sites"),
    ("merge negative", local(counting={**GOOD["counting"], "merge_distance_mm": -2}),
     r"counting\.merge_distance_mm: -2 must be 0 or more"),
    ("threshold text", local(criteria=[{**GOOD["criteria"][0], "op": "<=", "threshold": "five"}]),
     r"bad\.json: criteria\[0\]\.threshold: op '<=' needs a number, found text 'five'"),
    ("no verified", local(criteria=[{k: v for k, v in GOOD["criteria"][0].items() if k != "verified"}]),
     r"bad\.json: criteria\[0\]\.verified: missing \(required\)"),
    ("verified text", local(criteria=[{**GOOD["criteria"][0], "verified": "yes"}]),
     r"criteria\[0\]\.verified: expected true/false, found text 'yes'"),
    ("bad type", local(criteria=[{**GOOD["criteria"][0], "type": "vibes"}]),
     r"criteria\[0\]\.type: 'vibes' is not one of count"),
    ("bad site", local(criteria=[{**GOOD["criteria"][2], "sites": ["spleen"]}]),
     r"criteria\[0\]\.sites\[0\]: unknown site 'spleen'"),
    ("bad fact value", local(criteria=[{"id": "x", "type": "fact", "title": "t", "fact": "primary_controlled",
                                        "op": "==", "threshold": "maybe", "verified": True}]),
     r"criteria\[0\]\.threshold: 'maybe' is not a value of fact primary_controlled"),
    ("between order", local(criteria=[{**GOOD["criteria"][0], "threshold": [5, 1]}]),
     r"criteria\[0\]\.threshold: low 5 is above high 1"),
    ("duplicate criterion", local(criteria=[GOOD["criteria"][0], GOOD["criteria"][0]]),
     r"criteria\[1\]\.id: 'count' is used twice"),
    ("bad interval fact", local(criteria=[{"id": "i", "type": "interval", "title": "t", "from": "ecog", "to": "today",
                                           "op": ">=", "threshold": 3, "unit": "months", "verified": True}]),
     r"criteria\[0\]\.from: 'ecog' is not a date fact"),
    ("shadows builtin", local(id="sabr-comet"), r"id: 'sabr-comet' is already used by the shipped rule set"),
    # NaN compares false with everything (and != true): "needs <= nan" failed every case, "!= NaN" passed every one
    ("threshold NaN", json.dumps(local(criteria=[{**GOOD["criteria"][0], "op": "!=", "threshold": float("nan")}])),
     r"bad\.json: NaN is not a finite number"),
    ("threshold Infinity", json.dumps(local(criteria=[{**GOOD["criteria"][0], "op": "<=", "threshold": float("inf")}])),
     r"bad\.json: Infinity is not a finite number"),
    ("threshold 1e999", json.dumps(local(criteria=[{**GOOD["criteria"][0], "op": "<=", "threshold": 5.5}]))
     .replace("5.5", "1e999"), r"bad\.json: 1e999 is not a finite number"),
]


@pytest.mark.parametrize("what,doc,message", BROKEN, ids=[b[0] for b in BROKEN])
def test_malformed_file_names_file_field_and_problem_and_the_rest_still_load(tmp_path, what, doc, message):
    folder = tmp_path / "rules"
    folder.mkdir()
    write(folder, "bad.json", doc)
    write(folder, "good.json", local())
    catalog = load_catalog(user_dir=folder)
    assert len(catalog.errors) == 1
    assert isinstance(catalog.errors[0], RuleSetError)
    assert re.search(message, str(catalog.errors[0])), str(catalog.errors[0])
    assert catalog.ids() == list(BUILTIN_IDS) + ["local-protocol"]


def test_read_rule_set_file_raises_for_a_missing_file(tmp_path):
    with pytest.raises(RuleSetError, match=r"nothere\.json: no such rule-set file"):
        read_rule_set_file(tmp_path / "nothere.json")


def test_user_folder_comes_from_the_config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("OLIGOPLAN_CONFIG_DIR", str(tmp_path))
    (tmp_path / "rules").mkdir()
    write(tmp_path / "rules", "mine.json", local())
    assert "local-protocol" in load_catalog().ids()


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "gui.entry", *map(str, args)], capture_output=True, text=True,
                          env=env)


def test_cli_rules_lists_every_rule_set_and_reports_a_bad_file(tmp_path):
    good = write(tmp_path, "good.json", local())
    bad = write(tmp_path, "bad.json", local(criteria=[{**GOOD["criteria"][0], "op": "about"}]))
    proc = cli("rules", "--json", "--rules-file", good, "--rules-file", bad)
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert [r["id"] for r in doc["rule_sets"]] == list(BUILTIN_IDS) + ["local-protocol"]
    comet = doc["rule_sets"][0]
    assert {"id", "title", "version", "source", "sources"} <= set(comet) and comet["version"]
    assert comet["source"] == comet["sources"][0] and comet["source"].startswith("Palma et al., Lancet 2019")
    assert "criteria[0].op: 'about' is not one of" in proc.stderr and str(bad) in proc.stderr
    text = cli("rules").stdout
    for rid in BUILTIN_IDS:
        assert rid in text

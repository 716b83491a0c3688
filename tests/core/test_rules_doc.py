"""docs/rules.md lists every criterion of every shipped rule set with its source and verified state,
generated from the rule-set files (core.rules.rules_doc): the doc cannot drift from the files."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.rules.loader import BUILTIN_IDS, load_catalog
from core.rules.rules_doc import BEGIN, END, criteria_markdown, generated_section, replace_section
from core.rules.schema import iter_criteria

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
CATALOG = load_catalog(user_dir=False)


def test_the_criteria_tables_in_docs_rules_md_match_the_rule_set_files():
    assert generated_section(DOC.read_text(encoding="utf-8")) == criteria_markdown(CATALOG), (
        "docs/rules.md is out of date: run `python -m core.rules.rules_doc docs/rules.md`")


@pytest.mark.parametrize("rid", BUILTIN_IDS)
def test_every_criterion_is_listed_with_its_source_and_verified_state(rid):
    section = generated_section(DOC.read_text(encoding="utf-8"))
    block = section.split(f"### `{rid}`: ", 1)[1].split("\n### ", 1)[0]
    for c in iter_criteria(CATALOG[rid].criteria):
        row = next((line for line in block.splitlines() if f"`{c.id}` {c.title}" in line), None)
        assert row is not None, c.id
        assert c.source in row and ("| yes |" if c.verified else "| **no** |") in row, row


def test_a_changed_threshold_makes_the_doc_differ_and_regenerating_fixes_it():
    doc = DOC.read_text(encoding="utf-8")
    stale = doc.replace("| 1–5 metastases |", "| 1–6 metastases |", 1)
    assert generated_section(stale) != criteria_markdown(CATALOG)
    assert generated_section(replace_section(stale, criteria_markdown(CATALOG))) == criteria_markdown(CATALOG)


def test_a_doc_without_the_markers_is_refused():
    with pytest.raises(ValueError, match="markers are missing"):
        replace_section("no markers here", "x")
    assert BEGIN in DOC.read_text(encoding="utf-8") and END in DOC.read_text(encoding="utf-8")

"""Page 1 of the summary PDF stays within the page: the ESTRO-EORTC class and its note (an
INDUCED class adds "widespread disease down-staged by systemic therapy") wrap at the right
margin. The induced note ran off the page, cutting the words a clinician most needs to see."""

from __future__ import annotations

import json
import shutil

import pytest

from core.samples import SAMPLE_ROOT
from tests.core.in_process import run_oligoplan
from tests.core.test_summary_layout import overlapping, page_words
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case

pytestmark = [
    pytest.mark.skipif(not (SAMPLE_ROOT / "phantom-oligo").is_dir(), reason="sample scans not present"),
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (apt package poppler-utils) not installed"),
]
A4_WIDTH_PT = 595.0
INDUCED = {"history_polymetastatic": "yes", "on_systemic_therapy": "yes", "lesions_progressing": "no"}


def test_an_induced_class_and_its_note_are_on_the_page_within_the_right_margin(tmp_path):
    case = phantom_case("phantom-oligo", tmp_path / "case", {**ELIGIBLE_FACTS, **INDUCED})
    proc = run_oligoplan("export", case, "--out", tmp_path / "out", "--pdf", "--json", "--rules", "sabr-comet")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["classification"]["genesis"] == "induced"

    words = page_words(tmp_path / "out" / "summary.pdf")[0]
    text = " ".join(w[4] for w in words)
    assert "INDUCED OLIGOPERSISTENCE" in text
    assert "down-staged by systemic therapy" in text
    too_wide = [w[4] for w in words if w[2] > 0.95 * A4_WIDTH_PT]
    assert too_wide == []
    assert overlapping(words) == []

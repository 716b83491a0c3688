"""The summary PDF is readable: no two words drawn over each other on any page, with every shipped
rule set (the densest criteria page; page 1 continues its rule sets on page 2), and every rule set's
criteria on the last page.

Word boxes come from pdftotext -bbox (poppler-utils).
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from core.rules.loader import BUILTIN_IDS
from core.samples import SAMPLE_ROOT
from tests.core.in_process import run_oligoplan

pytestmark = [
    pytest.mark.skipif(not (SAMPLE_ROOT / "phantom-oligo").is_dir(), reason="sample scans not present"),
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (apt package poppler-utils) not installed"),
]
WORD = re.compile(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<')


def page_words(pdf) -> list[list[tuple[float, float, float, float, str]]]:
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [[(float(a), float(b), float(c), float(d), t) for a, b, c, d, t in WORD.findall(page)]
            for page in html.split("<page ")[1:]]


def overlapping(words) -> list[tuple[str, str]]:
    """Pairs of words on the same line whose boxes overlap by more than half a point."""
    out = []
    for i, (x0, y0, x1, y1, t) in enumerate(words):
        for a0, b0, a1, b1, u in words[i + 1:]:
            same_line = abs((y0 + y1) - (b0 + b1)) / 2 < 0.3 * min(y1 - y0, b1 - b0)
            if same_line and min(x1, a1) - max(x0, a0) > 0.5:
                out.append((t, u))
    return out


@pytest.fixture(scope="module")
def every_rule_set_pdf(tmp_path_factory):
    from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case

    root = tmp_path_factory.mktemp("layout")
    case = phantom_case("phantom-oligo", root / "case", ELIGIBLE_FACTS)
    proc = run_oligoplan("export", case, "--out", root / "out", "--pdf", "--json", "--rules", ",".join(BUILTIN_IDS),
                         "--date", "2024-03-20")
    assert proc.returncode == 0, proc.stderr
    return root / "out" / "summary.pdf"


def test_no_words_are_drawn_over_each_other(every_rule_set_pdf):
    pages = page_words(every_rule_set_pdf)
    # every shipped rule set does not fit on page 1: they continue on page 2, before the lesions and criteria
    assert len(pages) == 4
    listed = " ".join(w[4] for w in pages[0] + pages[1])
    assert "more rule sets on the next page" in listed and "Rule sets (continued)" in listed
    assert all(rule_id in listed for rule_id in BUILTIN_IDS)
    for n, words in enumerate(pages, start=1):
        assert len(words) > 100, f"page {n} is nearly empty"
        assert overlapping(words) == [], f"page {n}: overlapping words {overlapping(words)[:5]}"


def test_every_criterion_of_every_rule_set_is_on_the_last_page(every_rule_set_pdf):
    import json

    words = [w[4] for w in page_words(every_rule_set_pdf)[-1]]
    text = " ".join(words)
    for rule_id in BUILTIN_IDS:
        assert rule_id in text, rule_id
    doc = json.loads(every_rule_set_pdf.with_suffix(".json").read_text(encoding="utf-8"))

    def walk(criteria):
        for c in criteria:
            yield c
            yield from walk(c.get("criteria", []))

    statuses = [c["status"] for r in doc["rule_sets"] for c in walk(r["criteria"])]
    shown = [w for w in words if w in ("PASS", "FAIL", "UNKNOWN")]
    assert len(shown) == len(statuses) and shown.count("FAIL") == statuses.count("fail")

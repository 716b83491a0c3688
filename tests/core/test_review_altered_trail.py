"""A sign-off forged by editing the case file never reads as a real one: the review status says so.

The status line is what the verdict panel, the history panel and the candidacy summary (PDF
and JSON) show, including for `oligoplan export`, which opens the case without the window.
"""

from __future__ import annotations

import json

from core.case import load_case, save_case
from core.review import TRAIL_ALTERED, ReviewState
from tests.core.test_review import add, new_case, rewrite
from tests.core.test_summary_review import POPPLER, pdf_text, summary_of


def approved_file(tmp_path):
    case, stack = new_case()
    add(case, stack)
    case.review.sign("reviewed", "contours checked")
    case.review.sign("approved", "fit for SBRT", name="B. Oncologist", role="radiation oncologist")
    path = save_case(case, tmp_path / "case.oligoplan.json")
    return path, json.loads(path.read_text())


def test_a_hand_edited_approval_is_flagged_in_the_status_and_the_summary(tmp_path):
    path, doc = approved_file(tmp_path)
    doc["audit"]["entries"][-1]["who"] = "Chief"  # the approval now names someone who never signed
    case = rewrite(path, doc)
    assert case.review.state is ReviewState.APPROVED and case.integrity_warnings
    status = case.review.status_text()
    assert status.startswith("Approved by Chief") and status.endswith(f"({TRAIL_ALTERED})")

    out = tmp_path / "summary"
    summary = summary_of(case, out)
    assert TRAIL_ALTERED in summary["review"]["status"]
    if POPPLER:
        assert "audit trail changed outside OligoPlan" in " ".join(pdf_text(out).split())


def test_an_untouched_file_has_the_plain_status(tmp_path):
    path, _ = approved_file(tmp_path)
    status = load_case(path).review.status_text()
    assert status.startswith("Approved by B. Oncologist (radiation oncologist), ") and TRAIL_ALTERED not in status

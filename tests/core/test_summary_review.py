"""The candidacy summary carries the case's review state (draft / reviewed / approved, who and when)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from core.case import Case
from core.lesions import AddLesion, Lesion, UndoStack, UpdateLesion
from core.rules.case_check import CaseImages, check_case
from core.rules.loader import load_catalog
from core.summary.export import write_summary

POPPLER = shutil.which("pdftotext")


@pytest.fixture
def case():
    case = Case()
    case.review.set_user("A. Physicist", "medical physicist")
    stack = UndoStack()
    for n, site in enumerate(("liver", "lung"), start=1):
        stack.push(AddLesion(case.lesions, Lesion(f"L{n}", f"{site} {n}", site=site,
                                                  point_mm=(10.0 * n, 0.0, 0.0))))
    return case


def summary_of(case, folder, **kw):
    check = check_case(case, load_catalog().select(["sabr-comet"]), images=CaseImages(None))
    write_summary(case, check, folder, author="Dr Writer", **kw)
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def pdf_text(folder) -> str:
    return subprocess.run(["pdftotext", "-layout", str(folder / "summary.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_approved_case_summary_names_who_approved_it_and_when(case, tmp_path):
    case.review.sign("reviewed", "contours checked")
    signed = case.review.sign("approved", "fit for SBRT", name="B. Oncologist", role="radiation oncologist")
    doc = summary_of(case, tmp_path)
    review = doc["review"]
    assert review["state"] == "approved"
    assert review["status"] == f"Approved by B. Oncologist (radiation oncologist), " \
                               f"{signed.when[:16].replace('T', ' ')} UTC"
    assert [(s["state"], s["name"], s["comment"]) for s in review["signoffs"]] == [
        ("reviewed", "A. Physicist", "contours checked"), ("approved", "B. Oncologist", "fit for SBRT")]
    if POPPLER:
        text = pdf_text(tmp_path)
        assert "Approved by B. Oncologist (radiation oncologist)" in text
        assert "review: approved" in text and "fit for SBRT" in text


def test_a_change_after_approval_makes_the_summary_say_draft(case, tmp_path):
    case.review.sign("reviewed")
    case.review.sign("approved", name="B. Oncologist", role="radiation oncologist")
    UndoStack().push(UpdateLesion(case.lesions, case.lesions["L1"].with_changes(label="changed")))
    doc = summary_of(case, tmp_path)
    assert doc["review"]["state"] == "draft" and doc["review"]["signoffs"] == []
    if POPPLER:
        text = pdf_text(tmp_path)
        assert "Draft: not yet reviewed or approved" in text and "Approved by" not in text


def test_anonymised_summary_keeps_the_review_state(case, tmp_path):
    # the state and the reviewer's role stay; the reviewer's name does not (issue 14: people named
    # in an anonymised export are left out, as PS3.15 does with Reviewer Name)
    case.review.sign("reviewed", name="A. Physicist", role="medical physicist")
    doc = summary_of(case, tmp_path, anonymise=True)
    assert doc["patient"] == {"anonymised": True}
    assert doc["review"]["status"].startswith("Reviewed by Reviewer 1 (medical physicist)")
    assert doc["review"]["signoffs"][0]["name"] == "Reviewer 1"
    assert "Physicist" not in json.dumps(doc)


LONG_NAME = "Professor Maximiliane Alexandra von Wolfenschiessen-Hohenzollern"
LONG_COMMENT = ("fit for SBRT after discussion at the multidisciplinary tumour board; the central lung lesion "
                "needs the risk-adapted fractionation and a fresh PET-CT within four weeks before planning")


@pytest.mark.skipif(not POPPLER, reason="pdftotext (apt package poppler-utils) not installed")
def test_a_long_approval_line_wraps_inside_the_page(case, tmp_path):
    from tests.core.test_summary_layout import overlapping, page_words

    case.review.sign("reviewed", "contours checked")
    case.review.sign("approved", LONG_COMMENT, name=LONG_NAME, role="radiation oncologist")
    summary_of(case, tmp_path)
    html = subprocess.run(["pdftotext", "-bbox", str(tmp_path / "summary.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    page_width = float(html.split('<page width="')[1].split('"')[0])
    words = page_words(tmp_path / "summary.pdf")[0]
    beyond = [t for x0, y0, x1, y1, t in words if x1 > page_width * 0.95]  # the right margin is 6 %
    assert beyond == []
    assert overlapping(words) == []
    # nothing was cut: every word of the approval line and of its comment is on the page
    text = "".join(t for *_, t in words)  # joined: pdftotext splits a word at an "fi" glyph
    for word in (LONG_NAME + " (radiation oncologist), UTC " + LONG_COMMENT).replace(",", " ").split():
        assert word.strip("():;") in text, word
    # the approval line's words are below each other, not drawn over the next line
    ys = sorted({round(y0, 1) for x0, y0, x1, y1, t in words if t in ("Approved", "UTC")})
    assert len(ys) >= 2

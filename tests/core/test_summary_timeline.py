"""The summary PDF of a case compared with its prior scan (issue 17): the timeline page (counts per
date, every lesion's values at both dates, change, status and the rule that decided it, derived
facts marked as derived) and the side-by-side key images of new and progressing lesions; an
anonymised export shifts their dates and makes their labels generic; a case without a comparison
has neither page; prior images gone at export time: the page says so.

The case is the two-timepoint phantom (bench/two_timepoints.py), tracked once per module.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date
from types import SimpleNamespace

import numpy as np
import pytest

from core.lesions import LesionSet
from tests.core.in_process import run_oligoplan
from tests.core.test_summary_layout import overlapping, page_words
from tests.core.tracked_case_files import CURRENT_DATE, LABEL_PREFIX, PRIOR_DATE, tracked_case, without_tracking

POPPLER = pytest.mark.skipif(not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
                             reason="pdftotext/pdftoppm (apt package poppler-utils) not installed")
TIMELINE = "timeline of the lesions"
KEY_IMAGES = "key images of new and progressing lesions"
STATUSES = {"L1": "progressing", "L2": "responding", "L3": "disappeared", "L4": "stable", "L5": "stable",
            "L6": "new", "L7": "new"}


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    root = tmp_path_factory.mktemp("timeline")
    case, prior = tracked_case(root)
    out = {"case": case, "prior": prior, "root": root}
    for name, extra in (("named", []), ("anon", ["--anonymise"])):
        proc = run_oligoplan("export", case, "--out", root / name, "--pdf", "--json", "--rules", "sabr-comet",
                             "--date", "2024-06-01", *extra)
        assert proc.returncode == 0, proc.stderr
        out[name] = root / name
    return out


def _layout_text(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")


def _page(pages: list[str], title: str) -> str:
    found = [p for p in pages if title in p]
    assert len(found) == 1, f"{len(found)} pages titled {title!r}"
    return found[0]


@POPPLER
def test_timeline_page_has_every_lesion_with_its_values_status_and_rule(tracked):
    page = _page(_layout_text(tracked["named"] / "summary.pdf"), TIMELINE)
    assert f"Lesions: 5 on {PRIOR_DATE} (prior) → 6 on {CURRENT_DATE} (current); new: 2; disappeared: 1" in page
    rows = {m.group(1): line for line in page.splitlines()
            if (m := re.search(r"\s(L\d)\s+lung\s", line))}
    assert set(rows) == set(STATUSES)
    for lesion_id, status in STATUSES.items():
        assert f" {status} " in rows[lesion_id], rows[lesion_id]
    for lesion_id in ("L1", "L2", "L4", "L5"):  # no PET in this case: the CT rule decided
        assert "RECIST 1.1" in rows[lesion_id] and "PERCIST" not in rows[lesion_id]
    assert "not found" in rows["L3"] and "found now" in rows["L6"]
    doc = json.loads((tracked["named"] / "summary.json").read_text(encoding="utf-8"))["tracking"]
    l1 = next(e for e in doc["lesions"] if e["id"] == "L1")
    assert l1["prior_size_mm"] == pytest.approx(20.0, abs=1.5) and l1["current_size_mm"] == pytest.approx(26.0, abs=1.5)
    assert f"{l1['prior_size_mm']:.1f}" in rows["L1"] and f"{l1['size_change_pct']:+.0f}%" in rows["L1"]
    # each measure's chart has a line per lesion, labelled with the lesion's label (the size chart here)
    assert all(f"{LABEL_PREFIX} L{n}" in page for n in range(1, 6))
    # no PET at either date: the peak chart says so instead of lines, and no SUL note
    assert "not measured at the two dates" in page and "SULpeak:" not in page


@POPPLER
def test_derived_facts_are_marked_as_derived(tracked):
    page = " ".join(_page(_layout_text(tracked["named"] / "summary.pdf"), TIMELINE).split())
    assert "DERIVED Earlier oligometastatic disease: yes (derived, a proposal not confirmed" in page
    assert "DERIVED Lesions progressing on imaging: yes (derived, a proposal not confirmed: progressing: L1; " \
           "new: L6, L7)" in page


@POPPLER
def test_key_images_of_the_new_and_progressing_lesions_side_by_side(tracked):
    page = _page(_layout_text(tracked["named"] / "summary.pdf"), KEY_IMAGES)
    titles = re.findall(r"\((L\d), lung\): (\w+)", page)
    assert titles == [("L1", "progressing"), ("L6", "new"), ("L7", "new")]
    assert page.count(f"prior {PRIOR_DATE}") == 3 and page.count(f"current {CURRENT_DATE}") == 3
    assert page.count("not present") == 2  # the prior side of each new lesion


@POPPLER
def test_new_pages_have_no_words_drawn_over_each_other(tracked):
    pages = page_words(tracked["named"] / "summary.pdf")
    texts = [" ".join(w[4] for w in words) for words in pages]
    for n, (words, text) in enumerate(zip(pages, texts), start=1):
        if "timeline" in text or "new and progressing" in text:
            assert overlapping(words) == [], f"page {n}: overlapping words {overlapping(words)[:5]}"


@POPPLER
def test_anonymised_export_shifts_the_dates_and_labels_are_generic(tracked):
    named = json.loads((tracked["named"] / "summary.json").read_text(encoding="utf-8"))
    anon = json.loads((tracked["anon"] / "summary.json").read_text(encoding="utf-8"))
    shift = date.fromisoformat(anon["evaluated_on"]) - date.fromisoformat(named["evaluated_on"])
    assert shift.days < 0  # one shift per export: the evaluation date and the scan dates move together
    prior = (date.fromisoformat(PRIOR_DATE) + shift).isoformat()
    current = (date.fromisoformat(CURRENT_DATE) + shift).isoformat()
    assert anon["tracking"]["dates"] == {"prior": prior, "current": current}
    pages = _layout_text(tracked["anon"] / "summary.pdf")
    timeline, key = _page(pages, TIMELINE), _page(pages, KEY_IMAGES)
    assert f"5 on {prior} (prior) → 6 on {current} (current)" in timeline
    assert key.count(f"prior {prior}") == 3 and key.count(f"current {current}") == 3
    everything = "\f".join(pages)
    for real in (PRIOR_DATE, CURRENT_DATE, "20240102", "20240502", LABEL_PREFIX):
        assert real not in everything and real not in json.dumps(anon)
    # generic labels, numbered as on the lesion page (current lesions first, the disappeared one after)
    labels = {e["id"]: e["label"] for e in anon["tracking"]["lesions"] + anon["tracking"]["new"]}
    assert labels == {"L1": "Lung 1", "L2": "Lung 2", "L4": "Lung 3", "L5": "Lung 4", "L6": "Lung 5",
                      "L7": "Lung 6", "L3": "Lung 7"}
    assert {r["id"]: r["label"] for r in anon["lesions"]} == {k: v for k, v in labels.items() if k != "L3"}
    assert "Lung 7 (not found)" in timeline and "Lung 1 (L1, lung): progressing" in key


def _write(case_path, folder):
    from core.case import load_case
    from core.rules.case_check import check_case, open_case_images
    from core.rules.loader import load_catalog
    from core.summary.export import write_summary

    case = load_case(case_path)
    check = check_case(case, load_catalog().select(["sabr-comet"]), images=open_case_images(case))
    write_summary(case, check, folder, csv=False, author="")
    return _layout_text(folder / "summary.pdf"), json.loads((folder / "summary.json").read_text(encoding="utf-8"))


@POPPLER
def test_a_case_without_a_comparison_has_no_timeline_page(tracked, tmp_path):
    pages, doc = _write(without_tracking(tracked["case"], tracked["case"].parent / "no-tracking.json"), tmp_path)
    assert "tracking" not in doc
    assert not any(TIMELINE in p or KEY_IMAGES in p for p in pages)


@POPPLER
def test_prior_images_gone_at_export_time_the_page_says_so(tracked, tmp_path):
    images = tracked["prior"].parent / "images"
    moved = tracked["root"] / "moved-away"
    images.rename(moved)
    try:
        pages, doc = _write(tracked["case"], tmp_path)
    finally:
        moved.rename(images)
    key = _page(pages, KEY_IMAGES)
    assert "Prior images not available at export time" in key and "could not be opened" in key
    assert f"without images here: {LABEL_PREFIX} L1 (L1), L6, L7" in " ".join(key.split())
    assert "prior " + PRIOR_DATE not in key  # no image panels
    assert TIMELINE in "".join(pages) and doc["tracking"]["counts"]["prior"] == 5


def test_the_prior_side_is_resampled_through_the_registration_onto_the_lesion(tracked):
    """L1 grew from 20 to 26 mm where the patient lay ~11 mm and 4 degrees apart: the prior contour,
    carried through the stored registration, is centred on the current one and smaller."""
    from core.case import load_case
    from core.rules.case_check import open_case_images
    from core.summary.timeline import comparison_pictures

    case = load_case(tracked["case"])
    workspace = open_case_images(case).workspace
    section = json.loads((tracked["named"] / "summary.json").read_text(encoding="utf-8"))["tracking"]
    comparison = comparison_pictures(case, workspace, section)
    assert comparison.unavailable == "" and [p.entry["id"] for p in comparison.pairs] == ["L1", "L6", "L7"]
    l1 = comparison.pairs[0]
    assert l1.prior.image.shape == l1.current.image.shape and (l1.prior.vmin, l1.prior.vmax) == (
        l1.current.vmin, l1.current.vmax)  # same pixels, same window
    centre = [np.argwhere(p.mask).mean(axis=0) for p in (l1.prior, l1.current)]
    assert np.linalg.norm((centre[0] - centre[1]) * 2.0) < 2.0  # 2 mm pixels
    assert 0.4 < l1.prior.mask.sum() / l1.current.mask.sum() < 0.8  # (20 / 26)^2 = 0.59
    new = comparison.pairs[1]
    assert new.prior_note == "not present" and new.prior.mask is None and new.current.mask.any()
    # the same anatomy on both sides (the scanner-coordinates slice, unregistered, gives 0.46 and 0.74 here)
    for pair in comparison.pairs[:2]:
        assert np.corrcoef(pair.prior.image.ravel(), pair.current.image.ravel().astype(float))[0, 1] > 0.85


def test_a_new_lesion_only_listed_or_without_a_position_never_breaks_the_images(tracked):
    from core.case import load_case
    from core.rules.case_check import open_case_images
    from core.summary.timeline import comparison_pictures

    case = load_case(tracked["case"])
    workspace = open_case_images(case).workspace
    section = json.loads((tracked["named"] / "summary.json").read_text(encoding="utf-8"))["tracking"]
    listed = {"id": "L20", "label": "L20", "site": "lung", "status": "new", "rule": "listed only",
              "centroid_mm": [70.0, -20.0, 45.0]}
    section["new"] += [listed, {**listed, "id": "L21", "centroid_mm": None}]
    section["key_lesions"] = ["L20", "L21"]
    pairs = comparison_pictures(case, workspace, section).pairs
    assert pairs[0].current is not None and pairs[0].current.mask is None and pairs[0].prior_note == "not present"
    assert (pairs[1].current, pairs[1].prior) == (None, None)  # no position: "no image at this position"


# ------------------------------------------------------------------ the stored comparison, read defensively
def _fake_case(tracking, facts=None):
    return SimpleNamespace(extra={"tracking": tracking}, lesions=LesionSet(), facts=facts or {}, path=None)


def test_a_malformed_comparison_is_read_as_far_as_it_goes():
    from core.tracking.stored import read_tracking

    stored = read_tracking(_fake_case({"statuses": {"L1": "bogus", "L2": "stable", "L3": 4},
                                       "registration": "rigid", "lesions": "none", "dates": {"prior": "2024-13"},
                                       "counts": {"prior": -1}, "new": [{"id": 7}, {"id": "L9", "site": "liver"}]}))
    assert [(t.id, t.status.value, t.prior) for t in stored.lesions] == [("L2", "stable", None)]
    assert stored.transform is None and stored.prior_date is None and stored.count_prior is None
    assert [n.id for n in stored.new] == ["L9"]
    assert read_tracking(_fake_case("not a dict")) is None and read_tracking(_fake_case({})) is None


def test_pet_decided_status_names_percist_with_the_ct_status_beside_and_the_sul_note():
    from core.summary.timeline import tracking_section

    values = {"size_mm": 20.0, "size_measure": "short_axis_mm", "suv_peak": 5.0}
    tracking = {"lesions": [{"id": "L1", "status": "progressing", "decided_by": "PET", "ct_status": "stable",
                             "pet_status": "progressing", "label": "Node", "site": "regional_lymph_node",
                             "prior": values, "current": {**values, "size_mm": 21.0, "suv_peak": 6.5}}],
                "sul_note": "SUVpeak (body weight) used, not SULpeak: the patient's height are not known",
                "derived_facts": {"lesions_progressing": {"value": "yes", "reason": "progressing: L1"}},
                "dates": {"prior": "20240102", "current": "2024-05-02"}}
    section = tracking_section(_fake_case(tracking, {"lesions_progressing": "no"}), {"lesions": []})
    (entry,) = section["lesions"]
    assert (entry["rule"], entry["beside"], entry["size_measure"]) == ("PERCIST 1.0", "CT: stable", "short axis")
    assert (entry["size_change_pct"], entry["peak_change_pct"]) == (5.0, 30.0)
    assert section["peak_measure"] == "SUVpeak (body weight)" and "not SULpeak" in section["sul_note"]
    assert section["dates"] == {"prior": "2024-01-02", "current": "2024-05-02"}
    (fact,) = section["derived_facts"]
    assert (fact["state"], fact["value"], fact["user_value"]) == ("overridden", "yes", "no")
    assert section["key_lesions"] == ["L1"]


@POPPLER
def test_a_timeline_with_pet_values_draws_both_charts_without_overlapping_words(tracked, tmp_path):
    from core.summary.pdf import write_summary_pdf

    summary = json.loads((tracked["named"] / "summary.json").read_text(encoding="utf-8"))
    for n, e in enumerate(summary["tracking"]["lesions"]):  # close values: the labels must spread
        e.update(prior_peak=4.0 + 0.05 * n, current_peak=None if e["status"] == "disappeared" else 4.2 + 0.05 * n,
                 decided_by="PET", rule="PERCIST 1.0")
    summary["tracking"]["sul_note"] = "SUVpeak (body weight) used, not SULpeak: the patient's height are not known"
    pdf = write_summary_pdf(summary, tmp_path / "pet.pdf")
    pages = page_words(pdf)
    timeline = next(words for words in pages if "timeline" in " ".join(w[4] for w in words))
    text = " ".join(w[4] for w in timeline)
    assert "not measured at the two dates" not in text and "not SULpeak" in text
    assert overlapping(timeline) == []

"""The anonymised export's policy (core.export_privacy): generic labels, free text, author,
reviewers and one date shift, applied to the summary document (issue 14)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from core.case import Case
from core.export_privacy import (
    FREE_TEXT_LEFT_OUT,
    AnonymisePolicy,
    anonymise_summary,
    generic_labels,
    text_scrubber,
)
from core.lesions import AddLesion, Lesion, UndoStack
from core.rules.case_check import CaseImages, check_case
from core.rules.loader import load_catalog
from core.summary.document import build_summary


@pytest.fixture
def case():
    case = Case(facts={"primary_site": "lung", "histology": "adenocarcinoma",
                       "primary_diagnosis_date": "2023-02-28", "imaging_date": "2024-02-29",
                       "referral_note": "Smithers via Tolliver clinic", "ecog": 1})
    stack = UndoStack()
    for n, (site, label) in enumerate([("liver", "Smithers liver"), ("lung", "L2 MRN4417829"),
                                        ("liver", "liver"), ("bone", "L4")], start=1):
        stack.push(AddLesion(case.lesions, Lesion(f"L{n}", label, site=site, notes="MRN4417829 seen",
                                                  point_mm=(10.0 * n, 0.0, 0.0))))
    return case


def _summary(case):
    check = check_case(case, load_catalog().select(["sabr-comet", "gomez-nsclc"]), images=CaseImages(None))
    return build_summary(check.evaluation, author="Dr Writer", warnings=["L1 (Smithers liver) has no mask"])


def test_generic_labels_number_each_site_in_lesion_order(case):
    assert generic_labels(case.lesions) == {"L1": "Liver 1", "L2": "Lung 1", "L3": "Liver 2", "L4": "Bone 1"}


def test_the_summary_keeps_no_typed_text_and_shifts_every_date_alike(case):
    policy = AnonymisePolicy(date_shift_days=-1000)
    doc = anonymise_summary(_summary(case), policy, case)
    text = json.dumps(doc)
    for secret in ("Smithers", "MRN4417829", "Tolliver", "Dr Writer", "2023-02-28", "2024-02-29"):
        assert secret not in text
    assert [r["label"] for r in doc["lesions"]] == ["Liver 1", "Lung 1", "Liver 2", "Bone 1"]
    assert doc["facts"]["histology"] == doc["facts"]["referral_note"] == FREE_TEXT_LEFT_OUT
    assert doc["warnings"] == ["L1 (Liver 1) has no mask"]
    # one shift for every date: the interval the rules read (366 days over a leap day) holds
    primary, imaging = (date.fromisoformat(doc["facts"][k]) for k in ("primary_diagnosis_date", "imaging_date"))
    assert (imaging - primary).days == 366 and (primary - date(2023, 2, 28)).days == -1000
    assert (date.today() - date.fromisoformat(doc["evaluated_on"])).days == 1000
    assert doc["author"] == "" and doc["anonymisation"]["author"] == "left out"
    # the rule sets' own text is not the patient's: "adenocarcinoma" in a scope stays
    assert json.dumps(doc["rule_sets"][1]["criteria"][0]["threshold"]) == \
        json.dumps(_summary(case)["rule_sets"][1]["criteria"][0]["threshold"])
    # a label that is just a site word ("liver") or an id garbles nothing
    assert [r["site"] for r in doc["lesions"]] == ["liver", "lung", "liver", "bone"]


def test_kept_free_text_and_a_chosen_author_are_written(case):
    policy = AnonymisePolicy(date_shift_days=-5, keep_free_text=True, author="Study reader 7")
    doc = anonymise_summary(_summary(case), policy, case, identifiers=["Smithers"])
    assert doc["author"] == "Study reader 7" and "Dr Writer" not in json.dumps(doc)
    assert doc["facts"]["histology"] == "adenocarcinoma"
    assert doc["facts"]["referral_note"] == "ANONYMOUS via Tolliver clinic"  # the patient's name still goes
    assert doc["anonymisation"]["free_text"].startswith("kept")


def test_a_console_note_is_rewritten_like_the_summary(case):
    scrub = text_scrubber(case, AnonymisePolicy(date_shift_days=-1))
    assert scrub("L2 (L2 MRN4417829) is drawn on another series; 2024-03-01") == \
        "L2 (Lung 1) is drawn on another series; 2024-02-29"


@pytest.mark.parametrize("days", [-366, -3652])
def test_a_new_policy_shifts_back_between_one_and_ten_years(days, monkeypatch):
    import core.export_privacy as privacy

    monkeypatch.setattr(privacy.secrets, "randbelow", lambda n: (days - privacy.DATE_SHIFT_RANGE_DAYS[0]))
    assert AnonymisePolicy.new().date_shift_days == days

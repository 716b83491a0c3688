"""Counting options and the ESTRO-EORTC classification, every branch."""

from __future__ import annotations

import pytest

from core.errors import FactsError
from core.rules.classification import classify
from core.rules.counting import LesionInfo, count_units, counts_by_organ
from core.rules.facts import CaseFacts
from core.rules.schema import Counting


def L(i, site="liver", kind="metastasis", lat=""):
    return LesionInfo(i, site=site, kind=kind, laterality=lat)


MIXED = [L("P", "lung", "primary"), L("B1", "brain"), L("B2", "brain"), L("R1", "regional lymph node"),
         L("R2", "regional lymph node"), L("N1", "distant lymph node", lat="left"),
         L("N2", "distant lymph node", lat="left"), L("N3", "distant lymph node", lat="right"), L("H1", "liver")]


def n_units(counting, lesions=MIXED, distance=None):
    return len(count_units(lesions, counting, distance))


def test_lesions_unit_counts_every_metastasis_and_leaves_the_primary_out():
    assert n_units(Counting()) == 8


def test_primary_counted_only_when_asked():
    assert n_units(Counting(count_primary=True)) == 9


def test_brain_lesions_left_out_when_not_counted():
    assert n_units(Counting(count_brain=False)) == 6


def test_regional_nodes_left_out_when_not_counted():
    assert n_units(Counting(count_regional_nodes=False)) == 6


def test_sites_unit_groups_distant_nodes_per_side_and_regional_nodes_but_not_brain():
    units = count_units(MIXED, Counting(unit="sites"))
    assert [u.lesion_ids for u in units] == [("B1",), ("B2",), ("R1", "R2"), ("N1", "N2"), ("N3",), ("H1",)]


def test_merge_distance_joins_lesions_whose_surfaces_are_close_chained():
    lesions = [L("A", "bone"), L("B", "bone"), L("C", "bone"), L("D", "liver")]
    gaps = {frozenset(("A", "B")): 4.0, frozenset(("B", "C")): 5.0, frozenset(("A", "C")): 12.0}

    def distance(a, b):
        return gaps.get(frozenset((a, b)), 80.0)

    assert n_units(Counting(merge_distance_mm=None), lesions, distance) == 4
    assert n_units(Counting(merge_distance_mm=3.9), lesions, distance) == 4
    assert n_units(Counting(merge_distance_mm=4.0), lesions, distance) == 3  # on the threshold: merged
    units = count_units(lesions, Counting(merge_distance_mm=5.0), distance)
    assert [u.lesion_ids for u in units] == [("A", "B", "C"), ("D",)]  # A-C joined through B
    assert n_units(Counting(merge_distance_mm=5.0), lesions, lambda a, b: None) == 4  # unknown: not merged


def test_counts_by_organ_follow_the_site_list():
    units = count_units(MIXED, Counting())
    assert counts_by_organ(units) == {"liver": 1, "brain": 2, "regional lymph node": 2, "distant lymph node": 3}


# --------------------------------------------------------------- classification
BASE = {"history_polymetastatic": "no", "history_oligometastatic": "no",
        "primary_diagnosis_date": "2024-01-01", "metastasis_diagnosis_date": "2024-06-01",
        "on_systemic_therapy": "no", "lesions_progressing": "no"}


def cls(**changes):
    return classify(CaseFacts({**BASE, **changes}))


@pytest.mark.parametrize("changes,label", [
    ({}, "synchronous oligometastatic disease"),
    ({"metastasis_diagnosis_date": "2024-12-01"}, "metachronous oligorecurrence"),
    ({"metastasis_diagnosis_date": "2024-12-01", "on_systemic_therapy": "yes"}, "metachronous oligoprogression"),
    ({"history_polymetastatic": "yes"}, "induced oligorecurrence"),
    ({"history_polymetastatic": "yes", "on_systemic_therapy": "yes", "lesions_progressing": "yes"}, "induced oligoprogression"),
    ({"history_polymetastatic": "yes", "on_systemic_therapy": "yes"}, "induced oligopersistence"),
    ({"history_oligometastatic": "yes"}, "repeat oligorecurrence"),
    ({"history_oligometastatic": "yes", "on_systemic_therapy": "yes", "lesions_progressing": "yes"}, "repeat oligoprogression"),
    ({"history_oligometastatic": "yes", "on_systemic_therapy": "yes"}, "repeat oligopersistence"),
    ({"history_polymetastatic": "yes", "history_oligometastatic": "yes"}, "induced oligorecurrence"),
])
def test_every_branch_of_the_tree(changes, label):
    result = cls(**changes)
    assert result.label == label and result.missing == ()
    assert result.induced == label.startswith("induced")


@pytest.mark.parametrize("changes,missing", [
    ({"history_polymetastatic": None}, ("history_polymetastatic",)),
    ({"history_oligometastatic": "unknown"}, ("history_oligometastatic",)),
    ({"primary_diagnosis_date": None}, ("primary_diagnosis_date",)),
    ({"primary_diagnosis_date": None, "metastasis_diagnosis_date": None},
     ("primary_diagnosis_date", "metastasis_diagnosis_date")),
    ({"metastasis_diagnosis_date": "2024-12-01", "on_systemic_therapy": None}, ("on_systemic_therapy",)),
    ({"history_polymetastatic": "yes", "on_systemic_therapy": None}, ("on_systemic_therapy",)),
    ({"history_polymetastatic": "yes", "on_systemic_therapy": "yes", "lesions_progressing": None},
     ("lesions_progressing",)),
    ({"history_oligometastatic": "yes", "on_systemic_therapy": "yes", "lesions_progressing": None},
     ("lesions_progressing",)),
])
def test_a_missing_fact_gives_unknown_naming_it(changes, missing):
    result = cls(**changes)
    assert result.label == "unknown" and result.missing == missing
    assert result.to_json()["class"] == "unknown"


def test_synchronous_cut_off_is_a_setting_with_its_boundary():
    # 2024-01-01 -> 2024-07-01 is 182 days = 5.98 months
    facts = CaseFacts({**BASE, "metastasis_diagnosis_date": "2024-07-01"})
    assert classify(facts).timing == "synchronous"
    assert classify(facts, cutoff_months=5.9).timing == "metachronous"
    on = CaseFacts({**BASE, "primary_diagnosis_date": "2024-01-01", "metastasis_diagnosis_date": "2024-02-01"})
    interval = classify(on).interval_months
    assert classify(on, cutoff_months=interval).timing == "synchronous"  # on the cut-off
    assert classify(on, cutoff_months=interval - 0.01).timing == "metachronous"
    assert classify(facts).verified is False and classify(facts).cutoff_months == 6.0


def test_facts_are_validated_with_the_field_named():
    with pytest.raises(FactsError, match=r"facts\.ecog: 'two' is not a number"):
        CaseFacts({"ecog": "two"})
    with pytest.raises(FactsError, match=r"facts\.ecog: 7 is outside 0\.\.5"):
        CaseFacts({"ecog": 7})
    with pytest.raises(FactsError, match=r"primary_diagnosis_date: '1/2/2024' is not a date; write it as YYYY-MM-DD"):
        CaseFacts({"primary_diagnosis_date": "1/2/2024"})
    with pytest.raises(FactsError, match=r"primary_controlled: 'maybe' is not yes, no or unknown"):
        CaseFacts({"primary_controlled": "maybe"})
    with pytest.raises(FactsError, match=r"imaging_modality: 'SPECT' is not one of CT, PET-CT, MR"):
        CaseFacts({"imaging_modality": "SPECT"})
    facts = CaseFacts({"ecog": "unknown", "primary_controlled": True, "imaging_modality": "pet-ct", "local": 3})
    assert facts.get("ecog") is None and facts.get("primary_controlled") == "yes"
    assert facts.get("imaging_modality") == "PET-CT" and facts.get("local") == 3

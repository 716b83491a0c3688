"""Per-lesion status at every RECIST 1.1 / PERCIST 1.0 boundary, SUL, and the derived facts."""

from __future__ import annotations

import numpy as np
import pytest

from core.codes import Site
from core.lesions import Lesion
from core.measure import Measurements
from core.registration import PriorToCurrent, RegistrationResult
from core.rules.classification import classify
from core.rules.facts import CaseFacts
from core.tracking.derived import DerivedFact, derive_facts, effective_facts
from core.tracking.status import (LesionStatus, PatientBody, Sex, StatusDecision, ct_status, decide, pet_status,
                                  size_mm_for)
from core.tracking.tracker import NewCandidate, NewLesion, TrackedLesion, TrackResult

P, R, S = LesionStatus.PROGRESSING, LesionStatus.RESPONDING, LesionStatus.STABLE


@pytest.mark.parametrize("prior, current, expected", [
    (30.0, 36.0, P),        # +20 % and +6 mm: on the percentage boundary
    (30.0, 35.99, S),       # just under +20 %
    (25.0, 30.0, P),        # +20 % and +5 mm: on both boundaries
    (25.0, 29.99, S),       # just under both
    (20.0, 24.9, S),        # +24.5 % but only +4.9 mm: the 5 mm floor holds it stable
    (20.0, 25.0, P),        # +25 % and +5 mm
    (10.0, 14.0, S),        # +40 % but +4 mm
    (30.0, 21.0, R),        # -30 %: on the boundary
    (30.0, 21.01, S),       # just under 30 % smaller
    (30.0, 0.0, R),
    (30.0, 30.0, S),
])
def test_recist_boundaries(prior, current, expected):
    assert ct_status(prior, current) is expected


@pytest.mark.parametrize("prior, current, expected", [
    (4.0, 5.2, P),          # +30 % and +1.2 SUL
    (4.0, 5.19, S),         # just under +30 %
    (2.0, 2.8, P),          # +40 % and +0.8 SUL: on the absolute boundary
    (2.0, 2.79, S),         # +39.5 % but +0.79 SUL
    (10.0, 7.0, R),         # -30 % and -3 SUL
    (10.0, 7.01, S),        # just under 30 % less
    (2.0, 1.2, R),          # -40 % and -0.8 SUL: on the absolute boundary
    (2.0, 1.21, S),         # -39.5 % but only -0.79 SUL
    (2.5, 1.75, S),         # -30 % but -0.75 SUL
])
def test_percist_boundaries(prior, current, expected):
    assert pet_status(prior, current) is expected


def test_pet_decides_where_both_dates_have_it_and_ct_is_shown_beside():
    d = decide(20.0, 26.0, 5.0, 5.0)
    assert (d.status, d.ct_status, d.pet_status, d.decided_by) == (S, P, S, "PET")
    d = decide(20.0, 26.0, 5.0, None)  # no PET now: CT decides
    assert (d.status, d.pet_status, d.decided_by) == (P, None, "CT")
    d = decide(None, None, None, None)  # point-only lesions: never "stable" by default
    assert d.status is LesionStatus.UNKNOWN and "not measurable" in d.note


def test_lymph_node_uses_short_axis():
    assert size_mm_for(Site.REGIONAL_LYMPH_NODE, 25.0, 12.0) == (12.0, "short_axis_mm")
    assert size_mm_for(Site.LUNG, 25.0, 12.0) == (25.0, "longest_axial_diameter_mm")


def test_sul_needs_height_sex_and_weight():
    body = PatientBody(weight_kg=80.0, height_cm=180.0, sex=Sex.MALE)
    # Janmahasatian: 9270 x 80 / (6680 + 216 x 24.69) = 61.7 kg
    assert body.lean_body_mass_kg() == pytest.approx(61.7, abs=0.05)
    assert body.sul_factor() == pytest.approx(61.7 / 80.0, abs=0.001)
    female = PatientBody(weight_kg=80.0, height_cm=180.0, sex=Sex.FEMALE)
    assert female.lean_body_mass_kg() < body.lean_body_mass_kg()
    partial = PatientBody(weight_kg=80.0)
    assert partial.sul_factor() is None
    assert "height, sex" in partial.why_no_sul() and "SUVpeak (body weight) used" in partial.why_no_sul()


def _result(statuses: list[LesionStatus], n_new: int = 0, searched: bool = True) -> TrackResult:
    registration = RegistrationResult(PriorToCurrent.identity(), "identity", "none", None, 0.0)
    lesions = []
    for n, status in enumerate(statuses, start=1):
        prior = Lesion(f"L{n}", f"L{n}", point_mm=(0.0, 0.0, float(n)))
        current = None if status is LesionStatus.DISAPPEARED else prior
        lesions.append(TrackedLesion(prior, Measurements(), StatusDecision(status, None, None, "CT"),
                                     np.zeros(3), current, Measurements() if current else None))
    new = tuple(NewLesion(f"L{len(statuses) + k + 1}", NewCandidate((1.0, 2.0, 3.0)), Measurements())
                for k in range(n_new))
    return TrackResult(registration, tuple(lesions), new, searched)


def test_counts_a_disappeared_lesion_only_at_the_prior_date():
    result = _result([P, R, LesionStatus.DISAPPEARED, S], n_new=2)
    assert (result.count_prior, result.count_current) == (4, 5)


def test_derived_facts_progression_new_and_history():
    derived = derive_facts(_result([P, R, LesionStatus.DISAPPEARED], n_new=2))
    assert derived["history_oligometastatic"].value == "yes"
    assert "history_polymetastatic" not in derived  # an earlier scan may have shown more
    assert derived["lesions_progressing"].value == "yes"
    assert derived["new_lesions"].value == 2 and derived["progressing_lesions"].value == 1
    assert derived["lesions_progressing"].to_json()["derived"] is True
    assert derived["lesions_progressing"].to_json()["confirmed"] is False


def test_new_lesion_alone_is_progression():
    assert derive_facts(_result([S, S], n_new=1))["lesions_progressing"].value == "yes"


def test_no_progression_only_when_new_lesions_were_searched_and_all_measured():
    assert derive_facts(_result([S, R], n_new=0))["lesions_progressing"].value == "no"
    assert "lesions_progressing" not in derive_facts(_result([S, R], searched=False))
    assert "lesions_progressing" not in derive_facts(_result([S, LesionStatus.UNKNOWN]))
    assert derive_facts(_result([S], searched=False))["new_lesions"].value is None


def test_more_than_five_prior_lesions_is_a_polymetastatic_history():
    derived = derive_facts(_result([S] * 6))
    assert derived["history_polymetastatic"].value == "yes" and "history_oligometastatic" not in derived
    assert "history_oligometastatic" in derive_facts(_result([S] * 5))


def test_the_users_value_overrides_and_the_class_follows():
    derived = {"history_oligometastatic": DerivedFact("history_oligometastatic", "yes", "r"),
               "lesions_progressing": DerivedFact("lesions_progressing", "yes", "r"),
               "new_lesions": DerivedFact("new_lesions", 2, "r")}
    user = {"history_polymetastatic": "no", "on_systemic_therapy": "yes", "lesions_progressing": "unknown"}
    facts, provenance = effective_facts(user, derived)
    assert facts["lesions_progressing"] == "yes" and provenance["lesions_progressing"] == "derived"
    assert "new_lesions" not in facts  # not a case fact
    assert classify(CaseFacts(facts)).label == "repeat oligoprogression"
    facts, provenance = effective_facts(dict(user, lesions_progressing="no"), derived)
    assert facts["lesions_progressing"] == "no" and provenance["lesions_progressing"] == "overridden"
    assert classify(CaseFacts(facts)).label == "repeat oligopersistence"
    assert user["lesions_progressing"] == "unknown"  # the user's facts are never written by the derivation


def test_a_primary_tumour_in_the_prior_case_is_not_a_metastasis_of_the_history():
    from core.codes import LesionKind

    def with_primary(result):
        first = result.lesions[0]
        primary = TrackedLesion(first.prior.with_changes(kind=LesionKind.PRIMARY), *(
            getattr(first, f) for f in ("prior_values", "decision", "carried_mm", "current", "current_values")))
        return TrackResult(result.registration, (primary, *result.lesions[1:]), result.new, result.new_searched)

    derived = derive_facts(with_primary(_result([S] * 6)))  # the primary and 5 metastases: oligometastatic
    assert derived["history_oligometastatic"].value == "yes" and "history_polymetastatic" not in derived
    assert "5 metastases" in derived["history_oligometastatic"].reason and "primary" in derived[
        "history_oligometastatic"].reason
    assert "history_oligometastatic" not in derive_facts(with_primary(_result([S])))  # the primary alone


def test_no_history_is_derived_while_the_prior_case_has_unreviewed_candidates():
    derived = derive_facts(_result([S, P]), prior_unreviewed=1)
    assert "history_oligometastatic" not in derived and "history_polymetastatic" not in derived
    assert derived["lesions_progressing"].value == "yes"  # what was measured still counts

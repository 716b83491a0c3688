"""The tracker on the two-timepoint phantom with PET at both dates and a new-lesion finder."""

from __future__ import annotations

import numpy as np
import pytest

from bench.two_timepoints import current_volumes, prior_volumes, standard_case
from core.lesions import Lesion
from core.rules.classification import classify
from core.rules.facts import CaseFacts
from core.samples import sphere_mask
from core.tracking.derived import derive_facts, effective_facts
from core.tracking.status import LesionStatus, PatientBody, Sex
from core.tracking.tracker import Images, NewCandidate, track

CASE = standard_case()


def _finder(current, masks):
    """Stands in for the PET candidate finder: every hot spot of the phantom, carried-over ones included."""
    return [NewCandidate(tuple(b.centre_mm), site="lung") for b in CASE.current_lesions.values()]


@pytest.fixture(scope="module")
def images():
    prior_ct, prior_pet = prior_volumes(CASE, pet=True)
    current_ct, current_pet = current_volumes(CASE, pet=True)
    lesions = []
    for lesion_id, ball in CASE.prior_lesions.items():
        centre = CASE.prior_pose.apply(np.array(ball.centre_mm))
        lesions.append(Lesion(lesion_id, lesion_id, site="lung", point_mm=tuple(centre),
                              mask=sphere_mask(prior_ct, centre, ball.diameter_mm)))
    return lesions, Images(prior_ct, prior_pet), Images(current_ct, current_pet)


@pytest.fixture(scope="module")
def result(images):
    lesions, prior, current = images
    return track(lesions, prior, current, find_new=_finder)


def test_pet_decides_and_ct_is_beside(result):
    by_id = {t.prior.id: t for t in result.lesions}
    assert {k: t.status for k, t in by_id.items()} == {
        "L1": LesionStatus.PROGRESSING, "L2": LesionStatus.RESPONDING, "L3": LesionStatus.DISAPPEARED,
        "L4": LesionStatus.STABLE, "L5": LesionStatus.STABLE}
    assert by_id["L1"].decision.decided_by == "PET" and by_id["L1"].decision.ct_status is LesionStatus.PROGRESSING
    assert by_id["L1"].prior_values.suv_peak == pytest.approx(6.0, abs=0.5)
    assert by_id["L1"].current_values.suv_peak == pytest.approx(9.0, abs=0.5)
    # no height or sex: SUVbw, and the result says so
    assert result.sul_note and any("SUVpeak (body weight) used" in w for w in result.warnings)


def test_new_lesions_are_only_those_outside_the_carried_over_ones(result):
    assert len(result.new) == 2
    found = sorted(tuple(n.candidate.centroid_mm) for n in result.new)
    assert found == sorted(CASE.current_lesions[k].centre_mm for k in ("N1", "N2"))
    assert [n.id for n in result.new] == ["L6", "L7"]  # never an id of the prior case
    assert (result.count_prior, result.count_current) == (5, 6)


def test_carried_over_within_2_mm_and_identity_kept(result):
    for t in result.lesions:
        if t.current is None:
            continue
        assert t.current.id == t.prior.id
        truth = np.array(CASE.current_lesions[t.prior.id].centre_mm)
        assert np.linalg.norm(np.array(t.current_values.centroid_mm) - truth) < 2.0


def test_derived_class_with_the_therapy_facts(result):
    derived = derive_facts(result)
    facts, provenance = effective_facts({"history_polymetastatic": "no", "on_systemic_therapy": "yes"}, derived)
    assert provenance == {"history_oligometastatic": "derived", "lesions_progressing": "derived"}
    assert classify(CaseFacts(facts)).label == "repeat oligoprogression"
    facts, _ = effective_facts({"history_polymetastatic": "no", "on_systemic_therapy": "no"}, derived)
    assert classify(CaseFacts(facts)).label == "repeat oligorecurrence"


def test_sul_used_when_height_sex_and_weight_known(images):
    lesions, prior, current = images
    body = PatientBody(weight_kg=70.0, height_cm=170.0, sex=Sex.FEMALE)
    result = track(lesions[:1], prior, current, prior_body=body, current_body=body,
                   registration=track(lesions[:1], prior, current).registration)
    assert result.sul_note == "" and not any("SUVpeak (body weight)" in w for w in result.warnings)
    assert result.lesions[0].status is LesionStatus.PROGRESSING


def test_a_hot_spot_where_a_lesion_was_not_found_again_is_neither_gone_nor_new(images, result):
    from core.tracking.derived import derive_facts

    lesions, prior, current = images
    ct_only_prior = Images(prior.primary)  # no PET before: the lesion is looked for on the CT only
    gone_at = result.lesions[2].carried_mm  # L3, gone from the images

    def finder(current_images, masks):
        return [NewCandidate(tuple(gone_at + np.array([4.0, 0.0, 0.0])), site="lung")]

    again = track(lesions[2:3], ct_only_prior, current, find_new=finder, registration=result.registration)
    (l3,) = again.lesions
    assert l3.status is LesionStatus.UNKNOWN and "PET candidate finder shows a hot spot 4 mm" in l3.decision.note
    assert again.new == () and "lesions_progressing" not in derive_facts(again)
    far = track(lesions[2:3], ct_only_prior, current, registration=result.registration,
                find_new=lambda c, m: [NewCandidate(tuple(gone_at + np.array([30.0, 0.0, 0.0])), site="lung")])
    assert far.lesions[0].status is LesionStatus.DISAPPEARED and len(far.new) == 1  # 30 mm away: another lesion

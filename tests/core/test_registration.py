"""Registration of the prior CT to the current one: a known rigid motion is recovered."""

from __future__ import annotations

import numpy as np
import pytest

from bench.two_timepoints import current_volumes, prior_volumes, standard_case
from core.errors import Cancelled
from core.registration import PriorToCurrent, RegistrationError, register_ct, residual_mm, rotation_matrix


@pytest.fixture(scope="module")
def moved():
    case = standard_case(shift_mm=(6.0, -4.0, 9.0), angles_deg=(2.0, -1.5, 3.0))
    return case, prior_volumes(case)[0], current_volumes(case)[0]


def test_known_rigid_motion_recovered_within_1_mm_and_half_a_degree(moved):
    case, prior, current = moved
    assert prior.info.frame_of_reference_uid != current.info.frame_of_reference_uid
    assert prior.spacing_mm[0] != current.spacing_mm[0]  # different slice spacing and table start
    result = register_ct(prior, current)
    assert result.method == "rigid"
    # points all over the body (lesions, spine, lung apices), where the prior scan has them
    body_points = np.array([b.centre_mm for b in case.prior_lesions.values()]
                           + [(0, 75, -100), (0, 75, 100), (-70, 0, 80), (68, 5, -40), (0, -90, 0)], float)
    mean_mm, max_mm = residual_mm(result.transform, case.truth, case.prior_pose.apply(body_points))
    assert max_mm < 1.0, (mean_mm, max_mm)
    assert result.transform.compose(case.truth.inverse()).rotation_deg < 0.5
    assert result.transform.rotation_deg == pytest.approx(case.truth.rotation_deg, abs=0.5)
    assert result.metric == "Mattes mutual information" and result.metric_value is not None
    doc = result.to_json()
    assert set(doc) == {"method", "metric", "metric_value", "seconds", "transform"}
    assert len(doc["transform"]["matrix"]) == 4


def test_landmark_distance_reported(moved):
    case, prior, current = moved
    body = np.array([(0.0, 75.0, 0.0), (-70.0, 0.0, 10.0)])
    pairs = list(zip(case.prior_pose.apply(body), body))
    result = register_ct(prior, current, landmarks_mm=pairs)
    assert result.landmark_error_mm is not None and result.landmark_error_mm < 1.0


def test_same_frame_of_reference_is_the_identity(moved):
    _, _, current = moved
    result = register_ct(current, current)
    assert result.method == "identity" and result.metric_value is None
    assert np.allclose(result.transform.matrix, np.eye(4))


def test_cancel_stops_the_registration(moved):
    _, prior, current = moved
    seen = []
    with pytest.raises(Cancelled):
        register_ct(prior, current, progress=lambda done, total, text: seen.append(text), cancel=lambda: bool(seen))
    assert seen and "Registering" in seen[0]


def test_non_ct_refused_with_a_message(moved):
    _, prior, current = moved
    from dataclasses import replace

    from core.volume import Modality

    pet = replace(prior, info=replace(prior.info, modality=Modality.PT))
    with pytest.raises(RegistrationError, match="not CT"):
        register_ct(pet, current)


def test_transform_round_trip_and_angle():
    t = PriorToCurrent.from_rotation_translation(rotation_matrix((0, 0, 4.0)), (1, 2, 3))
    p = np.array([[10.0, -5.0, 7.0]])
    assert np.allclose(t.inverse().apply(t.apply(p)), p)
    assert t.rotation_deg == pytest.approx(4.0)


def test_affine_refinement_keeps_the_rigid_answer_on_a_rigid_motion(moved):
    from core.registration import RegistrationParams

    case, prior, current = moved
    result = register_ct(prior, current, RegistrationParams(affine=True))
    assert result.method == "rigid+affine" and result.transform.kind == "affine"
    points = case.prior_pose.apply(np.array([b.centre_mm for b in case.prior_lesions.values()]))
    assert residual_mm(result.transform, case.truth, points)[1] < 1.0

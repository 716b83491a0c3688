"""The core of Compare with prior (issue 17): the nudge, a confirmed carried-over lesion keeping its identity,
prior_id in the case file, and the refusal of a prior of another patient."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.case import Case, load_case, save_case
from core.lesions import AddLesion, Lesion, UndoStack
from core.measure import Measurements
from core.registration.transform import PriorToCurrent, rotation_matrix
from core.tracking.compare import Nudge, lesion_for_current_case
from core.tracking.prior import PriorStudyError, check_comparable
from core.tracking.status import LesionStatus, StatusDecision
from core.tracking.tracker import TrackedLesion
from core.volume import Modality, SeriesInfo, Volume


def test_a_zero_nudge_leaves_the_registration_as_it_is():
    registered = PriorToCurrent.from_rotation_translation(rotation_matrix((1, 2, 3)), (5, -4, 2))
    assert Nudge(centre_mm=(10, 20, 30)).applied_to(registered) is registered


def test_a_shift_moves_every_mapped_point_by_the_shift_after_the_registration():
    registered = PriorToCurrent.from_rotation_translation(rotation_matrix((1, 2, 3)), (5, -4, 2))
    nudged = Nudge(shift_mm=(1.0, 0.0, -2.0)).applied_to(registered)
    points = np.array([[0.0, 0.0, 0.0], [100.0, -50.0, 20.0]])
    assert np.allclose(nudged.apply(points) - registered.apply(points), [1.0, 0.0, -2.0])


def test_a_rotation_turns_about_its_centre():
    centre = (10.0, -20.0, 30.0)
    nudge = Nudge(rotation_deg=(0.0, 0.0, 90.0), centre_mm=centre)
    turned = nudge.as_transform()
    assert np.allclose(turned.apply(centre), centre)
    assert np.allclose(turned.apply(np.add(centre, (10.0, 0.0, 0.0))), np.add(centre, (0.0, 10.0, 0.0)))
    assert "+90.0" in nudge.text() and nudge.to_json()["rotation_deg"] == [0.0, 0.0, 90.0]


def test_a_nudge_needs_finite_numbers():
    with pytest.raises(ValueError, match="shift_mm"):
        Nudge(shift_mm=(1.0, float("nan"), 0.0))


def _tracked(found: bool = True, prior_id: str = "L2") -> TrackedLesion:
    prior = Lesion(prior_id, prior_id, site="lung", point_mm=(0.0, 0.0, 0.0), notes="seen in March")
    current = prior.with_changes(point_mm=(1.0, 2.0, 3.0), notes="carried over: a proposal") if found else None
    decision = (StatusDecision(LesionStatus.PROGRESSING, LesionStatus.PROGRESSING, None, "CT") if found
                else StatusDecision(LesionStatus.DISAPPEARED, None, None, "not found"))
    return TrackedLesion(prior, Measurements(longest_axial_diameter_mm=20.0), decision, np.zeros(3), current,
                         Measurements(longest_axial_diameter_mm=26.0) if found else None)


def test_a_confirmed_lesion_keeps_its_id_and_records_where_it_came_from():
    lesion = lesion_for_current_case(_tracked(), LesionStatus.PROGRESSING, [], lambda: "L9", prior_date="20240102")
    assert (lesion.id, lesion.prior_id, lesion.point_mm) == ("L2", "L2", (1.0, 2.0, 3.0))
    assert "seen in March" in lesion.notes and "progressing" in lesion.notes and "20240102" in lesion.notes
    assert "20.0 mm -> 26.0 mm" in lesion.notes and "a proposal" not in lesion.notes


def test_an_id_taken_in_the_current_case_gives_a_fresh_id_and_the_same_prior_id():
    lesion = lesion_for_current_case(_tracked(), LesionStatus.STABLE, ["L1", "L2"], lambda: "L3", overridden=True)
    assert (lesion.id, lesion.label, lesion.prior_id) == ("L3", "L3", "L2")
    assert "stable (status set by the user" in lesion.notes


def test_a_disappeared_lesion_cannot_be_added_to_the_current_scan():
    with pytest.raises(ValueError, match="not found on the current scan"):
        lesion_for_current_case(_tracked(found=False), LesionStatus.DISAPPEARED, [], lambda: "L9")


def test_prior_id_is_kept_by_the_case_file_and_absent_when_not_set(tmp_path):
    case = Case()
    stack = UndoStack()
    stack.push(AddLesion(case.lesions, Lesion("L1", "L1", point_mm=(1, 2, 3), prior_id="L4")))
    stack.push(AddLesion(case.lesions, Lesion("L2", "L2", point_mm=(4, 5, 6))))
    path = save_case(case, tmp_path / "case.json")
    written = {item["id"]: item for item in json.loads(path.read_text())["lesions"]}
    assert written["L1"]["prior_id"] == "L4" and "prior_id" not in written["L2"]
    again = load_case(path)
    assert again.lesions["L1"].prior_id == "L4" and again.lesions["L2"].prior_id == ""


def _volume(patient_id: str, series_uid: str, date: str) -> Volume:
    info = SeriesInfo(series_uid, frame_of_reference_uid="1.2.3", modality=Modality.CT, patient_id=patient_id,
                      study_date=date)
    return Volume(np.zeros((2, 4, 4), np.int16), np.array([[0, 0, 0], [0, 0, 1.0]]), [1, 0, 0], [0, 1, 0],
                  (1.0, 1.0), info, unit="HU")


def test_a_prior_of_another_patient_is_refused_without_naming_either():
    with pytest.raises(PriorStudyError, match="another patient") as err:
        check_comparable(_volume("PAT-A", "1.1", "20240102"), _volume("PAT-B", "1.2", "20240502"))
    assert "PAT-A" not in str(err.value) and "PAT-B" not in str(err.value)


def test_the_current_series_is_not_its_own_prior():
    with pytest.raises(PriorStudyError, match="series shown now"):
        check_comparable(_volume("P", "1.1", "20240102"), _volume("P", "1.1", "20240102"))


def test_warnings_for_a_missing_patient_id_and_a_prior_later_than_the_current():
    assert check_comparable(_volume("P", "1.1", "20240102"), _volume("P", "1.2", "20240502")) == []
    warnings = check_comparable(_volume("", "1.1", "20240902"), _volume("P", "1.2", "20240502"))
    assert any("patient ID is missing" in w for w in warnings) and any("later than" in w for w in warnings)


def test_the_residual_is_the_mean_distance_from_where_lesions_were_carried_to_where_they_were_found():
    from core.tracking.compare import carried_residual_mm
    from core.tracking.tracker import TrackResult

    def found(carried, centroid):
        t = _tracked()
        return TrackedLesion(t.prior, t.prior_values, t.decision, np.asarray(carried, float), t.current,
                             Measurements(centroid_mm=centroid))

    gone = _tracked(found=False)
    result = TrackResult(None, (found((0, 0, 0), (3.0, 4.0, 0.0)), found((10, 0, 0), (11.0, 0.0, 0.0)), gone),
                         (), False)
    assert carried_residual_mm(result) == (pytest.approx(3.0), 2)
    assert carried_residual_mm(TrackResult(None, (gone,), (), False)) is None


def test_a_new_lesion_confirmed_has_no_prior_id_and_a_fresh_id_when_its_own_is_taken():
    from core.tracking.compare import new_lesion_for_current_case
    from core.tracking.tracker import NewCandidate, NewLesion

    new = NewLesion("L6", NewCandidate((1.0, 2.0, 3.0), site="liver"), Measurements())
    lesion = new_lesion_for_current_case(new, [], lambda: "L9", prior_date="20240102")
    assert (lesion.id, lesion.prior_id, lesion.site.value, lesion.point_mm) == ("L6", "", "liver", (1.0, 2.0, 3.0))
    assert "new since the prior scan of 20240102" in lesion.notes
    assert new_lesion_for_current_case(new, ["L6"], lambda: "L9").id == "L9"


def test_the_users_decisions_change_what_is_derived():
    from core.tracking.compare import with_user_decisions
    from core.tracking.derived import derive_facts
    from core.tracking.tracker import NewCandidate, NewLesion, TrackResult

    stable = _tracked()
    stable = TrackedLesion(stable.prior, stable.prior_values,
                           StatusDecision(LesionStatus.STABLE, LesionStatus.STABLE, None, "CT"), stable.carried_mm,
                           stable.current, stable.current_values)
    new = NewLesion("L6", NewCandidate((1.0, 2.0, 3.0)), Measurements())
    result = TrackResult(None, (stable,), (new,), True)
    assert derive_facts(result)["lesions_progressing"].value == "yes"  # the new one
    judged = with_user_decisions(result, {}, ["L6"])
    assert derive_facts(judged)["lesions_progressing"].value == "no" and derive_facts(judged)["new_lesions"].value == 0
    overridden = with_user_decisions(result, {"L2": LesionStatus.PROGRESSING}, ["L6"])
    assert overridden.lesions[0].status is LesionStatus.PROGRESSING and overridden.lesions[0].decision.decided_by == "user"
    assert derive_facts(overridden)["lesions_progressing"].value == "yes"
    assert result.lesions[0].status is LesionStatus.STABLE  # the software's result is kept as it was
    # a rejected carried-over proposal (what was found there is not L2): its status is unknown, so no "no"
    rejected = with_user_decisions(result, {}, ["L2", "L6"])
    assert rejected.lesions[0].status is LesionStatus.UNKNOWN and rejected.lesions[0].decision.decided_by == "user"
    assert "lesions_progressing" not in derive_facts(rejected)
    assert "carried-over proposal rejected by the user: L2" in derive_facts(rejected)["progressing_lesions"].reason


def test_the_prior_ct_of_a_folder_is_the_latest_earlier_study_of_the_patient():
    from types import SimpleNamespace

    from core.tracking.prior import choose_prior_ct

    def entry(uid, study, date, patient="P", modality=Modality.CT, slices=100):
        info = SeriesInfo(uid, study_uid=study, modality=modality, patient_id=patient, study_date=date)
        return SimpleNamespace(info=info, n_slices=slices, shape=(slices, 512, 512), key=uid)

    current = entry("cur", "S-may", "20240502").info
    series = [entry("cur", "S-may", "20240502"), entry("jan", "S-jan", "20240102", slices=300),
              entry("mar", "S-mar", "20240301", slices=80), entry("mar-pet", "S-mar", "20240301", modality=Modality.PT),
              entry("sep", "S-sep", "20240901"), entry("other", "S-x", "20240401", patient="Q")]
    assert choose_prior_ct(SimpleNamespace(series=series, root="/x", skipped=[]), current).key == "mar"

"""The user's side of comparing with the prior scan (gui Compare with prior, docs/tracking.md).

* :class:`Nudge`: a manual correction of the registration, a shift (mm) and
  small rotations (degrees) about a centre, applied after the registration in
  current-scan coordinates.
* :func:`lesion_for_current_case`: a carried-over lesion the user confirmed,
  as a lesion of the current case that keeps its identity (``prior_id``).
* :func:`new_lesion_for_current_case`: a lesion found only now, confirmed.
* :func:`with_user_decisions`: the result with the user's overrides, for the
  derived facts shown beside it.
* :func:`carried_residual_mm`: how far from where they were carried the
  lesions were found again (a residual of the registration in mm).

Nothing here accepts anything: the gui calls these on a user's click.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Collection

import numpy as np

from core.lesions import Lesion
from core.registration.transform import PriorToCurrent, rotation_matrix
from core.tracking.status import LesionStatus
from core.tracking.tracker import NewLesion, TrackedLesion, TrackResult


@dataclass(frozen=True)
class Nudge:
    """``current' = R (current - centre) + centre + shift``; zero: no correction."""

    shift_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rotation_deg: tuple[float, float, float] = (0.0, 0.0, 0.0)
    centre_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        for name in ("shift_mm", "rotation_deg", "centre_mm"):
            values = tuple(float(v) for v in getattr(self, name))
            if len(values) != 3 or not all(np.isfinite(values)):
                raise ValueError(f"nudge {name} must be 3 finite numbers; got {getattr(self, name)}")
            object.__setattr__(self, name, values)

    @property
    def is_zero(self) -> bool:
        return not any(self.shift_mm) and not any(self.rotation_deg)

    def as_transform(self) -> PriorToCurrent:
        rotation = rotation_matrix(self.rotation_deg)
        centre = np.asarray(self.centre_mm)
        return PriorToCurrent.from_rotation_translation(rotation, centre + np.asarray(self.shift_mm)
                                                        - rotation @ centre)

    def applied_to(self, registered: PriorToCurrent) -> PriorToCurrent:
        """The registration followed by this correction."""
        return registered if self.is_zero else registered.compose(self.as_transform())

    def to_json(self) -> dict:
        return {"shift_mm": [round(v, 2) for v in self.shift_mm],
                "rotation_deg": [round(v, 2) for v in self.rotation_deg],
                "centre_mm": [round(v, 1) for v in self.centre_mm]}

    def text(self) -> str:
        shift = ", ".join(f"{v:+.1f}" for v in self.shift_mm)
        turn = ", ".join(f"{v:+.1f}" for v in self.rotation_deg)
        return f"shift ({shift}) mm, rotation ({turn})°"


def lesion_for_current_case(tracked: TrackedLesion, status: LesionStatus, taken_ids: Collection[str],
                            new_id: Callable[[], str], *, prior_date: str = "", overridden: bool = False) -> Lesion:
    """The carried-over lesion, confirmed by the user, as a lesion of the current case.

    It keeps the prior case's id when the current case has no lesion of that id (else a fresh id) and
    always records it as ``prior_id``. The status and the values at both dates go into its notes.
    A disappeared lesion (nothing found now) cannot become a lesion of the current scan: ValueError.
    """
    if tracked.current is None:
        raise ValueError(f"{tracked.prior.id} was not found on the current scan: there is nothing to add; "
                         "mark it by hand if it is there")
    prior = tracked.prior
    lesion_id = prior.id if prior.id not in taken_ids else new_id()
    before, after = tracked.prior_values, tracked.current_values
    sizes = f"{_mm(before.longest_axial_diameter_mm)} -> {_mm(after.longest_axial_diameter_mm if after else None)}"
    how = "status set by the user" if overridden else f"status decided by {tracked.decision.decided_by}"
    when = f" of {prior_date}" if prior_date else ""
    note = (f"{prior.id} of the prior scan{when}, carried over and confirmed by the user: {status.value} "
            f"({how}; longest diameter {sizes})")
    notes = f"{prior.notes}\n{note}" if prior.notes else note
    label = prior.label if lesion_id == prior.id else lesion_id
    return tracked.current.with_changes(id=lesion_id, label=label, notes=notes, prior_id=prior.id)


def new_lesion_for_current_case(new: NewLesion, taken_ids: Collection[str], new_id: Callable[[], str], *,
                                prior_date: str = "") -> Lesion:
    """A lesion found only on the current scan (the PET candidate finder, outside the carried-over
    lesions), confirmed by the user: a lesion of the current case with no ``prior_id``."""
    lesion_id = new.id if new.id not in taken_ids else new_id()
    when = f" of {prior_date}" if prior_date else ""
    return Lesion(lesion_id, lesion_id, site=new.candidate.site, point_mm=new.candidate.centroid_mm,
                  mask=new.candidate.mask,
                  notes=f"new since the prior scan{when}: found by the PET candidate finder outside the carried-over "
                        "lesions and confirmed by the user")


def with_user_decisions(result: TrackResult, overrides: dict[str, LesionStatus],
                        rejected: Collection[str]) -> TrackResult:
    """``result`` as the user has judged it so far: statuses overridden, rejected new lesions left out, a
    rejected carried-over proposal (what was found there is not that lesion) of unknown status (the derived
    facts follow the user's word, not only the software's; an unknown status derives no "no")."""
    def judged(t: TrackedLesion) -> TrackedLesion:
        if t.prior.id in rejected:
            return replace(t, decision=replace(t.decision, status=LesionStatus.UNKNOWN, decided_by="user",
                                               note="the carried-over proposal was rejected by the user"))
        if t.prior.id in overrides:
            return replace(t, decision=replace(t.decision, status=overrides[t.prior.id], decided_by="user"))
        return t

    lesions = tuple(judged(t) for t in result.lesions)
    return replace(result, lesions=lesions, new=tuple(n for n in result.new if n.id not in rejected))


def carried_residual_mm(result: TrackResult) -> tuple[float, int] | None:
    """(mean distance in mm between where each lesion was carried through the map and the centroid of what
    was segmented there, number of lesions found); None when none was found. It includes any real shift of
    a lesion's centre (growth to one side), so it bounds the registration's error at the lesions from above."""
    offsets = [float(np.linalg.norm(np.asarray(t.current_values.centroid_mm) - np.asarray(t.carried_mm)))
               for t in result.lesions if t.current_values is not None and t.current_values.centroid_mm is not None]
    return (float(np.mean(offsets)), len(offsets)) if offsets else None


def _mm(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} mm"

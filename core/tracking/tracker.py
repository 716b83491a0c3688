"""Carry the prior case's lesions onto the current scan and compare them (docs/tracking.md).

1. The prior CT is registered to the current CT (core.registration); its PET
   follows it (one map between patient coordinates).
2. Each prior lesion's centroid is carried through the map and the lesion is
   segmented again there with the click tool (core.segment, on the current PET
   when there is one, on the CT otherwise). It keeps its id (``prior_id``).
   Not found there (nothing segmentable, or what grows there lies elsewhere):
   disappeared.
3. Status per lesion from the values at both dates (core.tracking.status).
4. New lesions: ``find_new`` (the PET candidate finder, core.tracking.new_lesions)
   is asked for candidates outside the carried-over lesions. Without it (a CT
   alone) none are searched, and the result says so in ``warnings`` and
   ``not_searched_why``: the user marks new lesions.

Everything found here is a proposal: the contours, the statuses and the
derived facts are shown to the user to confirm.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Protocol, Sequence

import numpy as np

from core.codes import Site
from core.errors import Cancelled, NewLesionSearchError, SegmentationError
from core.lesions import Lesion, LesionMask
from core.measure import Measurements, measure_lesion
from core.registration import RegistrationParams, RegistrationResult, register_ct
from core.segment import SegmentParams, segment_lesion
from core.tracking.status import LesionStatus, PatientBody, StatusDecision, decide, size_mm_for
from core.volume import Modality, Volume

Progress = Callable[[int, int, str], None]
CancelCheck = Callable[[], bool]

#: a re-segmented lesion whose centroid lies farther than this from the carried-over
#: point (or than half its prior diameter, whichever is larger) is something else
FOUND_WITHIN_MM = 10.0
NO_FINDER_WARNING = ("new lesions were not searched (no candidate finder was given); mark new lesions on the "
                     "current scan by hand")
NO_PET_WARNING = ("new lesions were not searched: the current images hold no PET (the search runs the PET "
                  "candidate finder); mark new lesions on the current scan by hand")


class TimepointImages(Protocol):
    """What a date needs: the grid the lesions are drawn on, its CT and PET (core.workspace.Workspace)."""

    primary: Volume
    pet: Volume | None

    @property
    def ct(self) -> Volume | None: ...


@dataclass(frozen=True)
class Images:
    """A plain :class:`TimepointImages` (tests, bench)."""

    primary: Volume
    pet: Volume | None = None

    @property
    def ct(self) -> Volume | None:
        return self.primary if self.primary.modality is not Modality.PT else None


@dataclass(frozen=True)
class NewCandidate:
    """A lesion found only on the current scan (from the candidate finder)."""

    centroid_mm: tuple[float, float, float]
    mask: LesionMask | None = None
    site: Site = Site.OTHER

    def __post_init__(self) -> None:
        point = tuple(float(v) for v in self.centroid_mm)
        if len(point) != 3 or not all(np.isfinite(point)):
            raise ValueError(f"a new-lesion candidate needs centroid_mm of 3 finite numbers; got {self.centroid_mm}")
        object.__setattr__(self, "centroid_mm", point)
        object.__setattr__(self, "site", Site.parse(self.site))


#: find_new(current images, masks of the carried-over lesions) -> candidates outside them; it raises
#: :class:`core.errors.NewLesionSearchError` when it cannot search (a PET without SUV): never an empty list then
FindNew = Callable[[TimepointImages, Sequence[LesionMask]], Iterable[NewCandidate]]



@dataclass(frozen=True)
class TrackedLesion:
    prior: Lesion
    prior_values: Measurements
    decision: StatusDecision
    carried_mm: np.ndarray
    current: Lesion | None = None  # None: disappeared
    current_values: Measurements | None = None
    why_not_found: str = ""

    @property
    def status(self) -> LesionStatus:
        return self.decision.status


@dataclass(frozen=True)
class NewLesion:
    id: str
    candidate: NewCandidate
    values: Measurements


@dataclass(frozen=True)
class TrackResult:
    registration: RegistrationResult
    lesions: tuple[TrackedLesion, ...]
    new: tuple[NewLesion, ...]
    new_searched: bool
    sul_note: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)
    #: why new lesions were not searched ("" when they were)
    not_searched_why: str = ""

    @property
    def count_prior(self) -> int:
        return len(self.lesions)

    @property
    def count_current(self) -> int:
        """The lesions present now: carried over and found, plus the new ones."""
        return sum(t.current is not None for t in self.lesions) + len(self.new)

    def with_status(self, status: LesionStatus) -> list[TrackedLesion]:
        return [t for t in self.lesions if t.status is status]


def track(
    prior_lesions: Sequence[Lesion],
    prior: TimepointImages,
    current: TimepointImages,
    *,
    find_new: FindNew | None = None,
    prior_body: PatientBody = PatientBody(),
    current_body: PatientBody = PatientBody(),
    first_new_number: int | None = None,
    segment_params: SegmentParams = SegmentParams(),
    registration_params: RegistrationParams = RegistrationParams(),
    registration: RegistrationResult | None = None,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
) -> TrackResult:
    """Compare ``prior_lesions`` (drawn on ``prior.primary``) with the current scan (see the module docstring)."""
    if prior.ct is None or current.ct is None:
        which = "prior" if prior.ct is None else "current"
        raise SegmentationError(f"the {which} images hold no CT; comparing with the prior scan needs a CT at "
                                "both dates (the registration is CT to CT)")
    if registration is None:
        registration = register_ct(prior.ct, current.ct, registration_params, progress=progress, cancel=cancel)
    factors = (prior_body.sul_factor(), current_body.sul_factor())
    sul_note = "" if None not in factors else (prior_body.why_no_sul() or current_body.why_no_sul())
    tracked = []
    for n, lesion in enumerate(prior_lesions):
        if cancel is not None and cancel():
            raise Cancelled("tracking cancelled")
        if progress is not None:
            progress(n, len(prior_lesions), f"Finding lesion {lesion.id} on the current scan")
        tracked.append(_carry(lesion, prior, current, registration, factors, segment_params))
    new: list[NewLesion] = []
    warnings: list[str] = list(registration.warnings)
    not_searched_why = ""
    candidates: list[NewCandidate] = []
    if find_new is None:
        not_searched_why = NO_FINDER_WARNING if current.pet is not None else NO_PET_WARNING
    else:
        masks = [t.current.mask for t in tracked if t.current is not None and t.current.mask is not None]
        try:
            candidates = list(find_new(current, masks))
        except NewLesionSearchError as exc:  # a failed search is not "no new lesion"
            not_searched_why = f"new lesions were not searched: {exc}; mark new lesions on the current scan by hand"
    if not_searched_why:
        warnings.append(not_searched_why)
    else:
        number = max(first_new_number or 0, _next_number(prior_lesions))  # never a carried-over lesion's id
        for candidate in candidates:
            if _inside_any(candidate.centroid_mm, masks, current.primary):
                continue  # a carried-over lesion, not a new one
            gone = _gone_near(candidate.centroid_mm, tracked)
            if gone is not None:  # hot where a lesion "disappeared": it is not gone, nor new; the user decides
                tracked[gone] = _seen_on_pet(tracked[gone], candidate.centroid_mm)
                continue
            lesion = Lesion(f"L{number}", f"L{number}", site=candidate.site, point_mm=candidate.centroid_mm,
                            mask=candidate.mask)
            values = measure_lesion(lesion, current.primary if candidate.mask is not None else None,
                                    current.ct, current.pet)
            new.append(NewLesion(lesion.id, candidate, values))
            number += 1
    if sul_note and any(t.decision.decided_by == "PET" for t in tracked):
        warnings.append(sul_note)
    return TrackResult(registration, tuple(tracked), tuple(new), not not_searched_why, sul_note, tuple(warnings),
                       not_searched_why)


def _carry(lesion: Lesion, prior: TimepointImages, current: TimepointImages, registration: RegistrationResult,
           factors: tuple[float | None, float | None], params: SegmentParams) -> TrackedLesion:
    grid = prior.primary if lesion.mask is not None else None
    before = measure_lesion(lesion, grid, prior.ct, prior.pet)
    centroid = np.array(before.centroid_mm if before.centroid_mm is not None else lesion.point_mm, dtype=float)
    carried = registration.transform.apply(centroid)
    prior_size, _ = size_mm_for(lesion.site, before.longest_axial_diameter_mm, before.short_axis_mm)
    try:
        pet_here = current.pet if prior.pet is not None or current.ct is None else None
        volume = pet_here if pet_here is not None else current.ct
        result = segment_lesion(volume, carried, params, grid=current.ct if pet_here is not None else None)
    except SegmentationError as exc:
        return _gone(lesion, before, carried, f"nothing segmentable at the carried-over position ({exc})")
    found = lesion.with_changes(mask=result.mask, point_mm=tuple(float(v) for v in carried),
                                segmentation=result.record, notes=_proposal_note(lesion))
    after = measure_lesion(found, current.ct, current.ct, current.pet)
    limit = max(FOUND_WITHIN_MM, (prior_size or 0.0) / 2)
    offset = float(np.linalg.norm(np.array(after.centroid_mm) - carried))
    if offset > limit:
        return _gone(lesion, before, carried, f"what grows at the carried-over position is centred {offset:.0f} mm "
                                              f"away (more than {limit:.0f} mm): another structure")
    current_size, _ = size_mm_for(lesion.site, after.longest_axial_diameter_mm, after.short_axis_mm)
    peaks = [_sul(before.suv_peak, factors[0]), _sul(after.suv_peak, factors[1])]
    decision = decide(prior_size, current_size, *peaks)
    return TrackedLesion(lesion, before, decision, carried, found, after)


def _found_within_mm(t: TrackedLesion) -> float:
    """How far from the carried-over point a lesion found again may be centred (else it is another one)."""
    size, _ = size_mm_for(t.prior.site, t.prior_values.longest_axial_diameter_mm, t.prior_values.short_axis_mm)
    return max(FOUND_WITHIN_MM, (size or 0.0) / 2)


def _gone_near(point_mm, tracked: Sequence[TrackedLesion]) -> int | None:
    """The index of a lesion not found now whose carried-over point lies within its reach of ``point_mm``."""
    for n, t in enumerate(tracked):
        if t.current is None and float(np.linalg.norm(np.asarray(point_mm) - t.carried_mm)) <= _found_within_mm(t):
            return n
    return None


def _seen_on_pet(t: TrackedLesion, point_mm) -> TrackedLesion:
    """A lesion the re-segmentation did not find, where the PET finder shows a hot spot: status unknown."""
    offset = float(np.linalg.norm(np.asarray(point_mm) - t.carried_mm))
    note = (f"not found again at the carried-over position ({t.why_not_found}), but the PET candidate finder shows "
            f"a hot spot {offset:.0f} mm from it: neither disappeared nor new; contour it on the current scan or "
            "mark it disappeared")
    return replace(t, decision=StatusDecision(LesionStatus.UNKNOWN, None, None, "unknown", note))


def _gone(lesion: Lesion, before: Measurements, carried: np.ndarray, why: str) -> TrackedLesion:
    decision = StatusDecision(LesionStatus.DISAPPEARED, None, None, "not found", why)
    return TrackedLesion(lesion, before, decision, carried, why_not_found=why)


def _proposal_note(lesion: Lesion) -> str:
    text = f"carried over from the prior scan ({lesion.id}) and segmented again by oligoplan track: a proposal, " \
           "check the contour"
    return f"{lesion.notes}\n{text}" if lesion.notes else text


def _next_number(lesions: Sequence[Lesion]) -> int:
    """The first "L<n>" number after the prior lesions' ids (new lesions never reuse an id)."""
    numbers = [int(lesion.id[1:]) for lesion in lesions if lesion.id[:1] == "L" and lesion.id[1:].isdigit()]
    return max(numbers, default=0) + 1


def _sul(peak: float | None, factor: float | None) -> float | None:
    if peak is None:
        return None
    return peak * factor if factor is not None else peak


def _inside_any(point_mm, masks: Sequence[LesionMask], grid: Volume) -> bool:
    index = np.rint(grid.patient_to_index(np.asarray(point_mm, dtype=float))).astype(int)
    return any(m.contains(index) for m in masks if m.series_uid == grid.info.series_uid)

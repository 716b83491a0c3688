"""New lesions on the current PET: the PET candidate finder (core.detect) outside the carried-over lesions.

The finder runs on the whole current PET as `oligoplan detect` does (same
threshold, splitting, physiology and site proposal). A candidate that reaches
within :data:`NEW_LESION_MARGIN_MM` of a carried-over lesion (its mask on the
current scan) is that lesion, grown or re-segmented differently, not a new one:
it is left out. What remains are the new lesions: proposals (a candidate, or a
lesion only with ``--accept-new``), never confirmed here (docs/tracking.md).

On a CT alone there is no finder: new lesions are not searched and the user
marks them (core.tracking.tracker.NO_PET_WARNING).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
from scipy import ndimage

from core.codes import Site
from core.errors import NewLesionSearchError
from core.lesions import LesionMask
from core.tracking.tracker import FindNew, NewCandidate, TimepointImages

#: a candidate reaching this close (mm) to a carried-over lesion belongs to it
NEW_LESION_MARGIN_MM = 5.0


#: the finder to use instead of the PET candidate finder (tests, scripts); None: :func:`new_lesion_finder`
#: gives the PET finder on a current PET and no finder on a CT alone
FINDER_OVERRIDE: FindNew | None = None


def new_lesion_finder(current, body=None) -> FindNew | None:
    """The one choice of new-lesion finder, for `oligoplan track` and the window's Compare with prior:
    :data:`FINDER_OVERRIDE` when set, else the PET finder on a current PET (``body``: a
    core.detect.PatientBody for SUL), else None (a CT alone: new lesions are marked by the user)."""
    if FINDER_OVERRIDE is not None:
        return FINDER_OVERRIDE
    if getattr(current, "pet", None) is None:
        return None
    return PetNewLesionFinder(body=body)


def header_body(workspace):
    """core.detect.PatientBody from the PET header of ``workspace`` (None without a PET): the body the
    window's Compare with prior gives the finder; `oligoplan track` lets --height-m and --sex replace its parts."""
    from core.detect import patient_body_from_header

    pet = getattr(workspace, "pet", None)
    scan = getattr(workspace, "scan", None)
    if pet is None or scan is None:
        return None
    entry = next((e for e in scan.series if e.info.series_uid == pet.info.series_uid), None)
    return patient_body_from_header(entry.header) if entry is not None else None


class PetNewLesionFinder:
    """A ``FindNew`` (core.tracking.tracker) running core.detect's finder on the current PET.

    ``body`` (core.detect.PatientBody) gives SUL when weight, height and sex are known;
    ``structures`` are (name, bool mask on the PET grid) for the liver reference and physiology,
    ``organs`` the structures whose organs propose a candidate's site. After a call,
    :attr:`detection` holds the finder's run and :attr:`found` the candidates kept (on the PET grid),
    by the centroid of each :class:`NewCandidate` returned."""

    def __init__(self, body=None, structures: Sequence = (), organs: Sequence = (),
                 margin_mm: float = NEW_LESION_MARGIN_MM) -> None:
        self.body, self.structures, self.organs, self.margin_mm = body, tuple(structures), tuple(organs), margin_mm
        self.detection = None
        self.found: dict[tuple[float, float, float], object] = {}

    def __call__(self, current: TimepointImages, carried: Sequence[LesionMask]) -> Iterable[NewCandidate]:
        from core.candidates import mask_on_grid
        from core.detect import DetectionError, detect_candidates
        from core.detect.finder import anatomy_proposer

        pet = current.pet
        if pet is None:
            raise NewLesionSearchError("the current images hold no PET")
        try:
            self.detection = detect_candidates(pet, body=self.body, structures=self.structures,
                                               propose_site=anatomy_proposer(self.organs, current.ct))
        except DetectionError as exc:  # e.g. a PET without SUV: the search did not run
            raise NewLesionSearchError(f"the PET candidate finder could not run ({exc})") from None
        grids = {v.info.series_uid: v for v in (current.primary, current.ct, pet) if v is not None}
        near = carried_zone(pet, [(m, grids.get(m.series_uid)) for m in carried], self.margin_mm)
        out = []
        for found in self.detection.candidates:
            if np.any(near[tuple(found.mask.indices().T)]):
                continue  # a carried-over lesion (or touching one): not new
            mask = mask_on_grid(found.mask, pet, current.primary) or found.mask
            candidate = NewCandidate(tuple(found.centroid_mm), mask, _site(found.site))
            self.found[candidate.centroid_mm] = found
            out.append(candidate)
        return out


def carried_zone(pet, masks: Sequence[tuple[LesionMask, object]], margin_mm: float) -> np.ndarray:
    """Bool array on the PET grid: the carried-over lesions (each mask with the volume it is drawn on)
    grown by ``margin_mm``. A mask whose grid is not known is placed by its series being the PET's."""
    from core.candidates import mask_on_grid

    zone = np.zeros(pet.shape, dtype=bool)
    for mask, grid in masks:
        on_pet = mask if mask.series_uid == pet.info.series_uid else (
            mask_on_grid(mask, grid, pet) if grid is not None else None)
        if on_pet is not None:
            zone |= on_pet.full()
    if margin_mm <= 0 or not zone.any():
        return zone
    spacing = np.asarray(pet.spacing_mm, dtype=float)
    pad = np.ceil(margin_mm / spacing).astype(int) + 1
    idx = np.argwhere(zone)
    lo = np.maximum(idx.min(axis=0) - pad, 0)
    hi = np.minimum(idx.max(axis=0) + pad + 1, np.array(pet.shape))
    box = tuple(slice(a, b) for a, b in zip(lo, hi))
    distance = ndimage.distance_transform_edt(~zone[box], sampling=spacing)
    zone[box] = distance <= margin_mm
    return zone


def _site(value: str) -> Site:
    try:
        return Site.parse(value)
    except ValueError:
        return Site.UNKNOWN

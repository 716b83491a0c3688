"""Score a trainee's lesions against a reference set (trainee practice mode).

Pure functions over lesions and the volumes their masks were drawn on; the
command line (``oligoplan score``) and the practice mode of the gui call
:func:`score_lesions` alike.

Matching, one to one:

1. *overlap first*: every (reference, trainee) pair whose masks share voxels,
   taken greedily by decreasing Dice;
2. *then centroid distance*: among the lesions left (point markers
   included), pairs whose centres lie within ``tolerance_mm`` of each other,
   taken greedily by increasing distance.

Reference lesions left unmatched are *missed*, trainee lesions left are
*extra* (false positives). Sensitivity is matched / reference lesions
(None, with a reason, when the reference has none).

Per matched pair with two masks (units: mm, percent):

* Dice = 2 |A n B| / (|A| + |B|), by volume (true slice thickness), on the
  reference's grid (a trainee mask on another grid is mapped onto it by voxel
  centres, core.measure.voxels_inside);
* surface distances between the boundary voxel centres of the two masks
  (core.measure.boundary_points_mm), in both directions:
  ``hd95_mm`` is the larger of the two directed 95th percentiles (the robust
  Hausdorff distance of the surface-distance literature), ``msd_mm`` the
  mean of all distances of both directions (average symmetric surface
  distance). Identical masks give 0 for both;
* ``volume_diff_pct`` = (trainee - reference) / reference x 100.

A match involving a point-only lesion has no Dice, distances or volume (None).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

import numpy as np
from scipy.spatial import cKDTree

from core.errors import ScoringError
from core.lesions import Lesion, LesionMask
from core.measure import boundary_points_mm, mask_volume_cc, voxels_inside
from core.volume import Volume

#: Centres closer than this (mm) match when the contours do not overlap.
DEFAULT_TOLERANCE_MM = 10.0

#: A callable giving the rule-set verdicts of a lesion list, e.g. {"SABR-COMET": "eligible"}.
VerdictFunction = Callable[[list[Lesion]], Mapping[str, str]]


@dataclass(frozen=True)
class MatchScore:
    """One reference lesion matched with one trainee lesion."""

    reference: str
    trainee: str
    matched_by: str  # "overlap" or "distance"
    centroid_distance_mm: float | None
    dice: float | None
    hd95_mm: float | None
    msd_mm: float | None
    volume_diff_pct: float | None
    reference_site: str
    trainee_site: str

    @property
    def site_agrees(self) -> bool:
        return self.reference_site == self.trainee_site

    def to_json(self) -> dict:
        return {
            "reference": self.reference,
            "trainee": self.trainee,
            "dice": _round(self.dice, 4),
            "hd95_mm": _round(self.hd95_mm, 2),
            "msd_mm": _round(self.msd_mm, 2),
            "volume_diff_pct": _round(self.volume_diff_pct, 1),
            "site_agrees": self.site_agrees,
            "matched_by": self.matched_by,
            "centroid_distance_mm": _round(self.centroid_distance_mm, 2),
            "reference_site": self.reference_site,
            "trainee_site": self.trainee_site,
        }


@dataclass(frozen=True)
class Scorecard:
    """The comparison of a trainee's lesions with the reference's."""

    matched: tuple[MatchScore, ...]
    missed: tuple[str, ...]
    extra: tuple[str, ...]
    n_reference: int
    n_trainee: int
    reference_counts: dict[str, int]
    trainee_counts: dict[str, int]
    verdicts_agree: bool | None = None
    verdicts_note: str = ""
    reference_verdicts: dict[str, str] = field(default_factory=dict)
    trainee_verdicts: dict[str, str] = field(default_factory=dict)
    tolerance_mm: float = DEFAULT_TOLERANCE_MM

    @property
    def sensitivity(self) -> float | None:
        """Matched / reference lesions; None when the reference is empty."""
        return len(self.matched) / self.n_reference if self.n_reference else None

    @property
    def false_positives(self) -> int:
        return len(self.extra)

    @property
    def count_agrees(self) -> bool:
        return self.n_reference == self.n_trainee

    @property
    def per_organ_counts_agree(self) -> bool:
        return self.reference_counts == self.trainee_counts

    @property
    def mean_dice(self) -> float | None:
        values = [m.dice for m in self.matched if m.dice is not None]
        return float(np.mean(values)) if values else None

    def match_for_reference(self, reference_id: str) -> MatchScore | None:
        return next((m for m in self.matched if m.reference == reference_id), None)

    def match_for_trainee(self, trainee_id: str) -> MatchScore | None:
        return next((m for m in self.matched if m.trainee == trainee_id), None)

    def to_json(self) -> dict:
        """The `oligoplan score --json` document (the keys of issue 7, then details)."""
        return {
            "matched": [m.to_json() for m in self.matched],
            "missed": list(self.missed),
            "extra": list(self.extra),
            "sensitivity": _round(self.sensitivity, 4),
            "false_positives": self.false_positives,
            "count_agrees": self.count_agrees,
            "verdicts_agree": self.verdicts_agree,
            "per_organ_counts_agree": self.per_organ_counts_agree,
            "reference_counts": dict(self.reference_counts),
            "trainee_counts": dict(self.trainee_counts),
            "verdicts_note": self.verdicts_note,
            "reference_verdicts": dict(self.reference_verdicts),
            "trainee_verdicts": dict(self.trainee_verdicts),
            "mean_dice": _round(self.mean_dice, 4),
            "tolerance_mm": self.tolerance_mm,
        }


# ---------------------------------------------------------------- scoring
def score_lesions(
    reference: Iterable[Lesion],
    trainee: Iterable[Lesion],
    grids: Mapping[str, Volume],
    *,
    tolerance_mm: float = DEFAULT_TOLERANCE_MM,
    verdicts: VerdictFunction | None = None,
) -> Scorecard:
    """Match and score the trainee's lesions against the reference's.

    Parameters
    ----------
    reference, trainee
        The two lesion lists (e.g. ``case.lesions``).
    grids
        Series Instance UID -> the Volume masks of that series were drawn on.
    tolerance_mm
        Largest centre-to-centre distance (mm) at which lesions whose
        contours do not overlap still match.
    verdicts
        Gives the rule-set verdicts of a lesion list; without it
        ``verdicts_agree`` is None and ``verdicts_note`` says why.
    """
    if not tolerance_mm >= 0:
        raise ScoringError(f"tolerance_mm must be 0 or more, got {tolerance_mm!r}")
    ref = [_Geometry.of(lesion, grids, "reference") for lesion in reference]
    tra = [_Geometry.of(lesion, grids, "trainee") for lesion in trainee]
    pairs = _match(ref, tra, tolerance_mm)
    matched = tuple(_score_pair(r, t, by, d) for r, t, by, d in pairs)
    used_r = {m.reference for m in matched}
    used_t = {m.trainee for m in matched}
    card = dict(
        matched=matched,
        missed=tuple(g.lesion.id for g in ref if g.lesion.id not in used_r),
        extra=tuple(g.lesion.id for g in tra if g.lesion.id not in used_t),
        n_reference=len(ref),
        n_trainee=len(tra),
        reference_counts=_counts(g.lesion for g in ref),
        trainee_counts=_counts(g.lesion for g in tra),
        tolerance_mm=float(tolerance_mm),
    )
    if verdicts is None:
        card["verdicts_note"] = "no rule engine given: verdicts were not compared"
    else:
        rv = dict(verdicts([g.lesion for g in ref]))
        tv = dict(verdicts([g.lesion for g in tra]))
        card.update(reference_verdicts=rv, trainee_verdicts=tv, verdicts_agree=rv == tv,
                    verdicts_note="" if rv == tv else "; ".join(
                        f"{name}: reference {rv.get(name, '-')}, trainee {tv.get(name, '-')}"
                        for name in sorted(set(rv) | set(tv)) if rv.get(name) != tv.get(name)))
    return Scorecard(**card)


@dataclass
class _Geometry:
    """A lesion with its grid, centroid (mm) and volume (cm3), computed once."""

    lesion: Lesion
    grid: Volume | None
    centroid_mm: np.ndarray | None
    volume_cc: float | None

    @classmethod
    def of(cls, lesion: Lesion, grids: Mapping[str, Volume], side: str) -> "_Geometry":
        mask = lesion.mask
        if mask is None:
            point = np.asarray(lesion.point_mm, dtype=np.float64) if lesion.point_mm is not None else None
            return cls(lesion, None, point, None)
        grid = grids.get(mask.series_uid)
        if grid is None or grid.shape != mask.grid_shape:
            raise ScoringError(
                f"{side} lesion {lesion.id} was drawn on series {mask.series_uid} "
                f"(grid {list(mask.grid_shape)}), which is not among the images loaded; "
                "score the two sets on the images they were drawn on"
            )
        centroid = grid.index_to_patient(mask.indices()).mean(axis=0)
        return cls(lesion, grid, centroid, mask_volume_cc(mask, grid))

    @property
    def has_mask(self) -> bool:
        return self.grid is not None


def mask_on_grid(mask: LesionMask, mask_grid: Volume, target: Volume) -> LesionMask | None:
    """The voxels of ``target`` whose centres are inside ``mask`` (drawn on ``mask_grid``)."""
    if mask_grid is target or (mask_grid.info.series_uid == target.info.series_uid
                               and mask_grid.shape == target.shape):
        return mask
    idx = voxels_inside(target, mask, mask_grid)
    if len(idx) == 0:
        return None
    lo = idx.min(axis=0)
    box = np.zeros(tuple(idx.max(axis=0) - lo + 1), dtype=bool)
    box[tuple((idx - lo).T)] = True
    return LesionMask(tuple(int(v) for v in lo), box, target.shape, target.info.series_uid)


def overlap_cc(a: LesionMask, b: LesionMask, grid: Volume) -> float:
    """Volume (cm3) of the voxels two masks on the same grid share."""
    lo = np.maximum(a.offset, b.offset)
    hi = np.minimum(np.array(a.offset) + a.array.shape, np.array(b.offset) + b.array.shape)
    if np.any(hi <= lo):
        return 0.0
    sa = tuple(slice(l - o, h - o) for l, h, o in zip(lo, hi, a.offset))
    sb = tuple(slice(l - o, h - o) for l, h, o in zip(lo, hi, b.offset))
    both = LesionMask.from_box(a.array[sa] & b.array[sb], tuple(lo), grid.shape, grid.info.series_uid)
    return 0.0 if both is None else mask_volume_cc(both, grid)


def dice(a: LesionMask, b: LesionMask, grid: Volume) -> float:
    """Dice coefficient of two masks on ``grid`` (by volume)."""
    va, vb = mask_volume_cc(a, grid), mask_volume_cc(b, grid)
    return 2.0 * overlap_cc(a, b, grid) / (va + vb) if va + vb > 0 else 0.0


def surface_distances_mm(a: LesionMask, b: LesionMask, grid: Volume) -> tuple[float, float]:
    """(HD95, mean symmetric surface distance) in mm between two masks on ``grid``."""
    pa, pb = boundary_points_mm(a, grid), boundary_points_mm(b, grid)
    ab = cKDTree(pb).query(pa, k=1)[0]
    ba = cKDTree(pa).query(pb, k=1)[0]
    hd95 = max(float(np.percentile(ab, 95)), float(np.percentile(ba, 95)))
    msd = float(np.concatenate([ab, ba]).mean())
    return hd95, msd


# ---------------------------------------------------------------- helpers
def _match(ref: list[_Geometry], tra: list[_Geometry], tolerance_mm: float):
    """[(reference geometry, trainee geometry, how, centroid distance mm)], one to one."""
    overlaps = []
    for r in ref:
        for t in tra:
            if r.has_mask and t.has_mask:
                tmask = mask_on_grid(t.lesion.mask, t.grid, r.grid)
                if tmask is not None and overlap_cc(r.lesion.mask, tmask, r.grid) > 0:
                    overlaps.append((dice(r.lesion.mask, tmask, r.grid), r, t))
    overlaps.sort(key=lambda item: -item[0])
    pairs, used_r, used_t = [], set(), set()
    for _d, r, t in overlaps:
        if id(r) not in used_r and id(t) not in used_t:
            pairs.append((r, t, "overlap", _distance(r, t)))
            used_r.add(id(r))
            used_t.add(id(t))
    near = []
    for r in ref:
        for t in tra:
            if id(r) in used_r or id(t) in used_t:
                continue
            distance = _distance(r, t)
            if distance is not None and distance <= tolerance_mm:
                near.append((distance, r, t))
    near.sort(key=lambda item: item[0])
    for distance, r, t in near:
        if id(r) not in used_r and id(t) not in used_t:
            pairs.append((r, t, "distance", distance))
            used_r.add(id(r))
            used_t.add(id(t))
    order = {id(g): n for n, g in enumerate(ref)}
    return sorted(pairs, key=lambda p: order[id(p[0])])


def _distance(r: _Geometry, t: _Geometry) -> float | None:
    if r.centroid_mm is None or t.centroid_mm is None:
        return None
    return float(np.linalg.norm(r.centroid_mm - t.centroid_mm))


def _score_pair(r: _Geometry, t: _Geometry, how: str, distance: float | None) -> MatchScore:
    values = dict(dice=None, hd95_mm=None, msd_mm=None, volume_diff_pct=None)
    if r.has_mask and t.has_mask:
        tmask = mask_on_grid(t.lesion.mask, t.grid, r.grid)
        if tmask is not None:
            values["dice"] = dice(r.lesion.mask, tmask, r.grid)
            values["hd95_mm"], values["msd_mm"] = surface_distances_mm(r.lesion.mask, tmask, r.grid)
        if r.volume_cc:
            values["volume_diff_pct"] = (t.volume_cc - r.volume_cc) / r.volume_cc * 100.0
    return MatchScore(
        reference=r.lesion.id, trainee=t.lesion.id, matched_by=how, centroid_distance_mm=distance,
        reference_site=r.lesion.site.value, trainee_site=t.lesion.site.value, **values,
    )


def _counts(lesions: Iterable[Lesion]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for lesion in lesions:
        counts[lesion.site.value] = counts.get(lesion.site.value, 0) + 1
    return dict(sorted(counts.items()))


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)

"""PET hot-spot candidates: threshold above the liver, split by peaks, physiology left out.

1. Values in SUL (core.detect.sul) when the header allows, else SUVbw.
2. Liver reference (core.detect.reference): mean and SD in a 3 cm sphere;
   threshold = 1.5 x mean + 2 x SD (PERCIST 1.0), or the user's.
3. Connected regions above the threshold (26-connected). Within a region,
   uptake peaks (local maxima of the lightly smoothed PET) grow by flooding
   down from the top; two peaks stay one region unless the uptake between them
   dips below 60 % of the lower peak: neighbouring nodes and a node beside the
   bladder come apart, noise in one lesion does not.
4. Regions smaller than ``min_volume_cc`` (0.3) count when clearly hot (SUVmax at
   least 1.2 x the threshold): an 8 mm lesion is two or three 4 mm PET voxels
   above the threshold. Noise does not reach the threshold: it lies half the
   liver mean plus 2 SD above the liver's mean.
5. Physiological uptake (core.detect.physiology) is listed apart with its
   reason; the rest are candidates with centroid, volume, SUVmax (SUVbw),
   SULpeak (mean in the 1 cm3 sphere placed where it is highest, in ``unit``)
   and a proposed site and side.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from scipy import ndimage

from core.detect import physiology as phys
from core.detect.body import BodyOutline, body_outline
from core.detect.reference import place_reference, sphere_stats
from core.detect.sul import PatientBody, normalisation
from core.errors import OligoPlanError
from core.lesions import LesionMask
from core.volume import ValueUnit

#: SULpeak sphere: 1 cm3
PEAK_DIAMETER_MM = 2.0 * (3.0 / (4.0 * np.pi) * 1000.0) ** (1.0 / 3.0)
SPLIT_DIP = 0.6
SMOOTH_MM = 1.5
#: an uptake peak is the highest voxel within this distance (mm)
PEAK_NEIGHBOURHOOD_MM = 4.0
CLEARLY_HOT = 1.2


class DetectionError(OligoPlanError):
    """Candidates cannot be found on these images (no PET, no SUV, no reference)."""


@dataclass(frozen=True)
class DetectParams:
    threshold: float | None = None  # in the reference's unit; None: 1.5 x liver mean + 2 x SD
    min_volume_cc: float = 0.3
    reference_centre_mm: tuple[float, float, float] | None = None
    physiological_mm: tuple[tuple[float, float, float], ...] = ()


@dataclass(frozen=True)
class Reference:
    method: str  # "automatic", "structure:NAME", "user"; "none" when only the user's threshold is known
    organ: str  # "liver" or "" (none placed)
    unit: ValueUnit  # SUL or SUV_BW
    sul_mean: float | None
    sul_sd: float | None
    threshold: float
    centre_mm: tuple[float, float, float] | None
    note: str = ""  # why SUVbw, or that the threshold was the user's

    def to_json(self) -> dict:
        r = lambda v: None if v is None else round(float(v), 3)  # noqa: E731
        return {"method": self.method, "organ": self.organ, "unit": self.unit.value, "sul_mean": r(self.sul_mean),
                "sul_sd": r(self.sul_sd), "threshold": r(self.threshold),
                "centre_mm": None if self.centre_mm is None else [round(float(v), 1) for v in self.centre_mm]}


@dataclass(frozen=True)
class Found:
    """A candidate as found (before it becomes part of a case)."""

    id: str
    centroid_mm: tuple[float, float, float]
    volume_cc: float
    suv_max: float
    sul_peak: float
    site: str
    side: str
    site_source: str
    mask: LesionMask  # on the PET grid

    def to_json(self) -> dict:
        return {"id": self.id, "centroid_mm": [round(float(v), 1) for v in self.centroid_mm],
                "volume_cc": round(self.volume_cc, 3), "suv_max": round(self.suv_max, 2),
                "sul_peak": round(self.sul_peak, 2), "site": self.site, "side": self.side,
                "site_source": self.site_source}


@dataclass(frozen=True)
class Suppressed:
    centroid_mm: tuple[float, float, float]
    organ: str
    reason: str
    mask: LesionMask | None = None

    def to_json(self) -> dict:
        return {"centroid_mm": [round(float(v), 1) for v in self.centroid_mm], "organ": self.organ,
                "reason": self.reason}


@dataclass
class Detection:
    reference: Reference
    candidates: list[Found]
    suppressed: list[Suppressed]
    seconds: float
    series_uid: str
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """The `oligoplan detect --json` document."""
        return {"reference": self.reference.to_json(), "candidates": [c.to_json() for c in self.candidates],
                "suppressed": [s.to_json() for s in self.suppressed], "seconds": round(self.seconds, 3)}


#: (mask on the PET grid, PET volume) -> (site, side, site_source)
SiteProposer = Callable[[LesionMask, object], tuple[str, str, str]]


def default_proposer(outline: BodyOutline) -> SiteProposer:
    """Site "unknown" (the organ proposal plugs in here), side from the PET body outline's midline."""

    def propose(mask: LesionMask, pet) -> tuple[str, str, str]:
        centre = pet.index_to_patient(mask.indices().mean(axis=0)[None, :])[0]
        return "unknown", outline.side(pet, centre), "unknown"

    return propose


def anatomy_proposer(structures: Sequence = (), ct=None) -> SiteProposer:
    """Each candidate's site and side by :func:`core.anatomy.propose_site`: the organ structures
    (core.rt.structures.Structure, on the CT or PET grid) holding most of it, else the CT's anatomy;
    on a PET without a CT only the side (from the PET's body outline)."""
    from core.anatomy import propose_site

    def propose(mask: LesionMask, pet) -> tuple[str, str, str]:
        found = propose_site(mask, pet, structures=structures, ct=ct, pet=None if ct is not None else pet)
        return found.site.value, found.side.value, found.source_text

    return propose


def detect_candidates(pet, *, body: PatientBody | None = None, params: DetectParams = DetectParams(),
                      structures: Sequence[tuple[str, np.ndarray]] = (),
                      propose_site: SiteProposer | None = None) -> Detection:
    """Candidates on ``pet`` (a Volume in SUVbw). ``structures`` are (name, bool mask on the PET grid):
    a liver structure places the reference, organ structures mark physiological uptake."""
    start = time.perf_counter()
    if pet is None or pet.modality.value != "PT":
        raise DetectionError("candidates need a PET: open a PET/CT (or PET) study, or mark lesions by hand "
                             "(click, contour or brush) on the CT")
    if pet.unit is not ValueUnit.SUV_BW:
        why = pet.suv_unavailable or f"the PET is in {pet.unit or 'unknown units'}"
        raise DetectionError(f"the PET has no SUV ({why}); candidates are thresholded in SUV: "
                             "mark lesions by hand, or use a PET whose header gives weight and dose")
    suv = np.asarray(pet.voxels, dtype=np.float32)
    norm = normalisation(body)
    outline = body_outline(pet, suv)
    reference = _reference(pet, suv, outline, norm, params, structures)
    threshold_suv = reference.threshold / norm.factor
    propose = propose_site or default_proposer(outline)
    landmarks = _anatomy(pet, outline, reference, [], [])
    regions = _split_regions(suv, suv > threshold_suv, pet, keep_whole=lambda region: phys.is_brain(
        region, landmarks, outline.centre_mm(pet, region.centroid_mm)))
    measured = [_measure(pet, suv, box, sl, norm.factor, params, structures, threshold_suv) for box, sl, _ in regions]
    centres = [outline.centre_mm(pet, m.region.centroid_mm) for m in measured]
    anatomy = _anatomy(pet, outline, reference, measured, centres)
    whole: dict[int, phys.Region] = {}
    for _, _, component in regions:
        if id(component) not in whole:
            whole[id(component)] = component_region(component, pet)
    verdicts = phys.classify_all([m.region for m in measured], anatomy, centres,
                                 [whole[id(component)] for _, _, component in regions])
    found, suppressed = [], []
    for (box, sl, _), m, verdict in zip(regions, measured, verdicts):
        mask = LesionMask.from_box(box, tuple(s.start for s in sl), pet.shape, pet.info.series_uid)
        if verdict is not None:
            suppressed.append(Suppressed(m.region.centroid_mm, verdict[0], verdict[1], mask))
            continue
        if m.region.volume_cc < params.min_volume_cc and m.suv_max < CLEARLY_HOT * threshold_suv:
            continue
        site, side, source = propose(mask, pet)
        found.append(Found("", m.region.centroid_mm, m.region.volume_cc, m.suv_max, m.sul_peak(), site, side, source,
                           mask))
    found.sort(key=lambda f: -f.suv_max)
    found = [Found(f"C{n}", *(getattr(f, k) for k in ("centroid_mm", "volume_cc", "suv_max", "sul_peak", "site",
                                                      "side", "site_source", "mask")))
             for n, f in enumerate(found, 1)]
    notes = [norm.note] if norm.note else []
    return Detection(reference, found, suppressed, time.perf_counter() - start, pet.info.series_uid, notes)


# ------------------------------------------------------------------ reference
def _reference(pet, suv, outline, norm, params: DetectParams, structures) -> Reference:
    liver = next(((name, mask) for name, mask in structures if _is_liver(name)), None)
    placement = place_reference(pet, suv, outline, user_centre_mm=params.reference_centre_mm, liver=liver)
    stats = sphere_stats(pet, suv, placement.centre_mm) if placement is not None else None
    if stats is None:
        if params.threshold is None:
            raise DetectionError("no liver reference region found on this PET (no liver-like uptake right of the "
                                 "midline, no LIVER structure): place the 3 cm reference sphere yourself "
                                 "(--liver X,Y,Z) or give the threshold (--threshold)")
        return Reference("none", "", norm.unit, None, None, float(params.threshold), None,
                         "threshold given by the user; no liver reference")
    mean, sd = stats.mean * norm.factor, stats.sd * norm.factor
    threshold = float(params.threshold) if params.threshold is not None else 1.5 * mean + 2.0 * sd
    return Reference(placement.method, "liver", norm.unit, mean, sd, threshold, placement.centre_mm, norm.note)


def _is_liver(name: str) -> bool:
    return "".join(ch for ch in name.upper() if ch.isalnum()) in ("LIVER", "LEBER", "FOIE", "HEPAR")


# ------------------------------------------------------------------ regions
def _split_regions(suv: np.ndarray, hot: np.ndarray, pet, keep_whole=lambda region: False):
    """[(box mask, slices on the grid, component)]: each 26-connected hot region, split at dips (not
    those ``keep_whole`` says are one organ: the brain, left out whole)."""
    labels, n = ndimage.label(hot, structure=np.ones((3, 3, 3), bool))
    out = []
    sigma = np.clip(SMOOTH_MM / np.asarray(pet.spacing_mm, float), 0.0, 1.0)  # light: the PET is smooth already
    for comp, sl in enumerate(ndimage.find_objects(labels), 1):
        if sl is None:
            continue
        grown = tuple(slice(max(s.start - 2, 0), min(s.stop + 2, dim)) for s, dim in zip(sl, suv.shape))
        mask = labels[grown] == comp
        component = (mask, grown, _region(pet, mask, grown))
        if mask.sum() <= 2 or keep_whole(component[2]):
            out.append((mask, grown, component))
            continue
        smooth = ndimage.gaussian_filter(suv[grown], sigma)
        footprint = 2 * np.maximum(1, np.rint(PEAK_NEIGHBOURHOOD_MM / np.asarray(pet.spacing_mm, float))).astype(int) + 1
        for part in _split(smooth, mask, footprint=tuple(footprint)):
            out.append((part, grown, component))
    return out


def _split(smooth: np.ndarray, mask: np.ndarray, n_levels: int = 24, footprint=(3, 3, 3)) -> list[np.ndarray]:
    """The region cut into one part per uptake peak, flooding down from the top: two peaks meet at
    their saddle and stay apart when the saddle is below ``SPLIT_DIP`` x the lower peak; voxels
    reached from two parts at once go to the nearer one."""
    peaks = mask & (smooth == ndimage.maximum_filter(np.where(mask, smooth, -np.inf), size=footprint))
    idx = np.argwhere(peaks)
    if len(idx) <= 1:
        return [mask]
    heights = smooth[tuple(idx.T)]
    group = list(range(len(idx)))  # union-find over peaks
    height = {i: float(h) for i, h in enumerate(heights)}

    def root(i):
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    owner = np.zeros(mask.shape, np.int32)  # 1 + peak index of the part, 0: not reached yet
    owner[tuple(idx.T)] = np.arange(1, len(idx) + 1)
    full = np.ones((3, 3, 3), bool)
    low = float(smooth[mask].min())
    for level in np.linspace(float(heights.max()), low, n_levels)[1:]:
        above = mask & (smooth >= level)
        labels = np.zeros(mask.shape, np.int32)
        box = ndimage.find_objects(above.astype(np.int8))[0]  # label only where the flood has reached
        labels[box], n = ndimage.label(above[box], structure=full)
        held = above & (owner > 0)
        roots_now = np.array([0] + [root(i) + 1 for i in range(len(idx))])
        pairs = np.unique(labels[held].astype(np.int64) * (len(idx) + 2) + roots_now[owner[held]])
        by_comp: dict[int, set[int]] = {}
        for pair in pairs:
            by_comp.setdefault(int(pair // (len(idx) + 2)), set()).add(int(pair % (len(idx) + 2)) - 1)
        for present in by_comp.values():  # peaks meeting at this level: each joins the tallest unless it dips
            tallest = max(present, key=lambda r: height[r])
            for r in present:
                if r != tallest and level >= SPLIT_DIP * height[r]:
                    group[r] = tallest
        todo = above & (owner == 0)
        if not todo.any():
            continue
        single = np.zeros(n + 1, np.int32)  # comp -> 1 + the one root it holds (0: none or several)
        several = []
        for comp, present in by_comp.items():
            roots_here = {root(r) for r in present}
            if len(roots_here) == 1:
                single[comp] = roots_here.pop() + 1
            else:
                several.append(comp)
        owner[todo] = single[labels[todo]]
        if several:
            both = np.isin(labels, several)
            box = ndimage.find_objects(both.astype(np.int8))[0]
            reached = owner[box] > 0
            _, nearest = ndimage.distance_transform_edt(~reached, return_indices=True)
            sub_todo = todo[box] & both[box]
            owner[box][sub_todo] = owner[box][tuple(n_[sub_todo] for n_ in nearest)]
    roots = np.array([0] + [root(i) + 1 for i in range(len(idx))])
    parts = roots[owner]
    return [(parts == r) & mask for r in sorted(set(roots[1:].tolist())) if ((parts == r) & mask).any()]


@dataclass(frozen=True)
class _Measured:
    region: phys.Region
    suv_max: float
    sul_peak: Callable[[], float]  # worked out for candidates only (the 1 cm3 sphere search is the slow part)


def _region(pet, box: np.ndarray, sl, user_points=(), structure=None) -> phys.Region:
    idx = np.argwhere(box) + np.array([s.start for s in sl])
    xyz = pet.index_to_patient(idx.astype(np.float64))
    dz, dy, dx = pet.spacing_mm
    lo, hi = xyz.min(axis=0), xyz.max(axis=0)
    extent = tuple(float(v) for v in (hi - lo + np.array([dx, dy, dz])))
    contains = False
    for point in user_points:
        k = np.rint(pet.patient_to_index(np.asarray(point, float))).astype(int) - np.array([s.start for s in sl])
        near = np.all(np.abs(np.argwhere(box) - k) <= 1, axis=1)
        contains = contains or bool(near.any())
    length, width = _axes_mm(xyz, (dx, dy, dz))
    return phys.Region(tuple(float(v) for v in xyz.mean(axis=0)), float(box.sum() * dz * dy * dx / 1000.0),
                       extent, float(hi[2]), contains, structure, length, width)


def _axes_mm(xyz: np.ndarray, voxel_mm) -> tuple[float, float]:
    """Length along the first and second principal axes (about 4 SD: the full extent of an even rod)."""
    if len(xyz) < 3:
        return float(max(voxel_mm)), float(max(voxel_mm))
    eig = np.sort(np.linalg.eigvalsh(np.cov(xyz.T) + np.diag(np.square(voxel_mm)) / 12.0))[::-1]
    return float(np.sqrt(12.0 * eig[0])), float(np.sqrt(12.0 * eig[1]))


def component_region(component, pet) -> phys.Region:
    return component[2]


def _measure(pet, suv, box, sl, factor, params: DetectParams, structures, threshold_suv) -> _Measured:
    values = suv[sl]
    structure = None
    for name, organ_mask in structures:
        organ = phys.organ_of_structure(name)
        if organ is None:
            continue
        fraction = float(organ_mask[sl][box].mean())
        if fraction >= 0.5 and (structure is None or fraction > structure[2]):
            structure = (organ, name, fraction)
    region = _region(pet, box, sl, params.physiological_mm, structure)
    return _Measured(region, float(values[box].max()), lambda: _peak(pet, values, box) * factor)


def _peak(pet, values: np.ndarray, box: np.ndarray) -> float:
    """The highest mean (SUVbw) of a 1 cm3 sphere centred on a voxel of the region."""
    dz, dy, dx = pet.spacing_mm
    r = PEAK_DIAMETER_MM / 2.0
    half = [int(np.ceil(r / s)) for s in (dz, dy, dx)]
    zz, yy, xx = np.meshgrid(*[np.arange(-h, h + 1) * s for h, s in zip(half, (dz, dy, dx))], indexing="ij")
    kernel = (zz**2 + yy**2 + xx**2 <= r * r).astype(np.float32)
    kernel /= kernel.sum()
    means = ndimage.convolve(values.astype(np.float32), kernel, mode="nearest")
    return float(means[box].max())


def _anatomy(pet, outline: BodyOutline, reference: Reference, measured, centres) -> phys.Anatomy:
    filled = np.flatnonzero(outline.area_cm2 > 0)
    if filled.size == 0:
        return phys.Anatomy(0.0, 0.0, False, None)
    z_of = pet.index_to_patient(np.stack([filled, np.zeros(filled.size), np.zeros(filled.size)], axis=1)
                                .astype(np.float64))[:, 2]
    zs = [float(z_of.min()), float(z_of.max())]
    # a scan whose top is a head: every section in the top 12 cm is head-sized (under 400 cm2)
    head = bool(filled.size > 1 and outline.area_cm2[filled[z_of >= zs[1] - 120.0]].max() < 400.0)
    liver_z = reference.centre_mm[2] if reference.centre_mm else None
    without = phys.Anatomy(max(zs), min(zs), head, liver_z)
    kidney_z = phys.kidney_level([m.region for m in measured], centres, without.kidney_level)
    return phys.Anatomy(max(zs), min(zs), head, liver_z, kidney_z)

"""Propose a lesion's site and side: from the case's organ structures, else from the CT anatomy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.anatomy.ct_anatomy import AnatomyMap, ct_anatomy, pet_outline
from core.anatomy.structure_names import site_for_structure_name
from core.codes import Laterality, Site, SiteSource, site_source_text
from core.lesions import LesionMask
from core.rt.structures import StructureKind
from core.volume import Volume

#: A structure places a lesion when at least this fraction of it lies inside ("most of it").
STRUCTURE_MIN_FRACTION = 0.5
#: A point-only lesion is sampled as a sphere of this radius (mm).
POINT_RADIUS_MM = 5.0
#: Within this distance of the midline (mm) a lesion has no side.
MIDLINE_TOLERANCE_MM = 5.0
#: Largest number of lesion voxels sampled (a big lesion is subsampled evenly).
MAX_POINTS = 4000
#: Ring around the lesion whose tissue tells lung, bone and liver edges (mm).
RING_MM = 8.0
#: Sites that have no side.
_UNSIDED = (Site.LIVER,)


@dataclass(frozen=True)
class SiteProposal:
    """A proposed site and side, how they were found, and the text the user sees.

    ``detail`` is what the screen says: "LIVER structure, 100% inside",
    "CT anatomy: lung", "PET body outline: side only (no CT)".
    """

    site: Site
    side: Laterality
    source: SiteSource
    detail: str
    structure: str = ""

    @property
    def source_text(self) -> str:
        """The JSON form: "structure:LIVER", "ct-anatomy" or "unknown"."""
        return site_source_text(self.source, self.structure)


def propose_site(lesion, grid: Volume | None = None, *, structures: Sequence = (), ct: Volume | None = None,
                 pet: Volume | None = None) -> SiteProposal:
    """Propose the site and side of one lesion.

    Parameters
    ----------
    lesion : core.lesions.LesionMask or (x, y, z)
        The lesion's mask on ``grid``, or its centre (LPS mm; sampled as a sphere
        of :data:`POINT_RADIUS_MM`).
    grid : Volume, optional
        The volume the mask lies on (its series UID is the mask's); unused for a point.
        When None, ``ct`` (or ``pet``) is taken.
    structures : sequence of core.rt.structures.Structure
        The case's imported structures. Organ structures (names mapped by
        :func:`core.anatomy.structure_names.site_for_structure_name`) place the
        lesion when most of it (:data:`STRUCTURE_MIN_FRACTION`) lies inside one;
        targets and body outlines never do.
    ct : Volume, optional
        The CT (HU): its coarse anatomy (cached per volume) places the lesion
        otherwise, and its body outline gives the midline.
    pet : Volume, optional
        Used only without a CT: its body outline gives the side; the site stays unknown.

    Returns
    -------
    SiteProposal
        Site ``Site.UNKNOWN`` when nothing places the lesion (source "unknown",
        or "ct-anatomy" for soft tissue / a lymph node the user must name).
    """
    grid = grid or ct or pet
    points = _lesion_points(lesion, grid)
    anatomy = ct_anatomy(ct) if ct is not None else pet_outline(pet) if pet is not None else None
    side_from_position = _side(points, anatomy)
    found = _from_structures(lesion, points, structures, ct, grid)
    if found is not None:
        name, fraction, named = found
        side = named.side if named.side is not Laterality.NONE else side_from_position
        if named.site in _UNSIDED:
            side = Laterality.NONE
        return SiteProposal(named.site, side, SiteSource.STRUCTURE,
                            f"{name} structure, {fraction * 100:.0f}% inside", name)
    if ct is not None and anatomy is not None:
        return _from_ct(points, anatomy, side_from_position)
    if anatomy is not None:
        return SiteProposal(Site.UNKNOWN, side_from_position, SiteSource.UNKNOWN,
                            "PET body outline: side only (no CT to tell the organ)")
    return SiteProposal(Site.UNKNOWN, Laterality.NONE, SiteSource.UNKNOWN, "no structure or CT to place it")


# ------------------------------------------------------------------ sampling
def _lesion_points(lesion, grid: Volume | None) -> np.ndarray:
    """(n, 3) LPS mm points of the lesion."""
    if isinstance(lesion, LesionMask):
        if grid is None:
            raise ValueError("propose_site: a lesion mask needs the volume it lies on (grid)")
        idx = lesion.indices()
        if len(idx) > MAX_POINTS:
            idx = idx[np.linspace(0, len(idx) - 1, MAX_POINTS).astype(int)]
        return grid.index_to_patient(idx.astype(float))
    centre = np.asarray(lesion, dtype=float).reshape(3)
    if not np.all(np.isfinite(centre)):
        raise ValueError(f"propose_site: the lesion's centre must be 3 finite numbers, got {lesion!r}")
    r = POINT_RADIUS_MM
    offsets = np.stack(np.meshgrid(*[np.linspace(-r, r, 5)] * 3, indexing="ij"), -1).reshape(-1, 3)
    return centre + offsets[np.linalg.norm(offsets, axis=1) <= r + 1e-6]


def _fraction_inside(mask: LesionMask, points: np.ndarray, volume: Volume) -> float:
    idx = np.rint(volume.patient_to_index(points)).astype(int) - np.array(mask.offset)
    inside = np.all((idx >= 0) & (idx < np.array(mask.array.shape)), axis=1)
    hits = np.zeros(len(points), bool)
    hits[inside] = mask.array[tuple(idx[inside].T)]
    return float(hits.mean()) if len(points) else 0.0


def _from_structures(lesion, points, structures, ct, grid):
    """(name, fraction, NamedSite) of the organ structure holding most of the lesion, or None."""
    best = None
    for structure in structures:
        if structure.mask is None or structure.kind in (StructureKind.TARGET, StructureKind.EXTERNAL):
            continue
        named = site_for_structure_name(structure.name)
        if named is None:
            continue
        volume = next((v for v in (grid, ct) if v is not None and v.info.series_uid == structure.mask.series_uid),
                      None)
        if volume is None or tuple(volume.shape) != tuple(structure.mask.grid_shape):
            continue
        fraction = _fraction_inside(structure.mask, points, volume)
        if fraction >= STRUCTURE_MIN_FRACTION and (best is None or fraction > best[1]):
            best = (structure.name, fraction, named)
    return best


# ------------------------------------------------------------------ CT anatomy
def _coarse_cells(points: np.ndarray, anatomy: AnatomyMap) -> np.ndarray:
    cells = anatomy.coarse_index(points)
    inside = np.all((cells >= 0) & (cells < np.array(anatomy.shape)), axis=1)
    return np.unique(cells[inside], axis=0)


def _ring(cells: np.ndarray, anatomy: AnatomyMap) -> np.ndarray:
    """Coarse cells within RING_MM of the lesion's cells, the lesion's own left out."""
    spacing = anatomy.coarse_spacing_mm
    reach = np.maximum(1, np.ceil(RING_MM / spacing).astype(int))
    grid = np.stack(np.meshgrid(*[np.arange(-r, r + 1) for r in reach], indexing="ij"), -1).reshape(-1, 3)
    grid = grid[np.linalg.norm(grid * spacing, axis=1) <= RING_MM + 1e-6]
    around = (cells[:, None, :] + grid[None, :, :]).reshape(-1, 3)
    around = around[np.all((around >= 0) & (around < np.array(anatomy.shape)), axis=1)]
    around = np.unique(around, axis=0)
    own = {tuple(c) for c in cells}
    keep = np.array([tuple(c) not in own for c in around], bool) if len(around) else np.zeros(0, bool)
    return around[keep]


def _frac(mask: np.ndarray | None, cells: np.ndarray) -> float:
    if mask is None or len(cells) == 0:
        return 0.0
    return float(mask[tuple(cells.T)].mean())


def _from_ct(points: np.ndarray, anatomy: AnatomyMap, side: Laterality) -> SiteProposal:
    cells = _coarse_cells(points, anatomy)
    if len(cells) == 0 or _frac(anatomy.body, cells) < 0.5:
        return SiteProposal(Site.UNKNOWN, side, SiteSource.UNKNOWN, "CT anatomy: outside the body outline")
    ring = _ring(cells, anatomy)
    in_ = {name: _frac(getattr(anatomy, name), cells) for name in ("brain", "bone", "lung_hull", "liver")}
    around = {name: _frac(getattr(anatomy, name), ring) for name in ("bone", "lung_air", "liver")}

    def ct(site: Site, what: str, keep_side: bool = True) -> SiteProposal:
        return SiteProposal(site, side if keep_side else Laterality.NONE, SiteSource.CT_ANATOMY,
                            f"CT anatomy: {what}")

    if in_["brain"] >= 0.5:
        return ct(Site.BRAIN, "brain")
    if in_["bone"] >= 0.5 or (in_["bone"] >= 0.2 and around["bone"] >= 0.3) or around["bone"] >= 0.6:
        return ct(Site.BONE, "bone")
    if in_["lung_hull"] >= 0.5 or around["lung_air"] >= 0.35:
        return ct(Site.LUNG, "lung")
    if in_["liver"] >= 0.5:
        return ct(Site.LIVER, "liver", keep_side=False)
    if around["liver"] >= 0.3:
        return ct(Site.LIVER, "liver (at its edge)", keep_side=False)
    return SiteProposal(Site.UNKNOWN, side, SiteSource.CT_ANATOMY,
                        "CT anatomy: soft tissue / lymph node: choose the site")


def _side(points: np.ndarray, anatomy: AnatomyMap | None) -> Laterality:
    """Left or right of the body outline's centre at the lesion's height; none on the midline."""
    if anatomy is None or len(points) == 0:
        return Laterality.NONE
    cells = anatomy.coarse_index(points)
    k = np.clip(cells[:, 0], 0, anatomy.shape[0] - 1)
    mid = anatomy.midline_x_mm[k]
    ok = np.isfinite(mid)
    if not ok.any():
        return Laterality.NONE
    dx = points[ok, 0] - mid[ok]
    if dx.min() < 0 < dx.max() or abs(float(dx.mean())) <= MIDLINE_TOLERANCE_MM:
        return Laterality.NONE  # the lesion straddles the midline, or its centre is on it
    return Laterality.LEFT if dx.mean() > 0 else Laterality.RIGHT  # LPS: +x is the patient's left

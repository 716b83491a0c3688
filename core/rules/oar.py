"""Organ-at-risk flags per lesion: surface distances to every organ at risk, and flags.

Organs at risk come from the case's RT Structure Set (core.rt import) as
masks on an image grid. For each lesion, the surface-to-surface distance (mm,
voxel edge to voxel edge, 0 when they touch or overlap) to every organ is
measured, and these flags are raised (they inform the physician; they make a
case ineligible only when a rule set has an ``oar_flag`` criterion):

* ``central_lung``: a lung lesion within ``central_margin_mm`` (20 mm) of the
  proximal bronchial tree (Timmerman, J Clin Oncol 2006;24:4833);
* ``ultracentral_lung``: a lung lesion within ``ultracentral_margin_mm``
  (default 5 mm, i.e. a PTV of 5 mm margin touching) of any of the
  ``ultracentral_structures`` (default: proximal bronchial tree, trachea).
  There is no consensus: both are settings;
* ``spinal_cord``: any lesion closer than ``cord_min_mm`` (3 mm, RTOG 0631)
  to the spinal cord;
* ``brain_size``: a brain lesion whose longest diameter is above
  ``brain_size_limit_mm`` (30 mm; not verified).

A flag whose structure is missing is "unknown" (never "clear"), naming what
is missing. Structures are recognised by name (TG-263 and common local names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
from scipy.spatial import cKDTree

from core.codes import Site
from core.lesions import Lesion, LesionMask
from core.measure import _overlaps, _voxel_extent, boundary_points_mm
from core.rules.outcome import FlagStatus
from core.volume import Volume

FLAGGED, CLEAR, UNKNOWN, NOT_APPLICABLE = (FlagStatus.FLAGGED, FlagStatus.CLEAR, FlagStatus.UNKNOWN,
                                          FlagStatus.NOT_APPLICABLE)

#: Role of a structure -> regular expression on its normalised name (upper case, letters and digits).
ROLES: dict[str, str] = {
    "proximal_bronchial_tree": r"^(BRONCHUSPROX|BRONCHPROX|PROXBRONCH\w*|PROXIMALBRONCH\w*|PBT|BRONCHIALTREE|BRONCHI?)$",
    "trachea": r"^TRACHEA$",
    "spinal_cord": r"^(SPINALCORD|CORD|SPINALCANAL|CANALSPINAL|MEDULLA|SPINALCORDPRV\w*)$",
    "oesophagus": r"^(ESOPHAGUS|OESOPHAGUS|OESOPH|ESOPH)$",
    "heart": r"^(HEART|PERICARDIUM)$",
    "great_vessels": r"^(GREATVES\w*|AORTA|GREATVESSELS)$",
    "brachial_plexus": r"^(BRACHIALPLEX\w*|BRACHPLEX\w*|PLEXUS\w*)$",
}


def normalised(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", str(name).upper())


def role_of(name: str) -> str | None:
    """The role of a structure from its name ('BRONCHUS_PROX' -> 'proximal_bronchial_tree')."""
    key = normalised(name)
    for role, pattern in ROLES.items():
        if re.match(pattern, key):
            return role
    return None


@dataclass(frozen=True)
class OarSettings:
    central_margin_mm: float = 20.0
    central_structures: tuple[str, ...] = ("proximal_bronchial_tree",)
    ultracentral_margin_mm: float = 5.0
    ultracentral_structures: tuple[str, ...] = ("proximal_bronchial_tree", "trachea")
    cord_min_mm: float = 3.0
    brain_size_limit_mm: float = 30.0


def settings_lines(settings: OarSettings) -> list[str]:
    """What the distance flags mean with ``settings``, one line each ("central lung: within 20 mm
    of proximal bronchial tree"); the verdict panel shows them."""
    def roles(names) -> str:
        return ", ".join(r.replace("_", " ") for r in names)

    return [f"central lung: within {settings.central_margin_mm:g} mm of {roles(settings.central_structures)}",
            f"ultracentral lung: within {settings.ultracentral_margin_mm:g} mm of "
            f"{roles(settings.ultracentral_structures)}",
            f"spinal cord: closer than {settings.cord_min_mm:g} mm"]


FLAG_SOURCES = {
    "central_lung": "Timmerman et al., J Clin Oncol 2006;24:4833",
    "ultracentral_lung": "no consensus definition (configurable)",
    "spinal_cord": "RTOG 0631",
    "brain_size": "rule-set brain size limits (not verified)",
}


class Organ:
    """One organ at risk: its mask on a grid and the cached surface points (LPS mm)."""

    def __init__(self, name: str, mask: LesionMask, grid: Volume, role: str | None = None) -> None:
        self.name = name
        self.mask = mask
        self.grid = grid
        self.role = role if role is not None else role_of(name)
        self._tree: cKDTree | None = None
        self._points: np.ndarray | None = None

    @property
    def tree(self) -> cKDTree:
        if self._tree is None:
            self._points = boundary_points_mm(self.mask, self.grid)
            self._tree = cKDTree(self._points)
        return self._tree

    def distance_mm(self, lesion: Lesion, grid: Volume | None) -> float:
        """Surface-to-surface distance from a lesion (its marker when not contoured)."""
        if lesion.mask is not None and grid is not None:
            if _overlaps(lesion.mask, grid, self.mask, self.grid):
                return 0.0
            points = boundary_points_mm(lesion.mask, grid)
        else:
            points = np.asarray([lesion.point_mm], dtype=np.float64)
            index = np.rint(self.grid.patient_to_index(points[0])).astype(int)
            if self.mask.contains(index):
                return 0.0
        d, i = self.tree.query(points, k=1)
        n = int(np.argmin(d))
        dist = float(d[n])
        if dist == 0.0:
            return 0.0
        direction = (self._points[i[n]] - points[n]) / dist
        margin = 0.5 * _voxel_extent(self.grid, direction)
        if lesion.mask is not None and grid is not None:
            margin += 0.5 * _voxel_extent(grid, direction)
        return max(0.0, dist - margin)


@dataclass(frozen=True)
class Flag:
    flag: str
    status: FlagStatus
    value: float | None = None  # the distance or size measured (mm)
    threshold: float | None = None
    structure: str = ""
    reason: str = ""

    def to_json(self) -> dict:
        return {"flag": self.flag, "status": self.status.value,
                "value_mm": None if self.value is None else round(self.value, 1),
                "threshold_mm": self.threshold, "structure": self.structure, "reason": self.reason,
                "source": FLAG_SOURCES[self.flag]}


@dataclass(frozen=True)
class LesionOar:
    lesion_id: str
    distances_mm: dict[str, float]
    flags: tuple[Flag, ...]

    def status(self, flag: str) -> FlagStatus:
        return next((f.status for f in self.flags if f.flag == flag), NOT_APPLICABLE)

    @property
    def raised(self) -> list[str]:
        return [f.flag for f in self.flags if f.status == FLAGGED]

    def to_json(self) -> dict:
        return {"lesion": self.lesion_id, "flags": self.raised,
                "distances_mm": {k: round(v, 1) for k, v in self.distances_mm.items()},
                "details": [f.to_json() for f in self.flags if f.status != NOT_APPLICABLE]}


@dataclass
class OarReport:
    lesions: list[LesionOar] = field(default_factory=list)
    organs: list[str] = field(default_factory=list)
    settings: OarSettings = field(default_factory=OarSettings)

    def for_lesion(self, lesion_id: str) -> LesionOar | None:
        return next((e for e in self.lesions if e.lesion_id == lesion_id), None)

    def to_json(self) -> list:
        return [e.to_json() for e in self.lesions]


def lesion_distances(lesion: Lesion, grid: Volume | None, organs: Sequence[Organ]) -> dict[str, float]:
    """Surface distance (mm) from the lesion to every organ at risk."""
    if lesion.mask is None and lesion.point_mm is None:
        return {}
    if lesion.mask is not None and grid is None:
        if lesion.point_mm is None:
            return {}
        lesion = Lesion(lesion.id, lesion.label, lesion.site, point_mm=lesion.point_mm)
    return {organ.name: organ.distance_mm(lesion, grid) for organ in organs}


def lesion_flags(site: str, longest_diameter_mm: float | None, distances: dict[str, float],
                 organs: Sequence[Organ], settings: OarSettings = OarSettings()) -> tuple[Flag, ...]:
    """The four flags of one lesion from its distances (see the module docstring)."""
    by_role: dict[str, list[str]] = {}
    for organ in organs:
        if organ.role:
            by_role.setdefault(organ.role, []).append(organ.name)
    flags = []

    def nearest(roles: Iterable[str]) -> tuple[str, float] | None:
        names = [n for r in roles for n in by_role.get(r, []) if n in distances]
        if not names:
            return None
        name = min(names, key=lambda n: distances[n])
        return name, distances[name]

    def within(flag: str, roles, margin: float, what: str, strict: bool = False) -> Flag:
        found = nearest(roles)
        if found is None:
            return Flag(flag, UNKNOWN, threshold=margin, reason=f"no {what} structure among the organs at risk")
        name, d = found
        hit = d < margin if strict else d <= margin
        return Flag(flag, FLAGGED if hit else CLEAR, d, margin, name,
                    f"{d:.1f} mm from {name}")

    if site == Site.LUNG.value:
        flags.append(within("central_lung", settings.central_structures, settings.central_margin_mm,
                            "proximal bronchial tree"))
        flags.append(within("ultracentral_lung", settings.ultracentral_structures,
                            settings.ultracentral_margin_mm, " / ".join(settings.ultracentral_structures)))
    else:
        flags += [Flag("central_lung", NOT_APPLICABLE), Flag("ultracentral_lung", NOT_APPLICABLE)]
    if distances or not organs:
        flags.append(within("spinal_cord", ("spinal_cord",), settings.cord_min_mm, "spinal cord", strict=True))
    else:
        flags.append(Flag("spinal_cord", UNKNOWN, threshold=settings.cord_min_mm, reason="lesion has no geometry"))
    if site == Site.BRAIN.value:
        limit = settings.brain_size_limit_mm
        if longest_diameter_mm is None:
            flags.append(Flag("brain_size", UNKNOWN, threshold=limit, reason="not contoured: size unknown"))
        else:
            flags.append(Flag("brain_size", FLAGGED if longest_diameter_mm > limit else CLEAR,
                              longest_diameter_mm, limit, "", f"longest diameter {longest_diameter_mm:.1f} mm"))
    else:
        flags.append(Flag("brain_size", NOT_APPLICABLE))
    return tuple(flags)


def organs_from_structures(structures: Iterable, grid: Volume) -> list[Organ]:
    """Organs at risk (core.rt.structures.Structure with a mask) on ``grid``."""
    return [Organ(s.name, s.mask, grid) for s in structures
            if getattr(s, "is_organ_at_risk", False) and s.mask is not None]


def load_organs(scan, volume: Volume, case=None) -> tuple[list[Organ], list[str]]:
    """The organs at risk of the structure sets recorded in ``case`` (core.case.Case), or
    when it records none (or no case is given) of every structure set in ``scan`` that
    belongs on ``volume``, and the warnings (structure sets refused or moved, and why).
    The one place that reads them (core.rt.case_structures)."""
    from core.case import Case
    from core.rt.case_structures import case_structure_sets

    found = case_structure_sets(case if case is not None else Case(), scan, volume)
    organs: list[Organ] = []
    for placed in found.placed:
        organs.extend(organs_from_structures(placed.structures, volume))
    warnings = list(found.notes) + [f"{path}: {reason}" for path, reason in found.refused]
    return organs, warnings


class OarCalculator:
    """Distances and flags of many lesions, cached per lesion (immutable Lesion objects)."""

    def __init__(self, organs: Sequence[Organ], settings: OarSettings = OarSettings()) -> None:
        self.organs = list(organs)
        self.settings = settings
        self._cache: dict[str, tuple[Lesion, dict[str, float]]] = {}

    def report(self, items: Iterable[tuple[Lesion, Volume | None, str, float | None]]) -> OarReport:
        """``items``: (lesion, its grid, site, longest diameter mm) for every lesion."""
        out = OarReport(organs=[o.name for o in self.organs], settings=self.settings)
        for lesion, grid, site, diameter in items:
            cached = self._cache.get(lesion.id)
            if cached is not None and cached[0] is lesion:
                distances = cached[1]
            else:
                distances = lesion_distances(lesion, grid, self.organs)
                self._cache[lesion.id] = (lesion, distances)
            flags = lesion_flags(site, diameter, distances, self.organs, self.settings)
            out.lesions.append(LesionOar(lesion.id, distances, flags))
        return out

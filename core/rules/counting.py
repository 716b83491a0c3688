"""What the engine sees of a lesion, and how a rule set counts lesions.

:class:`LesionInfo` is a lesion with its measurements (plain data: the
engine never touches images). :func:`count_units` applies a rule set's
:class:`~core.rules.schema.Counting`:

* which lesions count: metastases always; the primary only with
  ``count_primary``; brain lesions unless ``count_brain`` is false; regional
  lymph nodes unless ``count_regional_nodes`` is false;
* what one unit is: with ``unit = "lesions"`` each lesion; with
  ``unit = "sites"`` each lesion too, except that the distant lymph nodes of
  one side form one site and the regional nodes form one site;
* merging: lesions whose surfaces are within ``merge_distance_mm`` of each
  other (chained) count as one unit.

The organ of a unit is the site of its lesions (lung, liver, bone, brain,
adrenal, regional lymph node, distant lymph node, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from core.codes import LesionKind, Site, Treatability
from core.rules.schema import CountUnit, Counting

#: The site of a lesion whose site is neither proposed nor confirmed: per-organ criteria are then unknown.
UNKNOWN_SITE = Site.UNKNOWN.value


@dataclass(frozen=True)
class LesionInfo:
    """A lesion as the rule engine sees it (sizes None when not contoured)."""

    id: str
    label: str = ""
    site: str = Site.OTHER.value
    laterality: str = ""
    kind: LesionKind = LesionKind.METASTASIS
    treatable: str = "not assessed"  # "yes", "no" or "not assessed" (core.codes.Treatability)
    longest_diameter_mm: float | None = None
    longest_axial_diameter_mm: float | None = None
    short_axis_mm: float | None = None
    volume_cc: float | None = None
    suv_max: float | None = None
    centroid_mm: tuple[float, float, float] | None = None
    #: how the site was decided ("structure:LIVER", "ct-anatomy", "user", "unknown"), whether the user
    #: confirmed it, and the sentence the summary shows
    site_source: str = "user"
    site_confirmed: bool = True
    site_decided: str = ""
    #: the lesion has a contour (a mask): unmeasured, its images are not open, not its outline missing
    contoured: bool = False

    @classmethod
    def from_lesion(cls, lesion, measurements=None) -> "LesionInfo":
        """From a core.lesions.Lesion and its core.measure.Measurements (or None)."""
        m = measurements
        centroid = getattr(m, "centroid_mm", None) or lesion.point_mm
        return cls(
            id=lesion.id, label=lesion.label, site=lesion.site.value, laterality=lesion.laterality.value,
            kind=lesion.kind, treatable=lesion.treatable.value,
            longest_diameter_mm=getattr(m, "longest_3d_diameter_mm", None),
            longest_axial_diameter_mm=getattr(m, "longest_axial_diameter_mm", None),
            short_axis_mm=getattr(m, "short_axis_mm", None),
            volume_cc=getattr(m, "volume_cc", None),
            suv_max=getattr(m, "suv_max", None),
            centroid_mm=tuple(float(v) for v in centroid) if centroid is not None else None,
            site_source=lesion.site_source_text, site_confirmed=bool(lesion.site_confirmed),
            site_decided=lesion.site_decided_text, contoured=lesion.mask is not None,
        )

    def __post_init__(self) -> None:
        object.__setattr__(self, "treatable", Treatability.parse(self.treatable).value)
        object.__setattr__(self, "kind", LesionKind.parse(self.kind))

    def measure(self, name: str) -> float | None:
        value = getattr(self, name)
        if value is None and name == "longest_diameter_mm":
            return self.longest_axial_diameter_mm
        return value

    def to_json(self) -> dict:
        def r(v, d):
            return None if v is None else round(float(v), d)
        return {
            "id": self.id, "label": self.label, "site": self.site, "laterality": self.laterality,
            "kind": self.kind.value, "treatable": self.treatable,
            "longest_diameter_mm": r(self.longest_diameter_mm, 1),
            "longest_axial_diameter_mm": r(self.longest_axial_diameter_mm, 1),
            "short_axis_mm": r(self.short_axis_mm, 1), "volume_cc": r(self.volume_cc, 2),
            "suv_max": r(self.suv_max, 2),
            "centroid_mm": None if self.centroid_mm is None else [round(v, 1) for v in self.centroid_mm],
            "site_source": self.site_source, "site_confirmed": self.site_confirmed,
            "site_decided": self.site_decided or ("chosen by the user" if self.site_source == "user" else ""),
        }


@dataclass(frozen=True)
class Unit:
    """One counted item (a lesion, a site, or lesions merged by distance)."""

    lesion_ids: tuple[str, ...]
    organs: tuple[str, ...]

    @property
    def organ(self) -> str:
        return self.organs[0]


#: distance(a_id, b_id) -> surface distance in mm, or None when unknown.
DistanceFn = Callable[[str, str], "float | None"]


def not_measured_text(lesions: Iterable[LesionInfo]) -> str:
    """Why lesions have no size: "L1 not measured (no contour)", or for a contoured one, that the
    images it was drawn on are not open (a case checked without its images said "no contour")."""
    lesions = list(lesions)
    no_contour = [m.id for m in lesions if not m.contoured]
    no_images = [m.id for m in lesions if m.contoured]
    return "; ".join(
        ([f"{', '.join(no_contour)} not measured (no contour)"] if no_contour else [])
        + ([f"{', '.join(no_images)} not measured (contoured, but the images "
            f"{'it was' if len(no_images) == 1 else 'they were'} drawn on are not open)"] if no_images else []))


def is_counted(lesion: LesionInfo, counting: Counting) -> bool:
    if lesion.kind is LesionKind.PRIMARY and not counting.count_primary:
        return False
    if lesion.site == Site.BRAIN.value and not counting.count_brain:
        return False
    if lesion.site == Site.REGIONAL_LYMPH_NODE.value and not counting.count_regional_nodes:
        return False
    return True


def counted_lesions(lesions: Iterable[LesionInfo], counting: Counting) -> list[LesionInfo]:
    return [lesion for lesion in lesions if is_counted(lesion, counting)]


def count_units(lesions: Sequence[LesionInfo], counting: Counting, distance: DistanceFn | None = None) -> list[Unit]:
    """The counted units of ``lesions`` under ``counting`` (in lesion order)."""
    counted = counted_lesions(lesions, counting)
    parent = {lesion.id: lesion.id for lesion in counted}

    def find(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra

    if counting.unit is CountUnit.SITES:
        groups: dict[tuple[str, str], str] = {}
        for lesion in counted:
            if lesion.site == Site.DISTANT_LYMPH_NODE.value:
                key = (lesion.site, lesion.laterality)
            elif lesion.site == Site.REGIONAL_LYMPH_NODE.value:
                key = (lesion.site, "")
            else:
                continue
            if key in groups:
                union(groups[key], lesion.id)
            else:
                groups[key] = lesion.id
    if counting.merge_distance_mm is not None and distance is not None:
        for i, a in enumerate(counted):
            for b in counted[i + 1:]:
                d = distance(a.id, b.id)
                if d is not None and d <= counting.merge_distance_mm:
                    union(a.id, b.id)
    units: dict[str, list[LesionInfo]] = {}
    for lesion in counted:
        units.setdefault(find(lesion.id), []).append(lesion)
    return [
        Unit(tuple(m.id for m in members), tuple(dict.fromkeys(m.site for m in members)))
        for members in units.values()
    ]


def counts_by_organ(units: Iterable[Unit]) -> dict[str, int]:
    """Units per organ, in the order of the site list (a merged unit counts in its first organ)."""
    counts: dict[str, int] = {}
    for unit in units:
        counts[unit.organ] = counts.get(unit.organ, 0) + 1
    order = [s.value for s in Site]
    return {k: counts[k] for k in sorted(counts, key=lambda k: order.index(k) if k in order else len(order))}

"""Imported structures: one ROI of an RT Structure Set as a mask on an image grid.

A structure keeps what the planning system gave it, (3006,0026) ROI Name,
(3006,002A) ROI Display Color and (3006,00A4) RT ROI Interpreted Type, and
what OligoPlan makes of it: its :class:`StructureKind` (target, organ at risk,
body outline, other) from the interpreted type or, when that is empty, from
the name. Organs at risk are never lesions; a target (GTV) can be turned into
a lesion by the user (:func:`lesion_from_structure`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from core.choices import parse_choice
from core.codes import Laterality, Site, SiteSource
from core.lesions import Lesion, LesionMask


class StructureKind(str, Enum):
    TARGET = "target"
    ORGAN_AT_RISK = "organ at risk"
    EXTERNAL = "external"
    OTHER = "other"

    @classmethod
    def parse(cls, value: "StructureKind | str") -> "StructureKind":
        return parse_choice(cls, value, "structure kind", lenient=True, unknown_first=True)


#: (3006,00A4) RT ROI Interpreted Type -> kind (C.8.8.8 defined terms).
INTERPRETED_TYPES = {
    "GTV": StructureKind.TARGET,
    "CTV": StructureKind.TARGET,
    "PTV": StructureKind.TARGET,
    "ORGAN": StructureKind.ORGAN_AT_RISK,
    "AVOIDANCE": StructureKind.ORGAN_AT_RISK,
    "EXTERNAL": StructureKind.EXTERNAL,
}

_TARGET_NAME = re.compile(r"^(z?[_ ]?)?(gtv|ctv|ptv|itv|igtv)", re.IGNORECASE)
_EXTERNAL_NAME = re.compile(r"^(body|external|skin|outline)\b", re.IGNORECASE)
#: Name stems of organs at risk (TG-263 and common local names).
_OAR_NAME = re.compile(
    r"(lung|liver|heart|cord|spinal|canal|bronch|trachea|esoph|oesoph|kidney|bowel|colon|rectum|"
    r"bladder|stomach|duoden|brain|stem|chiasm|optic|parotid|mandible|larynx|aorta|great.?ves|"
    r"rib|chestwall|chest.?wall|femur|femoral|plexus|cauda|sacral|skin|vessel|pancrea|spleen|"
    r"gallbladder|lens|eye|cochlea|thyroid|oar|prv)",
    re.IGNORECASE,
)


def classify(interpreted_type: str, name: str) -> StructureKind:
    """The kind of a ROI: by its interpreted type, else by its name."""
    kind = INTERPRETED_TYPES.get(str(interpreted_type or "").strip().upper())
    if kind is not None:
        return kind
    name = str(name or "").strip()
    if _TARGET_NAME.match(name):
        return StructureKind.TARGET
    if _EXTERNAL_NAME.match(name):
        return StructureKind.EXTERNAL
    if _OAR_NAME.search(name):
        return StructureKind.ORGAN_AT_RISK
    return StructureKind.OTHER


@dataclass(frozen=True, eq=False)
class Structure:
    """One ROI drawn on an image grid.

    Parameters
    ----------
    number
        (3006,0022) ROI Number in its structure set.
    name
        (3006,0026) ROI Name.
    color
        (3006,002A) ROI Display Color, (r, g, b) 0-255.
    interpreted_type
        (3006,00A4) RT ROI Interpreted Type, "" when absent.
    mask
        The closed planar contours rasterised on the grid of ``mask.series_uid``;
        None when the ROI has no closed contour on the grid.
    warnings
        What could not be drawn and why (unsupported contour types, contours
        outside the slices).
    """

    number: int
    name: str
    color: tuple[int, int, int]
    interpreted_type: str = ""
    kind: StructureKind = StructureKind.OTHER
    mask: LesionMask | None = None
    #: (3006,0028) ROI Description (else the observation's), "" when absent; OligoPlan writes the site there
    description: str = ""
    n_contours: int = 0
    warnings: tuple[str, ...] = ()
    #: a segment of a DICOM SEG (any segment can become a lesion); ``n_contours`` is then its frames
    from_segmentation: bool = False
    #: (field, value) pairs the SEG codes for a lesion made of it: site, laterality, kind
    coded: tuple = ()

    @property
    def is_organ_at_risk(self) -> bool:
        return self.kind is StructureKind.ORGAN_AT_RISK

    @property
    def can_become_lesion(self) -> bool:
        return (self.kind is StructureKind.TARGET or self.from_segmentation) and self.mask is not None


@dataclass
class ImportedStructureSet:
    """A structure set placed on one image series.

    ``how`` says how it was matched to the series ("referenced images" or
    "frame of reference and slice positions"); ``warnings`` everything the
    user should know (fallback matching, contours left out).
    """

    path: str
    sop_uid: str
    label: str
    series_uid: str
    frame_of_reference_uid: str
    how: str
    structures: list[Structure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def organs_at_risk(self) -> list[Structure]:
        return [s for s in self.structures if s.is_organ_at_risk]

    @property
    def targets(self) -> list[Structure]:
        return [s for s in self.structures if s.kind is StructureKind.TARGET]


def lesion_from_structure(structure: Structure, lesion_id: str, **fields) -> Lesion:
    """A new lesion with the mask of an imported target (label from the ROI name).

    Raises ValueError when the structure is not a target with a mask: organs
    at risk never become lesions.
    """
    if structure.kind is not StructureKind.TARGET and not structure.from_segmentation:
        raise ValueError(
            f"structure '{structure.name}' is {structure.kind.value}, not a target: "
            "only targets (GTV, CTV, PTV) can become lesions"
        )
    if structure.mask is None:
        raise ValueError(f"structure '{structure.name}' has no contour on these images")
    coded = site_of_structure(structure)
    coded_site = structure.from_segmentation and "site" in coded and "site" not in fields
    for key, value in coded.items():
        fields.setdefault(key, value)
    if coded_site:  # another tool's coding is a proposal until the user confirms it, as ours are (issue 13)
        fields.update(site_source=SiteSource.STRUCTURE, site_structure=structure.name, site_confirmed=False,
                      site_detail=f"coded in the segmentation's segment {structure.name}")
    elif "site" not in fields:  # nothing says where it is: unknown (callers may propose one), never a guess
        fields.update(site=Site.UNKNOWN, site_source=SiteSource.UNKNOWN, site_confirmed=False,
                      site_detail=f"{structure.name}: no site recorded in the structure")
    return Lesion(lesion_id, label=fields.pop("label", structure.name), mask=structure.mask, **fields)


#: what :mod:`core.rt.export_job` writes in (3006,0028): "OligoPlan lesion L3, lung (right)"
_OUR_DESCRIPTION = re.compile(r"^OligoPlan lesion [^,]*, (?P<site>[a-z ]+?)(?: \((?P<lat>left|right|bilateral)\))?$")


def site_of_structure(structure: Structure) -> dict:
    """The site (and laterality) an OligoPlan export wrote into the ROI's description,
    so that a round trip through a planning system keeps every lesion's organ; {} for others
    (their site is the user's to set: names such as "GTV_3" say nothing reliable)."""
    if structure.coded:  # a SEG segment: its anatomic region and property type, where coded
        return dict(structure.coded)
    found = _OUR_DESCRIPTION.match(structure.description.strip())
    if found is None:
        return {}
    try:
        return {"site": Site.parse(found["site"]), "laterality": Laterality.parse(found["lat"])}
    except ValueError:
        return {}

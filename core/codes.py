"""Every coded concept of OligoPlan, once: lesion sites, laterality, kinds, UIDs.

Sites carry their SNOMED CT code (scheme "SCT", as DICOM writes it) so that
exports (RTSTRUCT, SR) code them without a second table. Functions that take a
coded value accept the Enum or its string value (highdicom's habit).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from core.choices import parse_choice

#: Root for UIDs OligoPlan makes (pydicom's registered root plus a suffix is
#: used until the project has its own).
UID_PREFIX = "1.2.826.0.1.3680043.8.498."


@dataclass(frozen=True)
class Code:
    value: str
    scheme: str
    meaning: str


class Site(str, Enum):
    """Organ/site of a lesion: the fixed list every rule set counts by."""

    LUNG = "lung"
    LIVER = "liver"
    BONE = "bone"
    BRAIN = "brain"
    ADRENAL = "adrenal"
    REGIONAL_LYMPH_NODE = "regional lymph node"
    DISTANT_LYMPH_NODE = "distant lymph node"
    PERITONEUM = "peritoneum"
    SOFT_TISSUE = "soft tissue"
    OTHER = "other"
    #: neither proposed nor confirmed: per-organ criteria are then unknown, never pass or fail
    UNKNOWN = "unknown"

    @property
    def code(self) -> Code:
        return SITE_CODES[self]

    @property
    def paired(self) -> bool:
        """Whether laterality applies (paired organs)."""
        return self in (Site.LUNG, Site.ADRENAL)

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @classmethod
    def parse(cls, value: "Site | str") -> "Site":
        """Accept the enum, its value or its name (any case); ValueError otherwise."""
        return parse_choice(cls, value, "site", lenient=True, unknown_first=True)


SITE_CODES: dict[Site, Code] = {
    Site.LUNG: Code("39607008", "SCT", "Lung"),
    Site.LIVER: Code("10200004", "SCT", "Liver"),
    Site.BONE: Code("272673000", "SCT", "Bone"),
    Site.BRAIN: Code("12738006", "SCT", "Brain"),
    Site.ADRENAL: Code("23451007", "SCT", "Adrenal gland"),
    Site.REGIONAL_LYMPH_NODE: Code("312500006", "SCT", "Regional lymph node"),
    Site.DISTANT_LYMPH_NODE: Code("59441001", "SCT", "Lymph node"),
    Site.PERITONEUM: Code("15425007", "SCT", "Peritoneum"),
    Site.SOFT_TISSUE: Code("87784001", "SCT", "Soft tissue"),
    Site.OTHER: Code("91723000", "SCT", "Anatomical structure"),
    Site.UNKNOWN: Code("261665006", "SCT", "Unknown"),
}


class SiteSource(str, Enum):
    """How a lesion's site was decided (core.anatomy proposes; the user confirms or chooses).

    At the JSON edge a structure source names its structure: "structure:LIVER"
    (:func:`site_source_text`).
    """

    USER = "user"
    STRUCTURE = "structure"
    CT_ANATOMY = "ct-anatomy"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: "SiteSource | str") -> "SiteSource":
        """The enum, its value, or the edge form "structure:NAME"."""
        text = getattr(value, "value", value)
        if isinstance(text, str) and text.startswith("structure:"):
            return cls.STRUCTURE
        return parse_choice(cls, value, "site source", lenient=True, unknown_first=True)


def site_source_text(source: "SiteSource | str", structure: str = "") -> str:
    """The JSON form: "structure:LIVER", "ct-anatomy", "user" or "unknown"."""
    source = SiteSource.parse(source)
    return f"structure:{structure}" if source is SiteSource.STRUCTURE and structure else source.value


class Laterality(str, Enum):
    NONE = ""
    LEFT = "left"
    RIGHT = "right"
    BILATERAL = "bilateral"

    @property
    def code(self) -> Code | None:
        return {
            Laterality.LEFT: Code("7771000", "SCT", "Left"),
            Laterality.RIGHT: Code("24028007", "SCT", "Right"),
            Laterality.BILATERAL: Code("51440002", "SCT", "Bilateral"),
        }.get(self)

    @classmethod
    def parse(cls, value: "Laterality | str | None") -> "Laterality":
        """Accept the enum, its value or its name (any case); None or "" is no laterality."""
        return parse_choice(cls, value or "", "laterality", lenient=True, unknown_first=True)


class LesionKind(str, Enum):
    PRIMARY = "primary"
    METASTASIS = "metastasis"

    @property
    def code(self) -> Code:
        return {
            LesionKind.PRIMARY: Code("86049000", "SCT", "Malignant neoplasm, primary"),
            LesionKind.METASTASIS: Code("128462008", "SCT", "Metastasis"),
        }[self]

    @classmethod
    def parse(cls, value: "LesionKind | str") -> "LesionKind":
        return parse_choice(cls, value, "lesion kind", lenient=True, unknown_first=True)


class Treatability(str, Enum):
    """Whether a lesion can be treated safely, as a user assessed it (issue 12).

    A new lesion is NOT_ASSESSED: nothing the software does makes it YES.
    """

    YES = "yes"
    NO = "no"
    NOT_ASSESSED = "not assessed"

    @property
    def next(self) -> "Treatability":
        """The state one click in the lesion table moves to: not assessed -> yes -> no -> not assessed."""
        return {Treatability.NOT_ASSESSED: Treatability.YES, Treatability.YES: Treatability.NO,
                Treatability.NO: Treatability.NOT_ASSESSED}[self]

    @classmethod
    def parse(cls, value: "Treatability | str | bool | None") -> "Treatability":
        """The enum, its value or name; True/False are yes/no (an assessment); None is not assessed.

        A case file written before issue 12 is migrated by core.case (its ``true`` was only the default).
        """
        if value is None:
            return cls.NOT_ASSESSED
        if isinstance(value, bool):
            return cls.YES if value else cls.NO
        return parse_choice(cls, value, "treatability", lenient=True, unknown_first=True)

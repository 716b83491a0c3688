"""How a lesion was segmented by the click tool: method and the threshold it used.

Kept with the lesion (``Lesion.segmentation``) and in the case file, so that
the lesion table, the case file and a later reader can say how the contour was
drawn, e.g. "PET: 47% of SUVmax 8.2 (adaptive, 5.5 mm FWHM)".
Plain data: core.segment fills it, core.case writes it (docs/case-file.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from enum import Enum

from core.choices import parse_choice


class SegmentMethod(str, Enum):
    """The click tool's method for one lesion (docs/segmentation.md)."""

    CT_REGION_GROWING = "ct-region-growing"
    PET_ADAPTIVE = "pet-adaptive"
    PET_FIXED = "pet-fixed"

    @classmethod
    def parse(cls, value: "SegmentMethod | str") -> "SegmentMethod":
        return parse_choice(cls, value, "segmentation method")


@dataclass(frozen=True)
class SegmentRecord:
    """What the click tool did for one lesion.

    Attributes
    ----------
    method
        The method used.
    threshold
        The contour level at the lesion, in image units (HU, or SUV for PET).
    unit
        The unit of ``threshold`` and ``reference_max`` ("HU", "SUVbw", ...).
    reference_max
        PET: the local SUVmax the threshold refers to (on the grid contoured:
        the CT grid when the PET is fused, so it can be a little below the
        lesion table's SUVmax, taken on the PET's own voxels). None on CT.
    background
        The surroundings' level the threshold was measured from (None when not used).
    fwhm_mm
        Adaptive PET: the scanner resolution assumed, mm.
    fraction_percent
        Fixed PET: the chosen percentage of SUVmax (of the uptake above the
        background when ``background_corrected``).
    background_corrected
        Fixed PET: the percentage applies to SUVmax minus the background.
    edited
        The contour was changed by hand after the click.
    """

    method: SegmentMethod
    threshold: float
    unit: str = ""
    reference_max: float | None = None
    background: float | None = None
    fwhm_mm: float | None = None
    fraction_percent: float | None = None
    background_corrected: bool | None = None
    edited: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", SegmentMethod.parse(self.method))
        for name in ("threshold", "reference_max", "background", "fwhm_mm", "fraction_percent"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"segmentation {name} must be a finite number, got {value!r}")
            object.__setattr__(self, name, float(value))

    @property
    def threshold_percent(self) -> float | None:
        """The threshold as a percentage of ``reference_max`` (PET), else None."""
        if self.reference_max is None or self.reference_max <= 0:
            return None
        return 100.0 * self.threshold / self.reference_max

    def describe(self) -> str:
        """One line for a status bar or tooltip, e.g. "PET: 47% of SUVmax 8.2 (adaptive, 5.5 mm FWHM)"."""
        if self.method is SegmentMethod.CT_REGION_GROWING:
            text = f"CT region growing: edge at {self.threshold:.0f} {self.unit or 'units'}"
            if self.background is not None:
                text += f" (surroundings {self.background:.0f})"
        else:
            pct = self.threshold_percent
            head = f"PET: {pct:.0f}% of SUVmax {self.reference_max:.1f}" if pct is not None else \
                f"PET: threshold {self.threshold:.2f}"
            if self.method is SegmentMethod.PET_ADAPTIVE:
                how = "adaptive" + (f", {self.fwhm_mm:g} mm FWHM" if self.fwhm_mm is not None else "")
            else:
                how = f"fixed {self.fraction_percent:g}%" if self.fraction_percent is not None else "fixed"
                if self.background_corrected and self.background is not None:
                    how += f" above background {self.background:.1f}"
            text = f"{head} ({how})"
        return text + ("; edited by hand since" if self.edited else "")

    def to_json(self) -> dict:
        """Every field, numbers at full precision (reopening gives the same lesion)."""
        return {f.name: getattr(self, f.name) for f in fields(self)} | {"method": self.method.value}

    @classmethod
    def from_json(cls, doc) -> "SegmentRecord":
        """Inverse of :meth:`to_json`; ValueError names what is wrong."""
        if not isinstance(doc, dict):
            raise ValueError(f"segmentation must be an object, found {type(doc).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(doc) - known)
        if unknown:
            raise ValueError(f"segmentation has unknown fields {unknown}; expected some of {sorted(known)}")
        if "method" not in doc or "threshold" not in doc:
            raise ValueError("segmentation needs method and threshold")
        if not isinstance(doc.get("edited", False), bool):
            raise ValueError(f"segmentation edited must be true or false, got {doc['edited']!r}")
        bc = doc.get("background_corrected")
        if bc is not None and not isinstance(bc, bool):
            raise ValueError(f"segmentation background_corrected must be true, false or null, got {bc!r}")
        if not isinstance(doc.get("unit", ""), str):
            raise ValueError(f"segmentation unit must be text, got {doc['unit']!r}")
        return cls(**doc)

    def marked_edited(self) -> "SegmentRecord":
        return self if self.edited else replace(self, edited=True)

"""Which hot regions are physiological FDG uptake, and why.

Each region above the threshold is checked, in order, against: points the
user marked physiological; the case's organ structures (a region mostly
inside BRAIN, HEART, KIDNEY_L, BLADDER, ...); then anatomy read from the PET
itself, by size, place and shape, relative to the body outline, its midline
and the liver reference:

* brain: a region of 100 cm3 or more reaching the top of a head-sized body
  section (under 400 cm2) at the top of the scan; or a region of 5 cm3 or
  more cut by the top of the scan at least 30 cm above the liver reference
  (a scan starting in the head);
* myocardium: 30 cm3 or more, in the chest (2 to 20 cm above the liver
  reference), anterior, not right of the midline by more than 4 cm;
* kidney: 20 to 400 cm3, posterior, 2.5 to 13 cm from the midline, from
  25 cm below to 5 cm above the liver reference;
* ureter: long and thin (at least 2 cm along its main axis, 2.5 times
  longer than wide, running mostly head to foot), 1 to 10 cm from the
  midline, below the kidneys' level;
* bladder: at most one region: 10 cm3 or more, within 4 cm of the midline,
  not posterior, 5 to 30 cm below the kidneys (15 to 40 cm below the liver
  reference without kidneys; the lowest 45 % of the scan without either);
  the one nearest the midline when several qualify.

A lesion next to one of these organs is a region of its own once touching
uptake with separate peaks is split (core.detect.finder), so it stays a
candidate unless it is itself organ-sized in the organ's place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: structure name (normalised: upper case, no separators) -> physiological organ
STRUCTURE_ORGANS = {
    "BRAIN": "brain", "HEART": "myocardium", "MYOCARDIUM": "myocardium",
    "KIDNEYL": "kidney", "KIDNEYR": "kidney", "KIDNEY": "kidney", "KIDNEYS": "kidney", "LKIDNEY": "kidney",
    "RKIDNEY": "kidney", "KIDNEYLEFT": "kidney", "KIDNEYRIGHT": "kidney", "BLADDER": "bladder",
    "URINARYBLADDER": "bladder", "URETER": "ureter", "URETERL": "ureter", "URETERR": "ureter",
}


def organ_of_structure(name: str) -> str | None:
    key = "".join(ch for ch in name.upper() if ch.isalnum())
    return STRUCTURE_ORGANS.get(key)


@dataclass(frozen=True)
class Region:
    """One hot region, measured (patient mm, cm3, SUVbw)."""

    centroid_mm: tuple[float, float, float]
    volume_cc: float
    extent_mm: tuple[float, float, float]  # (x, y, z) size of its box
    top_z_mm: float
    contains_user_point: bool = False
    structure_organ: tuple[str, str, float] | None = None  # (organ, structure name, fraction inside)
    length_mm: float = 0.0  # along its longest principal axis
    width_mm: float = 0.0  # along its second axis


@dataclass(frozen=True)
class Anatomy:
    """The landmarks the rules use (None when not known)."""

    scan_top_z_mm: float
    scan_bottom_z_mm: float
    head_at_top: bool
    liver_z_mm: float | None
    kidney_z_mm: float | None = None

    def low_in_trunk(self, z: float) -> bool:
        """Where the bladder can be: below the kidneys (or the liver), above the thighs."""
        if self.kidney_z_mm is not None:
            return self.kidney_z_mm - 300.0 < z < self.kidney_z_mm - 50.0
        if self.liver_z_mm is not None:
            return self.liver_z_mm - 400.0 < z < self.liver_z_mm - 150.0
        return z < self.scan_bottom_z_mm + 0.45 * (self.scan_top_z_mm - self.scan_bottom_z_mm)

    def below_kidneys(self, z: float) -> bool:
        if self.kidney_z_mm is not None:
            return z < self.kidney_z_mm
        return self.liver_z_mm is None or z < self.liver_z_mm - 50.0

    def kidney_level(self, z: float) -> bool:
        return self.liver_z_mm is None or self.liver_z_mm - 250.0 <= z <= self.liver_z_mm + 50.0


def classify(region: Region, anatomy: Anatomy, body_centre_mm, whole_component: Region | None = None
             ) -> tuple[str, str] | None:
    """(organ, reason) when the region is physiological uptake, else None."""
    if region.contains_user_point:
        return "user", "marked physiological by the user"
    if region.structure_organ is not None:
        organ, name, fraction = region.structure_organ
        return organ, f"physiological uptake: {fraction:.0%} inside the {name} structure"
    if body_centre_mm is None:
        return None
    x, y, z = region.centroid_mm
    dx, dy = x - float(body_centre_mm[0]), y - float(body_centre_mm[1])
    ex, ey, ez = region.extent_mm
    v = region.volume_cc
    brain = is_brain(whole_component or region, anatomy, body_centre_mm)
    if brain:
        return "brain", brain
    if (v >= 30.0 and anatomy.liver_z_mm is not None and 20.0 <= z - anatomy.liver_z_mm <= 200.0
            and dy < 0.0 and dx >= -40.0):
        return "myocardium", f"physiological uptake: myocardium ({v:.0f} cm3, anterior chest left of the midline)"
    for tube in (region, whole_component):  # a ureter split at noise dips is still one ureter
        if tube is not None and _ureter_like(tube, anatomy, body_centre_mm):
            return "ureter", (f"physiological uptake: ureter ({tube.length_mm:.0f} mm long, {tube.width_mm:.0f} mm "
                              "wide, running down beside the spine)")
    if 20.0 <= v <= 400.0 and dy > 0.0 and 25.0 <= abs(dx) <= 130.0 and anatomy.kidney_level(z):
        side = "left" if dx > 0 else "right"
        return "kidney", f"physiological uptake: {side} kidney ({v:.0f} cm3, posterior, {abs(dx):.0f} mm from the midline)"
    if is_bladder_like(region, anatomy, body_centre_mm):
        return "bladder", f"physiological uptake: urinary bladder ({v:.0f} cm3, low midline)"
    return None


def is_brain(brain: Region, anatomy: Anatomy, body_centre_mm) -> str:
    """Why the region (a whole connected region) is the brain, or ""."""
    z = brain.centroid_mm[2]
    if (anatomy.head_at_top and brain.volume_cc >= 100.0
            and brain.top_z_mm >= anatomy.scan_top_z_mm - 40.0):
        return f"physiological uptake: brain ({brain.volume_cc:.0f} cm3 at the top of the head)"
    if (anatomy.liver_z_mm is not None and brain.top_z_mm >= anatomy.scan_top_z_mm - 10.0
            and z - anatomy.liver_z_mm >= 300.0 and brain.volume_cc >= 5.0):
        return (f"physiological uptake: brain, cut by the top of the scan ({brain.volume_cc:.0f} cm3, "
                f"{z - anatomy.liver_z_mm:.0f} mm above the liver)")
    return ""


def _ureter_like(tube: Region, anatomy: Anatomy, body_centre_mm) -> bool:
    dx = tube.centroid_mm[0] - float(body_centre_mm[0])
    return (tube.length_mm >= 20.0 and tube.length_mm >= 2.5 * tube.width_mm and 10.0 <= abs(dx) <= 100.0
            and tube.volume_cc < 20.0 and tube.extent_mm[2] >= 0.5 * tube.length_mm
            and anatomy.below_kidneys(tube.centroid_mm[2]))


def is_bladder_like(region: Region, anatomy: Anatomy, body_centre_mm) -> bool:
    if body_centre_mm is None:
        return False
    dx = region.centroid_mm[0] - float(body_centre_mm[0])
    dy = region.centroid_mm[1] - float(body_centre_mm[1])
    return (region.volume_cc >= 10.0 and abs(dx) <= 40.0 and dy <= 20.0
            and anatomy.low_in_trunk(region.centroid_mm[2]))


def classify_all(regions: list[Region], anatomy: Anatomy, centres: list, components: list) -> list:
    """classify() for every region, with at most one bladder: the bladder-like region nearest the
    midline (another one is a lesion to look at)."""
    verdicts = [classify(r, anatomy, c, whole_component=w) for r, c, w in zip(regions, centres, components)]
    bladders = [i for i, v in enumerate(verdicts) if v is not None and v[0] == "bladder"
                and not regions[i].contains_user_point and regions[i].structure_organ is None]
    if len(bladders) > 1:
        keep = min(bladders, key=lambda i: abs(regions[i].centroid_mm[0] - float(centres[i][0])))
        for i in bladders:
            if i != keep:
                verdicts[i] = None
    return verdicts


def kidney_level(regions: list[Region], body_centres: list, level) -> float | None:
    """The mean height of the kidney-like regions (posterior, lateral, 20-400 cm3), if any."""
    zs = []
    for region, centre in zip(regions, body_centres):
        if centre is None:
            continue
        dx, dy = region.centroid_mm[0] - centre[0], region.centroid_mm[1] - centre[1]
        if 20.0 <= region.volume_cc <= 400.0 and dy > 0.0 and 25.0 <= abs(dx) <= 130.0 and level(region.centroid_mm[2]):
            zs.append(region.centroid_mm[2])
    return float(np.mean(zs)) if zs else None

"""Per-lesion status between two dates, adapted from RECIST 1.1 and PERCIST 1.0.

docs/tracking.md gives the sources and our adaptations. In short:

* CT (RECIST 1.1, per lesion instead of the sum of target lesions): the longest
  axial diameter, the short axis for a lymph node. Progressing at +20 % and at
  least +5 mm; responding at -30 %; otherwise stable.
* PET (PERCIST 1.0, per lesion): SULpeak (SUVpeak normalised to lean body mass,
  Janmahasatian). Progressing at +30 % and at least +0.8 SUL; responding at
  -30 % and at least 0.8 SUL less; otherwise stable. Without the patient's
  height and sex SUL cannot be computed: SUVpeak (body weight) is used and the
  result says so.
* Where both dates have PET, the PET status decides; the CT status is shown beside.
* Disappeared: not found at the carried-over position; new: found only now.

The thresholds are inclusive ("at +20 %" progresses); values are compared with
a tolerance of 1e-9 so that a change of exactly 20 % is not lost to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from core.choices import parse_choice
from core.codes import Site

EPS = 1e-9

RECIST_PROGRESSION_FRACTION = 0.20
RECIST_PROGRESSION_MIN_MM = 5.0
RECIST_RESPONSE_FRACTION = 0.30
PERCIST_PROGRESSION_FRACTION = 0.30
PERCIST_PROGRESSION_MIN_SUL = 0.8
PERCIST_RESPONSE_FRACTION = 0.30
PERCIST_RESPONSE_MIN_SUL = 0.8

RECIST_SOURCE = "Eisenhauer et al., Eur J Cancer 2009;45:228-247 (RECIST 1.1)"
PERCIST_SOURCE = "Wahl et al., J Nucl Med 2009;50 Suppl 1:122S-150S (PERCIST 1.0)"

NODE_SITES = (Site.REGIONAL_LYMPH_NODE, Site.DISTANT_LYMPH_NODE)


class LesionStatus(str, Enum):
    NEW = "new"
    STABLE = "stable"
    PROGRESSING = "progressing"
    RESPONDING = "responding"
    DISAPPEARED = "disappeared"
    #: found at both dates but not measurable at both (point-only, no PET): never counted as stable
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: "LesionStatus | str") -> "LesionStatus":
        return parse_choice(cls, value, "lesion status")


class Sex(str, Enum):
    MALE = "M"
    FEMALE = "F"


@dataclass(frozen=True)
class PatientBody:
    """What SUL needs: weight (kg), height (cm) and sex; any may be unknown (None)."""

    weight_kg: float | None = None
    height_cm: float | None = None
    sex: Sex | None = None

    def lean_body_mass_kg(self) -> float | None:
        """Janmahasatian et al., Clin Pharmacokinet 2005 (the formula PERCIST recommends)."""
        if self.weight_kg is None or self.height_cm is None or self.sex is None:
            return None
        if not (self.weight_kg > 0 and self.height_cm > 0):
            return None
        from core.detect.sul import lean_body_mass_kg  # the one home of the formula

        return lean_body_mass_kg(self.weight_kg, self.height_cm / 100.0, self.sex.value)

    def sul_factor(self) -> float | None:
        """SUL = SUVbw x this (lean body mass / body weight); None when unknown."""
        lbm = self.lean_body_mass_kg()
        return None if lbm is None else lbm / self.weight_kg  # type: ignore[operator]

    def why_no_sul(self) -> str:
        missing = [name for name, value in (("height", self.height_cm), ("sex", self.sex),
                                            ("weight", self.weight_kg)) if value is None]
        return ("SUVpeak (body weight) used, not SULpeak: the patient's " + ", ".join(missing)
                + " are not known") if missing else ""


def size_mm_for(site: Site, longest_axial_mm: float | None, short_axis_mm: float | None) -> tuple[float | None, str]:
    """The RECIST measure of a lesion: short axis for a lymph node, longest axial diameter otherwise."""
    if site in NODE_SITES:
        return short_axis_mm, "short_axis_mm"
    return longest_axial_mm, "longest_axial_diameter_mm"


def ct_status(prior_mm: float, current_mm: float) -> LesionStatus:
    """RECIST 1.1 adapted to one lesion (see the module docstring)."""
    _check("prior diameter", prior_mm)
    _check("current diameter", current_mm)
    change = current_mm - prior_mm
    if change >= RECIST_PROGRESSION_FRACTION * prior_mm - EPS and change >= RECIST_PROGRESSION_MIN_MM - EPS:
        return LesionStatus.PROGRESSING
    if -change >= RECIST_RESPONSE_FRACTION * prior_mm - EPS:
        return LesionStatus.RESPONDING
    return LesionStatus.STABLE


def pet_status(prior_peak: float, current_peak: float) -> LesionStatus:
    """PERCIST 1.0 adapted to one lesion (SULpeak, or SUVpeak when SUL is unknown)."""
    _check("prior SULpeak", prior_peak)
    _check("current SULpeak", current_peak)
    change = current_peak - prior_peak
    if change >= PERCIST_PROGRESSION_FRACTION * prior_peak - EPS and change >= PERCIST_PROGRESSION_MIN_SUL - EPS:
        return LesionStatus.PROGRESSING
    if -change >= PERCIST_RESPONSE_FRACTION * prior_peak - EPS and -change >= PERCIST_RESPONSE_MIN_SUL - EPS:
        return LesionStatus.RESPONDING
    return LesionStatus.STABLE


@dataclass(frozen=True)
class StatusDecision:
    status: LesionStatus
    ct_status: LesionStatus | None
    pet_status: LesionStatus | None
    decided_by: str  # "PET", "CT", "not found", "unknown"
    note: str = ""


def decide(prior_size_mm: float | None, current_size_mm: float | None,
           prior_peak: float | None, current_peak: float | None) -> StatusDecision:
    """The lesion's status: PET where both dates have a peak, CT otherwise, beside each other.

    Neither measurable at both dates (e.g. a point-only lesion): the status is
    UNKNOWN, never stable by default.
    """
    ct = ct_status(prior_size_mm, current_size_mm) if _known(prior_size_mm, current_size_mm) else None
    pet = pet_status(prior_peak, current_peak) if _known(prior_peak, current_peak) else None
    if pet is not None:
        return StatusDecision(pet, ct, pet, "PET")
    if ct is not None:
        return StatusDecision(ct, ct, None, "CT")
    return StatusDecision(LesionStatus.UNKNOWN, None, None, "unknown",
                          "no diameter or SUVpeak at both dates: change not measurable; check it")


def _known(*values) -> bool:
    return all(v is not None and v > 0 for v in values)


def _check(name: str, value: float) -> None:
    if not (value == value) or value < 0:  # NaN or negative
        raise ValueError(f"{name} must be a number of 0 or more; got {value}")

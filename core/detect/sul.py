"""SUV normalised to lean body mass (SUL), as PERCIST 1.0 asks.

Lean body mass by Janmahasatian et al. (Clin Pharmacokinet 2005), the formula
PERCIST recommends (Wahl et al., J Nucl Med 2009; O JH et al., JAMA Oncol /
Radiology 2016 practical PERCIST):

    BMI = weight_kg / height_m**2
    male:   LBM = 9270 * weight_kg / (6680 + 216 * BMI)
    female: LBM = 9270 * weight_kg / (8780 + 244 * BMI)

SUL = SUVbw * LBM / weight. Without height or sex (or weight) the body-weight
SUV is used and the unit says so ("SUVbw").
"""

from __future__ import annotations

import math
from dataclasses import dataclass


#: plausible ranges: a value outside is treated as absent (a header typo, centimetres for metres)
WEIGHT_KG_RANGE = (2.0, 400.0)
HEIGHT_M_RANGE = (0.4, 2.6)


@dataclass(frozen=True)
class PatientBody:
    """What the PET header says about the patient's build (None or "" when absent)."""

    weight_kg: float | None = None
    height_m: float | None = None
    sex: str = ""  # "M", "F" or "" (DICOM (0010,0040) Patient's Sex; "O" counts as unknown)


@dataclass(frozen=True)
class Normalisation:
    """Multiply SUVbw by ``factor`` to get values in ``unit``; ``note`` says why not SUL."""

    factor: float
    unit: str  # "SUL" or "SUVbw"
    note: str = ""


def lean_body_mass_kg(weight_kg: float, height_m: float, sex: str) -> float:
    """Janmahasatian lean body mass (kg); ValueError for a sex other than M/F or a non-positive size."""
    if not (weight_kg > 0 and height_m > 0):
        raise ValueError(f"weight {weight_kg} kg and height {height_m} m must be above zero")
    bmi = weight_kg / height_m**2
    sex = sex.strip().upper()[:1]
    if sex == "M":
        return 9270.0 * weight_kg / (6680.0 + 216.0 * bmi)
    if sex == "F":
        return 9270.0 * weight_kg / (8780.0 + 244.0 * bmi)
    raise ValueError(f"sex {sex!r}: lean body mass needs M or F")


def normalisation(body: PatientBody | None) -> Normalisation:
    """SUL when weight, height and sex are known and plausible, else SUVbw with the reason."""
    body = body or PatientBody()
    missing = [what for what, ok in (
        ("(0010,1030) Patient Weight", _plausible(body.weight_kg, *WEIGHT_KG_RANGE)),
        ("(0010,1020) Patient Size (height)", _plausible(body.height_m, *HEIGHT_M_RANGE)),
        ("(0010,0040) Patient Sex (M or F)", (body.sex or "").strip().upper()[:1] in ("M", "F")),
    ) if not ok]
    if missing:
        return Normalisation(1.0, "SUVbw", f"SUL needs {', '.join(missing)}: values are SUV body weight")
    lbm = lean_body_mass_kg(float(body.weight_kg), float(body.height_m), body.sex)
    return Normalisation(lbm / float(body.weight_kg), "SUL")


def patient_body_from_header(ds) -> PatientBody:
    """Weight, height and sex from a PET header (pydicom Dataset); absent values stay None / ""."""
    from core.dicom.headers import safe_get

    def number(keyword):
        try:
            value = float(safe_get(ds, keyword))
        except (TypeError, ValueError):
            return None
        return value if math.isfinite(value) and value > 0 else None

    return PatientBody(number("PatientWeight"), number("PatientSize"), str(safe_get(ds, "PatientSex", "") or ""))


def _plausible(value: float | None, low: float, high: float) -> bool:
    return value is not None and math.isfinite(value) and low <= value <= high

"""PET standardised uptake value, body weight (SUVbw), from the DICOM tags.

SUVbw = activity concentration (Bq/ml) x body weight (g) / injected dose (Bq),
the dose decayed to the time the image values are decay-corrected to:

* (0054,1102) Decay Correction START: values are corrected to the series start,
  so the dose is decayed from (0018,1072)/(0018,1078) Radiopharmaceutical Start
  (Date)Time to (0008,0021)/(0008,0031) Series Date/Time (or the earliest
  Acquisition Time when the series time is later, as some scanners write it).
* ADMIN: values are corrected to the injection time: no decay.
* NONE is not supported: SUV would need per-slice decay and is reported unavailable.

The result is a factor; SUV = (stored x slope + intercept) x factor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydicom.dataset import Dataset

from core.dicom.headers import safe_get


@dataclass(frozen=True)
class SuvResult:
    factor: float | None  # multiply Bq/ml by this to get SUVbw; None when unavailable
    reason: str = ""  # "SUV unavailable: <missing tag>" when factor is None
    unit: str = "SUVbw"


def suv_factor(ds: Dataset, acquisition_times: list[str] | None = None) -> SuvResult:
    """The Bq/ml -> SUVbw factor of a PET series, or why it cannot be had."""
    units = str(safe_get(ds, "Units", "") or "").strip().upper()
    if units == "GML":
        return SuvResult(1.0)
    if units != "BQML":
        return _unavailable(f"(0054,1001) Units is {units or 'missing'}, expected BQML")
    weight = _positive(safe_get(ds, "PatientWeight"))
    if weight is None:
        return _unavailable("(0010,1030) Patient Weight missing or zero")
    info = _first(safe_get(ds, "RadiopharmaceuticalInformationSequence"))
    if info is None:
        return _unavailable("(0054,0016) Radiopharmaceutical Information Sequence missing")
    dose = _positive(safe_get(info, "RadionuclideTotalDose"))
    if dose is None:
        return _unavailable("(0018,1074) Radionuclide Total Dose missing or zero")
    correction = str(safe_get(ds, "DecayCorrection", "") or "").strip().upper()
    if correction == "ADMIN":
        return SuvResult(weight * 1000.0 / dose)
    if correction != "START":
        return _unavailable(
            f"(0054,1102) Decay Correction is {correction or 'missing'}; only START and ADMIN are supported"
        )
    half_life = _positive(safe_get(info, "RadionuclideHalfLife"))
    if half_life is None:
        return _unavailable("(0018,1075) Radionuclide Half Life missing or zero")
    injection = _injection_time(ds, info)
    if injection is None:
        return _unavailable("(0018,1072) Radiopharmaceutical Start Time missing or unreadable")
    start = _scan_start(ds, acquisition_times or [])
    if start is None:
        return _unavailable("(0008,0031) Series Time missing or unreadable")
    elapsed = (start - injection).total_seconds()
    if elapsed < 0:
        elapsed += 86400.0  # injection before midnight, scan after, dates absent
    if not 0 <= elapsed < 86400.0:
        return _unavailable(f"injection to scan interval of {elapsed / 3600:.1f} h is implausible")
    decayed = dose * math.exp(-math.log(2.0) * elapsed / half_life)
    if not decayed > 0 or not math.isfinite(weight * 1000.0 / decayed):
        return _unavailable(
            f"a half-life of {half_life:g} s over {elapsed:.0f} s leaves no activity; "
            "check (0018,1075) Radionuclide Half Life"
        )
    return SuvResult(weight * 1000.0 / decayed)


def parse_dicom_datetime(date: str | None, time: str | None) -> datetime | None:
    """DA 'YYYYMMDD' + TM 'HHMMSS.frac' (also 'HHMM', 'HH:MM:SS') -> datetime."""
    time = (str(time or "")).strip().replace(":", "")
    date = (str(date or "")).strip() or "19000101"
    if not time:
        return None
    try:
        day = datetime.strptime(date[:8], "%Y%m%d")
        whole, _, frac = time.partition(".")
        hours = int(whole[0:2])
        minutes = int(whole[2:4] or 0)
        seconds = int(whole[4:6] or 0)
        micro = int((frac + "000000")[:6]) if frac else 0
        return day + timedelta(hours=hours, minutes=minutes, seconds=seconds, microseconds=micro)
    except (ValueError, IndexError):
        return None


def _injection_time(ds: Dataset, info: Dataset) -> datetime | None:
    stamp = str(safe_get(info, "RadiopharmaceuticalStartDateTime", "") or "").strip()
    if len(stamp) >= 12:
        return parse_dicom_datetime(stamp[:8], stamp[8:])
    date = safe_get(ds, "SeriesDate") or safe_get(ds, "AcquisitionDate") or safe_get(ds, "StudyDate")
    return parse_dicom_datetime(date, safe_get(info, "RadiopharmaceuticalStartTime"))


def _scan_start(ds: Dataset, acquisition_times: list[str]) -> datetime | None:
    date = safe_get(ds, "SeriesDate") or safe_get(ds, "AcquisitionDate") or safe_get(ds, "StudyDate")
    series = parse_dicom_datetime(date, safe_get(ds, "SeriesTime"))
    acquired = [t for t in (parse_dicom_datetime(date, a) for a in acquisition_times if a) if t]
    earliest = min(acquired) if acquired else None
    if series is None:
        return earliest
    if earliest is not None and series > earliest:
        return earliest
    return series


def _positive(value) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) and out > 0 else None


def _first(seq) -> Dataset | None:
    try:
        return seq[0] if seq else None
    except (IndexError, TypeError):
        return None


def _unavailable(what: str) -> SuvResult:
    return SuvResult(None, f"SUV unavailable: {what}", unit="BQML")

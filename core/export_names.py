"""File names of a case's exports: they carry the case, so one case's files never take another's name.

``<patient ID>_<study date>_summary.pdf`` (e.g. ``PHANTOM-001_20240115_summary.pdf``); an anonymised
export carries neither (an ID and a date identify the patient) and is ``anonymised_summary.pdf``.
A name made only of characters safe on every file system (letters, digits, ``. _ -``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

ANONYMISED = "anonymised"
UNKNOWN_PATIENT = "no-patient-id"
UNKNOWN_DATE = "no-study-date"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe(text: str) -> str:
    return _UNSAFE.sub("-", str(text).strip()).strip("-.")


def case_prefix(info, *, anonymise: bool) -> str:
    """``<patient ID>_<study date>`` of the images' series info (core.volume.SeriesInfo), or "anonymised".

    ``info`` None (no images shown) or without an ID / a date gives "no-patient-id" / "no-study-date"."""
    if anonymise:
        return ANONYMISED
    patient = _safe(getattr(info, "patient_id", "") or "") or UNKNOWN_PATIENT
    date = _safe(getattr(info, "study_date", "") or "") or UNKNOWN_DATE
    return f"{patient}_{date}"


def case_stem(info, what: str, *, anonymise: bool) -> str:
    """The stem of an export ``what`` ("summary", "scorecard") of a case: ``<prefix>_<what>``."""
    return f"{case_prefix(info, anonymise=anonymise)}_{_safe(what)}"


def existing(paths: Iterable[Path]) -> list[Path]:
    """The planned export files that are already there (to ask before writing over them)."""
    return [Path(p) for p in paths if Path(p).exists()]

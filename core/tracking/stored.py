"""The comparison with the prior scan as a case file stores it (top-level ``"tracking"``), read defensively.

`oligoplan track --out` writes it (core.cli_track.write_tracked_case). This is the one place the
summary reads it from: every key is optional, a value of the wrong type is treated as absent
(never guessed), so a case written by an older or newer OligoPlan still exports.

Keys read: ``prior_case`` (path of the prior case file), ``registration.method``,
``registration.transform.matrix`` (4x4, prior LPS mm -> current LPS mm), ``statuses``
({lesion id: status}), ``lesions`` (as `track --json` prints them, plus ``label`` and ``site``),
``new`` and ``new_listed`` (as `track --json` "new"), ``new_accepted``, ``new_searched``,
``counts`` ({"prior", "current"}), ``prior_date`` and ``current_date`` (or ``dates`` {"prior", "current"}:
DICOM DA or ISO),
``sul_note`` and ``derived_facts``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from core.registration.transform import PriorToCurrent
from core.tracking.derived import DerivedFact, derived_from_json
from core.tracking.status import LesionStatus


@dataclass(frozen=True)
class StoredValues:
    """A lesion's values at one date (None: not measured)."""

    size_mm: float | None = None
    size_measure: str = "longest_axial_diameter_mm"
    suv_peak: float | None = None
    volume_cc: float | None = None


@dataclass(frozen=True)
class StoredLesion:
    id: str
    status: LesionStatus
    decided_by: str = ""  # "PET", "CT", "not found", "unknown"; "" when not stored
    ct_status: LesionStatus | None = None
    pet_status: LesionStatus | None = None
    label: str = ""
    site: str = ""
    prior: StoredValues | None = None
    current: StoredValues | None = None  # None: not found now (disappeared) or not stored
    note: str = ""


@dataclass(frozen=True)
class StoredNew:
    id: str
    site: str = ""
    volume_cc: float | None = None
    suv_max: float | None = None
    centroid_mm: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class StoredTracking:
    prior_case: str = ""
    method: str = ""
    transform: PriorToCurrent | None = None
    lesions: tuple[StoredLesion, ...] = ()
    new: tuple[StoredNew, ...] = ()
    new_accepted: bool = False
    new_searched: bool | None = None
    count_prior: int | None = None
    count_current: int | None = None
    prior_date: str | None = None  # ISO (YYYY-MM-DD) or None
    current_date: str | None = None
    sul_note: str = ""
    derived: dict[str, DerivedFact] = field(default_factory=dict)


def tracking_doc(case) -> dict | None:
    """The case's stored comparison (a dict) or None: ``case.tracking`` when the case model has it,
    else the top-level field kept as found (``case.extra["tracking"]``)."""
    doc = getattr(case, "tracking", None)
    if doc is None:
        doc = (getattr(case, "extra", None) or {}).get("tracking")
    if hasattr(doc, "to_json"):
        doc = doc.to_json()
    return doc if isinstance(doc, dict) and doc else None


def read_tracking(case) -> StoredTracking | None:
    """The stored comparison of ``case``, or None when it has none."""
    doc = tracking_doc(case)
    if doc is None:
        return None
    registration = _dict(doc.get("registration"))
    statuses = {str(k): _status(v) for k, v in _dict(doc.get("statuses")).items()}
    lesions = [_lesion(item) for item in _list(doc.get("lesions"))]
    lesions = [x for x in lesions if x is not None]
    known = {x.id for x in lesions}
    # a case that stores only the statuses: the lesions with their status, values not stored
    lesions += [StoredLesion(k, v) for k, v in statuses.items() if v is not None and k not in known]
    new_items = _list(doc.get("new")) or _list(doc.get("new_listed"))
    new = [n for n in (_new(item) for item in new_items) if n is not None]
    counts = _dict(doc.get("counts"))
    dates = _dict(doc.get("dates"))
    searched = doc.get("new_searched")
    return StoredTracking(
        prior_case=str(doc.get("prior_case") or ""),
        method=str(registration.get("method") or ""),
        transform=_transform(_dict(registration.get("transform")).get("matrix")),
        lesions=tuple(lesions), new=tuple(new),
        new_accepted=doc.get("new_accepted") is True,
        new_searched=searched if isinstance(searched, bool) else None,
        count_prior=_int(counts.get("prior")), count_current=_int(counts.get("current")),
        prior_date=iso_date(dates.get("prior") or doc.get("prior_date")),
        current_date=iso_date(dates.get("current") or doc.get("current_date")),
        sul_note=str(doc.get("sul_note") or ""),
        derived=derived_from_json(doc.get("derived_facts")),
    )


_DA = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")


def iso_date(value) -> str | None:
    """A DICOM DA ("20240102") or ISO date as ISO ("2024-01-02"); None when it is neither."""
    m = _DA.match(str(value or "").strip())
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None


def _lesion(item) -> StoredLesion | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None
    status = _status(item.get("status"))
    if status is None:
        return None
    return StoredLesion(
        id=item["id"], status=status, decided_by=str(item.get("decided_by") or ""),
        ct_status=_status(item.get("ct_status")), pet_status=_status(item.get("pet_status")),
        label=str(item.get("label") or ""), site=str(item.get("site") or ""),
        prior=_values(item.get("prior")), current=_values(item.get("current")), note=str(item.get("note") or ""))


def _values(item) -> StoredValues | None:
    if not isinstance(item, dict):
        return None
    measure = item.get("size_measure")
    return StoredValues(size_mm=_number(item.get("size_mm")),
                        size_measure=measure if measure in ("short_axis_mm", "longest_axial_diameter_mm")
                        else "longest_axial_diameter_mm",
                        suv_peak=_number(item.get("suv_peak")), volume_cc=_number(item.get("volume_cc")))


def _new(item) -> StoredNew | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None
    centre = item.get("centroid_mm")
    point = None
    if isinstance(centre, list) and len(centre) == 3 and all(_number(v) is not None for v in centre):
        point = tuple(float(v) for v in centre)
    return StoredNew(item["id"], str(item.get("site") or ""), _number(item.get("volume_cc")),
                     _number(item.get("suv_max")), point)


def _transform(matrix) -> PriorToCurrent | None:
    try:
        return PriorToCurrent(np.asarray(matrix, dtype=float))
    except (TypeError, ValueError):
        return None


def _status(value) -> LesionStatus | None:
    try:
        return LesionStatus.parse(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return float(value)


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []

"""The case file's ``"tracking"``: what `oligoplan track` found against the prior scan (docs/case-file.md).

Written by `oligoplan track --out` into the case of the current scan, checked by
core.case_schema, read back by core.case (``Case.tracking``)::

    "tracking": {
      "prior_case": "/path/prior/case.json",   # the case file of the earlier visit
      "prior_date": "2024-01-02",               # study date of the prior scan (null: not in its header)
      "current_date": "2024-05-02",
      "registration": {...},                    # as in `track --json`
      "lesions": [{"id", "prior_id", "status", "prior": {...}, "current": {...} | null, ...}],
      "statuses": {"L1": "progressing", ...},
      "new_listed": [{"id", "candidate_id", "centroid_mm", "site", "volume_cc", "suv_max"}],
      "counts": {"prior": 5, "current": 6},
      "derived_facts": {"lesions_progressing": {"value": "yes", "derived": true, "confirmed": false,
                                                 "source": "oligoplan track", "reason": "..."}, ...}
    }

The derived facts fill the case facts the user has not given (core.tracking.derived.effective_facts):
they are DERIVED values, shown as such with their source, and a value the user enters overrides them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.tracking.derived import DerivedFact, derived_from_json, derived_to_json, effective_facts
from core.tracking.status import LesionStatus


@dataclass(frozen=True)
class TrackingRecord:
    prior_case: str = ""
    prior_date: str | None = None  # ISO date of the prior scan
    current_date: str | None = None
    registration: dict = field(default_factory=dict)
    lesions: tuple[dict, ...] = ()
    statuses: dict[str, LesionStatus] = field(default_factory=dict)
    new_listed: tuple[dict, ...] = ()
    counts: dict = field(default_factory=dict)
    derived: dict[str, DerivedFact] = field(default_factory=dict)
    #: fields of the record this OligoPlan does not know (a newer version): written back as found
    extra: dict = field(default_factory=dict)

    @property
    def source_text(self) -> str:
        """How a derived fact's source is named: "derived from prior scan of 2024-01-02"."""
        return f"derived from prior scan of {self.prior_date}" if self.prior_date else \
            "derived from prior scan (its date is not known)"

    def effective(self, user_facts: dict) -> tuple[dict, dict[str, str]]:
        """(facts to evaluate, provenance) as core.tracking.derived.effective_facts."""
        return effective_facts(user_facts, self.derived)

    def to_json(self) -> dict:
        return {**self.extra, "prior_case": self.prior_case, "prior_date": self.prior_date,
                "current_date": self.current_date, "registration": dict(self.registration),
                "lesions": [dict(item) for item in self.lesions],
                "statuses": {key: status.value for key, status in self.statuses.items()},
                "new_listed": [dict(item) for item in self.new_listed], "counts": dict(self.counts),
                "derived_facts": derived_to_json(self.derived)}

    @classmethod
    def from_json(cls, doc: dict) -> "TrackingRecord":
        """The record of a case file already checked by core.case_schema (TRACKING_FIELDS)."""
        known = {"prior_case", "prior_date", "current_date", "registration", "lesions", "statuses", "new_listed",
                 "counts", "derived_facts"}
        return cls(
            prior_case=str(doc.get("prior_case") or ""), prior_date=doc.get("prior_date") or None,
            current_date=doc.get("current_date") or None, registration=dict(doc.get("registration") or {}),
            lesions=tuple(dict(item) for item in doc.get("lesions") or ()),
            statuses={str(k): LesionStatus.parse(v) for k, v in (doc.get("statuses") or {}).items()},
            new_listed=tuple(dict(item) for item in doc.get("new_listed") or ()),
            counts=dict(doc.get("counts") or {}), derived=derived_from_json(doc.get("derived_facts")),
            extra={k: v for k, v in doc.items() if k not in known})


def iso_date(dicom_date: str | None) -> str | None:
    """ "20240102" (DICOM DA) -> "2024-01-02"; None when empty or not a date."""
    from datetime import date

    text = (dicom_date or "").strip()
    try:
        if len(text) == 8 and text.isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
        return date.fromisoformat(text).isoformat() if text else None
    except ValueError:
        return None

"""The audit trail of a case: append-only entries linked by a hash chain.

Every entry records who (name and role), when (UTC, ISO 8601), what kind of
change (:class:`AuditAction`), a sentence saying what changed, and details
(JSON). Its ``hash`` is the SHA-256 of those fields together with the hash of
the entry before it (``prev``; the first entry's ``prev`` is 64 zeros). The
trail as saved also names its ``head`` (the last hash) and ``count``.

So a hand edit of an entry no longer matches its hash, a deleted entry breaks
the link of the next one, and entries cut from the end no longer match
``head``/``count``: :meth:`AuditTrail.problems` says which. This makes
tampering *evident* to OligoPlan; it is not a signature (anyone can recompute
the hashes, there is no secret key). Problems are warnings: the case still
opens, and the entries stay as they were found (never repaired or dropped),
so the warning comes back every time until the file is restored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Iterator

from core.choices import parse_choice

GENESIS = "0" * 64


class AuditAction(str, Enum):
    """What kind of change an audit entry records."""

    LESION_ADDED = "lesion_added"
    LESION_EDITED = "lesion_edited"
    LESION_DELETED = "lesion_deleted"
    LESION_RELABELLED = "lesion_relabelled"
    FACTS_CHANGED = "facts_changed"
    RULE_SETS_CHANGED = "rule_sets_changed"
    SIGNED_OFF = "signed_off"
    REOPENED = "reopened"
    CANDIDATE_ACCEPTED = "candidate_accepted"
    CANDIDATE_REJECTED = "candidate_rejected"
    CANDIDATE_REOPENED = "candidate_reopened"  # an accept or reject undone: the candidate waits again
    # Compare with prior (gui.compare): a carried-over lesion confirmed or rejected, its status overridden,
    # the registration nudged by hand
    PRIOR_LESION_CONFIRMED = "prior_lesion_confirmed"
    PRIOR_LESION_REJECTED = "prior_lesion_rejected"
    PRIOR_LESION_REOPENED = "prior_lesion_reopened"  # a rejection taken back: the proposal waits again
    PRIOR_STATUS_OVERRIDDEN = "prior_status_overridden"
    NEW_LESION_CONFIRMED = "new_lesion_confirmed"  # found only on the current scan (the PET finder), confirmed
    NEW_LESION_REJECTED = "new_lesion_rejected"
    REGISTRATION_ADJUSTED = "registration_adjusted"
    DERIVED_FACTS_SET = "derived_facts_set"  # `oligoplan track` derived facts from the prior scan
    DERIVED_FACT_OVERRIDDEN = "derived_fact_overridden"  # a user entered a value over a derived one (or removed it)

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @classmethod
    def parse(cls, value: "AuditAction | str") -> "AuditAction":
        return parse_choice(cls, value, "audit action", unknown_first=True)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class AuditEntry:
    """One change. ``hash`` is as stored; :meth:`expected_hash` is what it should be."""

    seq: int
    when: str
    who: str
    role: str
    action: str  # an AuditAction value (kept as text: a hand-edited file may hold anything)
    what: str
    details: dict = field(default_factory=dict)
    prev: str = GENESIS
    hash: str = ""

    def payload(self) -> dict:
        return {"seq": self.seq, "when": self.when, "who": self.who, "role": self.role,
                "action": self.action, "what": self.what, "details": self.details, "prev": self.prev}

    def expected_hash(self) -> str:
        text = json.dumps(self.payload(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def to_json(self) -> dict:
        return {**self.payload(), "hash": self.hash}

    @property
    def action_label(self) -> str:
        try:
            return AuditAction(self.action).label
        except ValueError:
            return self.action

    def summary(self) -> str:
        who = f"{self.who} ({self.role})" if self.role else (self.who or "unknown user")
        return f"#{self.seq} {self.when} {who}: {self.what}"


class AuditTrail:
    """The entries of one case, in order. Only :meth:`append` adds; nothing removes."""

    def __init__(self, entries: list[AuditEntry] | None = None, *, problems: list[str] | None = None) -> None:
        self._entries: list[AuditEntry] = list(entries or [])
        self._load_problems: list[str] = list(problems or [])

    def __iter__(self) -> Iterator[AuditEntry]:
        return iter(tuple(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, n: int) -> AuditEntry:
        return self._entries[n]

    @property
    def head(self) -> str:
        return self._entries[-1].hash if self._entries else GENESIS

    def append(self, action: AuditAction | str, what: str, *, who: str = "", role: str = "",
               details: dict | None = None, when: str | None = None) -> AuditEntry:
        """Add an entry chained to the last one and return it."""
        action = AuditAction.parse(action)
        details = json.loads(json.dumps(details or {}))  # plain JSON, and a private copy
        entry = AuditEntry(seq=len(self._entries) + 1, when=when or utc_now(), who=str(who),
                           role=str(role), action=action.value, what=str(what), details=details,
                           prev=self.head)
        entry = AuditEntry(**{**entry.payload(), "hash": entry.expected_hash()})
        self._entries.append(entry)
        return entry

    # ----------------------------------------------------------- checking
    def problems(self) -> list[str]:
        """Every sign of tampering found, as sentences (empty when the chain holds)."""
        found = list(self._load_problems)
        prev = GENESIS
        for n, entry in enumerate(self._entries, start=1):
            where = f"audit entry {n} ({entry.when or 'no time'}, {entry.who or 'unknown user'}: " \
                    f"'{_short(entry.what)}')"
            if entry.seq != n:
                found.append(f"{where} is numbered {entry.seq}: entries were removed or reordered")
            if entry.prev != prev:
                found.append(f"{where} does not follow the entry before it: an entry was removed, "
                             "inserted or changed before it")
            if entry.hash != entry.expected_hash():
                found.append(f"{where} was changed after it was written (its hash does not match)")
            prev = entry.hash
        return found

    @property
    def intact(self) -> bool:
        return not self.problems()

    # ------------------------------------------------------------ to/from JSON
    def to_json(self) -> dict:
        return {"head": self.head, "count": len(self._entries),
                "entries": [e.to_json() for e in self._entries]}

    @classmethod
    def from_json(cls, doc) -> "AuditTrail":
        """Read a trail as saved; what does not fit is reported by :meth:`problems`, never dropped silently."""
        if doc is None:
            return cls()
        if not isinstance(doc, dict) or not isinstance(doc.get("entries"), list):
            return cls(problems=[f"the audit trail is not readable (expected an object with 'entries', "
                                 f"found {type(doc).__name__}); earlier changes cannot be verified"])
        entries, problems = [], []
        for n, item in enumerate(doc["entries"], start=1):
            if not isinstance(item, dict):
                problems.append(f"audit entry {n} is not an object ({type(item).__name__}); it was "
                                "replaced or damaged by hand")
                continue
            details = item.get("details", {})
            entries.append(AuditEntry(
                seq=_as_int(item.get("seq")), when=str(item.get("when", "")), who=str(item.get("who", "")),
                role=str(item.get("role", "")), action=str(item.get("action", "")),
                what=str(item.get("what", "")), details=details if isinstance(details, dict) else {"value": details},
                prev=str(item.get("prev", "")), hash=str(item.get("hash", "")),
            ))
        trail = cls(entries, problems=problems)
        count, head = doc.get("count"), doc.get("head")
        if count != len(doc["entries"]) or head != trail.head:
            problems.append(
                f"the audit trail ends at entry {len(entries)} but was saved with {count} entries "
                f"ending in another hash: entries were removed from its end or it was edited by hand")
        trail._load_problems = problems
        return trail


def _as_int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def audit_csv(trail: AuditTrail) -> str:
    """The trail as CSV (one row per entry, hashes included), for the history panel's export."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["seq", "when", "who", "role", "action", "what", "details", "prev", "hash"])
    for e in trail:
        writer.writerow([e.seq, e.when, e.who, e.role, e.action, e.what,
                         json.dumps(e.details, sort_keys=True, ensure_ascii=False), e.prev, e.hash])
    return out.getvalue()

"""Sign-off of a case (draft -> reviewed -> approved) and the recording of every change.

:class:`CaseReview` belongs to one :class:`core.case.Case`. It

* records every lesion change in the case's audit trail as it happens
  (added, edited, deleted, relabelled: it follows ``case.lesions.changed``),
  and changes of the case facts and rule sets when :meth:`CaseReview.sync`
  runs (saving a case calls it, so no change reaches a file unrecorded);
* holds the review state, which is *derived from the audit trail* (its
  sign-off and reopen entries), so the state cannot disagree with the trail;
* signs: draft -> reviewed -> approved, each step with name, role, time
  (UTC) and comment, and a digest of the lesions and facts signed;
* reopens: any change to a reviewed or approved case returns it to draft,
  records why, and tells the listeners of ``reopened`` (the gui says so).

:func:`integrity_warnings` checks a case read from a file: the hash chain,
the review state written beside it, and that the lesions and facts are the
ones signed.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import re
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from core.audit import AuditAction, AuditEntry, AuditTrail
from core.choices import parse_choice
from core.codes import Treatability
from core.errors import ReviewError
from core.events import Signal
from core.lesion_json import lesion_to_json  # the case file's own form, so a hand edit shows
from core.lesions import Lesion, LesionEvent, _describe_change

if TYPE_CHECKING:  # pragma: no cover
    from core.case import Case

#: Fact keys that hold the chosen rule sets (their changes are RULE_SETS_CHANGED).
RULE_SET_KEYS = ("rule_sets", "rule_set")
_RELABEL_FIELDS = ("label", "site", "laterality")


class ReviewState(str, Enum):
    DRAFT = "draft"
    REVIEWED = "reviewed"
    APPROVED = "approved"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def next(self) -> "ReviewState | None":
        """The state the next sign-off leads to (None once approved)."""
        return {ReviewState.DRAFT: ReviewState.REVIEWED,
                ReviewState.REVIEWED: ReviewState.APPROVED}.get(self)


#: how the review state is coloured wherever it is shown (verdict panel, summary PDF)
REVIEW_COLOURS = {"draft": "#8a5a00", "reviewed": "#1565c0", "approved": "#2e7d32"}
#: the review line of a case whose audit trail was changed outside OligoPlan: a forged
#: approval must not show in the approved green
REVIEW_WARNING_COLOUR = "#c62828"


def review_colour(state: str | None, trail_altered: bool = False) -> str:
    """The colour of the review line (verdict panel, summary PDF)."""
    return REVIEW_WARNING_COLOUR if trail_altered else REVIEW_COLOURS.get(state or "", "#555555")


def review_headline(state: str | None, status: str) -> str:
    """The review line as users read it: a draft says that it is not yet reviewed or approved."""
    return f"{status}: not yet reviewed or approved" if state == "draft" else status


class Role(str, Enum):
    """Who signs: roles a workstation user picks from."""

    MEDICAL_PHYSICIST = "medical physicist"
    RADIATION_ONCOLOGIST = "radiation oncologist"
    TRAINEE = "trainee"
    OTHER = "other"

    @classmethod
    def parse(cls, value: "Role | str") -> "Role":
        return parse_choice(cls, value, "role", lenient=True, error=ReviewError, unknown_first=True)


@dataclass(frozen=True)
class SignOff:
    """One sign-off step, as read back from its audit entry."""

    state: ReviewState
    name: str
    role: str
    when: str
    comment: str
    digest: str

    def to_json(self) -> dict:
        return {"state": self.state.value, "name": self.name, "role": self.role, "when": self.when,
                "comment": self.comment, "content_digest": self.digest}


def content_digest(case: "Case", *, treatable_as_bool: bool = False) -> str:
    """SHA-256 of the lesions (geometry and labels) and facts (the derived ones too), as written in a case file.

    ``treatable_as_bool``: as case files of schema 1 and 2 wrote a lesion's treatability (true /
    false, true being the default), to check a sign-off made before schema 3.
    """
    lesions = [lesion_to_json(lesion) for lesion in case.lesions]
    if treatable_as_bool:
        lesions = [{**doc, "treatable": doc["treatable"] != "no"} for doc in lesions]
    doc = {"lesions": lesions, "facts": case.facts}
    tracking = getattr(case, "tracking", None)
    derived = {k: f.value for k, f in tracking.derived.items() if f.value is not None} if tracking else {}
    if derived:  # facts derived from the prior scan count as facts (a case without any: the digest as before)
        doc["derived_facts"] = derived
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_user() -> str:
    """The login name: who the command line records (the gui uses the name in its settings)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user database entry (containers)
        return ""


# ------------------------------------------------------------------ replay
def replay(trail: AuditTrail) -> tuple[ReviewState, list[SignOff]]:
    """The review state and the sign-offs in force, from the trail's entries."""
    state, signoffs = ReviewState.DRAFT, []
    for entry in trail:
        if entry.action == AuditAction.SIGNED_OFF.value:
            try:
                state = ReviewState(entry.details.get("state"))
            except ValueError:
                continue
            signoffs.append(_signoff(entry, state))
        elif entry.action == AuditAction.REOPENED.value:
            state, signoffs = ReviewState.DRAFT, []
    return state, signoffs


def _signoff(entry: AuditEntry, state: ReviewState) -> SignOff:
    d = entry.details
    return SignOff(state, entry.who, entry.role, entry.when, str(d.get("comment", "")),
                   str(d.get("content_digest", "")))


# ------------------------------------------------------------------ review
#: said after the review state when the case file's audit trail was edited by hand
TRAIL_ALTERED = "audit trail changed outside OligoPlan: not to be relied on; see Review > History"


class CaseReview:
    """Review state, sign-off and change recording of one case.

    Events: ``changed()`` after every audit entry; ``reopened(message)`` when a
    change sent a reviewed or approved case back to draft.
    """

    def __init__(self, case: "Case", user: str | None = None, role: str = "") -> None:
        self.case = case
        self.user = default_user() if user is None else user
        self.role = role
        self.changed = Signal()
        self.reopened = Signal()
        self._lesion_set = case.lesions
        self._snapshot: dict[str, Lesion] = {lesion.id: lesion for lesion in case.lesions}
        self._facts = _copy(case.facts)
        self._history_at_start = len(case.legacy_history)
        self._lesion_set.changed.connect(self._on_lesions_changed)

    def detach(self) -> None:
        """Stop following the lesion set (the case is closed)."""
        self._lesion_set.changed.disconnect(self._on_lesions_changed)

    def set_user(self, name: str, role: str = "") -> None:
        self.user, self.role = str(name).strip(), str(role).strip()

    # ------------------------------------------------------------- state
    @property
    def trail(self) -> AuditTrail:
        return self.case.audit

    @property
    def state(self) -> ReviewState:
        return replay(self.trail)[0]

    @property
    def signoffs(self) -> list[SignOff]:
        return replay(self.trail)[1]

    def status_text(self) -> str:
        """E.g. 'Approved by A. Smith (radiation oncologist), 2026-11-26 16:40 UTC'.

        When the file's audit trail was changed outside OligoPlan (``case.integrity_warnings``),
        :data:`TRAIL_ALTERED` follows: a hand-edited sign-off must not read as a real one in the
        verdict panel, the history or the summary PDF and JSON.
        """
        state, signoffs = replay(self.trail)
        if not signoffs:
            text = state.label
        else:
            last = signoffs[-1]
            role = f" ({last.role})" if last.role else ""
            text = f"{state.label} by {last.name}{role}, {last.when[:16].replace('T', ' ')} UTC"
        if self.case.integrity_warnings:
            text += f" ({TRAIL_ALTERED})"
        return text

    # -------------------------------------------------------------- sign
    def sign(self, to_state: ReviewState | str, comment: str = "", *, name: str | None = None,
             role: str | None = None) -> SignOff:
        """Move the case one step on (draft -> reviewed -> approved) and record who signed."""
        try:
            target = ReviewState(to_state)
        except ValueError:
            raise ReviewError(f"unknown review state '{to_state}'; expected reviewed or approved") from None
        name = (self.user if name is None else name).strip()
        role = (self.role if role is None else role).strip()
        if not name:
            raise ReviewError("a sign-off needs your name: enter it once in Review > Your name "
                              "(it is kept in the settings)")
        self.sync()  # facts changed since the last save are recorded before the signature
        current = self.state
        if current.next is None:
            raise ReviewError("the case is already approved; edit it to reopen it, then review it again")
        if target is not current.next:
            raise ReviewError(f"the case is {current.value}: it can only be marked "
                              f"{current.next.value} now (draft -> reviewed -> approved)")
        entry = self.trail.append(
            AuditAction.SIGNED_OFF, f"{target.label} by {name}" + (f": {comment.strip()}" if comment.strip() else ""),
            who=name, role=role,
            details={"state": target.value, "comment": comment.strip(), "content_digest": content_digest(self.case)},
        )
        self.changed.emit()
        return _signoff(entry, target)

    # ----------------------------------------------------------- changes
    def sync(self) -> list[AuditEntry]:
        """Record changes of the facts and rule sets made since the last record (and the lesions
        a case built in code or read from a version 1 file holds without an entry that made them)."""
        entries = self._record_unrecorded_lesions()
        new = _copy(self.case.facts)
        if new == self._facts:
            return entries
        old, self._facts = self._facts, new
        rules_old = {k: old.get(k) for k in RULE_SET_KEYS if k in old}
        rules_new = {k: new.get(k) for k in RULE_SET_KEYS if k in new}
        if rules_old != rules_new:
            entries.append(self._record(AuditAction.RULE_SETS_CHANGED,
                                        "rule sets " + _diff_text(rules_old, rules_new),
                                        {"old": rules_old, "new": rules_new}))
        facts_old = {k: v for k, v in old.items() if k not in RULE_SET_KEYS}
        facts_new = {k: v for k, v in new.items() if k not in RULE_SET_KEYS}
        if facts_old != facts_new:
            changed = sorted(k for k in set(facts_old) | set(facts_new) if facts_old.get(k) != facts_new.get(k))
            entries.append(self._record(AuditAction.FACTS_CHANGED, "facts " + _diff_text(facts_old, facts_new),
                                        {"old": {k: facts_old.get(k) for k in changed},
                                         "new": {k: facts_new.get(k) for k in changed}}))
            entries += self._record_overrides(facts_old, facts_new, changed)
        return entries

    def record_derived_facts(self, tracking) -> AuditEntry | None:
        """Record that the facts of ``tracking`` (core.tracking.record) were derived from the prior scan."""
        derived = {key: fact.value for key, fact in tracking.derived.items() if fact.value is not None}
        if not derived:
            return None
        shown = "; ".join(f"{key} {_show(value)}" for key, value in derived.items())
        return self._record(AuditAction.DERIVED_FACTS_SET, f"facts {tracking.source_text}: {shown}",
                            {"derived": derived, "prior_date": tracking.prior_date,
                             "reasons": {k: tracking.derived[k].reason for k in derived}})

    def _record_overrides(self, old: dict, new: dict, changed: list[str]) -> list[AuditEntry]:
        """A user's value entered over a derived one (or removed, so the derived value applies again)."""
        from core.rules.facts import is_unknown

        tracking = getattr(self.case, "tracking", None)
        if tracking is None:
            return []
        entries = []
        for key in changed:
            fact = tracking.derived.get(key)
            if fact is None or fact.value is None:
                continue
            was, now = old.get(key), new.get(key)
            if is_unknown(now):
                what = f"{key}: the entered {_show(was)} removed; the derived {_show(fact.value)} applies again"
            elif now != fact.value:
                what = f"{key}: entered {_show(now)} overrides the derived {_show(fact.value)}"
            else:
                continue  # the derived value entered as it is: a confirmation (facts_changed says so)
            entries.append(self._record(AuditAction.DERIVED_FACT_OVERRIDDEN, what,
                                        {"fact": key, "derived": fact.value, "entered": now,
                                         "source": tracking.source_text}))
        return entries

    def _record_unrecorded_lesions(self) -> list[AuditEntry]:
        """Lesions given to a case built in code (not read from a file) get their lesion_added entry;
        those of a version 1 file (no trail then) one entry saying they were carried over. The
        lesions of a version 2 file are never recorded here: a missing entry there is a trace."""
        version = getattr(self.case, "read_version", None)
        if version not in (None, 1):
            return []
        made = lesions_made(self.trail)
        missing = [lesion for lesion in self.case.lesions if lesion.id not in made]
        if not missing:
            return []
        if version is None:
            return [self._record(AuditAction.LESION_ADDED, f"added {l.id} ({l.label}, {l.site_text})",
                                 _lesion_details(l)) for l in missing]
        ids = [lesion.id for lesion in missing]
        return [self._record(AuditAction.LESION_EDITED,
                             f"carried over from a version 1 case file (it had no audit trail): {', '.join(ids)}",
                             {"lesions": ids, "from_schema_version": 1, "history_before": self._history_at_start})]

    def _on_lesions_changed(self, event: LesionEvent) -> None:
        lesions = self._lesion_set
        lesion_id = event.lesion_id
        if event.kind == "added" and lesion_id in lesions:
            new = lesions[lesion_id]
            self._record(AuditAction.LESION_ADDED, f"added {new.id} ({new.label}, {new.site_text})",
                         _lesion_details(new))
        elif event.kind == "removed" and lesion_id in self._snapshot:
            old = self._snapshot[lesion_id]
            self._record(AuditAction.LESION_DELETED, f"deleted {old.id} ({old.label}, {old.site_text})",
                         _lesion_details(old))
        elif event.kind == "updated" and lesion_id in lesions and lesion_id in self._snapshot:
            old, new = self._snapshot[lesion_id], lesions[lesion_id]
            only_names = all(getattr(old, f) == getattr(new, f) for f in
                             ("kind", "treatable", "notes", "point_mm")) and old.mask == new.mask
            action = AuditAction.LESION_RELABELLED if only_names else AuditAction.LESION_EDITED
            self._record(action, f"edited {new.id}: {_describe_change(old, new)}",
                         {**_lesion_details(new), "was": _lesion_details(old)})
        else:  # a reset, or an event the snapshot cannot explain: record the new list
            self._record(AuditAction.LESION_EDITED, f"lesions replaced ({len(lesions)} now)",
                         {"lesions": lesions.ids()})
        self._snapshot = {lesion.id: lesion for lesion in lesions}

    def record(self, action: AuditAction, what: str, details: dict) -> AuditEntry:
        """Record a change that is not a lesion or fact edit (e.g. a PET candidate accepted or rejected)."""
        return self._record(action, what, details)

    def _record(self, action: AuditAction, what: str, details: dict) -> AuditEntry:
        state, signoffs = replay(self.trail)
        if state is not ReviewState.DRAFT and action not in (AuditAction.SIGNED_OFF, AuditAction.REOPENED):
            last = signoffs[-1]
            message = (f"The case was {state.value} by {last.name} on {last.when[:16].replace('T', ' ')} UTC; "
                       f"this change ({what}) reopens it as a draft: it needs review and approval again.")
            self.trail.append(AuditAction.REOPENED, f"reopened by a change: {what}", who=self.user,
                              role=self.role, details={"was": state.value, "signed_by": last.name})
            self.reopened.emit(message)
        entry = self.trail.append(action, what, who=self.user, role=self.role, details=details)
        self.changed.emit()
        return entry


# --------------------------------------------------------------- file checks
def integrity_warnings(case: "Case", written_state: str | None, written: dict | None = None) -> list[str]:
    """What is wrong with the audit trail of a case read from a file (empty when all holds).

    ``written`` is the file's JSON: with it, removals that leave a trace are reported too
    (:func:`removal_traces`).
    """
    warnings = [f"Audit trail: {p}" for p in case.audit.problems()]
    if written is not None:
        warnings += removal_traces(case, written)
    state, signoffs = replay(case.audit)
    if written_state is not None and written_state != state.value:
        warnings.append(f"The file says the case is '{written_state}', but its audit trail says "
                        f"'{state.value}': the review state was edited by hand; '{state.value}' is used")
    if signoffs and signoffs[-1].digest and signoffs[-1].digest != content_digest(case) \
            and not _signed_before_schema_3(case, signoffs[-1].digest):
        last = signoffs[-1]
        warnings.append(f"The lesions or facts differ from those {last.state.value} by {last.name} on "
                        f"{last.when[:16].replace('T', ' ')} UTC, and no change was recorded: the file was "
                        "edited outside OligoPlan. Check the lesions before relying on the sign-off")
    return warnings


_ADDED = re.compile(r"^added (L\d+)\b")


#: entries that make the lesion they name: added by hand or by a tool, or a PET candidate accepted
_MAKES_A_LESION = (AuditAction.LESION_ADDED.value, AuditAction.CANDIDATE_ACCEPTED.value)


def lesions_made(trail: AuditTrail) -> set[str]:
    """The ids of the lesions the trail records as made (added, or listed by a whole-list entry)."""
    made: set[str] = set()
    for entry in trail:
        details = entry.details
        if entry.action in _MAKES_A_LESION and isinstance(details.get("lesion"), str):
            made.add(details["lesion"])
        if isinstance(details.get("lesions"), list):
            made.update(str(i) for i in details["lesions"])
    return made


def removal_traces(case: "Case", written: dict) -> list[str]:
    """Audit entries removed from a version 2 file, found by what they leave behind.

    A version 2 case always holds a trail; every lesion in it was made by an entry
    (``lesion_added``); every "added Ln" of the ``history`` list an earlier OligoPlan kept
    (``case.legacy_history``) has its entry; every
    sign-off the file's ``review`` lists has its ``signed_off`` entry. A forger who removes
    the entries *and* every one of these traces (or rewrites the whole chain) is not found:
    docs/case-file.md says what the chain proves and what it cannot.
    """
    if written.get("schema_version") == 1:
        return []
    found = []
    if written.get("audit") is None:
        found.append("Audit trail: this version 2 case file holds none, though every version 2 case has one: "
                     "it was removed. Who made the lesions and any sign-off cannot be verified")
    made = lesions_made(case.audit)
    unmade = [lesion.id for lesion in case.lesions if lesion.id not in made]
    if unmade:
        found.append(f"Audit trail: no entry made {_ids(unmade)}: entries were removed from the trail, or the "
                     "lesions were added to the file by hand")
    start = max([e.details["history_before"] for e in case.audit
                 if isinstance(e.details.get("history_before"), int)], default=0)
    added = [m.group(1) for h in case.legacy_history[start:] if (m := _ADDED.match(h["what"]))]
    gone = [i for i in dict.fromkeys(added) if i not in made and i not in unmade]
    if gone:
        found.append(f"Audit trail: the file's history says {_ids(gone)} were added, but the trail has no entry "
                     "for it: entries were removed from the trail")
    signed = {(e.details.get("state"), e.who, e.when) for e in case.audit
              if e.action == AuditAction.SIGNED_OFF.value}
    review = written.get("review")
    for item in review.get("signoffs", []) if isinstance(review, dict) else []:
        if isinstance(item, dict) and (item.get("state"), item.get("name"), item.get("when")) not in signed:
            found.append(f"Audit trail: the file lists a sign-off ({item.get('state')} by {item.get('name')}, "
                         f"{str(item.get('when'))[:16].replace('T', ' ')} UTC) that has no entry in the trail: "
                         "sign-off entries were removed")
    return found


def _ids(ids: list[str]) -> str:
    return f"lesion {ids[0]}" if len(ids) == 1 else f"lesions {', '.join(ids)}"


# ------------------------------------------------------------------ helpers
def _signed_before_schema_3(case: "Case", digest: str) -> bool:
    """Whether ``digest`` is the case's content as schema 1 and 2 wrote it (treatable true / false).

    Those files read true as "not assessed": a lesion assessed "yes" since cannot have been in the
    content signed then (that edit is recorded and reopens the case), so it never matches.
    """
    if any(lesion.treatable is Treatability.YES for lesion in case.lesions):
        return False
    return digest == content_digest(case, treatable_as_bool=True)


def _lesion_details(lesion: Lesion) -> dict:
    return {"lesion": lesion.id, "label": lesion.label, "site": lesion.site.value,
            "laterality": lesion.laterality.value, "kind": lesion.kind.value,
            "voxels": lesion.mask.n_voxels if lesion.mask is not None else 0,
            **({"prior_id": lesion.prior_id} if lesion.prior_id else {})}


def _copy(facts) -> dict:
    return json.loads(json.dumps(facts or {}, default=str))


def _diff_text(old: dict, new: dict) -> str:
    parts = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            parts.append(f"{key} {_show(old.get(key))} -> {_show(new.get(key))}")
    return "; ".join(parts)


def _show(value) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if value is not None else "unset"
    return text if len(text) <= 40 else text[:39] + "…"

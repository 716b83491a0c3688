"""Case facts derived from the comparison with the prior scan: proposals, never confirmed silently.

A derived fact carries its value, why, and ``derived: true``. It fills a fact
only while the user has not given one: a value the user typed (yes, no, a
number) overrides it, and the override is reported. Nothing is written into the
case's ``facts`` by the derivation itself (docs/tracking.md).

* ``history_oligometastatic``: yes when the prior case had 1 to 5 metastases (a
  lesion marked as the primary tumour is not counted; none: not derived).
* ``history_polymetastatic``: yes when it had more than 5. With 1 to 5 it is not
  derived: an earlier scan than the prior one may have shown more.
* ``lesions_progressing``: yes when a lesion progresses or a new one is found; no
  only when every carried-over lesion was measured at both dates, none
  progresses and the new-lesion search ran and found none; otherwise not derived.
* ``new_lesions`` and ``progressing_lesions``: the numbers (for the reader; not
  case facts the rule sets read today).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.rules.facts import is_unknown
from core.tracking.status import LesionStatus

if TYPE_CHECKING:  # the tracker pulls in registration and segmentation; the case file needs none of it
    from core.tracking.tracker import TrackResult

#: ESTRO-EORTC: oligometastatic disease is up to 5 metastases (docs/clinical-rules.md)
OLIGO_MAX_LESIONS = 5
SOURCE = "oligoplan track"


@dataclass(frozen=True)
class DerivedFact:
    key: str
    value: object
    reason: str

    def to_json(self) -> dict:
        return {"value": self.value, "derived": True, "confirmed": False, "source": SOURCE, "reason": self.reason}


def derive_facts(result: "TrackResult", *, prior_unreviewed: int = 0) -> dict[str, DerivedFact]:
    """The facts that follow from ``result``; ``prior_unreviewed``: PET candidates of the prior case not
    yet reviewed (its lesions may then be incomplete: the history is not derived)."""
    from core.codes import LesionKind

    out: dict[str, DerivedFact] = {}
    n_prior = result.count_prior
    # the history is of metastases: a primary tumour marked in the prior case is not one of them
    n_mets = sum(t.prior.kind is not LesionKind.PRIMARY for t in result.lesions)
    primary = "; its primary tumour not counted" if n_mets < n_prior else ""
    if prior_unreviewed:
        pass  # an unreviewed candidate may be one more metastasis: neither oligo- nor polymetastatic is known
    elif 1 <= n_mets <= OLIGO_MAX_LESIONS:
        out["history_oligometastatic"] = DerivedFact(
            "history_oligometastatic", "yes",
            f"the prior case had {n_mets} metastas{'i' if n_mets == 1 else 'e'}s (at most {OLIGO_MAX_LESIONS}){primary}")
    elif n_mets > OLIGO_MAX_LESIONS:
        out["history_polymetastatic"] = DerivedFact(
            "history_polymetastatic", "yes",
            f"the prior case had {n_mets} metastases (more than {OLIGO_MAX_LESIONS}){primary}")
    progressing = [t.prior.id for t in result.with_status(LesionStatus.PROGRESSING)]
    unknown = [t.prior.id for t in result.with_status(LesionStatus.UNKNOWN)]
    new = [n.id for n in result.new]
    if progressing or new:
        parts = ([f"progressing: {', '.join(progressing)}"] if progressing else []) + (
            [f"new: {', '.join(new)}"] if new else [])
        out["lesions_progressing"] = DerivedFact("lesions_progressing", "yes", "; ".join(parts))
    elif result.new_searched and not unknown:
        out["lesions_progressing"] = DerivedFact(
            "lesions_progressing", "no", f"none of the {n_prior} prior lesion(s) progresses and no new lesion was found")
    out["new_lesions"] = DerivedFact(
        "new_lesions", len(new) if result.new_searched else None,
        f"{len(new)} found by the PET candidate finder outside the carried-over lesions" if result.new_searched
        else "not searched (" + (result.not_searched_why or "no candidate finder") + ")")
    out["progressing_lesions"] = DerivedFact(
        "progressing_lesions", len(progressing),
        f"{len(progressing)} of {n_prior} carried-over lesion(s)" + "".join(
            f"; {why}: {', '.join(ids)}" for why, ids in _unknown_why(result) if ids))
    return out


def _unknown_why(result: "TrackResult") -> list[tuple[str, list[str]]]:
    """The lesions of unknown status, by why: not measurable, or the carried-over proposal rejected by the
    user (core.tracking.compare.with_user_decisions)."""
    unknown = result.with_status(LesionStatus.UNKNOWN)
    return [("not measurable at both dates", [t.prior.id for t in unknown if t.decision.decided_by != "user"]),
            ("carried-over proposal rejected by the user", [t.prior.id for t in unknown
                                                           if t.decision.decided_by == "user"])]


def derived_to_json(derived: dict[str, DerivedFact]) -> dict:
    return {key: fact.to_json() for key, fact in derived.items()}


def derived_from_json(doc) -> dict[str, DerivedFact]:
    """The case file's ``tracking.derived_facts`` back (an unreadable entry is skipped, never guessed)."""
    out = {}
    if isinstance(doc, dict):
        for key, item in doc.items():
            if isinstance(item, dict) and "value" in item:
                out[str(key)] = DerivedFact(str(key), item["value"], str(item.get("reason", "")))
    return out


def effective_facts(user_facts: dict, derived: dict[str, DerivedFact]) -> tuple[dict, dict[str, str]]:
    """The facts to evaluate: the user's where known, else the derived value.

    Returns (facts, provenance) where provenance[key] is "derived" (filled from the
    comparison) or "overridden" (the user's value differs from the derived one).
    Only keys that are case facts are filled (core.rules.facts.FIELD_BY_KEY).
    """
    from core.rules.facts import FIELD_BY_KEY

    facts = dict(user_facts)
    provenance: dict[str, str] = {}
    for key, fact in derived.items():
        if key not in FIELD_BY_KEY or fact.value is None:
            continue
        if is_unknown(facts.get(key)):
            facts[key] = fact.value
            provenance[key] = "derived"
        elif facts[key] != fact.value:
            provenance[key] = "overridden"
    return facts, provenance

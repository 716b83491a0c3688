"""ESTRO-EORTC classification of oligometastatic disease (Guckenberger et al.,
Lancet Oncol 2020;21:e18), from the case facts.

The decision tree (docs/clinical-rules.md)::

    history of polymetastatic disease?   yes -> induced OMD
    else history of earlier OMD?         yes -> repeat OMD
    else                                      -> de-novo OMD
      de-novo: primary diagnosis -> OMD diagnosis <= cut-off -> synchronous OMD
               otherwise metachronous: no systemic therapy -> oligorecurrence
                                       on systemic therapy -> oligoprogression
      induced / repeat: no systemic therapy                 -> oligorecurrence
                        on therapy, lesions progressing     -> oligoprogression
                        on therapy, lesions not progressing -> oligopersistence

The cut-off (default 6 months) and the lower branches are not verified against
the full paper, so every result carries ``verified = False`` and the cut-off
used. When a fact on the path is unknown the class is "unknown" and
``missing`` names the fact(s) needed to decide.

The interval is in calendar months (core.rules.dates): 2025-03-01 ->
2025-09-01 is exactly 6 months, so synchronous at a 6-month cut-off. A
diagnosis date after the evaluation date, or metastases dated before the
primary, make the class "unknown" with the reason in ``problems`` (on every
branch: dates that cannot be right cast doubt on the whole record).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.rules.dates import IntervalUnit, future_date_problem, interval
from core.rules.facts import CaseFacts

DEFAULT_CUTOFF_MONTHS = 6.0
SOURCE = "Guckenberger et al., Lancet Oncol 2020;21:e18-e28 (ESTRO-EORTC)"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Classification:
    """The class and its parts; a part is None when it does not apply or is unknown."""

    genesis: str | None = None  # "de-novo", "repeat", "induced"
    timing: str | None = None  # "synchronous", "metachronous" (de-novo only)
    state: str | None = None  # "oligorecurrence", "oligoprogression", "oligopersistence"
    missing: tuple[str, ...] = ()
    #: why the dates cannot be right (a date in the future, metastases before the primary)
    problems: tuple[str, ...] = ()
    interval_months: float | None = None
    cutoff_months: float = DEFAULT_CUTOFF_MONTHS
    verified: bool = False
    source: str = SOURCE
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """'induced oligoprogression', 'synchronous oligometastatic disease', or 'unknown'."""
        if self.missing or self.problems:
            return UNKNOWN
        if self.genesis == "de-novo":
            if self.timing == "synchronous":
                return "synchronous oligometastatic disease"
            return f"metachronous {self.state}"
        return f"{self.genesis} {self.state}"

    @property
    def induced(self) -> bool:
        return self.genesis == "induced"

    def field_value(self, name: str) -> str | None:
        """'class', 'genesis', 'timing' or 'state'; None when not decided."""
        if self.problems:
            return None  # dates that cannot be right: no part of the class is given
        if name == "class":
            return None if self.missing else self.label
        return getattr(self, name)

    def to_json(self) -> dict:
        return {
            "class": self.label,
            "missing": list(self.missing),
            "problems": list(self.problems),
            "genesis": self.genesis,
            "timing": self.timing,
            "state": self.state,
            "interval_months": None if self.interval_months is None else round(self.interval_months, 1),
            "cutoff_months": self.cutoff_months,
            "verified": self.verified,
            "source": self.source,
            "notes": list(self.notes),
        }


def classify(facts: CaseFacts, cutoff_months: float = DEFAULT_CUTOFF_MONTHS,
             today: date | None = None) -> Classification:
    """The ESTRO-EORTC class of the case on the evaluation date ``today`` (see the module docstring)."""
    if cutoff_months < 0:
        raise ValueError(f"cutoff_months must be 0 or more; got {cutoff_months}")
    today = today or date.today()
    base = dict(cutoff_months=float(cutoff_months))
    problems = _date_problems(facts, today)
    poly = facts.get("history_polymetastatic")
    if poly is None:
        return Classification(missing=("history_polymetastatic",), problems=problems, **base)
    if poly == "yes":
        return _after_history("induced", facts, dict(base, problems=problems))
    oligo = facts.get("history_oligometastatic")
    if oligo is None:
        return Classification(missing=("history_oligometastatic",), problems=problems, **base)
    if oligo == "yes":
        return _after_history("repeat", facts, dict(base, problems=problems))
    span = interval(facts, "primary_diagnosis_date", "metastasis_diagnosis_date", today, IntervalUnit.MONTHS)
    if span.missing:
        return Classification(genesis="de-novo", missing=span.missing, problems=problems, **base)
    if problems:
        return Classification(genesis="de-novo", problems=problems, **base)
    months = span.value
    if months <= cutoff_months:
        return Classification(genesis="de-novo", timing="synchronous", interval_months=months, **base)
    therapy = facts.get("on_systemic_therapy")
    if therapy is None:
        return Classification(genesis="de-novo", timing="metachronous", interval_months=months,
                              missing=("on_systemic_therapy",), **base)
    state = "oligoprogression" if therapy == "yes" else "oligorecurrence"
    return Classification(genesis="de-novo", timing="metachronous", state=state, interval_months=months, **base)


def _date_problems(facts: CaseFacts, today: date) -> tuple[str, ...]:
    """Why the diagnosis dates cannot be right: one in the future, or metastases before the primary."""
    out = []
    for key in ("primary_diagnosis_date", "metastasis_diagnosis_date"):
        day = facts.date(key)
        if day is not None and future_date_problem(key, day, today):
            out.append(future_date_problem(key, day, today))
    if not out:
        span = interval(facts, "primary_diagnosis_date", "metastasis_diagnosis_date", today)
        if span.problem:
            out.append(span.problem)
    return tuple(out)


def _after_history(genesis: str, facts: CaseFacts, base: dict) -> Classification:
    therapy = facts.get("on_systemic_therapy")
    if therapy is None:
        return Classification(genesis=genesis, missing=("on_systemic_therapy",), **base)
    if therapy == "no":
        return Classification(genesis=genesis, state="oligorecurrence", **base)
    progressing = facts.get("lesions_progressing")
    if progressing is None:
        return Classification(genesis=genesis, missing=("lesions_progressing",), **base)
    state = "oligoprogression" if progressing == "yes" else "oligopersistence"
    return Classification(genesis=genesis, state=state, **base)

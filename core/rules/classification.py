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
"""

from __future__ import annotations

from dataclasses import dataclass

from core.rules.facts import CaseFacts, months_between

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
    interval_months: float | None = None
    cutoff_months: float = DEFAULT_CUTOFF_MONTHS
    verified: bool = False
    source: str = SOURCE
    notes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """'induced oligoprogression', 'synchronous oligometastatic disease', or 'unknown'."""
        if self.missing:
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
        if name == "class":
            return None if self.missing else self.label
        return getattr(self, name)

    def to_json(self) -> dict:
        return {
            "class": self.label,
            "missing": list(self.missing),
            "genesis": self.genesis,
            "timing": self.timing,
            "state": self.state,
            "interval_months": None if self.interval_months is None else round(self.interval_months, 1),
            "cutoff_months": self.cutoff_months,
            "verified": self.verified,
            "source": self.source,
            "notes": list(self.notes),
        }


def classify(facts: CaseFacts, cutoff_months: float = DEFAULT_CUTOFF_MONTHS) -> Classification:
    """The ESTRO-EORTC class of the case (see the module docstring)."""
    if cutoff_months < 0:
        raise ValueError(f"cutoff_months must be 0 or more; got {cutoff_months}")
    base = dict(cutoff_months=float(cutoff_months))
    poly = facts.get("history_polymetastatic")
    if poly is None:
        return Classification(missing=("history_polymetastatic",), **base)
    if poly == "yes":
        return _after_history("induced", facts, base)
    oligo = facts.get("history_oligometastatic")
    if oligo is None:
        return Classification(missing=("history_oligometastatic",), **base)
    if oligo == "yes":
        return _after_history("repeat", facts, base)
    start, end = facts.date("primary_diagnosis_date"), facts.date("metastasis_diagnosis_date")
    missing = tuple(k for k, v in (("primary_diagnosis_date", start), ("metastasis_diagnosis_date", end)) if v is None)
    if missing:
        return Classification(genesis="de-novo", missing=missing, **base)
    interval = months_between(start, end)
    notes = ()
    if interval < 0:
        notes = ("the metastases were diagnosed before the primary: counted as synchronous",)
    if interval <= cutoff_months:
        return Classification(genesis="de-novo", timing="synchronous", interval_months=interval, notes=notes, **base)
    therapy = facts.get("on_systemic_therapy")
    if therapy is None:
        return Classification(genesis="de-novo", timing="metachronous", interval_months=interval,
                              missing=("on_systemic_therapy",), **base)
    state = "oligoprogression" if therapy == "yes" else "oligorecurrence"
    return Classification(genesis="de-novo", timing="metachronous", state=state, interval_months=interval, **base)


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

"""Case facts: what the rule sets and the ESTRO-EORTC classification need
beyond the lesions (primary, dates, performance status, history...).

Facts live in the case file under ``"facts"`` (docs/rules.md lists them).
Every fact may be unknown: a missing key, ``null`` or ``"unknown"``. The
engine turns an unknown fact into an "unknown" criterion, never a pass.

Parsing is strict: a value of the wrong type or outside the allowed values
raises :class:`core.errors.FactsError` naming the field, the value found and
the values expected. Keys that are not standard facts are kept as they are
(a local rule set may refer to them) and are never validated;
:func:`unknown_fact_keys` lists them with the closest fact name, so that
`check` and `export` warn about a typo (``"ecgo"``) that would leave a fact
unknown.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any, Iterable

from core.errors import FactsError
from core.lesions import Command

UNKNOWN = "unknown"


class FactKind(str, Enum):
    TEXT = "text"
    CHOICE = "choice"  # one of ``choices`` (free text allowed for primary site/histology? no: text)
    TRISTATE = "tristate"  # yes / no / unknown
    DATE = "date"  # ISO 8601 YYYY-MM-DD
    INTEGER = "integer"
    NUMBER = "number"


@dataclass(frozen=True)
class FactField:
    """One case fact: its key in the case file, its type and its allowed range."""

    key: str
    label: str
    kind: FactKind
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    help: str = ""
    group: str = "case"  # "case" (issue 5 list) or "protocol" (needed by some rule sets only)


YES_NO = ("yes", "no")

#: Primary sites the shipped rule sets name in their scope (free text is refused
#: so that a typo cannot silently fall outside every scope).
PRIMARY_SITES = (
    "lung", "breast", "colorectal", "prostate", "oesophagus", "stomach", "kidney",
    "melanoma", "head and neck", "sarcoma", "bladder", "pancreas", "other",
)

FIELDS: tuple[FactField, ...] = (
    FactField("primary_site", "Primary site", FactKind.CHOICE, PRIMARY_SITES,
              help="Organ of the primary tumour"),
    FactField("histology", "Histology", FactKind.TEXT,
              help="e.g. NSCLC, adenocarcinoma, squamous cell carcinoma (free text; matched "
                   "case-insensitively against a rule set's scope)"),
    FactField("primary_diagnosis_date", "Primary diagnosed", FactKind.DATE),
    FactField("metastasis_diagnosis_date", "Metastases diagnosed", FactKind.DATE,
              help="Date of the current oligometastatic diagnosis"),
    FactField("primary_controlled", "Primary controlled", FactKind.TRISTATE, YES_NO),
    FactField("primary_definitive_treatment_date", "Primary treated", FactKind.DATE,
              help="Date the definitive treatment of the primary ended"),
    FactField("history_polymetastatic", "History of polymetastatic disease", FactKind.TRISTATE, YES_NO),
    FactField("history_oligometastatic", "Earlier oligometastatic disease", FactKind.TRISTATE, YES_NO),
    FactField("on_systemic_therapy", "On active systemic therapy", FactKind.TRISTATE, YES_NO,
              help="At the diagnosis of the current oligometastatic disease"),
    FactField("lesions_progressing", "Lesions progressing on imaging", FactKind.TRISTATE, YES_NO),
    FactField("ecog", "ECOG / Zubrod", FactKind.INTEGER, minimum=0, maximum=5),
    FactField("life_expectancy_months", "Life expectancy", FactKind.NUMBER, minimum=0, unit="months"),
    FactField("age_years", "Age", FactKind.NUMBER, minimum=0, maximum=130, unit="years"),
    FactField("imaging_date", "Staging imaging date", FactKind.DATE),
    FactField("imaging_modality", "Imaging modality", FactKind.CHOICE, ("CT", "PET-CT", "MR")),
    FactField("brain_imaging_done", "Brain imaging done", FactKind.TRISTATE, YES_NO),
    # needed by some rule sets only (NSCLC consolidation trials, prostate trials)
    FactField("systemic_response", "Response to systemic therapy", FactKind.CHOICE,
              ("complete", "partial", "stable", "progression", "none given"), group="protocol",
              help="Best response to first-line / induction systemic therapy"),
    FactField("systemic_cycles", "Cycles of first-line therapy", FactKind.INTEGER, minimum=0,
              group="protocol"),
    FactField("symptomatic", "Symptomatic from metastases", FactKind.TRISTATE, YES_NO, group="protocol"),
    FactField("psa_doubling_time_months", "PSA doubling time", FactKind.NUMBER, minimum=0,
              unit="months", group="protocol"),
    FactField("adt_within_6_months", "ADT within the last 6 months", FactKind.TRISTATE, YES_NO,
              group="protocol"),
    # issue 12: the scope and entry conditions of the trials, each a criterion over one of these
    FactField("her2_status", "HER2 status", FactKind.CHOICE, ("positive", "negative"), group="protocol",
              help="HER2 status of the tumour (EA2183: HER2-negative)"),
    FactField("driver_alteration", "Driver alteration", FactKind.CHOICE, ("none", "EGFR", "ALK", "ROS1", "other"),
              group="protocol", help="Targetable driver alteration of an NSCLC (none: tested, none found)"),
    FactField("psa_ng_ml", "PSA", FactKind.NUMBER, minimum=0, maximum=10000, unit="ng/ml", group="protocol",
              help="Most recent serum PSA"),
    FactField("psa_date", "PSA measured", FactKind.DATE, group="protocol"),
    FactField("castration_sensitive", "Castration-sensitive", FactKind.TRISTATE, YES_NO, group="protocol",
              help="Prostate cancer still hormone-sensitive (testosterone not at castrate level)"),
    FactField("pet_tracer", "PET tracer", FactKind.CHOICE, ("FDG", "PSMA", "choline", "fluciclovine", "other"),
              group="protocol", help="Tracer of the staging PET (with the imaging modality)"),
    FactField("primary_treatment", "Treatment of the primary", FactKind.CHOICE, ("curative", "palliative", "none"),
              group="protocol", help="curative: treated with curative intent; none: the primary is in place, "
                                     "untreated"),
    FactField("metastases_at_diagnosis", "Metastases at diagnosis", FactKind.INTEGER,
              minimum=0, maximum=1000, group="protocol",
              help="Number of metastases when metastatic disease was diagnosed, before systemic therapy"),
    FactField("metastases_lifetime", "Metastases ever (lifetime)", FactKind.INTEGER, minimum=0, maximum=1000,
              group="protocol", help="Every metastasis the patient has ever had, treated or not, current included"),
    FactField("systemic_line", "Line of systemic therapy", FactKind.INTEGER, minimum=1, maximum=20,
              group="protocol", help="Current line of systemic therapy for metastatic disease (1: first line)"),
    # treatability for the whole case, and the Fong score's facts (issue 12)
    FactField("all_lesions_treatable", "All lesions safely treatable", FactKind.TRISTATE, YES_NO,
              help="The physician's assessment for the whole case; otherwise each lesion is assessed in the "
                   "lesion table's Treat column"),
    FactField("cea_ng_ml", "CEA", FactKind.NUMBER, minimum=0, maximum=100000, unit="ng/ml",
              group="protocol", help="Serum carcinoembryonic antigen before treatment of the liver metastases "
                                     "(Fong score)"),
    FactField("primary_node_positive", "Primary node-positive", FactKind.TRISTATE, YES_NO, group="protocol",
              help="Lymph node metastases of the primary tumour (Fong score)"),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}


def fact_names(keys) -> str:
    """The facts ``keys`` as a clinician reads them ("Earlier oligometastatic disease, Primary
    diagnosed"): their labels, not the case file's keys (a key no field has is shown as it is)."""
    return ", ".join(FIELD_BY_KEY[k].label if k in FIELD_BY_KEY else str(k) for k in keys)


def is_unknown(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in ("", UNKNOWN))


def parse_fact(key: str, value: Any, where: str = "facts") -> Any:
    """The normalised value of one fact (None when unknown); FactsError when invalid."""
    spec = FIELD_BY_KEY.get(key)
    if spec is None or is_unknown(value):
        return None if is_unknown(value) else value
    name = f"{where}.{key}"
    kind = spec.kind
    if kind is FactKind.TRISTATE:
        if isinstance(value, bool):
            return "yes" if value else "no"
        text = str(value).strip().lower()
        if text in ("yes", "y", "true"):
            return "yes"
        if text in ("no", "n", "false"):
            return "no"
        raise FactsError(f"{name}: {value!r} is not yes, no or unknown")
    if kind is FactKind.CHOICE:
        text = str(value).strip()
        for choice in spec.choices:
            if text.lower() == choice.lower():
                return choice
        raise FactsError(f"{name}: {value!r} is not one of {', '.join(spec.choices)} (or unknown)")
    if kind is FactKind.TEXT:
        if not isinstance(value, str):
            raise FactsError(f"{name}: expected text, found {type(value).__name__} {value!r}")
        return value.strip()
    if kind is FactKind.DATE:
        if isinstance(value, date):
            return value.isoformat()
        try:
            return date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise FactsError(f"{name}: {value!r} is not a date; write it as YYYY-MM-DD") from None
    # numbers
    if isinstance(value, bool):
        raise FactsError(f"{name}: expected a number, found {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FactsError(f"{name}: {value!r} is not a number") from None
    if kind is FactKind.INTEGER:
        if number != int(number):
            raise FactsError(f"{name}: {value!r} is not a whole number")
        number = int(number)
    elif number == int(number) and isinstance(value, int):
        number = int(number)
    if spec.minimum is not None and number < spec.minimum or spec.maximum is not None and number > spec.maximum:
        lo = "" if spec.minimum is None else f"{spec.minimum:g}"
        hi = "" if spec.maximum is None else f"{spec.maximum:g}"
        raise FactsError(f"{name}: {value!r} is outside {lo}..{hi}{(' ' + spec.unit) if spec.unit else ''}")
    return number


class CaseFacts:
    """Validated case facts (read-only mapping; unknown facts are None).

    Parameters
    ----------
    raw
        The case file's ``facts`` object (or a FACTS.json): key -> value.
    where
        Prefix for error messages (the file name).
    derived
        Keys of ``raw`` whose value was derived, not entered, with where from (see :attr:`derived`).
    """

    def __init__(self, raw: dict | None = None, where: str = "facts", derived: dict[str, str] | None = None) -> None:
        if raw is not None and not isinstance(raw, dict):
            raise FactsError(f"{where}: facts must be an object, found {type(raw).__name__}")
        raw = dict(raw or {})
        self._values = {key: parse_fact(key, value, where) for key, value in raw.items()}
        #: facts nobody entered, filled from the prior scan: key -> where from ("derived from prior scan of
        #: 2024-01-02"; core.rules.case_check.facts_with_derived); criteria reading them say so
        self.derived: dict[str, str] = {k: str(v) for k, v in (derived or {}).items() if k in self._values}

    def get(self, key: str) -> Any:
        return self._values.get(key)

    def known(self, key: str) -> bool:
        return self.get(key) is not None

    def date(self, key: str) -> date | None:
        value = self.get(key)
        return date.fromisoformat(value) if isinstance(value, str) and value else None

    def to_json(self) -> dict:
        """Every standard fact (unknown as null) plus any extra keys."""
        out = {f.key: self._values.get(f.key) for f in FIELDS}
        out.update({k: v for k, v in self._values.items() if k not in FIELD_BY_KEY})
        return out

    def merged(self, overrides: dict) -> "CaseFacts":
        """These facts with ``overrides`` (e.g. a FACTS.json) taking precedence."""
        raw = dict(self._values)
        raw.update(overrides)
        return CaseFacts(raw)


def unknown_fact_keys(raw: dict | None, also_known: Iterable[str] = ()) -> list[tuple[str, str | None]]:
    """The keys of ``raw`` that are neither case facts (:data:`FIELDS`) nor in ``also_known``
    (e.g. ``rule_sets`` or the own facts a local rule set reads), each with the closest known
    name (difflib, None when nothing is close): ``[("ecgo", "ecog")]``.

    Such keys are kept (see :class:`CaseFacts`) but nothing reads them, so a typo in a fact's
    name would silently leave the fact unknown.
    """
    known = list(FIELD_BY_KEY) + [k for k in also_known if k not in FIELD_BY_KEY]
    out = []
    for key in (raw or {}):
        if key in FIELD_BY_KEY or key in known:
            continue
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        out.append((key, close[0] if close else None))
    return out


def unknown_fact_text(key: str, closest: str | None, where: str) -> str:
    """One line about a key of ``where`` that is not a case fact (for :func:`unknown_fact_keys`)."""
    hint = f" (did you mean '{closest}'?)" if closest else ""
    return (f"{where}: '{key}' is not a case fact{hint}; no rule set reads it, so it is ignored; "
            f"the case facts are listed in docs/rules.md, section 'Case facts'")


class SetFacts(Command):
    """Undoable replacement of a case's facts (``target.facts``, a dict).

    ``changed`` (a core.events.Signal or None) is emitted after each change.
    """

    def __init__(self, target, facts: dict, changed=None, text: str = "Edit case facts") -> None:
        CaseFacts(facts)  # refuse invalid facts before anything changes
        self.target = target
        self.new = dict(facts)
        self.old = dict(target.facts)
        self.changed = changed
        self.text = text

    def _set(self, facts: dict) -> None:
        self.target.facts = dict(facts)
        if self.changed is not None:
            self.changed.emit()

    def redo(self) -> None:
        self._set(self.new)

    def undo(self) -> None:
        self._set(self.old)

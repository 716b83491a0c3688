"""Prognostic scores shown beside the count ("number isn't enough"): the Fong clinical risk score.

Fong Y, Fortner J, Sun RL, Brennan MF, Blumgart LH. Clinical score for predicting recurrence
after hepatic resection for metastatic colorectal cancer. Ann Surg 1999;230:309-318.
One point each for:

* node-positive primary (fact ``primary_node_positive``);
* disease-free interval < 12 months, from ``primary_diagnosis_date`` to
  ``metastasis_diagnosis_date`` in calendar months (core.rules.dates; synchronous
  disease is 0 months, so 1 point);
* more than one liver tumour (liver metastases marked in the case);
* CEA > 200 ng/ml (fact ``cea_ng_ml``);
* largest liver tumour > 5 cm (longest diameter of the marked liver metastases).

The score is 0-5. It applies to a colorectal primary with at least one liver
metastasis marked; any other primary, or no liver metastasis, is "not
applicable"; an unknown primary site with liver metastases keeps the score
"incomplete". A factor whose fact is unknown (or whose dates do not add up, or
a liver lesion without a measurement that could change the answer) keeps the
score "incomplete" with no value: the points of the known factors are listed,
the total is never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any, Sequence

from core.codes import LesionKind, Site
from core.rules.counting import LesionInfo, not_measured_text
from core.rules.dates import IntervalUnit, interval
from core.rules.facts import CaseFacts

FONG_ID = "fong-crs"
FONG_TITLE = "Fong clinical risk score (colorectal liver metastases)"
FONG_SOURCE = "Fong et al., Ann Surg 1999;230:309-318"
FONG_MAXIMUM = 5
DFI_SHORT, SIZE_SHORT = "DFI < 12 mo", "> 5 cm"


class ScoreStatus(str, Enum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    NOT_APPLICABLE = "not applicable"


@dataclass(frozen=True)
class ScoreFactor:
    """One factor: its measured value (None when unknown), its points (None when unknown) and why."""

    id: str
    label: str
    value: Any
    points: int | None
    text: str
    short: str = ""  # the label in one line of the verdict panel ("CEA > 200")
    unit: str = ""

    @property
    def value_text(self) -> str:
        """'250 ng/ml', '8.0 months', '3', 'yes', 'unknown'."""
        if self.value is None:
            return "unknown"
        number = f"{self.value:.1f}" if isinstance(self.value, float) else f"{self.value}"
        return f"{number} {self.unit}" if self.unit else number

    @property
    def points_text(self) -> str:
        """'1 point', '0 points', 'unknown'."""
        if self.points is None:
            return "unknown"
        return f"{self.points} point{'s' if self.points != 1 else ''}"

    def to_json(self) -> dict:
        value = round(self.value, 1) if isinstance(self.value, float) else self.value
        return {"id": self.id, "label": self.label, "value": value, "points": self.points, "text": self.text}


@dataclass(frozen=True)
class Score:
    id: str
    title: str
    status: ScoreStatus
    value: int | None
    maximum: int
    factors: tuple[ScoreFactor, ...]
    source: str
    reason: str = ""

    @property
    def summary(self) -> str:
        """'2 of 5', 'incomplete (2 points known; CEA unknown)', 'not applicable (...)'."""
        if self.status is ScoreStatus.COMPLETE:
            return f"{self.value} of {self.maximum}"
        return f"{self.status.value} ({self.reason})" if self.reason else self.status.value

    def one_line(self) -> str:
        """'Fong score: 2 of 5 (node+ 1, DFI < 12 mo 0, > 1 tumour 1, CEA > 200 ?, > 5 cm 0)' for one line."""
        head = f"{self.title.split(' (')[0]}: "
        if self.status is not ScoreStatus.COMPLETE and not self.factors:
            return head + self.summary
        value = f"{self.value} of {self.maximum}" if self.status is ScoreStatus.COMPLETE else self.status.value
        parts = ", ".join(f"{f.short} {'?' if f.points is None else f.points}" for f in self.factors)
        return f"{head}{value} ({parts})"

    def factor_lines(self) -> list[str]:
        """One line per factor, as the verdict panel, `check` and the PDF print them."""
        return [f"{f.label}: {f.points_text} ({f.text})" for f in self.factors]

    def to_json(self) -> dict:
        return {"id": self.id, "title": self.title, "status": self.status.value, "value": self.value,
                "maximum": self.maximum, "summary": self.summary,
                "factors": [f.to_json() for f in self.factors], "source": self.source, "reason": self.reason}


def _liver_metastases(lesions: Sequence[LesionInfo]) -> list[LesionInfo]:
    return [m for m in lesions if m.site == Site.LIVER.value and m.kind is LesionKind.METASTASIS]


def _site_unknown_metastases(lesions: Sequence[LesionInfo]) -> list[LesionInfo]:
    """Metastases whose site is neither proposed nor confirmed: each may be a liver one."""
    return [m for m in lesions if m.site == Site.UNKNOWN.value and m.kind is LesionKind.METASTASIS]


def fong_score(lesions: Sequence[LesionInfo], facts: CaseFacts, today: date) -> Score:
    """The Fong clinical risk score of the case (see the module docstring)."""
    liver = _liver_metastases(lesions)
    maybe = _site_unknown_metastases(lesions)
    site = facts.get("primary_site")
    if site is not None and site != "colorectal":
        return _not_applicable(f"primary site {site}; the score is for colorectal liver metastases")
    if not liver and maybe:  # they may be liver metastases: not "not applicable" on a guess
        return Score(FONG_ID, FONG_TITLE, ScoreStatus.INCOMPLETE, None, FONG_MAXIMUM, (), FONG_SOURCE,
                     f"no liver metastasis marked, but the site of {', '.join(m.id for m in maybe)} is unknown")
    if not liver:
        return _not_applicable("no liver metastasis marked")
    factors = (
        _node_factor(facts), _dfi_factor(facts, today), _number_factor(liver, maybe), _cea_factor(facts),
        _size_factor(liver, maybe),
    )
    unknown = [f.label for f in factors if f.points is None]
    known_points = sum(f.points for f in factors if f.points is not None)
    if site is None:
        reason = "primary site unknown: the score applies to colorectal primaries only"
        return Score(FONG_ID, FONG_TITLE, ScoreStatus.INCOMPLETE, None, FONG_MAXIMUM, factors, FONG_SOURCE, reason)
    if unknown:
        reason = f"{known_points} point{'s' if known_points != 1 else ''} from known factors; unknown: " \
                 + ", ".join(unknown)
        return Score(FONG_ID, FONG_TITLE, ScoreStatus.INCOMPLETE, None, FONG_MAXIMUM, factors, FONG_SOURCE, reason)
    return Score(FONG_ID, FONG_TITLE, ScoreStatus.COMPLETE, known_points, FONG_MAXIMUM, factors, FONG_SOURCE)


def _not_applicable(reason: str) -> Score:
    return Score(FONG_ID, FONG_TITLE, ScoreStatus.NOT_APPLICABLE, None, FONG_MAXIMUM, (), FONG_SOURCE, reason)


def _yes_no_point(value: str | None) -> int | None:
    return None if value is None else int(value == "yes")


def _node_factor(facts: CaseFacts) -> ScoreFactor:
    value = facts.get("primary_node_positive")
    text = "unknown: enter 'Primary node-positive' in the case facts" if value is None else f"node-positive: {value}"
    return ScoreFactor("node_positive_primary", "Node-positive primary", value,
                       _yes_no_point(value), text, "node+")


def _dfi_factor(facts: CaseFacts, today: date) -> ScoreFactor:
    label = "Disease-free interval < 12 months"
    span = interval(facts, "primary_diagnosis_date", "metastasis_diagnosis_date", today, IntervalUnit.MONTHS)
    if span.problem:
        return ScoreFactor("disease_free_interval", label, None, None, span.problem, DFI_SHORT)
    if span.missing:
        return ScoreFactor("disease_free_interval", label, None, None,
                           f"unknown: needs {', '.join(span.missing)}", DFI_SHORT)
    points = int(span.value < 12)
    return ScoreFactor("disease_free_interval", label, span.value, points,
                       f"{span.text()} from primary diagnosis to metastasis diagnosis", DFI_SHORT, "months")


def _number_factor(liver: list[LesionInfo], maybe: Sequence[LesionInfo] = ()) -> ScoreFactor:
    n = len(liver)
    if maybe and n <= 1 < n + len(maybe):  # the lesions of unknown site decide the point
        return ScoreFactor("liver_tumours", "More than one liver tumour", n, None,
                           f"unknown: {n} liver metastasis marked, site unknown for "
                           f"{', '.join(m.id for m in maybe)}", "> 1 tumour")
    return ScoreFactor("liver_tumours", "More than one liver tumour", n, int(n > 1),
                       f"{n} liver metasta{'ses' if n != 1 else 'sis'} marked", "> 1 tumour")


def _cea_factor(facts: CaseFacts) -> ScoreFactor:
    value = facts.get("cea_ng_ml")
    label = "CEA > 200 ng/ml"
    if value is None:
        return ScoreFactor("cea", label, None, None, "unknown: enter CEA in the case facts", "CEA > 200")
    return ScoreFactor("cea", label, value, int(value > 200), f"CEA {value:g} ng/ml", "CEA > 200", "ng/ml")


def _size_factor(liver: list[LesionInfo], maybe: Sequence[LesionInfo] = ()) -> ScoreFactor:
    label = "Largest liver tumour > 5 cm"
    sizes = {m.id: m.measure("longest_diameter_mm") for m in liver}
    big_maybe = [m.id for m in maybe if (m.measure("longest_diameter_mm") or 0.0) > 50.0]
    known = [v for v in sizes.values() if v is not None]
    if big_maybe and not any(v > 50.0 for v in known):  # more than 5 cm, and perhaps in the liver
        return ScoreFactor("largest_liver_tumour", label, max(known) if known else None, None,
                           f"unknown: {', '.join(big_maybe)} over 5 cm, site unknown", SIZE_SHORT, "mm")
    measured = [v for v in sizes.values() if v is not None]
    unmeasured = [m for m in liver if sizes[m.id] is None]
    largest = max(measured) if measured else None
    if largest is not None and largest > 50.0:
        return ScoreFactor("largest_liver_tumour", label, largest, 1, f"largest {largest:.1f} mm", SIZE_SHORT, "mm")
    if unmeasured:
        return ScoreFactor("largest_liver_tumour", label, largest, None,
                           f"unknown: {not_measured_text(unmeasured)}", SIZE_SHORT, "mm")
    return ScoreFactor("largest_liver_tumour", label, largest, 0, f"largest {largest:.1f} mm", SIZE_SHORT, "mm")


def scores(lesions: Sequence[LesionInfo], facts: CaseFacts, today: date) -> list[Score]:
    """Every prognostic score of the case (today: the Fong score)."""
    return [fong_score(lesions, facts, today)]

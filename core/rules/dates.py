"""Intervals between case dates: the one home for calendar months and for dates that do not add up.

Months are calendar months. One month after day D is day D of the next month;
when that month has no day D it is that month's last day: 31 January + 1 month
is 28 February (29 February in a leap year), 29 February 2024 + 12 months is
28 February 2025. So 2025-03-01 -> 2025-09-01 is exactly 6 months and
2025-01-31 -> 2025-02-28 exactly 1 month. A part-month is counted in days of the
month it falls in (2025-03-01 -> 2025-03-16 is 15/31 = 0.48 month).

:func:`interval` is what the ESTRO-EORTC classification, every ``interval``
criterion of the rule engine and the Fong score use. It refuses (``problem``)
an interval whose dates cannot be right: a date after the evaluation date, or
an end before its start (a metastasis diagnosed before the primary, staging
imaging dated after today). The caller turns a problem into "unknown" with the
message, never into a class or a pass.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import Enum

from core.rules.facts import FIELD_BY_KEY, CaseFacts

TODAY = "today"


class IntervalUnit(str, Enum):
    MONTHS = "months"
    DAYS = "days"


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months (clamped to the month's last day)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def months_between(start: date, end: date) -> float:
    """Calendar months from ``start`` to ``end`` (negative when ``end`` is earlier).

    Whole months by :func:`add_months`, then the rest as a fraction of the month it falls in.
    """
    if end < start:
        return -months_between(end, start)
    whole = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, whole) > end:
        whole -= 1
    anchor = add_months(start, whole)
    following = add_months(start, whole + 1)
    return whole + (end - anchor).days / (following - anchor).days


@dataclass(frozen=True)
class Interval:
    """The time from one case date to another, or why it cannot be known.

    ``value`` is None when a date is missing (``missing`` names it) or the dates do not
    add up (``problem`` says how, in words a clinician reads).
    """

    value: float | None
    unit: IntervalUnit
    start: date | None = None
    end: date | None = None
    missing: tuple[str, ...] = ()
    problem: str = ""

    @property
    def known(self) -> bool:
        return self.value is not None

    def text(self) -> str:
        """'5.9 months', '12 days'."""
        if self.value is None:
            return "unknown"
        number = f"{self.value:.0f}" if self.unit is IntervalUnit.DAYS else f"{self.value:.1f}"
        return f"{number} {self.unit.value}"


def date_label(key: str) -> str:
    """The clinician's name of a date fact ('Metastases diagnosed'); 'today' for the evaluation date."""
    if key == TODAY:
        return "the evaluation date"
    spec = FIELD_BY_KEY.get(key)
    return spec.label if spec is not None else key


def future_date_problem(key: str, day: date, today: date) -> str:
    """A message when the date fact ``key`` lies after ``today`` ('' when it does not)."""
    if day <= today:
        return ""
    return (f"{date_label(key)} {day.isoformat()} is after the evaluation date {today.isoformat()}: "
            f"correct the date in the case facts")


def order_problem(start_key: str, start: date, end_key: str, end: date) -> str:
    """A message when ``end`` is before ``start`` ('' when the order is right)."""
    if end >= start:
        return ""
    if start_key == "primary_diagnosis_date" and end_key == "metastasis_diagnosis_date":
        what = "the metastases are dated before the primary"
    else:
        what = f"{date_label(end_key)} is before {date_label(start_key)}"
    return (f"{what} ({date_label(start_key)} {start.isoformat()}, {date_label(end_key)} {end.isoformat()}, "
            f"{(start - end).days} days earlier): check both dates in the case facts")


def interval(facts: CaseFacts, start_key: str, end_key: str, today: date,
             unit: IntervalUnit | str = IntervalUnit.MONTHS) -> Interval:
    """The interval from the date fact ``start_key`` to ``end_key`` (a date fact or ``"today"``).

    A missing date gives ``missing``; a date after ``today`` or an end before the start gives
    ``problem`` (never a negative or future-based value).
    """
    unit = IntervalUnit(unit)
    start = facts.date(start_key)
    end = today if end_key == TODAY else facts.date(end_key)
    missing = tuple(k for k, v in ((start_key, start), (end_key, end)) if v is None)
    if missing:
        return Interval(None, unit, start, end, missing=missing)
    problems = [p for p in (future_date_problem(start_key, start, today),
                            "" if end_key == TODAY else future_date_problem(end_key, end, today)) if p]
    if not problems:
        problems = [order_problem(start_key, start, end_key, end)] if end < start else []
    if problems:
        return Interval(None, unit, start, end, problem="; ".join(problems))
    value = months_between(start, end) if unit is IntervalUnit.MONTHS else float((end - start).days)
    return Interval(value, unit, start, end)

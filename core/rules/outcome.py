"""The words a check ends in, as Enums (strings only at the JSON, CSV and PDF edge: ``.value``).

* :class:`Verdict` of a rule set: eligible, not eligible, undetermined. A wrong ELIGIBLE is the worst
  thing OligoPlan can print: a rule set is eligible only when every criterion passes.
* :class:`CriterionStatus` of one criterion: pass, fail, unknown (a fact or a measurement the
  criterion needs is missing: never a pass).
* :class:`FlagStatus` of one organ-at-risk flag of one lesion: flagged, clear, unknown, n/a.
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    UNDETERMINED = "undetermined"

    @property
    def text(self) -> str:
        """How a sentence writes it: "not eligible" (upper case on the panel and the PDF)."""
        return self.value.replace("_", " ")


class CriterionStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"


class FlagStatus(StrEnum):
    FLAGGED = "flagged"
    CLEAR = "clear"
    UNKNOWN = "unknown"  # the structure the flag needs is missing: never "clear"
    NOT_APPLICABLE = "n/a"


def verdict_of(statuses) -> Verdict:
    """The verdict of a rule set whose criteria have ``statuses``: any fail makes it not eligible,
    else any unknown undetermined, else (every criterion passed) eligible."""
    statuses = set(statuses)
    if CriterionStatus.FAIL in statuses:
        return Verdict.NOT_ELIGIBLE
    if CriterionStatus.UNKNOWN in statuses:
        return Verdict.UNDETERMINED
    return Verdict.ELIGIBLE

"""How a scored practice is drawn: one definition for the feedback overlay and the scorecard PDF.

A trainee compares the window with the scorecard, so both draw the four
roles the same way and state the same legend:

- the reference lesions the trainee found: dashed white;
- the trainee's lesions that found one: solid magenta;
- a missed reference lesion: dashed red, shaded, titled MISSED;
- an extra trainee lesion (no reference lesion): solid orange, shaded, titled EXTRA.

Colours are "#rrggbb"; the gui makes its pens from them (gui.practice.controller),
matplotlib takes them as they are (core.practice.report).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class LineStyle(str, Enum):
    """The outline's line: the reference side dashed, the trainee's solid."""

    SOLID = "solid"
    DASHED = "dashed"

    @property
    def matplotlib(self) -> str:
        return "--" if self is LineStyle.DASHED else "-"


@dataclass(frozen=True)
class PracticeStyle:
    """The look of one role in the feedback: outline colour and line, shading, and its legend words."""

    role: str  # "reference", "trainee", "missed", "extra"
    what: str  # as the legend names it
    colour: str  # "#rrggbb"
    colour_name: str  # as the legend says it
    line: LineStyle
    shaded: bool = False  # the inside filled with a transparent shade of the colour
    title: str = ""  # the word shown with the lesion ("MISSED", "EXTRA")

    @property
    def rgb(self) -> tuple[int, int, int]:
        return tuple(int(self.colour[k:k + 2], 16) for k in (1, 3, 5))

    def describe(self) -> str:
        """'dashed red, shaded' (the legend's words for the look)."""
        return f"{self.line.value} {self.colour_name}" + (", shaded" if self.shaded else "")

    def legend_entry(self) -> str:
        """'missed: dashed red, shaded' (one entry of the legend)."""
        return f"{self.what}: {self.describe()}"


REFERENCE = PracticeStyle("reference", "reference", "#ffffff", "white", LineStyle.DASHED)
TRAINEE = PracticeStyle("trainee", "trainee", "#ff50ff", "magenta", LineStyle.SOLID)
MISSED = PracticeStyle("missed", "missed", "#ff2828", "red", LineStyle.DASHED, shaded=True,
                       title="MISSED")
EXTRA = PracticeStyle("extra", "extra", "#ff961e", "orange", LineStyle.SOLID, shaded=True,
                      title="EXTRA")
PRACTICE_STYLES: tuple[PracticeStyle, ...] = (REFERENCE, TRAINEE, MISSED, EXTRA)

#: alpha (0-255) of the shade inside a shaded outline
SHADE_ALPHA = 70


#: what "missed" and "extra" mean, under the legend
LEGEND_NOTE = "missed: a reference lesion the trainee did not find; extra: a trainee lesion matching no reference"


def legend_text() -> str:
    """The legend the window and the scorecard both show: 'reference: dashed white; trainee: solid magenta; ...'."""
    return "; ".join(s.legend_entry() for s in PRACTICE_STYLES)

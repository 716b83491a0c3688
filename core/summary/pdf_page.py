"""One A4 page of the summary PDF: its size, the header every page has and text wrapped to the margin.

Shared by the summary's page modules (core.summary.pdf, core.summary.pdf_timeline).
"""

from __future__ import annotations

import textwrap

import matplotlib
import matplotlib.lines
from matplotlib.figure import Figure

A4 = (8.27, 11.69)
#: Average glyph width of DejaVu Sans (matplotlib's default font) in em, regular and bold.
EM_REGULAR, EM_BOLD = 0.60, 0.68


def new_page() -> Figure:
    return Figure(figsize=A4)


def header(fig: Figure, s: dict, subtitle: str) -> None:
    fig.text(0.06, 0.965, s["title"], fontsize=16, weight="bold")
    fig.text(0.06, 0.945, subtitle, fontsize=9, color="#333333")
    fig.add_artist(matplotlib.lines.Line2D([0.06, 0.94], [0.938, 0.938], color="#999999", linewidth=0.6))


def wrapped_text(fig: Figure, x: float, y: float, text: str, size: float, *, bold: bool = False,
                 max_lines: int = 4, right: float = 0.94, **kw) -> float:
    """Draw ``text`` from ``x`` wrapped to lines that end before ``right`` (figure fractions); returns the
    y below the last line. Beyond ``max_lines`` the last line is shortened with "[...]"."""
    chars = max(int((right - x) * A4[0] * 72 / ((EM_BOLD if bold else EM_REGULAR) * size)), 10)
    lines = textwrap.wrap(text, chars) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines - 1] + [textwrap.shorten(" ".join(lines[max_lines - 1:]), chars)]
    step = size * 1.3 / 72 / A4[1]
    for k, line in enumerate(lines):
        fig.text(x, y - k * step, line, fontsize=size, va="top", weight="bold" if bold else "normal", **kw)
    return y - len(lines) * step

"""Text labels of one slice view, placed together so they never cover each other.

Every overlay of a :class:`gui.slice_view.SliceView` (lesions, the practice
reference, imported structures) *asks* for its labels during a paint with
:meth:`ViewLabels.add`; once all have asked, the view calls
:meth:`ViewLabels.paint`, which places them the way planning viewers do
(MIM, Eclipse, 3D Slicer):

* by priority: lesion labels first, then the practice reference's (MISSED,
  EXTRA, ref), structure names last, so a name never pushes a lesion away;
* greedily: each label tries positions around its anchor, nearest first
  (its preferred side, the other side, then steps aside and further out)
  and takes the first whose box meets no box already placed nor the view's
  own corner text and orientation letters;
* inside the view: a position off the edge is shifted in, never cut;
* readable on any image: a box in the contrasting shade behind the text
  (dark behind light colours, light behind dark ones such as LIVER brown);
  a label moved away from its lesion gets a thin leader line to it.

What is on the image by default (a reader's habit: the finding is never under a word): lesion
numbers *beside* their lesion (``beside=True``: to the right, else the left), structure names only
for the structure under the mouse (the Structures dock is the legend), hints in the status bar.
:attr:`ViewLabels.shown` False (View > Labels on the image, key L) draws no label at all;
:attr:`ViewLabels.structure_names` True puts every structure's name back on the image.

A lesion label that finds no free place is still drawn (it must be seen); a
structure name that finds none within a few label heights of its outline is
left out (far away it would seem to name another organ; the structure list
names it) and counted in :attr:`ViewLabels.left_out`.

:attr:`ViewLabels.placed` keeps what the last paint drew (text and box in
widget pixels), for tests and benchmarks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

LABEL_PIXEL_SIZE = 13
_PAD_X = 4.0  # text to box edge, each side
_GAP = 1.0  # least room between two boxes
_EDGE = 2.0  # least room between a box and the view's edge
_LEADER_MIN_PX = 8.0  # a label further than this from its anchor gets a leader line
_STRUCTURE_REACH = 2.5  # a structure name goes at most this many label heights from its anchor, or not at all
_DARK_BOX = QColor(0, 0, 0, 175)
_LIGHT_BOX = QColor(235, 235, 235, 215)


class LabelKind(IntEnum):
    """What a label names; lower values are placed first and win the space."""

    LESION = 0
    REFERENCE = 1  # practice feedback: MISSED / EXTRA / ref
    STRUCTURE = 2


@dataclass(frozen=True)
class LabelRequest:
    text: str
    anchor: QPointF  # widget pixels: the point the label belongs to
    color: QColor
    kind: LabelKind = LabelKind.LESION
    bold: bool = False
    below: bool = False  # preferred side of the anchor (above unless True)
    order: int = 0  # among labels of one kind: lower first (selected lesion, misses)
    beside: bool = False  # right of the anchor, vertically centred (the other side next); overrides below


@dataclass(frozen=True)
class PlacedLabel:
    text: str  # as drawn (elided when wider than the view)
    rect: QRectF  # the box, widget pixels
    color: QColor
    kind: LabelKind
    bold: bool
    anchor: QPointF
    free: bool  # False when no free place was found (a lesion label drawn anyway)
    preferred: QRectF  # where it would have gone alone (on its preferred side, edges ignored)

    @property
    def moved(self) -> bool:
        return self.rect != self.preferred


def label_font(base: QFont, bold: bool) -> QFont:
    font = QFont(base)
    font.setPixelSize(LABEL_PIXEL_SIZE)
    font.setBold(bold)
    return font


def box_color(text_color: QColor) -> QColor:
    """The shade behind a label: dark behind light text, light behind dark text."""
    luma = 0.299 * text_color.red() + 0.587 * text_color.green() + 0.114 * text_color.blue()
    return _LIGHT_BOX if luma < 110 else _DARK_BOX


def _preferred(req: LabelRequest, w: float, h: float) -> QRectF:
    if req.beside:
        return QRectF(req.anchor.x() + 4, req.anchor.y() - h / 2, w, h)
    x = req.anchor.x() - w / 2
    y = req.anchor.y() + 2 if req.below else req.anchor.y() - h - 2
    return QRectF(x, y, w, h)


@lru_cache(maxsize=256)  # a few label sizes per view; computed once, not per label per paint
def _offsets(w: float, h: float, below: bool, beside: bool = False) -> tuple[tuple[float, float], ...]:
    """Moves of the preferred box to try, nearest first: the other side of the anchor, then aside and out."""
    flip = (h + 4) * (-1 if below else 1)
    steps = [(0.0, 0.0), (-(w + 8), 0.0) if beside else (0.0, flip)]
    ring = []
    for j in range(-4, 5):
        for k in range(-8, 9):
            if j or k:
                dx, dy = j * w / 2, k * (h + _GAP)
                # vertical moves read as "the label of the thing above/below"; sideways ones cost more
                ring.append((math.hypot(dx * 1.4, dy), dx, dy))
    ring.sort(key=lambda item: item[0])
    return tuple(steps + [(dx, dy) for _, dx, dy in ring])


def _clamp(rect: QRectF, bounds: QRectF) -> QRectF:
    r = QRectF(rect)
    if r.right() > bounds.right():
        r.moveRight(bounds.right())
    if r.left() < bounds.left():
        r.moveLeft(bounds.left())
    if r.bottom() > bounds.bottom():
        r.moveBottom(bounds.bottom())
    if r.top() < bounds.top():
        r.moveTop(bounds.top())
    return r


def _hits(rect: QRectF, taken: list[QRectF]) -> bool:
    grown = rect.adjusted(-_GAP / 2, -_GAP / 2, _GAP / 2, _GAP / 2)
    return any(grown.intersects(t) for t in taken)


def _overlap_area(rect: QRectF, taken: list[QRectF]) -> float:
    total = 0.0
    for t in taken:
        i = rect.intersected(t)
        total += max(i.width(), 0.0) * max(i.height(), 0.0)
    return total


def place_labels(requests: list[LabelRequest], bounds: QRectF, obstacles: list[QRectF],
                 font: QFont, bold_font: QFont) -> tuple[list[PlacedLabel], list[LabelRequest]]:
    """Greedy placement of ``requests`` inside ``bounds`` (widget pixels) avoiding ``obstacles`` and each other.

    Returns the placed labels and the structure names that found no free place.
    """
    inner = bounds.adjusted(_EDGE, _EDGE, -_EDGE, -_EDGE)
    taken: list[QRectF] = [QRectF(r) for r in obstacles]
    placed: list[PlacedLabel] = []
    left_out: list[LabelRequest] = []
    metrics = {False: QFontMetricsF(font), True: QFontMetricsF(bold_font)}
    for req in sorted(requests, key=lambda r: (r.kind, r.order)):
        fm = metrics[req.bold]
        text = fm.elidedText(req.text, Qt.TextElideMode.ElideRight, max(inner.width() - 2 * _PAD_X, 10.0))
        w, h = math.ceil(fm.horizontalAdvance(text) + 2 * _PAD_X), math.ceil(fm.height() + 2)
        start = _preferred(req, w, h)
        choice, seen = None, set()
        for dx, dy in _offsets(w, h, req.below, req.beside):
            rect = _clamp(start.translated(dx, dy), inner)
            key = (round(rect.x()), round(rect.y()))
            if key in seen:
                continue
            seen.add(key)
            if req.kind is LabelKind.STRUCTURE and _distance(req.anchor, rect) > _STRUCTURE_REACH * h:
                continue  # a name far from its organ would name the wrong one
            if not _hits(rect, taken):
                choice = rect
                break
        if choice is None and req.kind is not LabelKind.STRUCTURE:  # a lesion's label must find a place
            choice = _free_anywhere(start, w, h, inner, taken)
        free = choice is not None
        if choice is None:
            if req.kind is LabelKind.STRUCTURE:
                left_out.append(req)
                continue
            near = [_clamp(start.translated(dx, dy), inner) for dx, dy in _offsets(w, h, req.below, req.beside)[:40]]
            choice = min(near, key=lambda r: _overlap_area(r, taken))
        taken.append(choice)
        placed.append(PlacedLabel(text, choice, req.color, req.kind, req.bold, req.anchor, free, start))
    return placed, left_out


def _free_anywhere(start: QRectF, w: float, h: float, inner: QRectF, taken: list[QRectF]) -> QRectF | None:
    """The free box nearest ``start`` on a grid over the whole view (when the ring around it is full)."""
    best, best_d = None, math.inf
    y = inner.top()
    while y + h <= inner.bottom() + 0.01:
        x = inner.left()
        while x + w <= inner.right() + 0.01:
            rect = QRectF(x, y, w, h)
            d = math.hypot(x - start.x(), y - start.y())
            if d < best_d and not _hits(rect, taken):
                best, best_d = rect, d
            x += max(w / 3, 6.0)
        y += h / 2
    return best


def _nearest_on_rect(p: QPointF, rect: QRectF) -> QPointF:
    return QPointF(min(max(p.x(), rect.left()), rect.right()), min(max(p.y(), rect.top()), rect.bottom()))


def _distance(p: QPointF, rect: QRectF) -> float:
    q = _nearest_on_rect(p, rect)
    return math.hypot(q.x() - p.x(), q.y() - p.y())


class ViewLabels:
    """The labels one view is asked for during a paint; placed and drawn at its end."""

    def __init__(self):
        self._requests: list[LabelRequest] = []
        #: what the last paint drew
        self.placed: list[PlacedLabel] = []
        #: structure names the last paint found no room for
        self.left_out: list[LabelRequest] = []
        #: False: no label at all on the image (View > Labels on the image, key L)
        self.shown = True
        #: True: every visible structure's name on the image, not only the hovered one's
        self.structure_names = False

    def begin(self) -> None:
        self._requests.clear()

    def add(self, anchor: QPointF, text: str, color: QColor, *, kind: LabelKind = LabelKind.LESION,
            bold: bool = False, below: bool = False, order: int = 0, beside: bool = False) -> None:
        if text and self.shown:
            self._requests.append(LabelRequest(text, QPointF(anchor), QColor(color), kind, bold, below, order,
                                               beside))

    def paint(self, painter: QPainter, bounds: QRectF, obstacles: list[QRectF] = ()) -> list[PlacedLabel]:
        base = painter.font()
        fonts = {False: label_font(base, False), True: label_font(base, True)}
        self.placed, self.left_out = place_labels(self._requests, bounds, list(obstacles), fonts[False], fonts[True])
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for label in self.placed:
            self._draw(painter, label, fonts[label.bold])
        painter.restore()
        self._requests.clear()
        return self.placed

    @staticmethod
    def _draw(painter: QPainter, label: PlacedLabel, font: QFont) -> None:
        rect, color = label.rect, label.color
        shade = box_color(color)
        if label.kind is not LabelKind.STRUCTURE:
            end = _nearest_on_rect(label.anchor, rect)
            if math.hypot(end.x() - label.anchor.x(), end.y() - label.anchor.y()) > _LEADER_MIN_PX:
                halo = QColor(shade)
                halo.setAlpha(200)
                painter.setPen(QPen(halo, 3.0))
                painter.drawLine(label.anchor, end)
                painter.setPen(QPen(color, 1.2))
                painter.drawLine(label.anchor, end)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(shade)
        painter.drawRoundedRect(rect, 3, 3)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setFont(font)
        painter.setPen(color)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label.text)

"""Brush and eraser: paint or erase voxels of the shown slice with a round brush.

The brush radius is in millimetres (``[`` and ``]`` change it) and round on
screen in every view, because core.contours.brush_stroke honours the
plane's pixel spacing. A stroke (press, drag, release) collects its pixels
and becomes one undo step when the button is released.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen

from core.contours import brush_stroke, mask_outlines
from gui.tools.base import Tool
from gui.tools.overlay import outline_path

if TYPE_CHECKING:  # pragma: no cover
    from gui.slice_view import SliceView

BRUSH_COLOR = QColor(255, 255, 255)
ERASER_COLOR = QColor(255, 90, 90)


class BrushTool(Tool):
    name = "brush"
    erase = False

    def __init__(self, manager):
        super().__init__(manager)
        self._view: "SliceView | None" = None
        self._axis = 0
        self._index = 0
        self._stroke: np.ndarray | None = None
        self._last: np.ndarray | None = None
        self._hover: tuple["SliceView", QPointF] | None = None

    @property
    def pending(self) -> bool:
        return self._stroke is not None

    @property
    def acceptable(self) -> bool:
        return False  # a stroke ends when the button is released

    @property
    def stroke(self) -> np.ndarray | None:
        """The plane pixels of the stroke in progress (None between strokes)."""
        return self._stroke

    def _stamp(self, view: "SliceView", point: np.ndarray) -> None:
        start = self._last if self._last is not None else point
        self._stroke |= brush_stroke(start, point, self.editor.brush_radius_mm, view.plane_spacing_mm,
                                     view.plane_shape)
        self._last = point

    def press(self, view: "SliceView", pos: QPointF) -> bool:
        point = view.plane_point(pos)
        if point is None:
            return True
        self._view, self._axis, self._index = view, view.slice_axis, view.slice_index
        self.manager.last_axis = self._axis
        self._stroke = np.zeros(view.plane_shape, dtype=bool)
        self._last = None
        self._stamp(view, point)
        self.changed()
        return True

    def move(self, view: "SliceView", pos: QPointF) -> bool:
        self._hover = (view, pos)
        if self._stroke is None or view is not self._view or view.slice_index != self._index:
            self.changed(view)
            return True
        point = view.plane_point(pos)
        if point is not None:
            self._stamp(view, point)
        self.changed(view)
        return True

    def release(self, view: "SliceView", pos: QPointF) -> bool:
        if self._stroke is None:
            return True
        self.move(view, pos)
        stroke, self._stroke, self._last = self._stroke, None, None
        self.changed()
        rows, cols = np.nonzero(stroke.any(axis=1))[0], np.nonzero(stroke.any(axis=0))[0]
        if len(rows) == 0:
            return True
        box = stroke[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        offset = (int(rows[0]), int(cols[0]))
        if self.erase:
            if self.editor.erase(self._axis, self._index, box, offset) == 0:
                self.editor.message.emit("Nothing to erase there")
        else:
            self.editor.paint(self._axis, self._index, box, offset, what="Brush")
        return True

    def cancel(self) -> bool:
        had = self._stroke is not None
        self._stroke, self._last = None, None
        self.changed()
        return had

    def hover(self, view: "SliceView", pos: QPointF | None) -> None:
        self._hover = (view, pos) if pos is not None else None
        self.changed(view)

    def paint(self, view: "SliceView", painter: QPainter) -> None:
        color = ERASER_COLOR if self.erase else BRUSH_COLOR
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self._stroke is not None and view is self._view and view.slice_index == self._index:
            loops = mask_outlines(self._stroke)
            if loops:
                path = outline_path(view, loops)
                fill = QColor(color)
                fill.setAlpha(70)
                painter.fillPath(path, QBrush(fill))
                painter.setPen(QPen(color, 1.2))
                painter.drawPath(path)
        if self._hover is not None and self._hover[0] is view and self._hover[1] is not None:
            radius_px = self.editor.brush_radius_mm * view.pixels_per_mm
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(0, 0, 0, 160), 3.0))
            painter.drawEllipse(self._hover[1], radius_px, radius_px)
            painter.setPen(QPen(color, 1.3))
            painter.drawEllipse(self._hover[1], radius_px, radius_px)


class EraserTool(BrushTool):
    name = "eraser"
    erase = True

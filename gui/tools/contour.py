"""Polygon and freehand contours on the shown slice of any view.

Polygon: each left click adds a corner; double-click or Enter closes it,
Backspace takes back the last corner, Esc drops it. Freehand: press, draw,
release closes the outline. Either way the outline is rasterised by
core.contours.polygon_to_mask (pixel centres inside, even-odd) on the plane
of the view it was drawn in, and added to the selected lesion (or a new one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF

from core.contours import polygon_to_mask
from gui.tools.base import Tool

if TYPE_CHECKING:  # pragma: no cover
    from gui.slice_view import SliceView

DRAW_COLOR = QColor(255, 255, 255)
#: freehand: a new point only after the mouse moved this far (plane pixels)
FREEHAND_STEP = 0.35


class _OutlineTool(Tool):
    """Shared state: the points drawn so far, on one plane of one view."""

    what = "Outline"

    def __init__(self, manager):
        super().__init__(manager)
        self._view: "SliceView | None" = None
        self._axis = 0
        self._index = 0
        self._points: list[np.ndarray] = []
        self._hover: np.ndarray | None = None

    @property
    def points(self) -> np.ndarray:
        return np.array(self._points, dtype=np.float64).reshape(-1, 2)

    @property
    def pending(self) -> bool:
        return bool(self._points)

    def _start(self, view: "SliceView", point: np.ndarray) -> None:
        self._view = view
        self._axis = view.slice_axis
        self._index = view.slice_index
        self._points = [point]
        self.manager.last_axis = self._axis

    def _on_same_plane(self, view: "SliceView") -> bool:
        return view is self._view and view.slice_index == self._index and view.slice_axis == self._axis

    def cancel(self) -> bool:
        had = bool(self._points)
        self._points = []
        self._hover = None
        self._view = None
        self.changed()
        return had

    def _finish(self) -> bool:
        points = self.points
        view = self._view
        self._points = []
        self._hover = None
        self.changed()
        if view is None or len(points) < 3:
            self.editor.message.emit(f"A {self.what.lower()} needs at least 3 points")
            return False
        region = polygon_to_mask(points, view.plane_shape)
        if not region.any():
            self.editor.message.emit(f"The {self.what.lower()} holds no voxel centre: draw it larger")
            return False
        self.editor.paint(self._axis, self._index, region, what=self.what)
        return True

    def paint(self, view: "SliceView", painter: QPainter) -> None:
        if not self._points or not self._on_same_plane(view):
            return
        pts = self.points
        if self._hover is not None:
            pts = np.vstack([pts, self._hover])
        xy = view.plane_to_widget(pts)
        poly = QPolygonF([QPointF(x, y) for x, y in xy])
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(QColor(0, 0, 0, 180), 3.5))
        painter.drawPolyline(poly)
        pen = QPen(DRAW_COLOR, 1.6)
        painter.setPen(pen)
        painter.drawPolyline(poly)
        self._paint_extra(painter, xy)

    def _paint_extra(self, painter: QPainter, xy: np.ndarray) -> None:
        pass


class PolygonTool(_OutlineTool):
    name = "polygon"
    what = "Polygon"

    def press(self, view: "SliceView", pos: QPointF) -> bool:
        point = view.plane_point(pos)
        if point is None:
            return True
        if self._points and not self._on_same_plane(view):
            self._points = []  # another view or slice: start again there
        if not self._points:
            self._start(view, point)
        else:
            self._points.append(point)
        self.changed()
        return True

    def double_click(self, view: "SliceView", pos: QPointF) -> bool:
        if self._points and self._on_same_plane(view):
            self._finish()
        return True

    def accept(self) -> bool:
        return self._finish() if self._points else False

    def hover(self, view: "SliceView", pos: QPointF | None) -> None:
        if not self._points:
            return
        point = view.plane_point(pos) if pos is not None and self._on_same_plane(view) else None
        self._hover = point
        self.changed(view)

    def key(self, view: "SliceView", key: int) -> bool:
        if key == Qt.Key.Key_Backspace and self._points:
            self._points.pop()
            self.changed()
            return True
        return False

    def _paint_extra(self, painter: QPainter, xy: np.ndarray) -> None:
        n = len(self._points)
        if n >= 3:  # the closing edge, dotted
            pen = QPen(DRAW_COLOR, 1.0, Qt.PenStyle.DotLine)
            painter.setPen(pen)
            painter.drawLine(QPointF(*xy[-1]), QPointF(*xy[0]))
        painter.setPen(QPen(QColor(0, 0, 0, 200), 1.0))
        painter.setBrush(DRAW_COLOR)
        for x, y in xy[:n]:
            painter.drawEllipse(QPointF(x, y), 3.0, 3.0)
        painter.setBrush(Qt.BrushStyle.NoBrush)


class FreehandTool(_OutlineTool):
    name = "freehand"
    what = "Freehand outline"

    def press(self, view: "SliceView", pos: QPointF) -> bool:
        point = view.plane_point(pos)
        if point is not None:
            self._start(view, point)
            self.changed()
        return True

    def move(self, view: "SliceView", pos: QPointF) -> bool:
        if not self._points or not self._on_same_plane(view):
            return True
        point = view.plane_point(pos)
        if point is not None and np.hypot(*(point - self._points[-1])) >= FREEHAND_STEP:
            self._points.append(point)
            self.changed(view)
        return True

    def release(self, view: "SliceView", pos: QPointF) -> bool:
        if self._points:
            self.move(view, pos)
            self._finish()
        return True

    def accept(self) -> bool:
        return self._finish() if self._points else False

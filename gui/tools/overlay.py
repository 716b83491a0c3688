"""Lesions drawn on a slice view: outlines in distinct colours with their labels.

Only the slice a view shows is outlined: the outline of a lesion on a plane
is computed from its mask box on demand (core.contours.slice_outlines) and
cached per (lesion, plane, slice) in index coordinates, so scrolling back and
forth, zooming and panning cost no new outline work. An edited lesion is a new
immutable object, so its cached outlines are dropped as soon as it changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QPolygonF

from core.contours import slice_outlines
from core.lesion_colours import lesion_colour
from core.lesions import Lesion, LesionEvent
from gui.view_labels import LabelKind

if TYPE_CHECKING:  # pragma: no cover
    from gui.slice_view import SliceView

PREVIEW_COLOR = QColor(255, 255, 255)
_MAX_CACHE = 2000


def lesion_color(lesion_id: str) -> QColor:
    """The colour of a lesion (core.lesion_colours: by its id number, the same in every export)."""
    return QColor(*lesion_colour(lesion_id))


def outline_path(view: "SliceView", loops: list[np.ndarray]) -> QPainterPath:
    """A closed painter path (widget coordinates) through outline loops given in plane coordinates."""
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.OddEvenFill)
    for loop in loops:
        xy = view.plane_to_widget(loop)
        path.addPolygon(QPolygonF([QPointF(x, y) for x, y in xy]))
        path.closeSubpath()
    return path


class LesionOverlay:
    """Paints the lesions of the model on one view and keeps its outline cache.

    Subscribes to the model's lesion events and to the shown lesion set's
    ``changed``; :meth:`disconnect` stops (the view calls it when it closes).
    """

    def __init__(self, view: "SliceView"):
        self.view = view
        self.model = view.model
        self._cache: dict[tuple[str, int, int], tuple[Lesion, list[np.ndarray]]] = {}
        self.outline_count = 0  # outlines computed (not taken from the cache), for tests/bench
        #: another colour for some lesions (outline and label), or None for their own: a scored
        #: practice draws the trainee's lesions in the feedback styles (gui.practice.controller)
        self.colour_for: Callable[[Lesion], QColor | None] | None = None
        self.model.events.lesion_changed.connect(self._on_lesions_changed)
        self.model.events.lesions.connect(self._on_model_lesions)
        self.model.events.selection.connect(self._on_model_selection)
        self.model.events.volumes.connect(self._on_model_volumes)

    def disconnect(self) -> None:
        self.model.events.lesion_changed.disconnect(self._on_lesions_changed)
        self.model.events.lesions.disconnect(self._on_model_lesions)
        self.model.events.selection.disconnect(self._on_model_selection)
        self.model.events.volumes.disconnect(self._on_model_volumes)

    # ----------------------------------------------------------------- events
    def _on_model_lesions(self) -> None:
        self._cache.clear()
        self.view.update()

    def _on_lesions_changed(self, event: LesionEvent) -> None:
        if event.lesion_id is None:
            self._cache.clear()
        else:
            for key in [k for k in self._cache if k[0] == event.lesion_id]:
                del self._cache[key]
        self.view.update()

    def _on_model_selection(self, old, new) -> None:
        self.view.update()

    def _on_model_volumes(self) -> None:
        self._cache.clear()

    # ---------------------------------------------------------------- outlines
    def outlines(self, lesion: Lesion, axis: int, index: int) -> list[np.ndarray]:
        """Outline loops of a lesion on one plane (plane coordinates), cached."""
        key = (lesion.id, axis, index)
        hit = self._cache.get(key)
        if hit is not None and hit[0] is lesion:
            return hit[1]
        if len(self._cache) > _MAX_CACHE:
            self._cache.clear()
        loops = slice_outlines(lesion.mask, axis, index)
        self.outline_count += 1
        self._cache[key] = (lesion, loops)
        return loops

    # ------------------------------------------------------------------ paint
    def lesion_colour(self, lesion: Lesion) -> QColor:
        """The colour a lesion's outline and label are drawn in on this view."""
        special = self.colour_for(lesion) if self.colour_for is not None else None
        return special if special is not None else lesion_color(lesion.id)

    def paint(self, painter: QPainter) -> None:
        view = self.view
        base = self.model.base
        axis, k = view.slice_axis, view.slice_index
        if base is None or axis is None:
            return
        selected = self.model.selected_id
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        labels: list[tuple[QPointF, str, QColor, bool]] = []
        for lesion in self.model.lesions:
            color = self.lesion_colour(lesion)
            is_selected = lesion.id == selected
            if lesion.mask is not None and self.model.grid_for(lesion.mask) is base:
                loops = self.outlines(lesion, axis, k)
                if loops:
                    path = outline_path(view, loops)
                    if is_selected:
                        fill = QColor(color)
                        fill.setAlpha(45)
                        painter.fillPath(path, QBrush(fill))
                    width = 2.6 if is_selected else 1.6
                    painter.setBrush(Qt.BrushStyle.NoBrush)
                    # a double stroke: a halo in the contrasting shade under the colour, so the outline
                    # stays visible over any PET colour map (red on hot iron, blue on rainbow, grey)
                    painter.setPen(QPen(contour_halo(color), width + 2.4))
                    painter.drawPath(path)
                    painter.setPen(QPen(color, width))
                    painter.drawPath(path)
                    # the number beside the lesion (right of its rightmost point), never on it
                    right = max((view.plane_to_widget(loop) for loop in loops), key=lambda xy: xy[:, 0].max())
                    i = int(np.argmax(right[:, 0]))
                    labels.append((QPointF(right[i, 0] + 2, right[i, 1]), lesion.label, color, is_selected))
            if lesion.point_mm is not None and lesion.mask is None:  # a contour says more than its seed
                self._paint_marker(painter, lesion, color, is_selected, labels)
        # placed by the view with the other overlays' labels (gui.view_labels), lesions first
        for anchor, text, color, bold in labels:
            view.labels.add(anchor, text, color, kind=LabelKind.LESION, bold=bold, order=0 if bold else 1,
                            beside=True)

    def _paint_marker(self, painter: QPainter, lesion: Lesion, color: QColor, selected: bool,
                      labels: list) -> None:
        view = self.view
        base = self.model.base
        zyx = base.patient_to_index(np.asarray(lesion.point_mm, dtype=np.float64))
        axis = view.slice_axis
        if abs(zyx[axis] - view.slice_index) > 0.5:
            return
        centre = view.index_to_widget(zyx)
        r = 7.0 if selected else 5.5
        painter.setPen(QPen(QColor(0, 0, 0, 200), 4.0))
        painter.drawEllipse(centre, r, r)
        painter.setPen(QPen(color, 2.2))
        painter.drawEllipse(centre, r, r)
        painter.drawLine(centre + QPointF(-r - 4, 0), centre + QPointF(-r + 2, 0))
        painter.drawLine(centre + QPointF(r - 2, 0), centre + QPointF(r + 4, 0))
        labels.append((QPointF(centre.x() + r + 4, centre.y()), lesion.label, color, selected))


def contour_halo(color: QColor) -> QColor:
    """The stroke under a coloured outline: dark under a light colour, light under a dark one."""
    luma = 0.299 * color.red() + 0.587 * color.green() + 0.114 * color.blue()
    return QColor(255, 255, 255, 200) if luma < 90 else QColor(0, 0, 0, 210)

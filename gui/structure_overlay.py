"""Imported structures drawn on a slice view: outlines in their own colours, names on hover-free labels.

Painted by each :class:`gui.slice_view.SliceView` through its ``extra_overlays``
list, under the lesions' outlines' labels. Outlines come from
:func:`core.contours.slice_outlines` on the shown plane only, cached per
(structure, plane, slice); a structure set placed on another grid than the
base volume is not drawn (it was matched to another series).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from core.contours import slice_outlines
from core.rt.structures import Structure
from gui.tools.overlay import outline_path
from gui.view_labels import LabelKind

_MAX_CACHE = 3000


class StructureOverlay:
    """Outlines of the visible structures; ``visible()`` returns [(key, Structure)] to draw."""

    def __init__(self, visible: Callable[[], list[tuple[object, Structure]]]):
        self._visible = visible
        self._cache: dict[tuple, list[np.ndarray]] = {}
        self.outline_count = 0

    def clear(self) -> None:
        self._cache.clear()

    def outlines(self, key, structure: Structure, axis: int, index: int) -> list[np.ndarray]:
        ck = (key, id(structure.mask), axis, index)
        if ck not in self._cache:
            if len(self._cache) > _MAX_CACHE:
                self._cache.clear()
            self._cache[ck] = slice_outlines(structure.mask, axis, index)
            self.outline_count += 1
        return self._cache[ck]

    def paint(self, view, painter: QPainter) -> None:
        base = view.model.base
        axis, k = view.slice_axis, view.slice_index
        if base is None or axis is None:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for key, s in self._visible():
            if s.mask is None or s.mask.series_uid != base.info.series_uid or s.mask.grid_shape != base.shape:
                continue
            loops = self.outlines(key, s, axis, k)
            if not loops:
                continue
            color = QColor(*s.color)
            painter.setPen(QPen(color, 1.3, Qt.PenStyle.DashLine if s.is_organ_at_risk else Qt.PenStyle.SolidLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            path = outline_path(view, loops)
            painter.drawPath(path)
            rect = path.boundingRect()
            # under the outline; placed by the view after the lesions' labels, which win the space, and
            # small structures before large ones (the spinal cord's name next to the cord, not BODY's)
            view.labels.add(QPointF(rect.center().x(), rect.bottom()), s.name, color,
                            kind=LabelKind.STRUCTURE, below=True, order=int(rect.width() * rect.height()))

"""Imported structures drawn on a slice view: outlines in their ROI Display Colours, names on hover.

Each outline takes its structure's (3006,002A) ROI Display Colour (read by
core.rt.rtstruct_read; a palette colour only when the file gives none). By
default only the name of the structure under the mouse is written on the
image (the Structures dock is the legend); View > Structure names on the
image writes them all (gui.view_labels).

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
from gui.tools.overlay import contour_halo, outline_path
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

    def _on_base(self, view, s: Structure) -> bool:
        base = view.model.base
        return s.mask is not None and s.mask.series_uid == base.info.series_uid and s.mask.grid_shape == base.shape

    def hovered_key(self, view):
        """The key of the smallest visible structure under the mouse in ``view`` (None if none)."""
        zyx = getattr(view, "hover_index", None)
        if zyx is None or view.model.base is None:
            return None
        best = None
        for key, s in self._visible():
            if not self._on_base(view, s) or not mask_contains(s.mask, zyx):
                continue
            n = s.mask.array.size  # its box: cheap on every mouse move, and small boxes are small organs
            if best is None or n < best[0]:
                best = (n, key)
        return best[1] if best is not None else None

    def paint(self, view, painter: QPainter) -> None:
        base = view.model.base
        axis, k = view.slice_axis, view.slice_index
        if base is None or axis is None:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        all_names = view.labels.structure_names
        hovered = None if all_names else self.hovered_key(view)
        for key, s in self._visible():
            if not self._on_base(view, s):
                continue
            loops = self.outlines(key, s, axis, k)
            if not loops:
                continue
            color = QColor(*s.color)
            style = Qt.PenStyle.DashLine if s.is_organ_at_risk else Qt.PenStyle.SolidLine
            painter.setBrush(Qt.BrushStyle.NoBrush)
            path = outline_path(view, loops)
            # a thin contrasting halo under the ROI colour: a red GTV stays visible over a hot iron PET
            halo = contour_halo(color)
            halo.setAlpha(150)
            painter.setPen(QPen(halo, 2.6, Qt.PenStyle.SolidLine))
            painter.drawPath(path)
            painter.setPen(QPen(color, 1.3, style))
            painter.drawPath(path)
            if not (all_names or key == hovered):
                continue
            rect = path.boundingRect()
            # under the outline; placed by the view after the lesions' labels, which win the space, and
            # small structures before large ones (the spinal cord's name next to the cord, not BODY's)
            view.labels.add(QPointF(rect.center().x(), rect.bottom()), s.name, color,
                            kind=LabelKind.STRUCTURE, below=True, order=int(rect.width() * rect.height()))


def mask_contains(mask, zyx) -> bool:
    """Whether the voxel nearest the (fractional) base index ``zyx`` is inside ``mask`` (a LesionMask)."""
    idx = [int(round(float(v))) - o for v, o in zip(zyx, mask.offset)]
    if any(i < 0 or i >= n for i, n in zip(idx, mask.array.shape)):
        return False
    return bool(mask.array[tuple(idx)])


def structure_centre_index(mask) -> tuple[int, int, int] | None:
    """A voxel of ``mask`` (base index z, y, x) at its centre: the mask voxel nearest its centre of mass,
    so a ring-shaped or curved structure is jumped to on its outline, not into the hole."""
    pts = np.argwhere(mask.array)
    if pts.size == 0:
        return None
    centre = pts.mean(axis=0)
    nearest = pts[int(np.argmin(((pts - centre) ** 2).sum(axis=1)))]
    return tuple(int(v + o) for v, o in zip(nearest, mask.offset))

"""Carried-over lesions drawn on the current views as proposals: dashed outlines (a cross for a lesion
not found now) with "L1? progressing", as the PET candidates' preview is drawn dashed before acceptance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from core.contours import slice_outlines
from core.lesions import LesionMask
from core.tracking.status import LesionStatus
from gui.tools.overlay import contour_halo, outline_path
from gui.view_labels import LabelKind

STATUS_COLOURS = {
    LesionStatus.PROGRESSING: (255, 80, 60),
    LesionStatus.RESPONDING: (80, 220, 120),
    LesionStatus.STABLE: (255, 220, 0),
    LesionStatus.DISAPPEARED: (170, 170, 170),
    LesionStatus.UNKNOWN: (200, 160, 255),
    LesionStatus.NEW: (255, 140, 0),
}


@dataclass(frozen=True)
class Proposal:
    key: str  # the prior id
    status: LesionStatus
    mask: LesionMask | None  # on the current CT grid; None: not found (the carried-over point is marked)
    point_mm: tuple[float, float, float]

    @property
    def text(self) -> str:
        return f"{self.key}? {self.status.value}"


class ProposalOverlay:
    """Painted by each current slice view (its ``extra_overlays``); ``proposals()`` lists what to draw."""

    def __init__(self, proposals: Callable[[], list[Proposal]]):
        self._proposals = proposals
        self._cache: dict[tuple, list[np.ndarray]] = {}

    def clear(self) -> None:
        self._cache.clear()

    def paint(self, view, painter: QPainter) -> None:
        base = view.model.base
        axis, k = view.slice_axis, view.slice_index
        if base is None or axis is None:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for p in self._proposals():
            colour = QColor(*STATUS_COLOURS.get(p.status, (255, 220, 0)))
            if p.mask is not None and p.mask.series_uid == base.info.series_uid and p.mask.grid_shape == base.shape:
                ck = (p.key, id(p.mask), axis, k)
                if ck not in self._cache:
                    self._cache[ck] = slice_outlines(p.mask, axis, k)
                loops = self._cache[ck]
                if not loops:
                    continue
                path = outline_path(view, loops)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                halo = contour_halo(colour)
                halo.setAlpha(150)
                painter.setPen(QPen(halo, 2.6, Qt.PenStyle.SolidLine))
                painter.drawPath(path)
                painter.setPen(QPen(colour, 1.5, Qt.PenStyle.DashLine))
                painter.drawPath(path)
                rect = path.boundingRect()
                anchor = QPointF(rect.center().x(), rect.top())
            else:
                zyx = base.patient_to_index(np.asarray(p.point_mm, dtype=float))
                if abs(zyx[axis] - k) > 1.5:
                    continue
                anchor = view.index_to_widget(zyx)
                painter.setPen(QPen(colour, 1.5, Qt.PenStyle.DashLine))
                r = 6.0
                painter.drawLine(anchor + QPointF(-r, -r), anchor + QPointF(r, r))
                painter.drawLine(anchor + QPointF(-r, r), anchor + QPointF(r, -r))
            view.labels.add(anchor, p.text, colour, kind=LabelKind.STRUCTURE, below=False, order=0)

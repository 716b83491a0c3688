"""A coronal maximum-intensity projection (MIP) beside the slice views, as PET readers keep one on screen.

It shows the MIP of the PET (of the base series when no PET is loaded), dark uptake on white as nuclear
medicine shows it, in the screen orientation of the coronal slice view, with every lesion numbered at its
centre (numbers as in the lesion table and the lesion map) and a line at the crosshair's height.

* Clicking a lesion's number selects it and moves the slice views to its centre.
* Clicking anywhere else moves the slice views to the hottest voxel along that line of sight (the voxel
  the projection shows there).

The projection comes from :func:`core.lesion_map.mip`; this module only paints it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from core.lesion_map import lesion_centre_index, mip
from core.volume import Volume
from core.orientation import Plane, PlaneLayout, plane_layout
from gui.render import Window, gray_qimage, window_to_uint8
from gui.tools.overlay import lesion_color
from gui.viewer_model import ViewerModel, is_suv

#: SUV 0-8 as in the lesion map (gui.review.lesion_map_window); other units: the 1st-99.9th percentile
PET_MIP_WINDOW = Window.from_range(0.0, 8.0)
_TITLE_PX = 18
_MARKER_RADIUS_PX = 9.0
_CLICK_RADIUS_PX = 14.0
_LETTER_COLOR = QColor(255, 200, 60)
_CURSOR_COLOR = QColor(80, 200, 255, 200)


class MipView(QWidget):
    """The coronal MIP of the model's PET (or base volume), with lesion markers; clicks move the views."""

    def __init__(self, model: ViewerModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mip_view")
        self.model = model
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("PET MIP (coronal): click a number to go to that lesion, or a hot spot to go there")
        self.volume: Volume | None = None
        self.layout_info: PlaneLayout | None = None
        self._projection: np.ndarray | None = None  # screen order
        self._image: QImage | None = None
        self._gray: np.ndarray | None = None
        self._connections = (
            (model.events.volumes, self._on_model_volumes),
            (model.events.cursor, self._on_model_changed),
            (model.events.lesions, self._on_model_changed),
            (model.events.selection, self._on_model_changed),
            (model.events.lesion_changed, self._on_model_changed),
        )
        for signal, slot in self._connections:
            signal.connect(slot)
        self._on_model_volumes()

    def disconnect_model(self) -> None:
        for signal, slot in self._connections:
            signal.disconnect(slot)

    # ------------------------------------------------------------- model
    def _on_model_volumes(self) -> None:
        """A new series: project it again (only while shown: the projection of a whole body takes a while)."""
        self.volume = self.model.overlay if self.model.overlay is not None else self.model.base
        self._projection = None
        self._image = None
        if self.isVisible():
            self._ensure_projection()
        self.update()

    def _on_model_changed(self, *_args) -> None:
        self.update()

    def _ensure_projection(self) -> None:
        if self._image is not None or self.volume is None:
            return
        layout = plane_layout(self.volume, Plane.CORONAL)
        projection = layout.plane_to_screen(mip(self.volume, layout.slice_axis))
        if is_suv(self.volume):
            window = PET_MIP_WINDOW
        else:
            low, high = np.percentile(projection, [1.0, 99.9])
            window = Window.from_range(float(low), float(high) if high > low else float(low) + 1.0)
        gray = window_to_uint8(projection, window)
        if self.volume.modality.value == "PT":
            gray = 255 - gray  # dark uptake on white
        self.layout_info = layout
        self._projection = projection
        self._gray = np.ascontiguousarray(gray)
        self._image = gray_qimage(self._gray)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._ensure_projection()

    # ---------------------------------------------------------- geometry
    def image_rect(self) -> QRectF:
        """Where the projection is drawn (physical aspect kept, below the title row)."""
        lay = self.layout_info
        if lay is None:
            return QRectF()
        avail_h = max(1.0, self.height() - _TITLE_PX)
        scale = min(self.width() / lay.width_mm, avail_h / lay.height_mm)
        w, h = lay.width_mm * scale, lay.height_mm * scale
        return QRectF((self.width() - w) / 2, _TITLE_PX + (avail_h - h) / 2, w, h)

    def to_widget(self, row: float, col: float) -> QPointF:
        r, lay = self.image_rect(), self.layout_info
        return QPointF(r.left() + (col + 0.5) / lay.n_h * r.width(), r.top() + (row + 0.5) / lay.n_v * r.height())

    def to_image(self, pos: QPointF) -> tuple[float, float] | None:
        """Widget position -> projection (row, col), None outside the image."""
        r, lay = self.image_rect(), self.layout_info
        if lay is None or not r.contains(pos):
            return None
        return ((pos.y() - r.top()) / r.height() * lay.n_v - 0.5, (pos.x() - r.left()) / r.width() * lay.n_h - 0.5)

    def markers(self) -> list[tuple[int, str, QPointF]]:
        """(number, lesion id, widget position) of every lesion with a centre."""
        if self.layout_info is None or self.volume is None:
            return []
        out = []
        for number, lesion in enumerate(self.model.lesions, start=1):
            grid = self.model.grid_for(lesion.mask) if lesion.mask is not None else None
            centre = lesion_centre_index(lesion, grid, self.volume)
            if centre is None:
                continue
            out.append((number, lesion.id, self.to_widget(*self.layout_info.index_to_screen(centre))))
        return out

    # -------------------------------------------------------------- paint
    def paintEvent(self, event) -> None:  # noqa: N802
        self._ensure_projection()
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0))
        painter.setPen(QColor(220, 220, 220))
        name = "PET" if self.volume is not None and self.volume.modality.value == "PT" else \
            (self.volume.modality.value if self.volume is not None else "")
        painter.drawText(QRectF(4, 0, self.width() - 8, _TITLE_PX), Qt.AlignmentFlag.AlignLeft
                         | Qt.AlignmentFlag.AlignVCenter, f"{name} MIP coronal".strip())
        if self._image is None:
            painter.end()
            return
        rect = self.image_rect()
        painter.drawImage(rect, self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self._draw_cursor(painter, rect)
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        selected = self.model.selected_id
        for number, lesion_id, centre in self.markers():
            painter.setPen(QPen(QColor(255, 255, 255) if lesion_id == selected else QColor(0, 0, 0),
                                2.5 if lesion_id == selected else 1))
            painter.setBrush(lesion_color(lesion_id))
            painter.drawEllipse(centre, _MARKER_RADIUS_PX, _MARKER_RADIUS_PX)
            painter.setPen(QColor(0, 0, 0))
            r = _MARKER_RADIUS_PX
            painter.drawText(QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r), Qt.AlignmentFlag.AlignCenter,
                             str(number))
        self._draw_letters(painter, rect)
        painter.end()

    def _draw_cursor(self, painter: QPainter, rect: QRectF) -> None:
        """A dashed line at the crosshair's height and a tick at its left-right position."""
        base, lay = self.model.base, self.layout_info
        if base is None or lay is None or self.volume is None:
            return
        zyx = self.volume.patient_to_index(base.index_to_patient(np.asarray(self.model.cursor, float)))
        row, col = lay.index_to_screen(zyx)
        p = self.to_widget(row, col)
        pen = QPen(_CURSOR_COLOR, 1, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawLine(QPointF(rect.left(), p.y()), QPointF(rect.right(), p.y()))
        painter.drawLine(QPointF(p.x(), p.y() - 8), QPointF(p.x(), p.y() + 8))

    def _draw_letters(self, painter: QPainter, rect: QRectF) -> None:
        lay, A, m = self.layout_info, Qt.AlignmentFlag, 3
        for box, align, text in (
                (QRectF(rect.left() + m, rect.top(), 20, rect.height()), A.AlignLeft | A.AlignVCenter, lay.left),
                (QRectF(rect.right() - 20 - m, rect.top(), 20, rect.height()), A.AlignRight | A.AlignVCenter,
                 lay.right),
                (QRectF(rect.left(), rect.top() + m, rect.width(), 18), A.AlignHCenter | A.AlignTop, lay.top),
                (QRectF(rect.left(), rect.bottom() - 18 - m, rect.width(), 18), A.AlignHCenter | A.AlignBottom,
                 lay.bottom)):
            back = painter.boundingRect(box, align, text).adjusted(-2, 0, 2, 0)
            painter.fillRect(back, QColor(0, 0, 0, 170))
            painter.setPen(_LETTER_COLOR)
            painter.drawText(box, align, text)

    # -------------------------------------------------------------- mouse
    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.position()
        best = None
        for _number, lesion_id, centre in self.markers():
            d = float(np.hypot(centre.x() - pos.x(), centre.y() - pos.y()))
            if d <= _CLICK_RADIUS_PX and (best is None or d < best[0]):
                best = (d, lesion_id)
        if best is not None:
            self.model.set_selected(best[1])
            self.model.go_to_lesion(best[1])
            return
        self.go_to_point(pos)

    def go_to_point(self, pos: QPointF) -> bool:
        """Move the crosshair to the hottest voxel along the line of sight at ``pos``; False outside."""
        hit = self.to_image(pos)
        base, lay = self.model.base, self.layout_info
        if hit is None or base is None or lay is None or self.volume is None:
            return False
        row = int(np.clip(round(hit[0]), 0, lay.n_v - 1))
        col = int(np.clip(round(hit[1]), 0, lay.n_h - 1))
        ray_index = lay.screen_to_index(row, col, 0)
        line = [int(v) for v in ray_index]
        line[lay.slice_axis] = slice(None)
        values = np.asarray(self.volume.voxels[tuple(line)], dtype=np.float64)
        if np.isfinite(values).any():  # the middle of the hottest run (a uniform hot sphere: its centre)
            hottest = np.flatnonzero(values >= np.nanmax(values) - 1e-6 * max(1.0, abs(np.nanmax(values))))
            depth = int(hottest[len(hottest) // 2])
        else:
            depth = lay.n_slices // 2
        ray_index[lay.slice_axis] = depth
        self.model.set_cursor(base.patient_to_index(self.volume.index_to_patient(ray_index)))
        return True

"""The lesion map: every lesion numbered on coronal and sagittal MIPs, plus thumbnails.

Top row: maximum-intensity projections of the CT (and of the PET, inverted
grey as nuclear medicine shows it), coronal and sagittal, in the screen
orientation of the main views (core.orientation), each lesion numbered at its
centre. Below: one card per lesion with axial, coronal and sagittal crops
through its centre and its contour. Clicking a number or a card selects the
lesion and moves the three views there. Projections and crops come from
core.lesion_map; this module only paints them.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from core.contours import plane_axes, slice_outlines
from core.display import CT_MIP_RANGE, is_suv_unit, picture_range
from core.lesion_map import lesion_centre_index, lesion_crop, mip
from core.lesions import Lesion
from core.volume import Modality, Volume
from core.orientation import Plane, plane_layout
from gui.render import Window, gray_qimage, window_to_uint8
from gui.screen_fit import fit_to_screen
from gui.tools.overlay import lesion_color

if TYPE_CHECKING:  # annotations only
    from gui.viewer_model import ViewerModel

CT_MIP_WINDOW = Window.from_range(*CT_MIP_RANGE)
PET_MIP_WINDOW = Window.from_range(0.0, 8.0)
THUMB_PX = 120
_CLICK_RADIUS_PX = 14.0
LETTER_COLOR = QColor(255, 200, 60)  # the orientation letters, as on the slice views


class ImageTile(QWidget):
    """A grey image kept at its physical aspect, with numbered markers or outlines; clickable."""

    clicked = Signal(str)  # lesion id

    def __init__(self, title: str, gray: np.ndarray, aspect: float, parent: QWidget | None = None,
                 lesion_id: str = ""):
        super().__init__(parent)
        self.title = title
        self.gray = np.ascontiguousarray(gray)
        self.image = gray_qimage(self.gray)
        self.aspect = float(aspect)  # pixel height / pixel width
        self.lesion_id = lesion_id  # a thumbnail of one lesion: any click selects it
        self.markers: list[tuple[str, str, float, float, QColor]] = []  # (text, id, row, col, colour)
        self.outlines: list[tuple[np.ndarray, QColor]] = []  # (n, 2) (row, col) pixel-edge loops
        # orientation letters (left, right, top, bottom) as on the slice views, e.g. ("R", "L", "S", "I"):
        # without them a physicist could not tell the patient's right on a projection
        self.letters: tuple[str, str, str, str] | None = None
        self.setMinimumSize(THUMB_PX, THUMB_PX)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def image_rect(self) -> QRectF:
        h, w = self.gray.shape
        scale = min(self.width() / w, (self.height() - 16) / (h * self.aspect))
        dw, dh = w * scale, h * self.aspect * scale
        return QRectF((self.width() - dw) / 2, 16 + (self.height() - 16 - dh) / 2, dw, dh)

    def to_widget(self, row: float, col: float) -> QPointF:
        r = self.image_rect()
        h, w = self.gray.shape
        return QPointF(r.left() + (col + 0.5) / w * r.width(), r.top() + (row + 0.5) / h * r.height())

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(20, 20, 20))
        painter.setPen(QColor(220, 220, 220))
        painter.drawText(QRectF(2, 0, self.width() - 4, 15), Qt.AlignmentFlag.AlignLeft, self.title)
        painter.drawImage(self.image_rect(), self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for loop, color in self.outlines:
            painter.setPen(QPen(color, 1.8))
            painter.drawPolygon(QPolygonF([self.to_widget(r, c) for r, c in loop]))
        for text, _id, row, col, color in self.markers:
            centre = self.to_widget(row, col)
            painter.setPen(QPen(QColor(0, 0, 0), 1))
            painter.setBrush(color)
            painter.drawEllipse(centre, 9, 9)
            painter.setPen(QColor(0, 0, 0))
            painter.drawText(QRectF(centre.x() - 9, centre.y() - 9, 18, 18), Qt.AlignmentFlag.AlignCenter, text)
        if self.letters is not None:
            self._draw_letters(painter)
        painter.end()

    def letter_rects(self) -> list[tuple[QRectF, Qt.AlignmentFlag, str]]:
        """Where the orientation letters go: inside the image's edges, centred on each side."""
        if self.letters is None:
            return []
        r, A, m = self.image_rect(), Qt.AlignmentFlag, 3
        left, right, top, bottom = self.letters
        return [(QRectF(r.left() + m, r.top(), 20, r.height()), A.AlignLeft | A.AlignVCenter, left),
                (QRectF(r.right() - 20 - m, r.top(), 20, r.height()), A.AlignRight | A.AlignVCenter, right),
                (QRectF(r.left(), r.top() + m, r.width(), 18), A.AlignHCenter | A.AlignTop, top),
                (QRectF(r.left(), r.bottom() - 18 - m, r.width(), 18), A.AlignHCenter | A.AlignBottom, bottom)]

    def _draw_letters(self, painter: QPainter) -> None:
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        for rect, align, text in self.letter_rects():
            # on a dark backdrop: yellow on the white PET MIP could hardly be seen
            box = painter.boundingRect(rect, align, text).adjusted(-2, 0, 2, 0)
            painter.fillRect(box, QColor(0, 0, 0, 170))
            painter.setPen(LETTER_COLOR)
            painter.drawText(rect, align, text)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if self.lesion_id:
            self.clicked.emit(self.lesion_id)
            return
        pos = event.position()
        best = None
        for _text, lesion_id, row, col, _c in self.markers:
            p = self.to_widget(row, col)
            d = ((p.x() - pos.x()) ** 2 + (p.y() - pos.y()) ** 2) ** 0.5
            if d <= _CLICK_RADIUS_PX and (best is None or d < best[0]):
                best = (d, lesion_id)
        if best is not None:
            self.clicked.emit(best[1])


def projection_gray(volume: Volume, projection: np.ndarray) -> np.ndarray:
    """The grey levels of a MIP of ``volume``: a PET in SUV dark on white (as nuclear medicine shows
    MIPs; a PET shown alone too, which got the CT's range and came out black), a CT in its MIP range,
    anything else (MR) by its own values (core.display.picture_range)."""
    if volume.modality is Modality.PT or is_suv_unit(volume.unit):
        return 255 - window_to_uint8(projection, PET_MIP_WINDOW)
    if volume.unit == "HU":
        return window_to_uint8(projection, CT_MIP_WINDOW)
    return window_to_uint8(projection, Window.from_range(*picture_range(volume.unit, "", projection)))


class LesionMapWindow(QWidget):
    """A window of its own (parent: the main window) showing the lesion map of the window's case."""

    def __init__(self, parent: QWidget, model: ViewerModel):
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("lesion_map_window")
        self.setWindowTitle("OligoPlan — lesion map")
        self.model = model
        # the map shows one case's images: another case or patient closes it (the one per-case reset)
        self.model.events.case_closed.connect(self._on_model_case_closed)
        layout = QVBoxLayout(self)
        self.mip_row = QHBoxLayout()
        layout.addLayout(self.mip_row, 3)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        layout.addWidget(self.scroll, 2)
        self.projections: list[ImageTile] = []
        self.cards: dict[str, QFrame] = {}
        # 1200 x 900 when the screen has room; on a 1024 x 768 screen that was larger than the screen
        fit_to_screen(self, 1200, 900, parent.screen(), fraction=0.9)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        """Esc closes the map, as any viewer's pop-up window."""
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)

    def _on_model_case_closed(self) -> None:
        self.close()

    def disconnect_model(self) -> None:
        self.model.events.case_closed.disconnect(self._on_model_case_closed)

    def rebuild(self) -> None:
        """Recompute the projections and thumbnails from the shown images and lesions."""
        for tile in self.projections:
            tile.setParent(None)
        self.projections = []
        base, pet = self.model.base, self.model.overlay
        lesions = list(self.model.lesions)
        numbers = {lesion.id: n for n, lesion in enumerate(lesions, start=1)}
        if base is None:
            return
        volumes = [(base, "CT" if base.unit == "HU" else base.modality.value)]
        if pet is not None:
            volumes.append((pet, "PET"))
        for volume, name in volumes:
            for plane in (Plane.CORONAL, Plane.SAGITTAL):
                tile = self._projection(volume, name, plane, lesions, numbers)
                tile.clicked.connect(self.go_to)
                self.mip_row.addWidget(tile)
                self.projections.append(tile)
        grid_widget = QWidget()
        grid = QGridLayout(grid_widget)
        self.cards = {}
        for n, lesion in enumerate(lesions):
            card = self._card(numbers[lesion.id], lesion, base)
            grid.addWidget(card, n // 3, n % 3)
            self.cards[lesion.id] = card
        if not lesions:
            grid.addWidget(QLabel("No lesions yet: mark them in the views first.", grid_widget), 0, 0)
        self.scroll.setWidget(grid_widget)

    def _projection(self, volume: Volume, name: str, plane: Plane, lesions: list[Lesion], numbers) -> ImageTile:
        layout = plane_layout(volume, plane)
        projection = layout.plane_to_screen(mip(volume, layout.slice_axis))
        gray = projection_gray(volume, projection)
        tile = ImageTile(f"{name} MIP {plane.value}", gray, layout.pixel_h_mm / layout.pixel_w_mm, self)
        tile.setObjectName(f"mip_{name.lower()}_{plane.value}")
        tile.letters = (layout.left, layout.right, layout.top, layout.bottom)
        for lesion in lesions:
            grid = self.model.grid_for(lesion.mask) if lesion.mask is not None else None
            centre = lesion_centre_index(lesion, grid, volume)
            if centre is None:
                continue
            row, col = layout.index_to_screen(centre)
            tile.markers.append((str(numbers[lesion.id]), lesion.id, row, col, lesion_color(lesion.id)))
        return tile

    def _card(self, number: int, lesion: Lesion, base: Volume) -> QFrame:
        card = QFrame(self)
        card.setObjectName(f"lesion_card_{lesion.id}")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        box = QVBoxLayout(card)
        # the number on a badge of the lesion's colour (black on it, as on the map's markers) and the
        # name in the panel's text colour: lime or green text on the light panel could not be read
        title = QLabel(f"<span style='background-color:{lesion_color(lesion.id).name()}; color:#000000'>"
                       f"&nbsp;<b>{number}</b>&nbsp;</span> · "
                       + html.escape(f"{lesion.id} {lesion.label} ({lesion.site_text})"), card)
        title.setObjectName(f"lesion_card_title_{lesion.id}")
        box.addWidget(title)
        row = QHBoxLayout()
        grid = self.model.grid_for(lesion.mask) if lesion.mask is not None else None
        centre = lesion_centre_index(lesion, grid, base)
        for plane in Plane:
            if centre is None:
                break
            tile = self._thumbnail(lesion, base, centre, plane, card)
            tile.clicked.connect(self.go_to)
            row.addWidget(tile)
        box.addLayout(row)
        return card

    def _thumbnail(self, lesion: Lesion, base: Volume, centre, plane: Plane, parent) -> ImageTile:
        layout = plane_layout(base, plane)
        axis = layout.slice_axis
        crop = lesion_crop(base, lesion, centre, axis)
        # lung and bone lesions in their own windows, a PET in SUV 0-10, an MR by its pixels
        window = Window.from_range(*picture_range(base.unit, lesion.site.value, crop.image(base)))
        gray = window_to_uint8(layout.plane_to_screen(crop.image(base)), window)
        tile = ImageTile(plane.value, gray, layout.pixel_h_mm / layout.pixel_w_mm, parent, lesion_id=lesion.id)
        tile.setObjectName(f"thumb_{lesion.id}_{plane.value}")
        color = lesion_color(lesion.id)
        if lesion.mask is not None and self.model.grid_for(lesion.mask) is base:
            for loop in slice_outlines(lesion.mask, axis, crop.index):
                tile.outlines.append((_crop_screen(loop, layout, crop), color))
        elif lesion.point_mm is not None:
            local = np.asarray(centre, dtype=np.float64)
            a, b = plane_axes(axis)
            pt = _crop_screen(np.array([[local[a], local[b]]]), layout, crop)[0]
            tile.markers.append(("+", lesion.id, pt[0], pt[1], color))
        return tile

    def go_to(self, lesion_id: str) -> None:
        """Select the lesion and move the main window's views to it."""
        if lesion_id in self.model.lesions:
            self.model.set_selected(lesion_id)
            self.model.go_to_lesion(lesion_id)


def _crop_screen(points_ab: np.ndarray, layout, crop) -> np.ndarray:
    """Plane (a, b) coordinates -> (row, col) in the crop shown in screen order."""
    a_axis, _b_axis = plane_axes(crop.axis)
    local = np.asarray(points_ab, dtype=np.float64) - np.array([crop.a0, crop.b0])
    n_a, n_b = crop.shape
    if layout.v_axis == a_axis:
        rows, cols, n_rows, n_cols = local[:, 0], local[:, 1], n_a, n_b
    else:
        rows, cols, n_rows, n_cols = local[:, 1], local[:, 0], n_b, n_a
    if layout.v_flip:
        rows = n_rows - 1 - rows
    if layout.h_flip:
        cols = n_cols - 1 - cols
    return np.stack([rows, cols], axis=1)

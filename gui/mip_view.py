"""A maximum-intensity projection (MIP) beside the slice views that turns, as PET readers keep one on screen
(MIM, syngo.via): the 2 x 2 layout's fourth view.

It shows the MIP of the PET (of the base series when no PET is loaded), dark uptake on white as nuclear
medicine shows it, with every lesion numbered where it projects (numbers as in the lesion table and the lesion
map) and a line at the crosshair's height. The first frame is the fixed coronal MIP, seen from the front; the
other frames of a turn around the head-feet axis (:mod:`core.rotating_mip`, every 10 degrees) are computed in
the background once the view is shown.

* The play button (top right) spins the MIP and stops it; dragging sideways turns it by hand.
* Clicking a lesion's number selects it and moves the slice views to its centre.
* Clicking anywhere else, at any angle, moves the slice views to the hottest voxel along that line of sight
  (the voxel the projection shows there: its depth is where the maximum lies).

This module only paints and turns: the projections and their geometry come from core.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolButton, QWidget

from core.lesion_map import lesion_centre_index
from core.rotating_mip import DEFAULT_ANGLES, MipGeometry, angles
from core.volume import Volume
from core.orientation import PlaneLayout
from gui.render import Window, gray_qimage, window_to_uint8
from gui.tools.overlay import lesion_color
from gui.viewer_model import ViewerModel, is_suv
from gui.workers import TaskRunner

#: SUV 0-8 as in the lesion map (gui.review.lesion_map_window); other units: the 1st-99.9th percentile
PET_MIP_WINDOW = Window.from_range(0.0, 8.0)
_TITLE_PX = 22
_MARKER_RADIUS_PX = 9.0
_CLICK_RADIUS_PX = 14.0
_LETTER_COLOR = QColor(255, 200, 60)
_CURSOR_COLOR = QColor(80, 200, 255, 200)
SPIN_FRAME_MS = 100  # ten frames a second: a turn in 3.6 s, as reading stations spin
DRAG_PX_PER_FRAME = 6  # a sideways drag of 6 px turns the MIP by one frame (10 degrees)
_DRAG_START_PX = 4  # a press that moves less than this is a click
PLAY_TEXT, STOP_TEXT = "▶ Turn", "■ Stop"
TURN_BATCH = 4  # frames computed per background task (each batch shows as soon as it is done)


def coarse_first(n: int) -> list[int]:
    """Frames 1..n-1 in the order they are computed: the quarter turns, then every third, then the rest (36
    angles: 90, 180, 270 degrees, then every 30, then every 10)."""
    order: list[int] = []
    for step in sorted({max(1, n // 4), max(1, n // 12), 1}, reverse=True):
        order.extend(i for i in range(step, n, step) if i not in order)
    return order


class MipView(QWidget):
    """The coronal MIP of the model's PET (or base volume), with lesion markers; clicks move the views."""

    def __init__(self, model: ViewerModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mip_view")
        self.model = model
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("PET MIP: click a number to go to that lesion, or a hot spot to go there (at any "
                        "angle); drag sideways or press play to turn it")
        self.volume: Volume | None = None
        self.layout_info: PlaneLayout | None = None
        self.geometry_info: MipGeometry | None = None
        self.angles = angles(DEFAULT_ANGLES)
        self.frame_index = 0  # the angle shown: 0 = the fixed coronal MIP
        self._window: Window | None = None
        self._projection: np.ndarray | None = None  # the coronal frame, screen order
        self._image: QImage | None = None  # the coronal frame
        self._gray: np.ndarray | None = None
        self._frames: list[tuple[np.ndarray, QImage] | None] = [None] * len(self.angles)  # (grey, image)
        self._frames_for: Volume | None = None  # the volume whose turn is being computed or is there
        self._progress = ""  # "turn 40 %" while the frames are computed
        self._runner = TaskRunner(self)
        self._pending: list[list[tuple[int, float]]] = []  # batches of (frame, angle) still to compute
        self._press: QPointF | None = None
        self._drag_from: tuple[float, int] | None = None  # (x at the press, frame then) once a drag began
        self.spin_timer = QTimer(self)
        self.spin_timer.setInterval(SPIN_FRAME_MS)
        self.spin_timer.timeout.connect(self._on_spin_timer)
        self.play_button = QToolButton(self)
        self.play_button.setObjectName("mip_play_button")
        self.play_button.setCheckable(True)
        self.play_button.setAutoRaise(True)
        self.play_button.setStyleSheet("QToolButton { color: #e0e0e0; border: 1px solid #606060; padding: 0 4px; }"
                                       " QToolButton:checked { color: #ffc83c; }")
        self.play_button.setText(PLAY_TEXT)
        self.play_button.setToolTip("Turn the MIP around the patient (again: stop); drag sideways to turn it "
                                    "by hand")
        self.play_button.toggled.connect(self.set_spinning)
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
        self.spin_timer.stop()
        self._runner.shutdown()

    # ------------------------------------------------------------- model
    def _on_model_volumes(self) -> None:
        """A new series: project it again (only while shown: the projection of a whole body takes a while)."""
        self.volume = self.model.overlay if self.model.overlay is not None else self.model.base
        self._projection = None
        self._image = None
        self._runner.cancel()  # another patient's or series' turn is of no use (a late one is dropped)
        self._pending = []
        self._frames = [None] * len(self.angles)
        self._frames_for = None
        self._progress = ""
        self.set_frame(0)  # the coronal MIP first, for every new series
        if self.isVisible():
            self._ensure_projection()
        self.update()

    def _on_model_changed(self, *_args) -> None:
        self.update()

    def _ensure_projection(self) -> None:
        if self._image is not None or self.volume is None:
            return
        geometry = MipGeometry.of(self.volume)
        projection = geometry.frame(self.volume, 0.0)  # the fixed coronal MIP
        if is_suv(self.volume):
            window = PET_MIP_WINDOW
        else:
            low, high = np.percentile(projection, [1.0, 99.9])
            window = Window.from_range(float(low), float(high) if high > low else float(low) + 1.0)
        self.geometry_info = geometry
        self.layout_info = geometry.layout
        self._window = window
        self._projection = projection
        self._gray, self._image = self._to_image(projection)
        self._frames[0] = (self._gray, self._image)
        self._start_turn()

    def _to_image(self, projection: np.ndarray) -> tuple[np.ndarray, QImage]:
        gray = window_to_uint8(projection, self._window)
        if self.volume is not None and self.volume.modality.value == "PT":
            gray = 255 - gray  # dark uptake on white
        gray = np.ascontiguousarray(gray)
        return gray, gray_qimage(gray)

    def _start_turn(self) -> None:
        """The other frames of the turn, in the background, a few at a time and the quarter turns first:
        the turn can be spun (coarsely) before all of it is there (a whole-body PET takes seconds)."""
        volume, geometry = self.volume, self.geometry_info
        if volume is None or geometry is None or self._frames_for is volume:
            return
        self._frames_for = volume
        order = coarse_first(len(self.angles))
        self._pending = [[(i, self.angles[i]) for i in order[k:k + TURN_BATCH]]
                         for k in range(0, len(order), TURN_BATCH)]
        self._progress = "turn 0 %"
        self._next_batch(volume, geometry, {})

    def _next_batch(self, volume: Volume, geometry: MipGeometry, shared: dict) -> None:
        """``shared`` holds the volume prepared by the first batch for the next ones (the pool runs one at
        a time); it is dropped with the last batch."""
        if volume is not self.volume or not self._pending:
            shared.clear()
            return
        batch = self._pending.pop(0)

        def work(progress, cancel):
            if "rows" not in shared:
                shared["rows"] = geometry.prepared(volume)
            return [(i, geometry.frame(volume, angle, cancel, shared["rows"])) for i, angle in batch]

        self._runner.start(work, "PET MIP turn", on_done=partial(self._on_batch_done, volume, geometry, shared),
                           on_failed=partial(self._on_turn_failed, volume))

    def _on_batch_done(self, volume: Volume, geometry: MipGeometry, shared: dict, frames: list) -> None:
        if volume is not self.volume:
            shared.clear()
            return  # a series shown since: its own turn comes
        for i, projection in frames:
            self._frames[i] = self._to_image(projection)
        ready = sum(f is not None for f in self._frames)
        self._progress = f"turn {100 * ready // len(self._frames)} %" if ready < len(self._frames) else ""
        self.update()
        self._next_batch(volume, geometry, shared)

    def _on_turn_failed(self, volume: Volume, exc: BaseException) -> None:
        """The coronal MIP stays (and works); the turn is not offered, and the title says why."""
        if volume is self.volume:
            self._progress = "no turn: out of memory" if isinstance(exc, MemoryError) else "no turn"
            self.play_button.setEnabled(False)
            self.play_button.setToolTip(f"The MIP cannot turn: {exc}")
            self.update()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self._ensure_projection()

    def hideEvent(self, event) -> None:  # noqa: N802
        super().hideEvent(event)
        self.play_button.setChecked(False)  # a hidden view does not spin

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        width = max(self.play_button.fontMetrics().horizontalAdvance(t) for t in (PLAY_TEXT, STOP_TEXT)) + 14
        self.play_button.setGeometry(self.width() - width - 2, 1, width, _TITLE_PX)

    # -------------------------------------------------------------- turn
    @property
    def angle_deg(self) -> float:
        return self.angles[self.frame_index]

    def frame_ready(self, index: int) -> bool:
        return self._frames[index] is not None

    def turn_ready(self) -> bool:
        """Every frame of the turn computed."""
        return all(f is not None for f in self._frames)

    def set_frame(self, index: int) -> None:
        """Show the frame ``index`` (0: the coronal MIP; taken modulo the number of angles)."""
        self.frame_index = int(index) % len(self.angles)
        self.update()

    def set_spinning(self, on: bool) -> None:
        """Turn the MIP (frames not computed yet are skipped) or stop it."""
        if self.play_button.isChecked() != on:
            self.play_button.setChecked(on)  # emits toggled: back here
            return
        self.play_button.setText(STOP_TEXT if on else PLAY_TEXT)
        if on:
            self.spin_timer.start()
        else:
            self.spin_timer.stop()

    def _on_spin_timer(self) -> None:
        self.step(1)

    def step(self, frames: int) -> None:
        """Turn by ``frames`` frames (negative: the other way), over frames not computed yet."""
        n = len(self.angles)
        index = self.frame_index
        for _ in range(n):
            index = (index + (1 if frames >= 0 else -1)) % n
            if self._frames[index] is not None:
                frames -= 1 if frames >= 0 else -1
                if frames == 0:
                    break
        if self._frames[index] is not None:
            self.set_frame(index)

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
        """(number, lesion id, widget position) of every lesion with a centre, where it projects at the
        angle shown."""
        if self.geometry_info is None or self.volume is None:
            return []
        out = []
        for number, lesion in enumerate(self.model.lesions, start=1):
            grid = self.model.grid_for(lesion.mask) if lesion.mask is not None else None
            centre = lesion_centre_index(lesion, grid, self.volume)
            if centre is None:
                continue
            out.append((number, lesion.id, self.to_widget(*self.geometry_info.project(centre, self.angle_deg))))
        return out

    # -------------------------------------------------------------- paint
    def title(self) -> str:
        """'PET MIP coronal', 'PET MIP 40°' (and 'turn 40 %' while the frames are computed)."""
        name = "PET" if self.volume is not None and self.volume.modality.value == "PT" else \
            (self.volume.modality.value if self.volume is not None else "")
        angle = "coronal" if self.frame_index == 0 else f"{self.angle_deg:.0f}°"
        return " ".join(p for p in (name, "MIP", angle, f"({self._progress})" if self._progress else "") if p)

    def paintEvent(self, event) -> None:  # noqa: N802
        self._ensure_projection()
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0))
        painter.setPen(QColor(220, 220, 220))
        painter.drawText(QRectF(4, 0, self.play_button.x() - 8, _TITLE_PX), Qt.AlignmentFlag.AlignLeft
                         | Qt.AlignmentFlag.AlignVCenter, self.title())
        frame = self._frames[self.frame_index]
        if frame is None:
            painter.end()
            return
        rect = self.image_rect()
        painter.drawImage(rect, frame[1])
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
        """A dashed line at the crosshair's height and a tick where it projects across."""
        base, geometry = self.model.base, self.geometry_info
        if base is None or geometry is None or self.volume is None:
            return
        zyx = self.volume.patient_to_index(base.index_to_patient(np.asarray(self.model.cursor, float)))
        p = self.to_widget(*geometry.project(zyx, self.angle_deg))
        pen = QPen(_CURSOR_COLOR, 1, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawLine(QPointF(rect.left(), p.y()), QPointF(rect.right(), p.y()))
        painter.drawLine(QPointF(p.x(), p.y() - 8), QPointF(p.x(), p.y() + 8))

    def _draw_letters(self, painter: QPainter, rect: QRectF) -> None:
        left, right, top, bottom = self.geometry_info.letters(self.angle_deg)
        A, m = Qt.AlignmentFlag, 3
        for box, align, text in (
                (QRectF(rect.left() + m, rect.top(), 24, rect.height()), A.AlignLeft | A.AlignVCenter, left),
                (QRectF(rect.right() - 24 - m, rect.top(), 24, rect.height()), A.AlignRight | A.AlignVCenter,
                 right),
                (QRectF(rect.left(), rect.top() + m, rect.width(), 18), A.AlignHCenter | A.AlignTop, top),
                (QRectF(rect.left(), rect.bottom() - 18 - m, rect.width(), 18), A.AlignHCenter | A.AlignBottom,
                 bottom)):
            back = painter.boundingRect(box, align, text).adjusted(-2, 0, 2, 0)
            painter.fillRect(back, QColor(0, 0, 0, 170))
            painter.setPen(_LETTER_COLOR)
            painter.drawText(box, align, text)

    # -------------------------------------------------------------- mouse
    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position()
            self._drag_from = None

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        """A sideways drag turns the MIP (one frame per DRAG_PX_PER_FRAME px), as reading stations do."""
        if self._press is None or not (event.buttons() & Qt.MouseButton.LeftButton):
            return
        dx = event.position().x() - self._press.x()
        if self._drag_from is None and abs(dx) >= _DRAG_START_PX:
            self._drag_from = (self._press.x(), self.frame_index)
            self.set_spinning(False)
        if self._drag_from is not None:
            x0, frame0 = self._drag_from
            wanted = frame0 + int((event.position().x() - x0) / DRAG_PX_PER_FRAME)
            if self._frames[wanted % len(self.angles)] is not None:
                self.set_frame(wanted)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self._press is None:
            return
        dragged = self._drag_from is not None
        self._press, self._drag_from = None, None
        if not dragged:
            self.click(event.position())

    def click(self, pos: QPointF) -> None:
        """A click at ``pos``: on a lesion's number, that lesion; elsewhere, the hottest point there."""
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
        """Move the crosshair to the hottest voxel along the line of sight at ``pos`` (at the angle shown);
        False outside the image."""
        hit = self.to_image(pos)
        base, geometry = self.model.base, self.geometry_info
        if hit is None or base is None or geometry is None or self.volume is None:
            return False
        index = geometry.hottest_along_ray(self.volume, hit[0], hit[1], self.angle_deg)
        if index is None:
            return False
        self.model.set_cursor(base.patient_to_index(self.volume.index_to_patient(index)))
        return True

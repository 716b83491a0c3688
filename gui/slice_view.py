"""One orthogonal view (axial, coronal or sagittal) of the :class:`ViewerModel`.

Rendering is on demand: the view converts only the slice it shows, when it
paints and the slice or window changed since the last paint (one slice per
view per change). The overlay plane comes from the model's
:class:`core.resample.PlaneResampler`, which caches the last few planes.

Mouse and keys (also listed in Help > Mouse and keyboard):

* left click / drag: move the crosshair (the other views follow);
* right drag: window/level (horizontal = width, vertical = level);
* wheel, Up/Down arrows: previous/next slice; PageUp/PageDown: 10 slices;
* Ctrl+wheel or Ctrl+right drag: zoom; middle drag or Shift+left drag: pan.

With a lesion tool active (gui.tools), the left button belongs to the tool;
everything else stays as above. Lesions are drawn by
:class:`gui.tools.overlay.LesionOverlay`, outlined on the shown slice only.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QFontMetricsF, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from core.orientation import Plane, PlaneLayout, plane_layout
from gui.render import Window, colorize, gray_qimage, rgba_qimage, window_to_uint8
from gui.tools.overlay import LesionOverlay
from gui.view_labels import ViewLabels
from gui.viewer_model import ViewerModel

_CROSSHAIR_COLOR = QColor(80, 220, 255, 190)
_LETTER_COLOR = QColor(255, 200, 60)
_TEXT_COLOR = QColor(230, 230, 230)
_LETTER_ROW_PX = 24  # height of the row an orientation letter takes at the top or bottom
_CROSSHAIR_GAP_PX = 10
_ZOOM_STEP = 1.15
_ZOOM_LIMITS = (0.25, 40.0)


class ViewShows(str, Enum):
    """What a view draws: the base with the overlay fused (every view but two), the base alone, or the
    overlay alone (opaque, in the PET colour map): the CT | fused | PET layout (gui.view_grid)."""

    FUSED = "fused"
    BASE = "base"
    OVERLAY = "overlay"


class SliceView(QWidget):
    """Shows one plane of the model's base volume (and overlay) with a crosshair.

    Signals
    -------
    hovered(object)
        A :class:`gui.viewer_model.Probe` for the voxel under the mouse, or
        None when the mouse left the image.
    """

    hovered = Signal(object)

    def __init__(self, model: ViewerModel, plane: Plane | str, parent: QWidget | None = None,
                 shows: ViewShows = ViewShows.FUSED):
        super().__init__(parent)
        self.model = model
        self.plane = Plane(plane)
        self.shows = ViewShows(shows)
        suffix = {ViewShows.FUSED: "", ViewShows.BASE: "_base", ViewShows.OVERLAY: "_overlay"}[self.shows]
        self.setObjectName(f"{self.plane.value}{suffix}_view")
        #: views that share this one's zoom and pan (the three axial views of CT | fused | PET)
        self.linked_views: list[SliceView] = []
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 160)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._layout: PlaneLayout | None = None
        self._zoom = 1.0
        self._pan = QPointF(0.0, 0.0)
        self._base_key: tuple | None = None
        self._base_pixels: np.ndarray | None = None
        self._base_image: QImage | None = None
        self._overlay_key: tuple | None = None
        self._overlay_pixels: np.ndarray | None = None
        self._overlay_image: QImage | None = None
        self._drag: tuple | None = None  # (mode, start QPointF, start value)
        self._wheel_accum = 0
        self.render_count = 0  # slices converted to pixels (base + overlay), for tests/bench
        self._connections = (
            (model.events.volumes, self._on_model_volumes),
            (model.events.cursor, self._on_model_cursor),
            (model.events.window, self._on_model_window),
            (model.events.overlay, self._on_model_overlay),
        )
        for signal, slot in self._connections:
            signal.connect(slot)
        #: labels of lesions, the practice reference and structures, placed together at the end of a paint
        self.labels = ViewLabels()
        self.lesion_overlay = LesionOverlay(self)
        #: more painters over the lesions (e.g. the practice reference): objects with paint(view, painter)
        self.extra_overlays: list = []
        self.tools = None  # a gui.tools.ToolManager, set by the window
        #: base index (z, y, x) under the mouse, None when it is off the image (hover labels)
        self.hover_index: np.ndarray | None = None
        self._hover_keys: tuple = ()
        self._on_model_volumes()

    def disconnect_model(self) -> None:
        """Stop following the model (called when the window closes)."""
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self.lesion_overlay.disconnect()
        if self.tools is not None:
            self.tools.changed.disconnect(self.update)
            self.tools.tool_changed.disconnect(self._on_tools_tool_changed)
            self.tools = None

    def set_tools(self, tools) -> None:
        """Route the left button to the active tool of ``tools`` (a gui.tools.ToolManager)."""
        self.tools = tools
        tools.changed.connect(self.update)
        tools.tool_changed.connect(self._on_tools_tool_changed)
        self._on_tools_tool_changed(tools.active.name)

    def _on_tools_tool_changed(self, name: str) -> None:
        self.setCursor(self.tools.active.cursor if self.tools is not None else Qt.CursorShape.ArrowCursor)

    # ------------------------------------------------------------ properties
    @property
    def layout_info(self) -> PlaneLayout | None:
        return self._layout

    @property
    def slice_index(self) -> int | None:
        if self._layout is None:
            return None
        return self.model.cursor[self._layout.slice_axis]

    @property
    def slice_axis(self) -> int | None:
        """The array axis normal to the shown plane (0 = z, 1 = y, 2 = x)."""
        return self._layout.slice_axis if self._layout is not None else None

    @property
    def plane_axes(self) -> tuple[int, int]:
        """The array axes (a, b) of plane coordinates, in increasing order (core.contours)."""
        a, b = (k for k in range(3) if k != self._layout.slice_axis)
        return a, b

    @property
    def plane_shape(self) -> tuple[int, int]:
        shape = self.model.base.shape
        a, b = self.plane_axes
        return shape[a], shape[b]

    @property
    def plane_spacing_mm(self) -> tuple[float, float]:
        spacing = self.model.base.spacing_mm
        a, b = self.plane_axes
        return spacing[a], spacing[b]

    @property
    def pixels_per_mm(self) -> float:
        """Widget pixels per millimetre at the current zoom (the same across and down)."""
        return self.image_rect().width() / self._layout.width_mm if self._layout is not None else 1.0

    @property
    def zoom(self) -> float:
        return self._zoom

    @property
    def pan(self) -> QPointF:
        return QPointF(self._pan)

    def set_zoom_pan(self, zoom: float, pan: QPointF) -> bool:
        """Show the image at ``zoom`` (1: fitted) moved by ``pan`` (widget pixels), as another view says
        (the prior's views of Compare with prior follow the current ones); repaints only when it changed."""
        if abs(self._zoom - zoom) <= 1e-9 and self._pan == pan:
            return False
        self._zoom, self._pan = float(zoom), QPointF(pan)
        self.update()
        return True

    def reset_view(self) -> None:
        self._zoom = 1.0
        self._pan = QPointF(0.0, 0.0)
        self.update()
        self._share_zoom_pan()

    def _share_zoom_pan(self) -> None:
        """The linked views take this one's zoom and pan (the same widget size shows the same region)."""
        for view in self.linked_views:
            if view is not self and (view._zoom != self._zoom or view._pan != self._pan):
                view._zoom, view._pan = self._zoom, QPointF(self._pan)
                view.update()

    # -------------------------------------------------------- model events
    def _on_model_volumes(self) -> None:
        base = self.model.base
        self._layout = plane_layout(base, self.plane) if base is not None else None
        self._base_key = self._overlay_key = None
        self._base_pixels = self._overlay_pixels = None
        self._base_image = self._overlay_image = None
        self._zoom, self._pan = 1.0, QPointF(0.0, 0.0)
        self.update()

    def _on_model_cursor(self, old, new) -> None:
        self.update()

    def _on_model_window(self) -> None:
        self.update()

    def _on_model_overlay(self) -> None:
        self.update()

    # ------------------------------------------------------------ geometry
    def image_rect(self) -> QRectF:
        """Where the slice image is drawn, in widget pixels (physical aspect kept)."""
        lay = self._layout
        if lay is None:
            return QRectF()
        w_mm, h_mm = lay.width_mm, lay.height_mm
        # fitted between the rows of the orientation letters: filling the whole height, a whole-body
        # coronal or sagittal had its feet (and head) under the "I" (and "S") letters
        fit_h = max(1.0, self.height() - 2 * _LETTER_ROW_PX)
        scale = min(self.width() / w_mm, fit_h / h_mm) * self._zoom
        size_w, size_h = w_mm * scale, h_mm * scale
        left = (self.width() - size_w) / 2.0 + self._pan.x()
        top = (self.height() - size_h) / 2.0 + self._pan.y()
        return QRectF(left, top, size_w, size_h)

    def widget_to_index(self, pos: QPointF) -> np.ndarray | None:
        """Fractional base index (z, y, x) under a widget position, on the shown slice."""
        lay = self._layout
        if lay is None:
            return None
        rect = self.image_rect()
        col = (pos.x() - rect.left()) / rect.width() * lay.n_h - 0.5
        row = (pos.y() - rect.top()) / rect.height() * lay.n_v - 0.5
        return lay.screen_to_index(row, col, self.slice_index)

    def index_to_widget(self, zyx) -> QPointF:
        """Widget position of the centre of a base voxel (z, y, x)."""
        lay = self._layout
        rect = self.image_rect()
        row, col = lay.index_to_screen(zyx)
        return QPointF(
            rect.left() + (col + 0.5) * rect.width() / lay.n_h,
            rect.top() + (row + 0.5) * rect.height() / lay.n_v,
        )

    def inside(self, zyx: np.ndarray) -> bool:
        """Whether a fractional index lies in the base volume."""
        upper = np.array(self.model.base.shape) - 0.5
        return bool(np.all(zyx >= -0.5) and np.all(zyx < upper))

    def plane_point(self, pos: QPointF) -> np.ndarray | None:
        """Plane coordinates (a, b) of a widget position on the shown slice."""
        zyx = self.widget_to_index(pos)
        if zyx is None:
            return None
        a, b = self.plane_axes
        return np.array([zyx[a], zyx[b]], dtype=np.float64)

    def plane_to_widget(self, points: np.ndarray) -> np.ndarray:
        """(n, 2) plane coordinates (a, b) -> (n, 2) widget (x, y), fractional allowed."""
        lay = self._layout
        rect = self.image_rect()
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        a, b = self.plane_axes
        by_axis = {a: pts[:, 0], b: pts[:, 1]}
        v, h = by_axis[lay.v_axis], by_axis[lay.h_axis]
        row = (lay.n_v - 1 - v) if lay.v_flip else v
        col = (lay.n_h - 1 - h) if lay.h_flip else h
        x = rect.left() + (col + 0.5) * rect.width() / lay.n_h
        y = rect.top() + (row + 0.5) * rect.height() / lay.n_v
        return np.stack([x, y], axis=-1)

    # ----------------------------------------------------------- rendering
    def _current_base_image(self) -> QImage:
        k = self.slice_index
        window = self.model.base_window
        cmap = self.model.base_cmap  # a PET shown alone takes the PET colour map; CT and MR are grey
        key = (k, window, cmap)
        if key != self._base_key:
            plane = self._layout.image_view(self.model.base.voxels, k)
            if cmap is None:
                self._base_pixels = window_to_uint8(plane, window)
                self._base_image = gray_qimage(self._base_pixels)
            else:
                self._base_pixels = colorize(plane, window, cmap, opaque=True)
                self._base_image = rgba_qimage(self._base_pixels)
            self._base_key = key
            self.render_count += 1
        return self._base_image

    def _current_overlay_image(self) -> QImage | None:
        sampler = self.model.sampler
        if sampler is None:
            return None
        k = self.slice_index
        key = (k, self.model.overlay_window, self.model.overlay_cmap)
        if key != self._overlay_key:
            values = sampler.plane(self._layout.slice_axis, k)
            screen = self._layout.plane_to_screen(values)
            # alone (CT | fused | PET), the PET is opaque: no ramp to transparent over black
            self._overlay_pixels = colorize(screen, self.model.overlay_window, self.model.overlay_cmap,
                                            opaque=self.shows is ViewShows.OVERLAY)
            self._overlay_image = rgba_qimage(self._overlay_pixels)
            self._overlay_key = key
            self.render_count += 1
        return self._overlay_image

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if self._layout is None:
            painter.setPen(QColor(150, 150, 150))
            painter.drawText(
                self.rect().adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                f"{self.plane.title}\n\nOpen a folder with File > Open folder (Ctrl+O)",
            )
            painter.end()
            return
        rect = self.image_rect()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        if self.shows is ViewShows.OVERLAY:
            overlay = self._current_overlay_image()
            if overlay is not None:
                painter.drawImage(rect, overlay)
            else:
                painter.setPen(QColor(150, 150, 150))
                painter.drawText(self.rect().adjusted(8, 0, -8, 0),
                                 Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                                 "No PET overlay: open a PET series over the CT")
        else:
            painter.drawImage(rect, self._current_base_image())
        if self.shows is ViewShows.FUSED and self.model.shows_overlay:
            overlay = self._current_overlay_image()
            if overlay is not None:
                painter.setOpacity(self.model.overlay_opacity)
                painter.drawImage(rect, overlay)
                painter.setOpacity(1.0)
        self.labels.begin()
        self.lesion_overlay.paint(painter)
        for extra in self.extra_overlays:
            extra.paint(self, painter)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self._draw_crosshair(painter)
        if self.tools is not None:
            self.tools.paint(self, painter)
        text = self.text_items()
        # labels over outlines and crosshair, kept off the corner text and the orientation letters
        self.labels.paint(painter, QRectF(self.rect()), [_text_box(*item[:4]) for item in text])
        self._draw_text(painter, text)
        painter.end()

    def _draw_crosshair(self, painter: QPainter) -> None:
        centre = self.index_to_widget(self.model.cursor)
        rect = self.image_rect()
        pen = QPen(_CROSSHAIR_COLOR, 1.0)
        painter.setPen(pen)
        gap = _CROSSHAIR_GAP_PX
        x, y = centre.x(), centre.y()
        painter.drawLine(QPointF(rect.left(), y), QPointF(x - gap, y))
        painter.drawLine(QPointF(x + gap, y), QPointF(rect.right(), y))
        painter.drawLine(QPointF(x, rect.top()), QPointF(x, y - gap))
        painter.drawLine(QPointF(x, y + gap), QPointF(x, rect.bottom()))

    @staticmethod
    def _draw_text(painter: QPainter, items: list[tuple[QRectF, Qt.AlignmentFlag, str, QFont, QColor]]) -> None:
        for rect, align, text, font, color in items:
            painter.setFont(font)
            _shadow_text(painter, rect, align, text, color)

    def text_items(self) -> list[tuple[QRectF, Qt.AlignmentFlag, str, QFont, QColor]]:
        """What _draw_text writes: the four orientation letters, the slice number (top left) and the
        window / overlay lines (bottom left), each with its rectangle. A corner text wider than the room
        beside the centred letter moves inward, below the top letter or above the bottom one, and is
        elided to the view's width: in a narrow view ("Axial 56/96" at 160 px) it ran under the "A"
        and "W 400  L 40 HU" was cut mid-word."""
        lay = self._layout
        letter_font = QFont(self.font())
        letter_font.setPixelSize(16)
        letter_font.setBold(True)
        w, h, m = self.width(), self.height(), 6
        A = Qt.AlignmentFlag
        items = [
            (QRectF(m, 0, 60, h), A.AlignLeft | A.AlignVCenter, lay.left, letter_font, _LETTER_COLOR),
            (QRectF(w - 60 - m, 0, 60, h), A.AlignRight | A.AlignVCenter, lay.right, letter_font, _LETTER_COLOR),
            (QRectF(0, m, w, _LETTER_ROW_PX), A.AlignHCenter | A.AlignTop, lay.top, letter_font, _LETTER_COLOR),
            (QRectF(0, h - _LETTER_ROW_PX - m, w, _LETTER_ROW_PX), A.AlignHCenter | A.AlignBottom, lay.bottom,
             letter_font, _LETTER_COLOR),
        ]
        font = QFont(self.font())
        font.setPixelSize(12)
        fm = QFontMetrics(font)
        k = self.slice_index
        what = {ViewShows.FUSED: "", ViewShows.BASE: f" ({self.model.base.modality.value} alone)",
                ViewShows.OVERLAY: " (PET alone)"}[self.shows]
        top_left = f"{self.plane.title}{what}  {k + 1}/{lay.n_slices}"
        bw = self.model.base_window
        unit = self.model.base.unit
        lines = [f"W {_fmt(bw.width)}  L {_fmt(bw.level)} {unit}".rstrip()] if self.shows is not ViewShows.OVERLAY \
            else []
        if self.model.overlay is not None and self.shows is not ViewShows.BASE:
            ow = self.model.overlay_window
            lines.append(
                f"{self.model.overlay.modality.value} {_fmt(ow.low)}–{_fmt(ow.high)} "
                f"{self.model.overlay.unit}"
                + (f"  {round(self.model.overlay_opacity * 100)}%" if self.shows is ViewShows.FUSED else "")
            )
        letter_w = QFontMetrics(letter_font).horizontalAdvance("M")
        beside = w / 2 - letter_w / 2 - m - 4  # room left of a centred letter
        full = w - 2 * m

        def fit(texts: list[str], width: float) -> list[str]:
            return [fm.elidedText(t, Qt.TextElideMode.ElideRight, int(width)) for t in texts]

        if fm.horizontalAdvance(top_left) <= beside:
            items.append((QRectF(m, m, beside, 20), A.AlignLeft | A.AlignTop, top_left, font, _TEXT_COLOR))
        else:
            items.append((QRectF(m, m + _LETTER_ROW_PX, full, 20), A.AlignLeft | A.AlignTop,
                          fit([top_left], full)[0], font, _TEXT_COLOR))
        block_h = fm.height() * len(lines) + 4
        if max(fm.horizontalAdvance(t) for t in lines) <= beside:
            items.append((QRectF(m, h - block_h - m, beside, block_h), A.AlignLeft | A.AlignBottom,
                          "\n".join(lines), font, _TEXT_COLOR))
        else:
            items.append((QRectF(m, h - block_h - m - _LETTER_ROW_PX, full, block_h), A.AlignLeft | A.AlignBottom,
                          "\n".join(fit(lines, full)), font, _TEXT_COLOR))
        return items

    # ---------------------------------------------------------- interaction
    def mousePressEvent(self, event) -> None:  # noqa: N802
        if self._layout is None:
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        button, mods = event.button(), event.modifiers()
        pos = event.position()
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and shift):
            self._drag = ("pan", pos, QPointF(self._pan))
        elif button == Qt.MouseButton.LeftButton and self.tools is not None and self.tools.press(self, pos):
            self._drag = ("tool", pos, None)
        elif button == Qt.MouseButton.LeftButton:
            self._drag = ("cursor", pos, None)
            self._move_cursor_to(pos)
        elif button == Qt.MouseButton.RightButton and ctrl:
            self._drag = ("zoom", pos, (self._zoom, QPointF(self._pan)))
        elif button == Qt.MouseButton.RightButton:
            self._drag = ("window", pos, self.model.base_window)
        event.accept()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._layout is None:
            return
        pos = event.position()
        if self._drag is None:
            if self.tools is not None:
                self.tools.hover(self, pos)
            self._set_hover(pos)
            self._emit_probe(pos)
            return
        mode, start, value = self._drag
        delta = pos - start
        if mode == "tool":
            self.tools.move(self, pos)
            self._emit_probe(pos)
        elif mode == "cursor":
            self._move_cursor_to(pos)
            self._emit_probe(pos)
        elif mode == "pan":
            self._pan = value + delta
            self.update()
            self._share_zoom_pan()
        elif mode == "window":
            lo, hi = self.model.base_range
            step = max((hi - lo) / 1000.0, 1e-6)
            width = max(value.width + delta.x() * step, step)
            self.model.set_base_window(Window(width, value.level + delta.y() * step))
        elif mode == "zoom":
            zoom0, pan0 = value
            self._pan = pan0
            self._zoom = zoom0
            self._zoom_about(start, _ZOOM_STEP ** (-delta.y() / 20.0))

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        drag, self._drag = self._drag, None
        if drag is not None and drag[0] == "tool" and self.tools is not None:
            self.tools.release(self, event.position())

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        if (self._layout is not None and self.tools is not None
                and event.button() == Qt.MouseButton.LeftButton
                and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier
                and self.tools.double_click(self, event.position())):
            self._drag = None
            event.accept()
            return
        self.mousePressEvent(event)

    def _set_hover(self, pos: QPointF | None) -> None:
        """Remember the voxel under the mouse; repaint only when what the overlays name there changed
        (the name of the structure under the mouse is written on the image, the others are not)."""
        zyx = self.widget_to_index(pos) if pos is not None else None
        self.hover_index = zyx if zyx is not None and self.inside(zyx) else None
        keys = tuple(extra.hovered_key(self) for extra in self.extra_overlays if hasattr(extra, "hovered_key"))
        if keys != self._hover_keys:
            self._hover_keys = keys
            self.update()

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._set_hover(None)
        if self.tools is not None:
            self.tools.hover(self, None)
        self.hovered.emit(None)

    def wheelEvent(self, event) -> None:  # noqa: N802
        if self._layout is None:
            return
        self._wheel_accum += event.angleDelta().y()
        steps = int(self._wheel_accum / 120)
        if steps == 0:
            return
        self._wheel_accum -= steps * 120
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._zoom_about(event.position(), _ZOOM_STEP**steps)
        else:
            self.model.step_slice(self._layout.slice_axis, steps)
            self._emit_probe(event.position())
        event.accept()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if self._layout is None:
            return super().keyPressEvent(event)
        steps = {
            Qt.Key.Key_Up: 1, Qt.Key.Key_Down: -1,
            Qt.Key.Key_PageUp: 10, Qt.Key.Key_PageDown: -10,
        }.get(Qt.Key(event.key()))
        if steps is None:
            if self.tools is not None and self.tools.key(self, event.key()):
                event.accept()
                return
            return super().keyPressEvent(event)
        self.model.step_slice(self._layout.slice_axis, steps)
        event.accept()

    def _move_cursor_to(self, pos: QPointF) -> None:
        zyx = self.widget_to_index(pos)
        if zyx is not None:
            self.model.set_cursor(zyx)  # clipped to the grid by the model

    def _zoom_about(self, pos: QPointF, factor: float) -> None:
        new_zoom = float(np.clip(self._zoom * factor, *_ZOOM_LIMITS))
        rect = self.image_rect()
        u = (pos.x() - rect.left()) / rect.width()
        v = (pos.y() - rect.top()) / rect.height()
        self._zoom = new_zoom
        new = self.image_rect()  # same centre offset, new size
        self._pan += QPointF(pos.x() - (new.left() + u * new.width()), pos.y() - (new.top() + v * new.height()))
        self.update()
        self._share_zoom_pan()

    def _emit_probe(self, pos: QPointF) -> None:
        zyx = self.widget_to_index(pos)
        if zyx is None or not self.inside(zyx):
            self.hovered.emit(None)
            return
        self.hovered.emit(self.model.probe(zyx))


def _text_box(rect: QRectF, align, text: str, font: QFont) -> QRectF:
    """Where ``text`` lands inside ``rect`` with ``align`` (widget pixels), one pixel of shadow included."""
    box = QFontMetricsF(font).boundingRect(rect, int(align), text)
    return box.adjusted(-1, -1, 2, 2)


def _shadow_text(painter: QPainter, rect: QRectF, align, text: str, color: QColor) -> None:
    painter.setPen(QColor(0, 0, 0, 220))
    painter.drawText(rect.translated(1, 1), align, text)
    painter.setPen(color)
    painter.drawText(rect, align, text)


def _fmt(value: float) -> str:
    if abs(value) >= 100 or value == int(value):
        return f"{value:.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".")

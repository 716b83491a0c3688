"""The prior study's views in Compare with prior, and their link to the current scan's views.

:class:`PriorViews` is a private :class:`gui.viewer_model.ViewerModel` of the
prior CT (its PET fused over it: the PET follows its CT, one frame of
reference), an axial and a coronal :class:`gui.slice_view.SliceView` of it
(the prior case's lesions drawn as lesions are), and the header above the
views that says which study it is and how it is registered.

:class:`CompareLink` keeps the two sides on the same anatomy through the map
(registration, then the user's nudge): a click, slice step or arrow key on the
current views moves the prior crosshair to the matching point and the other
way round; the current CT's window is the prior CT's; zoom and pan follow so
that the matching point sits at the same place in both axial (and coronal)
views.
"""

from __future__ import annotations

from html import escape

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from core.lesions import LesionSet
from core.orientation import Plane
from core.registration.transform import PriorToCurrent
from gui.compare.panel import NudgeBar
from gui.slice_view import SliceView
from gui.viewer_model import ViewerModel, is_hu


class PriorViews:
    """The prior study's model, axial and coronal views, and the header label."""

    def __init__(self) -> None:
        self.model = ViewerModel()
        self.axial = SliceView(self.model, Plane.AXIAL)
        self.axial.setObjectName("prior_axial_view")
        self.coronal = SliceView(self.model, Plane.CORONAL)
        self.coronal.setObjectName("prior_coronal_view")
        # the header above the views: the registration, which side is which, the nudge
        self.header = QWidget()
        self.header.setObjectName("compare_header")
        self.header.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Maximum)
        self.info = QLabel("No prior study open. File > Compare with prior.")
        self.info.setObjectName("compare_info")
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.RichText)
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.prior_caption = QLabel("Prior")
        self.prior_caption.setObjectName("prior_caption")
        self.current_caption = QLabel("Current")
        self.current_caption.setObjectName("current_caption")
        for caption in (self.prior_caption, self.current_caption):
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption.setStyleSheet("QLabel { background: #2c3546; color: #ffffff; font-weight: bold; padding: 1px; }")
        self.nudge_bar = NudgeBar()
        captions = QHBoxLayout()
        captions.setContentsMargins(0, 0, 0, 0)
        captions.setSpacing(2)
        captions.addWidget(self.prior_caption, 1)
        captions.addWidget(self.current_caption, 1)
        box = QVBoxLayout(self.header)
        box.setContentsMargins(4, 2, 4, 2)
        box.setSpacing(2)
        box.addWidget(self.info)
        box.addWidget(self.nudge_bar)
        box.addLayout(captions)

    @property
    def views(self) -> list[SliceView]:
        return [self.axial, self.coronal]

    def show_study(self, primary, pet, lesions) -> None:
        self.model.set_volumes(primary, pet)
        self.model.set_lesions(LesionSet(lesions))

    def set_info(self, html: str) -> None:
        self.info.setText(html)

    def set_captions(self, prior: str, current: str) -> None:
        self.prior_caption.setText(prior)
        self.current_caption.setText(current)

    def clear(self) -> None:
        self.model.set_lesions(LesionSet())
        self.model.set_volumes(None)

    def disconnect_model(self) -> None:
        for view in self.views:
            view.disconnect_model()


class CompareLink(QObject):
    """Crosshair, slice, window, zoom and pan of the prior views follow the current ones through ``transform``.

    Signals
    -------
    outside_changed(bool)
        Whether the point matching the current crosshair lies outside the prior scan (its crosshair is
        then at the nearest edge: the prior does not show that anatomy).
    """

    outside_changed = Signal(bool)

    def __init__(self, current: ViewerModel, current_views: dict[Plane, SliceView], prior: PriorViews,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.current = current
        self.prior = prior
        self.pairs = [(current_views[Plane.AXIAL], prior.axial), (current_views[Plane.CORONAL], prior.coronal)]
        self.transform: PriorToCurrent | None = None
        self.outside = False
        self._busy = False
        self.active = False
        self._connections = ((current.events.cursor, self._on_current_cursor),
                             (current.events.window, self._on_current_window),
                             (prior.model.events.cursor, self._on_prior_cursor))
        for signal, slot in self._connections:
            signal.connect(slot)
        for current_view, _prior_view in self.pairs:
            current_view.installEventFilter(self)

    def disconnect(self) -> None:
        for signal, slot in self._connections:
            signal.disconnect(slot)
        for current_view, _ in self.pairs:
            current_view.removeEventFilter(self)

    def set_transform(self, transform: PriorToCurrent | None) -> None:
        """The map in use (None: not linked); the prior views go to the point matching the current crosshair."""
        self.transform = transform
        self.active = transform is not None
        if self.active:
            self._on_current_cursor(None, None)
            self._on_current_window()

    # --------------------------------------------------------------- points
    def prior_point_for(self, current_mm) -> np.ndarray:
        return self.transform.inverse().apply(np.asarray(current_mm, dtype=float))

    def current_point_for(self, prior_mm) -> np.ndarray:
        return self.transform.apply(np.asarray(prior_mm, dtype=float))

    def _ready(self) -> bool:
        return (self.active and self.transform is not None and not self._busy
                and self.current.base is not None and self.prior.model.base is not None)

    def _on_current_cursor(self, _old, _new) -> None:
        if not self._ready():
            return
        point = self.prior_point_for(self.current.cursor_mm)
        index = self.prior.model.base.patient_to_index(point)
        self._set_outside(bool(np.any(index < -0.5) or np.any(index > np.array(self.prior.model.base.shape) - 0.5)))
        self._busy = True
        try:
            self.prior.model.set_cursor(index)
        finally:
            self._busy = False
        self.align_all()

    def _set_outside(self, outside: bool) -> None:
        if outside != self.outside:
            self.outside = outside
            self.outside_changed.emit(outside)

    def _on_prior_cursor(self, _old, _new) -> None:
        if not self._ready():
            return
        point = self.current_point_for(self.prior.model.cursor_mm)
        self._set_outside(False)  # the prior crosshair is on the prior scan
        self._busy = True
        try:
            self.current.set_cursor(self.current.base.patient_to_index(point))
        finally:
            self._busy = False
        self.align_all()

    def _on_current_window(self) -> None:
        if self._ready() and is_hu(self.current.base) and is_hu(self.prior.model.base):
            self.prior.model.set_base_window(self.current.base_window)

    # ---------------------------------------------------------- zoom and pan
    def align_all(self) -> None:
        for current_view, prior_view in self.pairs:
            self.align(current_view, prior_view)

    def align(self, current_view: SliceView, prior_view: SliceView) -> None:
        """The prior view at the current view's scale (mm per pixel), the matching point where the current
        crosshair is; both fitted (zoom 1, no pan) while the current view is."""
        if not self._ready() or current_view.layout_info is None or prior_view.layout_info is None:
            return
        if current_view.zoom == 1.0 and current_view.pan == QPointF(0.0, 0.0):
            prior_view.set_zoom_pan(1.0, QPointF(0.0, 0.0))
            return
        fitted = prior_view.pixels_per_mm / prior_view.zoom
        zoom = current_view.pixels_per_mm / fitted if fitted > 0 else 1.0
        pan = prior_view.pan
        prior_view.set_zoom_pan(zoom, pan)
        # a pan moves every point by itself: shift it by what separates the two crosshairs
        target = current_view.index_to_widget(self.current.cursor)
        here = prior_view.index_to_widget(self.prior.model.cursor)
        prior_view.set_zoom_pan(zoom, QPointF(pan.x() + target.x() - here.x(), pan.y() + target.y() - here.y()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """A current view repainted (zoom, pan, resize): the prior view follows."""
        if event.type() in (QEvent.Type.Paint, QEvent.Type.Resize) and self.active:
            for current_view, prior_view in self.pairs:
                if watched is current_view and prior_view.isVisible():
                    self.align(current_view, prior_view)
        return False


def header_html(parts: list[tuple[str, str]]) -> str:
    """The header: (label, text) pairs on one wrapped line, labels in bold."""
    return " &nbsp;·&nbsp; ".join(f"<b>{escape(label)}</b> {escape(text)}" if label else escape(text)
                                  for label, text in parts)


"""The views in the middle of the window, in one of a few layouts (View > Layout), as reading stations offer.

* ``axial+2``: the axial view large, coronal and sagittal stacked beside it (the first start's layout);
* ``1x3``: axial, coronal and sagittal side by side;
* ``2x2``: axial, coronal, sagittal and the PET coronal MIP (:class:`gui.mip_view.MipView`);
* ``single``: one view maximised (the one last clicked or double-clicked);
* ``ct|fused|pet``: three axial views of the same slice side by side: the CT alone, the CT with the PET
  fused, the PET alone in its colour map (offered only with a PET overlay: the window checks that);
* ``compare``: Compare with prior (gui.compare): the prior study's axial and coronal views at the left,
  the current axial and coronal at the right, under a header that says how the two are registered
  (offered only with a prior study open: the window checks that).

A double-click on a view (with the crosshair tool; drawing tools keep their own double-click) maximises
it, and another double-click puts the layout back. The layout is kept in the ``view/layout`` setting.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QWidget

from core.orientation import Plane


class ViewLayout(str, Enum):
    AXIAL_LARGE = "axial+2"
    ONE_BY_THREE = "1x3"
    TWO_BY_TWO = "2x2"
    SINGLE = "single"
    SIDE_BY_SIDE = "ct|fused|pet"
    COMPARE = "compare"

    @property
    def title(self) -> str:
        return {"axial+2": "&Axial large, coronal and sagittal beside",
                "1x3": "&1 x 3: axial, coronal, sagittal",
                "2x2": "&2 x 2 with the PET MIP",
                "single": "&One view maximised",
                "ct|fused|pet": "&CT | fused | PET side by side",
                "compare": "Compare with &prior"}[self.value]


DEFAULT_LAYOUT = ViewLayout.AXIAL_LARGE


class ViewGrid(QWidget):
    """Holds the slice views and the MIP view; shows them in :attr:`view_layout`.

    Signals
    -------
    layout_changed(str)
        The new layout's value, after it changed (the window saves it and ticks its menu).
    """

    layout_changed = Signal(str)

    def __init__(self, views: dict[Plane, QWidget], mip_view: QWidget,
                 alone_views: tuple[QWidget, QWidget] | None = None, parent: QWidget | None = None):
        """``alone_views``: (the CT alone, the PET alone), two axial views beside the fused one in the
        CT | fused | PET layout."""
        super().__init__(parent)
        self.setObjectName("view_grid")
        self.views = views
        self.mip_view = mip_view
        self.alone_views = tuple(alone_views or ())
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)
        self.view_layout = DEFAULT_LAYOUT
        self._before_single: ViewLayout = DEFAULT_LAYOUT
        #: Compare with prior: (header, prior axial, prior coronal), set by gui.compare
        self.compare_widgets: tuple[QWidget, ...] = ()
        self.focus_view: QWidget = views[Plane.AXIAL]  # the one maximised by the "single" layout
        for widget in self.all_views():
            widget.setParent(self)
            widget.installEventFilter(self)
        self._arrange()

    def set_compare_widgets(self, header: QWidget, prior_axial: QWidget, prior_coronal: QWidget) -> None:
        """The prior study's header and views for the ``compare`` layout."""
        self.compare_widgets = (header, prior_axial, prior_coronal)
        for widget in self.compare_widgets:
            widget.setParent(self)
            widget.hide()
        for view in self.compare_widgets[1:]:
            view.installEventFilter(self)
        self._arrange()

    def all_views(self) -> list[QWidget]:
        return [self.views[Plane.AXIAL], self.views[Plane.CORONAL], self.views[Plane.SAGITTAL], self.mip_view,
                *self.alone_views]

    def shown_views(self) -> list[QWidget]:
        return [w for w in self.all_views() if not w.isHidden()]

    def set_view_layout(self, layout: ViewLayout | str, focus: QWidget | None = None) -> None:
        layout = ViewLayout(layout)
        if focus is not None:
            self.focus_view = focus
        if layout == ViewLayout.SINGLE and self.view_layout != ViewLayout.SINGLE:
            self._before_single = self.view_layout
        self.view_layout = layout
        self._arrange()
        self.layout_changed.emit(layout.value)

    def toggle_maximised(self, view: QWidget) -> None:
        """Maximise ``view``; if it is the one maximised already, put the previous layout back."""
        if self.view_layout == ViewLayout.SINGLE and self.focus_view is view:
            self.set_view_layout(self._before_single)
        else:
            self.set_view_layout(ViewLayout.SINGLE, focus=view)

    def _arrange(self) -> None:
        for widget in [*self.all_views(), *self.compare_widgets]:
            self._grid.removeWidget(widget)
            widget.hide()
        for i in range(4):
            self._grid.setRowStretch(i, 0)
            self._grid.setColumnStretch(i, 0)
        a, c, s, m = self.all_views()[:4]
        place: list[tuple[QWidget, int, int, int, int]]
        if self.view_layout == ViewLayout.COMPARE and len(self.compare_widgets) == 3:
            header, prior_axial, prior_coronal = self.compare_widgets
            place = [(header, 0, 0, 1, 2), (prior_axial, 1, 0, 1, 1), (a, 1, 1, 1, 1),
                     (prior_coronal, 2, 0, 1, 1), (c, 2, 1, 1, 1)]
            self._grid.setRowStretch(1, 3)
            self._grid.setRowStretch(2, 2)
        elif self.view_layout == ViewLayout.SIDE_BY_SIDE and len(self.alone_views) == 2:
            ct_alone, pet_alone = self.alone_views
            place = [(ct_alone, 0, 0, 1, 1), (a, 0, 1, 1, 1), (pet_alone, 0, 2, 1, 1)]
        elif self.view_layout == ViewLayout.SINGLE:
            place = [(self.focus_view, 0, 0, 1, 1)]
        elif self.view_layout == ViewLayout.ONE_BY_THREE:
            place = [(a, 0, 0, 1, 1), (c, 0, 1, 1, 1), (s, 0, 2, 1, 1)]
        elif self.view_layout == ViewLayout.TWO_BY_TWO:
            place = [(a, 0, 0, 1, 1), (m, 0, 1, 1, 1), (c, 1, 0, 1, 1), (s, 1, 1, 1, 1)]
        else:  # axial large: three fifths of the width
            place = [(a, 0, 0, 2, 1), (c, 0, 1, 1, 1), (s, 1, 1, 1, 1)]
            self._grid.setColumnStretch(0, 3)
            self._grid.setColumnStretch(1, 2)
        for widget, row, col, rows, cols in place:
            self._grid.addWidget(widget, row, col, rows, cols)
            widget.show()
        rows = max(r + rs for _w, r, _c, rs, _cs in place)
        cols = max(c_ + cs for _w, _r, c_, _rs, cs in place)
        for i in range(rows):
            if self.view_layout == ViewLayout.COMPARE and i == 0:
                continue  # the header keeps its own height
            self._grid.setRowStretch(i, max(self._grid.rowStretch(i), 1))
        for i in range(cols):
            self._grid.setColumnStretch(i, max(self._grid.columnStretch(i), 1))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """A double-click that no drawing tool took maximises the view (or puts the layout back)."""
        if event.type() == QEvent.Type.MouseButtonDblClick and event.button() == Qt.MouseButton.LeftButton \
                and watched in self.all_views():
            tools = getattr(watched, "tools", None)
            if tools is None or tools.active.name == "navigate":
                self.toggle_maximised(watched)
                return True
        elif event.type() == QEvent.Type.MouseButtonPress and watched in self.all_views():
            self.focus_view = watched
        return super().eventFilter(watched, event)

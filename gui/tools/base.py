"""The tool interface, and the two simplest tools: crosshair and point marker.

A tool receives the mouse events of any slice view (the view passes itself
and the widget position) and paints its feedback on each view. Positions are
turned into plane coordinates of the shown slice by the view
(``view.plane_point``), so every tool works alike in the axial, coronal and
sagittal views.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPainter

if TYPE_CHECKING:  # pragma: no cover
    from gui.slice_view import SliceView
    from gui.tools.manager import ToolManager

#: how close (widget pixels) a click must be to a marker to select it
MARKER_PICK_PX = 9.0


class Tool:
    """Base class: every handler returns True when it used the event."""

    name = ""
    cursor = Qt.CursorShape.CrossCursor

    def __init__(self, manager: "ToolManager"):
        self.manager = manager
        self.editor = manager.editor
        self.model = manager.model

    # events from a view (pos: widget position, QPointF)
    def press(self, view: "SliceView", pos: QPointF) -> bool:
        return False

    def move(self, view: "SliceView", pos: QPointF) -> bool:
        return False

    def release(self, view: "SliceView", pos: QPointF) -> bool:
        return False

    def double_click(self, view: "SliceView", pos: QPointF) -> bool:
        return False

    def hover(self, view: "SliceView", pos: QPointF | None) -> None:
        pass

    def key(self, view: "SliceView", key: int) -> bool:
        return False

    def paint(self, view: "SliceView", painter: QPainter) -> None:
        pass

    # Enter / Esc
    @property
    def pending(self) -> bool:
        """Something drawn but not yet made a lesion (Enter accepts, Esc drops it)."""
        return False

    @property
    def acceptable(self) -> bool:
        """Whether Enter has something to accept now."""
        return self.pending

    def accept(self) -> bool:
        return False

    def cancel(self) -> bool:
        return False

    def deactivate(self) -> None:
        self.cancel()

    def changed(self, view: "SliceView | None" = None) -> None:
        """Repaint the feedback: of one view (hover, a stroke) or of all three."""
        self.manager.notify(view)


def lesion_at(view: "SliceView", pos: QPointF) -> str | None:
    """Id of the lesion under a widget position on the shown slice (mask or marker), if any."""
    model = view.model
    zyx = view.widget_to_index(pos)
    if zyx is None or model.base is None:
        return None
    voxel = np.rint(zyx).astype(int)
    for lesion in reversed(list(model.lesions)):
        if lesion.mask is not None and model.grid_for(lesion.mask) is model.base and lesion.mask.contains(voxel):
            return lesion.id
    for lesion in reversed(list(model.lesions)):
        if lesion.point_mm is None:
            continue
        marker = model.base.patient_to_index(np.asarray(lesion.point_mm, dtype=np.float64))
        if abs(marker[view.slice_axis] - view.slice_index) > 0.5:
            continue
        p = view.index_to_widget(marker)
        if np.hypot(p.x() - pos.x(), p.y() - pos.y()) <= MARKER_PICK_PX:
            return lesion.id
    return None


class NavigateTool(Tool):
    """Left click moves the crosshair (the view does that); a click on a lesion selects it."""

    name = "navigate"
    cursor = Qt.CursorShape.ArrowCursor

    def press(self, view: "SliceView", pos: QPointF) -> bool:
        lesion_id = lesion_at(view, pos)
        if lesion_id is not None:
            self.model.set_selected(lesion_id)
        return False  # the view still moves the crosshair


class PointTool(Tool):
    """A click places a marker: a new lesion counted before it is contoured."""

    name = "point"

    def press(self, view: "SliceView", pos: QPointF) -> bool:
        zyx = view.widget_to_index(pos)
        base = self.model.base
        if zyx is None or base is None or not view.inside(zyx):
            return True
        point = tuple(float(v) for v in base.index_to_patient(zyx))
        self.editor.add_lesion(point_mm=point, text="Place marker")
        return True

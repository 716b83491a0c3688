"""Which tool is active, and the routing of view events to it.

The views call :meth:`ToolManager.press` etc. with themselves and the widget
position; the active tool decides. Right drag (window/level), middle or
Shift+left drag (pan), the wheel and Ctrl+wheel stay with the view whatever
the tool, so navigation never changes while drawing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPointF, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QWidget

from gui.tools.base import NavigateTool, PointTool, Tool
from gui.tools.brush import BrushTool, EraserTool
from gui.tools.contour import FreehandTool, PolygonTool
from gui.tools.editor import LesionEditor
from gui.tools.segment import SegmentTool
from gui.viewer_model import ViewerModel

if TYPE_CHECKING:  # pragma: no cover
    from gui.slice_view import SliceView

TOOL_CLASSES: tuple[type[Tool], ...] = (
    NavigateTool, PointTool, PolygonTool, FreehandTool, BrushTool, EraserTool, SegmentTool,
)


class ToolManager(QObject):
    """Holds the tools and the active one.

    Signals
    -------
    changed()
        Tool feedback changed: views repaint.
    tool_changed(str)
        Another tool is active.
    pending_changed()
        Whether Enter / Esc have something to do may have changed.
    """

    changed = Signal()
    tool_changed = Signal(str)
    pending_changed = Signal()

    def __init__(self, model: ViewerModel, editor: LesionEditor, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.editor = editor
        self._parent = parent
        self.tools: dict[str, Tool] = {cls.name: cls(self) for cls in TOOL_CLASSES}
        self.active: Tool = self.tools["navigate"]
        self.last_axis = 0  # plane last drawn on, for interpolation
        self._pending = False
        self._acceptable = False
        model.events.case_closed.connect(self._on_model_case_closed)

    def disconnect_model(self) -> None:
        self.model.events.case_closed.disconnect(self._on_model_case_closed)

    def _on_model_case_closed(self) -> None:
        """Another case or patient: no preview, outline or brush stroke of the old one carries over."""
        for tool in self.tools.values():
            tool.cancel()
        self.notify()

    def dialog_parent(self) -> QWidget | None:
        return self._parent

    def tool(self, name: str) -> Tool:
        try:
            return self.tools[name]
        except KeyError:
            raise KeyError(f"unknown tool {name!r}; expected one of {', '.join(self.tools)}") from None

    def set_tool(self, name: str) -> None:
        tool = self.tool(name)
        if tool is self.active:
            return
        self.active.deactivate()
        self.active = tool
        self.tool_changed.emit(name)
        self.notify()

    def notify(self, view: "SliceView | None" = None) -> None:
        """Tool feedback changed in ``view`` (None: in every view)."""
        if view is None:
            self.changed.emit()
        else:
            view.update()
        pending, acceptable = self.active.pending, self.active.acceptable
        if (pending, acceptable) != (self._pending, self._acceptable):
            self._pending, self._acceptable = pending, acceptable
            self.pending_changed.emit()

    @property
    def pending(self) -> bool:
        return self.active.pending

    @property
    def acceptable(self) -> bool:
        return self.active.acceptable

    # ------------------------------------------------------ from the views
    def press(self, view: "SliceView", pos: QPointF) -> bool:
        return self.active.press(view, pos)

    def move(self, view: "SliceView", pos: QPointF) -> bool:
        return self.active.move(view, pos)

    def release(self, view: "SliceView", pos: QPointF) -> bool:
        return self.active.release(view, pos)

    def double_click(self, view: "SliceView", pos: QPointF) -> bool:
        return self.active.double_click(view, pos)

    def hover(self, view: "SliceView", pos: QPointF | None) -> None:
        self.active.hover(view, pos)

    def key(self, view: "SliceView", key: int) -> bool:
        return self.active.key(view, key)

    def paint(self, view: "SliceView", painter: QPainter) -> None:
        painter.save()
        self.active.paint(view, painter)
        painter.restore()

    # -------------------------------------------------------- Enter / Esc
    def accept(self) -> bool:
        return self.active.accept()

    def cancel(self) -> bool:
        return self.active.cancel()

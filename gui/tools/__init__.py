"""Lesion tools of the slice views: crosshair, point, polygon, freehand, brush,
eraser and click-segment, the editor that turns their results into undoable
commands, and the overlay that draws lesions on a view."""

from gui.tools.editor import LesionEditor
from gui.tools.manager import ToolManager

__all__ = ["LesionEditor", "ToolManager"]

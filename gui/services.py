"""What the main window gives the controllers it makes (issue 15): the viewer model and the services
they use, never the window itself.

A controller (verdicts, structures, candidates, review, PACS, ...) takes a :class:`Services` and,
as explicit constructor arguments, the other controllers or views it works with. It adds its
docks with ``add_dock``, its menu entries to the menus in ``menus`` (objects, never found by their
title), and shows its dialogs and message boxes over ``parent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget, QMenu, QMenuBar, QWidget

if TYPE_CHECKING:  # annotations only
    from gui.actions import Actions
    from gui.settings import Settings
    from gui.undo import UndoStack
    from gui.viewer_model import ViewerModel
    from gui.workers import TaskRunner


@dataclass(frozen=True)
class Menus:
    """The window's menus: controllers add their entries to these."""

    bar: QMenuBar  # a controller with a menu of its own (Review, Practice, Structures) adds it here
    file: QMenu
    edit: QMenu
    tools: QMenu
    view: QMenu
    presets: QMenu  # View > Window presets
    help: QMenu


#: add_dock(title, object_name, widget, area) -> the dock, added to the window (placed by the window)
AddDock = Callable[[str, str, QWidget, Qt.DockWidgetArea], QDockWidget]


@dataclass(frozen=True)
class Services:
    parent: QWidget  # owner of the controllers' actions; parent of their dialogs and message boxes
    model: "ViewerModel"
    settings: "Settings"
    undo_stack: "UndoStack"
    runner: "TaskRunner"  # background work with the status bar's progress and Cancel
    actions: "Actions"  # the window's own actions (Open, Quit, ...), e.g. to insert entries before
    menus: Menus
    add_dock: AddDock
    show_message: Callable[[str], None]  # the status bar
    scan: Callable[[], Any]  # the scan of the folder shown (core.dicom.scan.ScanResult), None before one


class Controller(QObject):
    """Base of the window's controllers: the services every one of them reads, as attributes
    (``owner`` parents their dialogs, message boxes and shortcuts)."""

    def __init__(self, services: Services) -> None:
        super().__init__(services.parent)
        self.owner = services.parent
        self.model = services.model
        self.settings = services.settings
        self.undo_stack = services.undo_stack
        self.runner = services.runner
        self.show_message = services.show_message
        self.scan = services.scan

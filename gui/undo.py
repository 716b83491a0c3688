"""Undo/redo in the gui: a QUndoStack over the pure commands of core.lesions.

The commands (AddLesion, RemoveLesion, UpdateLesion) hold the edit and call
the LesionSet; the adapter only tells Qt's stack when to call them, so the
same edits can be made and undone headless with core.lesions.UndoStack.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import QWidget

from core.lesions import Command


class CoreCommand(QUndoCommand):
    """A QUndoCommand that runs a core command."""

    def __init__(self, command: Command, parent: QUndoCommand | None = None):
        super().__init__(command.text, parent)
        self.command = command

    def redo(self) -> None:
        self.command.redo()

    def undo(self) -> None:
        self.command.undo()


class UndoStack(QUndoStack):
    """The window's edit history. ``push_command`` runs a core command and keeps it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setUndoLimit(500)

    def push_command(self, command: Command) -> None:
        self.push(CoreCommand(command))

    @contextmanager
    def macro(self, text: str) -> Iterator[None]:
        """Group the commands pushed in the block into one undo step."""
        self.beginMacro(text)
        try:
            yield
        finally:
            self.endMacro()

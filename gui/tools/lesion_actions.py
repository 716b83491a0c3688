"""The lesion side of the main window: toolbar, edit actions, counts, tool state.

Connects the actions of gui.actions (tools, undo/redo, Enter/Esc, delete,
new lesion, interpolate, brush size, case files) to the tool manager, the
editor, the undo stack and the case controller, and keeps their enabled
state right. Kept apart from gui.main_window so that each file stays about
one concept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import shiboken6
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import QDoubleSpinBox, QLabel, QToolBar

from gui.panels.lesion_table import counts_text
from gui.services import Controller, Services
from gui.tools.editor import BRUSH_LIMITS_MM
from gui.tools.segment_options import SegmentOptions

if TYPE_CHECKING:  # annotations only
    from gui.case_controller import CaseController
    from gui.tools.editor import LesionEditor
    from gui.tools.manager import ToolManager


class LesionActionsController(Controller):
    """Made by the main window once its actions, undo stack, tools and case controller exist. It builds
    the Tools toolbar (``toolbar``, with ``brush_spin`` and ``segment_options``; the window adds it),
    keeps ``counts_label`` (the status bar's lesion counts) and calls ``update_title()`` after edits."""

    def __init__(self, services: Services, editor: LesionEditor, tools: ToolManager, cases: CaseController,
                 counts_label: QLabel, update_title: Callable[[], None]):
        super().__init__(services)
        self.actions = services.actions
        self.undo = services.undo_stack
        self.editor = editor
        self.tools = tools
        self.cases = cases
        self.counts_label = counts_label
        self.update_title = update_title
        self._build_toolbar()
        self._connect()
        self.model.events.lesion_changed.connect(self._on_lesions_changed)
        self.update_actions()
        self._on_lesions_changed()

    def disconnect_model(self) -> None:
        """Stop following the model and the undo stack (the window closes): the stack is destroyed
        after the window's actions, and its last signals must not reach them."""
        a = self.actions
        self.undo.undoTextChanged.disconnect(self._on_undo_text_changed)
        self.undo.redoTextChanged.disconnect(self._on_redo_text_changed)
        self.undo.canUndoChanged.disconnect(a.undo.setEnabled)
        self.undo.canRedoChanged.disconnect(a.redo.setEnabled)
        self.model.events.lesion_changed.disconnect(self._on_lesions_changed)
        self.model.events.selection.disconnect(self._on_model_selection)
        self.model.events.lesions.disconnect(self._on_model_lesions)

    def _build_toolbar(self) -> None:
        a = self.actions
        bar = QToolBar("Tools", self.owner)
        bar.setObjectName("tools_toolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in a.tools:
            bar.addAction(action)
        bar.addSeparator()
        bar.addAction(a.undo)
        bar.addAction(a.redo)
        bar.addSeparator()
        bar.addWidget(QLabel(" Brush ", bar))
        spin = QDoubleSpinBox(bar)
        spin.setObjectName("brush_spin")
        spin.setRange(*BRUSH_LIMITS_MM)
        spin.setDecimals(1)
        spin.setSuffix(" mm")
        spin.setToolTip("Brush and eraser radius ([ smaller, ] larger)")
        spin.setValue(self.editor.brush_radius_mm)
        bar.addWidget(spin)
        bar.addSeparator()
        self.segment_options = SegmentOptions(self.tools.tool("segment"), self.settings, bar)
        bar.addWidget(self.segment_options)
        self.toolbar, self.brush_spin = bar, spin

    def _connect(self) -> None:
        a, c = self.actions, self.cases
        a.open_case.triggered.connect(c._choose_case)
        a.open_case_dicom.triggered.connect(c._choose_case_dicom)
        a.save_case.triggered.connect(c._choose_save)
        a.save_case_as.triggered.connect(c._choose_save_as)
        a.undo.triggered.connect(self.undo.undo)
        a.redo.triggered.connect(self.undo.redo)
        self.undo.canUndoChanged.connect(a.undo.setEnabled)
        self.undo.canRedoChanged.connect(a.redo.setEnabled)
        self.undo.undoTextChanged.connect(self._on_undo_text_changed)
        self.undo.redoTextChanged.connect(self._on_redo_text_changed)
        a.tool_group.triggered.connect(lambda action: self.tools.set_tool(action.data()))
        self.tools.tool_changed.connect(self._on_tools_tool_changed)
        self.tools.pending_changed.connect(self.update_actions)
        a.accept_edit.triggered.connect(self.tools.accept)
        a.delete_lesion.triggered.connect(self.editor.delete_selected)
        a.cycle_treatable.triggered.connect(self.editor.cycle_treatable_selected)
        a.new_lesion.triggered.connect(self._on_new_lesion_triggered)
        a.confirm_site.triggered.connect(self.editor.confirm_selected_site)
        a.interpolate.triggered.connect(lambda: self.editor.interpolate_selected(self.tools.last_axis))
        a.brush_smaller.triggered.connect(self.editor.brush_smaller)
        a.brush_larger.triggered.connect(self.editor.brush_larger)
        self.editor.brush_changed.connect(self._on_editor_brush_changed)
        self.brush_spin.valueChanged.connect(self.editor.set_brush_radius)
        self.editor.message.connect(self.show_message)
        self.model.events.selection.connect(self._on_model_selection)
        self.model.events.lesions.connect(self._on_model_lesions)

    # ---------------------------------------------------------------- state
    def update_actions(self) -> None:
        a = self.actions
        a.cancel_task.setEnabled(self.runner.busy or self.tools.pending)
        a.accept_edit.setEnabled(self.tools.acceptable)
        a.delete_lesion.setEnabled(self.model.selected_id is not None)
        a.cycle_treatable.setEnabled(self.model.selected_id is not None)
        a.undo.setEnabled(self.undo.canUndo())
        a.redo.setEnabled(self.undo.canRedo())

    def _on_undo_text_changed(self, text: str) -> None:
        if not shiboken6.isValid(self.actions.undo):  # the window was destroyed without being closed
            return
        tip = f"Undo {text} (Ctrl+Z)" if text else "Nothing to undo"
        self.actions.undo.setToolTip(tip)  # the status tip stays: the help text shows it

    def _on_redo_text_changed(self, text: str) -> None:
        if not shiboken6.isValid(self.actions.redo):
            return
        tip = f"Redo {text} (Ctrl+Shift+Z)" if text else "Nothing to redo"
        self.actions.redo.setToolTip(tip)

    def _on_tools_tool_changed(self, name: str) -> None:
        action = self.actions.tool_action(name)
        with QSignalBlocker(self.actions.tool_group):
            action.setChecked(True)
        self.update_actions()
        self.show_message(f"Tool: {action.text().replace('&', '')} ({action.shortcut().toString()})")

    def _on_new_lesion_triggered(self) -> None:
        self.model.set_selected(None)
        self.show_message("No lesion selected: the next outline or brush stroke starts a new lesion")

    def _on_editor_brush_changed(self, radius_mm: float) -> None:
        with QSignalBlocker(self.brush_spin):
            self.brush_spin.setValue(radius_mm)
        self.tools.changed.emit()
        self.show_message(f"Brush radius {radius_mm:g} mm")

    def _on_model_selection(self, old, new) -> None:
        self.update_actions()

    def _on_model_lesions(self) -> None:
        self._on_lesions_changed()

    def _on_lesions_changed(self, event=None) -> None:
        self.counts_label.setText(counts_text(self.model.lesions))
        self.update_title()

"""The main window: three linked views, the series browser, display controls.

Flow: File > Open folder -> scan in a worker -> the browser lists the series
-> the first CT opens (with a PET of the same frame of reference fused over
it). Every long step runs in :class:`gui.workers.TaskRunner` with a progress
bar and a Cancel button; errors reach :mod:`gui.errors` at one boundary.

Methods that open a dialog are ``_choose_*`` and delegate to plain methods
(:meth:`open_folder`, :meth:`open_entry`, :meth:`show_volumes`) that tests
and scripts call directly.

Lesions: the tools (gui.tools) edit the model's lesion set through undoable
commands on :attr:`MainWindow.undo_stack`; the lesion table is a dock under
the views; case files, autosave and recovery are :class:`gui.case_controller.CaseController`.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QWidget,
)

import core
from core.errors import NoImagesError
from core.export_set import clean_recorded_leftovers, leftovers_message
from core.volume import Modality, Volume
from core.workspace import can_overlay, matching_pet, select_series
from gui import loading
from gui.actions import Actions, help_text, make_actions, make_layout_actions
from gui.case_controller import CaseController
from gui.elided_label import ElidedLabel
from gui.errors import error_boundary, show_exception
from gui.help_dialog import HelpDialog
from core.orientation import Plane
from gui.mip_view import MipView
from gui.panels.display_panel import DisplayPanel
from gui.panels.lesion_table import LesionPanel
from gui.pacs.controller import PacsController
from gui.panels.series_browser import SeriesBrowser
from gui.render import COLORMAPS, LEGACY_COLORMAPS, WINDOW_PRESETS
from gui.review.controller import ReviewController
from gui.settings import (
    BRUSH_RADIUS_MM,
    LAST_FOLDER,
    LESION_COLUMNS_HIDDEN,
    LESION_COLUMNS_WANTED,
    OVERLAY_COLORMAP,
    OVERLAY_OPACITY,
    VIEW_LAYOUT,
    WINDOW_GEOMETRY,
    WINDOW_STATE,
    Settings,
)
from gui.candidates import CandidatesController
from gui.compare.comparison import NEEDS_PRIOR, PriorComparison
from gui.image_display import ImageDisplayController
from gui.screen_fit import fit_to_screen
from gui.services import Menus, Services
from gui.side_bar import make_side_bar
from gui.slice_view import SliceView, ViewShows
from gui.status_text import format_probe, volume_warnings
from gui.structures import StructuresController
from gui.tools import LesionEditor, ToolManager
from gui.tools.lesion_actions import LesionActionsController
from gui.undo import UndoStack
from gui.verdicts import VerdictsController
from gui.view_grid import DEFAULT_LAYOUT, ViewGrid, ViewLayout
from gui.viewer_model import Probe, ViewerModel, is_pet
from gui.wheel_guard import install_wheel_guard
from gui.workers import TaskRunner

log = logging.getLogger("oligoplan.gui")

DECISION_SUPPORT_NOTE = "Decision support only — not a treatment order"
#: a first window narrower than this gets the narrowest side column (laptop screens: 1024, 1152)
COMPACT_WIDTH_PX = 1280
COMPACT_SIDE_PX = 324  # the lesion table and verdicts need 297 px; the display panel scrolls
#: the side column of a wider window: this share of its width, at most SIDE_MAX_PX (the views keep 65 %)
SIDE_SHARE = 0.25
SIDE_MAX_PX = 500
_MESSAGE_MS = 6000
SIDE_BY_SIDE_NEEDS_PET = ("CT | fused | PET needs a PET overlay: open a PET series over the CT "
                          "(Series panel), then View > Layout")


def _scrolled(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area that follows its width (a panel taller than its dock scrolls)."""
    area = QScrollArea()
    area.setObjectName(f"{widget.objectName() or 'panel'}_scroll")
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    return area


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("main_window")
        self.setWindowTitle("OligoPlan")
        install_wheel_guard()  # no field changes on the wheel unless clicked (gui.wheel_guard)
        self.settings = settings if settings is not None else Settings()
        self.model = ViewerModel()
        self.actions: Actions = make_actions(self)
        self.runner = TaskRunner(self)
        self.scan_result: Any = None
        self.loaded_entries: tuple[Any, Any] = (None, None)  # (base, overlay) entries shown
        self._closed = False

        self.undo_stack = UndoStack(self)
        self.editor = LesionEditor(self.model, self.undo_stack, self,
                                   brush_radius_mm=self.settings.get(BRUSH_RADIUS_MM))
        self.tool_manager = ToolManager(self.model, self.editor, self)
        self.views = {plane: SliceView(self.model, plane) for plane in Plane}
        for view in self.views.values():
            view.set_tools(self.tool_manager)
        self.mip_view = MipView(self.model)  # the PET coronal MIP of the 2 x 2 layout
        # the CT alone and the PET alone, beside the fused axial view in the CT | fused | PET layout
        self.alone_views = (SliceView(self.model, Plane.AXIAL, shows=ViewShows.BASE),
                            SliceView(self.model, Plane.AXIAL, shows=ViewShows.OVERLAY))
        axials = [self.views[Plane.AXIAL], *self.alone_views]
        for view in self.alone_views:
            view.set_tools(self.tool_manager)
        for view in axials:
            view.linked_views = axials  # one zoom and pan for the three
        self._side_by_side_wanted = False  # chosen (or remembered) while no PET overlay was shown
        self.view_grid = ViewGrid(self.views, self.mip_view, self.alone_views)
        # Home fits the images while the focus is in the views (not in a slider or a field of the panels)
        self._home_fits = QShortcut(QKeySequence("Home"), self.view_grid,
                                    context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.setCentralWidget(self.view_grid)
        self.layout_actions = make_layout_actions(self)

        self.browser = SeriesBrowser(self)
        self.display_panel = DisplayPanel(self.model, self)
        self.browser_dock = self._dock("Series", "series_dock", self.browser)
        # in a scroll area: its controls (292 px tall) set the height of the whole tab group of the side column
        self.display_dock = self._dock("Display", "display_dock", _scrolled(self.display_panel))
        self.splitDockWidget(self.browser_dock, self.display_dock, Qt.Orientation.Vertical)
        self.lesion_panel = LesionPanel(self.model, self.editor, self)
        # the lesion table's columns as the user chose them in its header's context menu, kept for next time
        columns = self.lesion_panel.columns
        columns.set_choice(*(self.settings.get(s).split(",") for s in (LESION_COLUMNS_WANTED, LESION_COLUMNS_HIDDEN)))
        columns.on_choice = self._on_lesion_columns_chosen
        # the lesion table under the views, wide enough for every column; the
        # series and display docks keep the full height on the left
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.lesion_dock = self._dock("Lesions", "lesion_dock", self.lesion_panel,
                                      Qt.DockWidgetArea.BottomDockWidgetArea)
        self.help_dialog: HelpDialog | None = None  # F1, made when first asked for
        self._docks_sized = False  # first show: _size_docks (resizeDocks before the show is ignored)
        self.compact = False  # the first layout of a narrow window (_compact_layout)
        self._folded: list[QDockWidget] = []  # the panels F9 folded, shown again by the next F9

        self._build_status_bar()
        self._build_menus()
        # what the controllers get instead of the window (gui.services)
        self.services = Services(parent=self, model=self.model, settings=self.settings, undo_stack=self.undo_stack,
                                 runner=self.runner, actions=self.actions, menus=self.menus, add_dock=self._dock,
                                 show_message=self.show_message, scan=lambda: self.scan_result)
        services, views = self.services, list(self.views.values())
        self.case_controller = CaseController(services, show_loaded=self.show_loaded, update_title=self.update_title)
        cases = self.case_controller
        # the Tools toolbar, edit actions, lesion counts
        self.lesion_wiring = LesionActionsController(services, self.editor, self.tool_manager, cases,
                                                     self.lesion_count_label, self.update_title)
        self.tools_toolbar = self.lesion_wiring.toolbar
        self.brush_spin, self.segment_options = self.lesion_wiring.brush_spin, self.lesion_wiring.segment_options
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.tools_toolbar)
        # File > Query / retrieve from PACS, Send to PACS (issue 6); after an export: "Send to PACS…"
        self.pacs_wiring = PacsController(services, cases, self.open_folder)
        offer_send = self.pacs_wiring.offer_send
        self.review_wiring = ReviewController(services, cases, views, self.update_title, self.pacs_wiring)
        cases.before_other_images = self.review_wiring.practice.ask_end  # other images end a practice (asked)
        # verdicts, case facts, candidacy summary (issue 5)
        self.rules_wiring = VerdictsController(services, cases, user=lambda: self.review_wiring.user,
                                               offer_send=offer_send)
        # DICOM-RT: structure list, import, export
        self.structure_wiring = StructuresController(services, cases, views, self.editor, offer_send=offer_send)
        self.rules_wiring.facts_changed.connect(self.review_wiring.record_fact_changes)  # audited as made
        self.rules_wiring.follow_structures(self.structure_wiring)  # OAR flags follow RTSTRUCT imports
        # Tools > Find lesions: PET candidates (issue 13)
        self.candidate_wiring = CandidatesController(services, cases, views, self.editor, self.structure_wiring,
                                                     self.rules_wiring)
        # PET colours, presets that fit, labels, jumps (issue 16)
        self.display_wiring = ImageDisplayController(services, self.slice_views(), self.structure_wiring,
                                                     self.lesion_panel)
        axial = self.views[Plane.AXIAL]
        for view in self.alone_views:  # the practice reference, structures and candidates the controllers drew on
            view.extra_overlays = axial.extra_overlays  # the axial view (the same list: later ones too)
            view.lesion_overlay.colour_for = axial.lesion_overlay.colour_for
        self._arrange_docks()
        # the prior study beside the current one (issue 17); its dock a tab beside the lesion table
        self.comparison = PriorComparison(
            services, cases, views=self.views, slice_views=self.slice_views(), view_grid=self.view_grid,
            set_view_layout=self.set_view_layout, editor=self.editor, browser=self.browser,
            open_pacs=self.pacs_wiring.open_dialog, tracking_changed=self.rules_wiring.tracking_changed,
            on_hovered=self._on_view_hovered)
        self.tabifyDockWidget(self.lesion_dock, self.comparison.dock)
        self.lesion_dock.raise_()
        self.file_menu.insertMenu(self.actions.save_case, self.comparison.menu)  # File > Compare with prior
        self.file_menu.insertSeparator(self.actions.save_case)
        self._build_layout_menu()
        self._connect()
        self.resize(1400, 950)  # the first start's size; a saved geometry replaces it (it was the other
        self._restore_settings()  # way round: the window reopened at 1400 x 950 whatever the user made it)

    # ------------------------------------------------------------------ build
    def _dock(self, title: str, name: str, widget: QWidget,
              area: Qt.DockWidgetArea = Qt.DockWidgetArea.LeftDockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def side_docks(self) -> list[QDockWidget]:
        """The panels of the side column, in the slim bar's order."""
        return [self.lesion_dock, self.rules_wiring.verdict_dock, self.rules_wiring.facts_dock,
                self.candidate_wiring.dock, self.browser_dock, self.display_dock, self.structure_wiring.dock]

    def _arrange_docks(self) -> None:
        """One side column at the right, so that the views get at least 65 % of a 1280 x 800 window
        (issue 16; two side columns and the lesion table under the views left them a third): on top the
        lesion table with the series, display, structures, candidates, history and scorecard as tabs
        beside it; below it the verdicts, and under them the case facts, so that a fact changed shows its
        verdict at once. Each panel folds into the slim bar at the right edge (F9 folds them all)."""
        rules = self.rules_wiring
        hidden = [d for d in self.findChildren(QDockWidget) if d.isHidden()]
        stack = [self.lesion_dock, rules.verdict_dock, rules.facts_dock]
        for dock in self.findChildren(QDockWidget):  # out of the tab groups the controllers made
            self.removeDockWidget(dock)  # (moved while tabbed, they left empty tab bars on the views)
        for dock in stack:
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock, Qt.Orientation.Vertical)
        for dock in (self.candidate_wiring.dock, self.browser_dock, self.display_dock, self.structure_wiring.dock):
            self.tabifyDockWidget(self.lesion_dock, dock)
        # the history and the practice scorecard (hidden until asked for) open as a strip under the views:
        # the scorecard's figures and table need the width
        review = self.review_wiring
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)  # column full height
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, review.history_dock)
        self.tabifyDockWidget(review.history_dock, review.scorecard_dock)
        for dock in self.findChildren(QDockWidget):
            dock.setHidden(dock in hidden)
        self.candidate_wiring.panel.stack_vertically()
        # the verdicts scroll as a whole when their notes wrap to more lines than the dock has (at 1280 x 800
        # the notes were drawn over each other: a dock does not grow with its wrapped labels)
        rules.verdict_dock.setWidget(_scrolled(rules.panel))
        # the structure list scrolls too: with a structure set and its warnings it asked 266 px, which made the
        # whole tab group that tall and took the verdicts' rows in a 1024 x 680 window (the real PET/MR case)
        structures = self.structure_wiring.dock
        structures.setWidget(_scrolled(structures.widget()))
        # the lesion counts above the table may shrink (full text in the status bar): at full length they
        # made the side column 353 px wide, which left the views less than 65 % of a 1280 x 800 window
        self.lesion_panel.counts_label.setMinimumWidth(60)
        site_combo = getattr(self.lesion_panel, "site_combo", None)  # the site of new lesions, where offered
        if site_combo is not None:
            site_combo.setMinimumWidth(100)  # its longest site name was 156 px; the popup shows them whole
            site_combo.setMaximumWidth(130)
            # beside it the counts wrapped to five lines and left the table two rows; on one line they may
            # be cut at the column's edge (the status bar shows them whole)
            self.lesion_panel.counts_label.setWordWrap(False)
        for panel in (self.candidate_wiring.panel, self.lesion_panel):  # their new minimum sizes now, not at
            panel.layout().activate()  # the first show: a saved window size was clamped to the old ones
        self.lesion_dock.raise_()
        self.side_bar = make_side_bar(self, self.layout_actions.fold_panels,
                                      [d.toggleViewAction() for d in self.side_docks()])
        self.addToolBar(Qt.ToolBarArea.RightToolBarArea, self.side_bar)

    def _build_layout_menu(self) -> None:
        view_menu = self.menus.view
        first = view_menu.actions()[0] if view_menu.actions() else None
        layouts = QMenu("&Layout", view_menu)
        layouts.setObjectName("layout_menu")
        for action in self.layout_actions.layouts:
            layouts.addAction(action)
        view_menu.insertMenu(first, layouts)
        view_menu.insertAction(first, self.layout_actions.fold_panels)
        view_menu.insertSeparator(first)
        for action in self.layout_actions.all():
            self.addAction(action)

    def set_view_layout(self, value: str) -> None:
        """Show the views in layout ``value`` (a :class:`gui.view_grid.ViewLayout` value). CT | fused | PET
        needs a PET overlay: without one the layout stays and the status bar says why."""
        self._side_by_side_wanted = False
        if value == ViewLayout.SIDE_BY_SIDE.value and not is_pet(self.model.overlay):
            self.show_message(SIDE_BY_SIDE_NEEDS_PET)
            self._on_grid_layout_changed(self.view_grid.view_layout.value)  # the tick back where it was
            return
        if value == ViewLayout.COMPARE.value and self.comparison.session is None:
            self.show_message(NEEDS_PRIOR)
            self._on_grid_layout_changed(self.view_grid.view_layout.value)
            return
        self.view_grid.set_view_layout(value)

    def _offer_side_by_side(self) -> None:
        """CT | fused | PET only with a PET overlay: the menu entry enabled with one; without it the layout
        gives way to the default (and comes back with the next PET, as a remembered layout does)."""
        has_pet = is_pet(self.model.overlay)
        action = self.layout_actions.layout_action(ViewLayout.SIDE_BY_SIDE.value)
        action.setEnabled(has_pet)
        action.setStatusTip(f"Views: {ViewLayout.SIDE_BY_SIDE.title.replace('&', '')}" if has_pet
                            else SIDE_BY_SIDE_NEEDS_PET)
        if has_pet and self._side_by_side_wanted:
            self._side_by_side_wanted = False
            self.view_grid.set_view_layout(ViewLayout.SIDE_BY_SIDE)
        elif not has_pet and self.view_grid.view_layout == ViewLayout.SIDE_BY_SIDE:
            self._side_by_side_wanted = True
            self.view_grid.set_view_layout(DEFAULT_LAYOUT)
            self.show_message(SIDE_BY_SIDE_NEEDS_PET)

    def _on_lesion_columns_chosen(self, wanted: list[str], unticked: list[str]) -> None:
        self.settings.set(LESION_COLUMNS_WANTED, ",".join(wanted))
        self.settings.set(LESION_COLUMNS_HIDDEN, ",".join(unticked))

    def fold_side_panels(self) -> None:
        """F9: hide every side panel shown (their buttons stay in the slim bar); again: show them back."""
        shown = [d for d in self.findChildren(QDockWidget) if d.isVisible() and not d.isFloating()]
        if shown:
            self._folded = [d for d in self.findChildren(QDockWidget) if not d.isHidden() and not d.isFloating()]
            for dock in self._folded:
                dock.hide()
            self.view_grid.focus_view.setFocus()  # not a field of the toolbar: the keys stay the views'
            self.show_message("Side panels folded: F9 or a button at the right edge shows them again")
        else:
            for dock in self._folded or self.side_docks()[:3]:
                dock.show()
            self._folded = []

    def _on_grid_layout_changed(self, value: str) -> None:
        with QSignalBlocker(self.layout_actions.layout_group):
            self.layout_actions.layout_action(value).setChecked(True)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.readout_label = QLabel("", self)
        self.readout_label.setObjectName("readout_label")
        self.readout_label.setMinimumWidth(420)
        self.readout_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # the warning and task messages shrink ("…", full text in the tooltip): at their full length they
        # made the window wider than a 1024 px screen and cut the decision-support note
        self.warning_label = ElidedLabel("", self)
        self.warning_label.setObjectName("warning_label")
        self.warning_label.setStyleSheet("color: #d08000;")
        self.task_label = ElidedLabel("", self)
        self.task_label.setObjectName("task_label")
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("progress_bar")
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancel_button")
        self.cancel_button.setToolTip("Stop the scan or load in progress (Esc)")
        self.lesion_count_label = QLabel("", self)
        self.lesion_count_label.setObjectName("status_lesion_counts")
        self.lesion_count_label.setToolTip("Lesions counted per organ / site")
        self.note_label = QLabel(DECISION_SUPPORT_NOTE, self)
        self.note_label.setObjectName("decision_support_label")
        self.note_label.setStyleSheet("color: #b03030; font-weight: bold;")
        bar.addWidget(self.readout_label, 3)
        bar.addWidget(self.warning_label, 2)
        bar.addPermanentWidget(self.task_label)
        bar.addPermanentWidget(self.progress_bar)
        bar.addPermanentWidget(self.cancel_button)
        bar.addPermanentWidget(self.lesion_count_label)
        bar.addPermanentWidget(self.note_label)
        self.progress_bar.hide()
        self.cancel_button.hide()
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(lambda: self.task_label.setText(""))

    def _build_menus(self) -> None:
        a = self.actions
        file_menu = self.file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(a.open_folder)
        file_menu.addAction(a.open_case)
        file_menu.addAction(a.open_case_dicom)
        file_menu.addAction(a.save_case)
        file_menu.addAction(a.save_case_as)
        file_menu.addSeparator()
        file_menu.addAction(a.cancel_task)
        file_menu.addSeparator()
        file_menu.addAction(a.quit)
        edit_menu = self.menuBar().addMenu("&Edit")
        for action in (a.undo, a.redo, None, a.accept_edit, a.new_lesion, a.confirm_site, a.delete_lesion,
                       a.cycle_treatable, a.interpolate):
            edit_menu.addSeparator() if action is None else edit_menu.addAction(action)
        tools_menu = self.menuBar().addMenu("&Tools")
        for action in a.tools:
            tools_menu.addAction(action)
        tools_menu.addSeparator()
        tools_menu.addAction(a.brush_smaller)
        tools_menu.addAction(a.brush_larger)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(a.reset_view)
        view_menu.addAction(a.toggle_overlay)
        presets = view_menu.addMenu("&Window presets")
        for action in a.presets:
            presets.addAction(action)
        view_menu.addSeparator()
        view_menu.addAction(self.browser_dock.toggleViewAction())
        view_menu.addAction(self.display_dock.toggleViewAction())
        view_menu.addAction(self.lesion_dock.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(a.show_help)
        help_menu.addAction(a.about)
        self.menus = Menus(bar=self.menuBar(), file=file_menu, edit=edit_menu, tools=tools_menu, view=view_menu,
                           presets=presets, help=help_menu)
        # Shortcuts must work whichever view has focus.
        for action in a.all():
            self.addAction(action)

    def _connect(self) -> None:
        a = self.actions
        a.open_folder.triggered.connect(self._choose_folder)
        a.cancel_task.triggered.connect(self._on_cancel_triggered)
        a.quit.triggered.connect(self.close)
        a.reset_view.triggered.connect(self._on_reset_view_triggered)
        self._home_fits.activated.connect(a.reset_view.trigger)
        for action in self.layout_actions.layouts:
            action.triggered.connect(partial(self.set_view_layout, action.data()))
        self.layout_actions.fold_panels.triggered.connect(self.fold_side_panels)
        self.view_grid.layout_changed.connect(self._on_grid_layout_changed)
        a.toggle_overlay.toggled.connect(self.model.set_overlay_visible)
        a.show_help.triggered.connect(self._show_help)
        a.about.triggered.connect(self._show_about)
        for action in a.presets:
            action.triggered.connect(partial(self._on_preset_triggered, action.data()))
        self.cancel_button.clicked.connect(self.cancel_task)
        self.browser.open_requested.connect(self.open_entry)
        self.runner.started.connect(self._on_runner_started)
        self.runner.progress.connect(self._on_runner_progress)
        self.runner.finished.connect(self._on_runner_finished)
        for view in (*self.views.values(), *self.alone_views):
            view.hovered.connect(self._on_view_hovered)
        self.model.events.volumes.connect(self._on_model_volumes)
        self.model.events.overlay.connect(self._on_model_overlay)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._docks_sized:
            self._docks_sized = True
            state = self.settings.get(WINDOW_STATE)
            if state.isEmpty():
                if self.width() < COMPACT_WIDTH_PX:
                    self._compact_layout()
                self._size_docks()
                QTimer.singleShot(0, self._size_docks)  # again once the first layout has run
            else:  # a saved layout is the user's own: restored at the size it was saved for (restored at
                self.restoreState(state)  # 1400 x 950 and shrunk, the verdicts overlapped the case facts)

    def fit_screen(self) -> None:
        """First start (no saved geometry): the window at most the screen's free area, so that a
        laptop's 1024 or 1366 px screen gets the layout made for it (see :meth:`_compact_layout`)."""
        if self.settings.get(WINDOW_GEOMETRY).isEmpty():
            fit_to_screen(self, self.width(), self.height())

    def _compact_layout(self) -> None:
        """A window narrower than COMPACT_WIDTH_PX: the side column as narrow as the display panel allows."""
        self.compact = True

    def side_width_px(self) -> int:
        """The side column's first width: COMPACT_SIDE_PX on a laptop, SIDE_SHARE of a wider window."""
        if self.compact:
            return COMPACT_SIDE_PX
        return max(COMPACT_SIDE_PX, min(SIDE_MAX_PX, int(self.width() * SIDE_SHARE)))

    def _size_docks(self) -> None:
        """The side column's width, and its height shared between the lesion table (with its tabs), the
        verdicts and the case facts: 32/38/30 %, on a laptop 24/46/30 % (the verdicts' notes wrap more).
        Made in __init__, before the window was shown, these sizes were ignored."""
        rules = self.rules_wiring
        self.resizeDocks([self.lesion_dock], [self.side_width_px()], Qt.Orientation.Horizontal)
        height = max(300, self.centralWidget().height())
        shares = (0.24, 0.46, 0.30) if self.compact else (0.32, 0.38, 0.30)
        self.resizeDocks([self.lesion_dock, rules.verdict_dock, rules.facts_dock], [int(height * f) for f in shares],
                         Qt.Orientation.Vertical)

    # --------------------------------------------------------------- settings
    def _restore_settings(self) -> None:
        s = self.settings
        geometry, state = s.get(WINDOW_GEOMETRY), s.get(WINDOW_STATE)
        if not geometry.isEmpty():
            self.restoreGeometry(geometry)
        if not state.isEmpty():
            self.restoreState(state)  # which docks are shown (again at the first show: their sizes)
        layout = s.get(VIEW_LAYOUT)  # Compare with prior is not remembered: it needs a prior opened again
        self.view_grid.set_view_layout(layout if layout in {v.value for v in ViewLayout} - {ViewLayout.COMPARE.value}
                                       else DEFAULT_LAYOUT)
        self._offer_side_by_side()  # CT | fused | PET remembered: shown once a PET overlay is
        with error_boundary(self, "Restoring the display settings"):
            self.model.set_overlay_opacity(min(max(s.get(OVERLAY_OPACITY), 0), 100) / 100.0)
            cmap = LEGACY_COLORMAPS.get(s.get(OVERLAY_COLORMAP), s.get(OVERLAY_COLORMAP))
            if cmap in COLORMAPS:
                self.model.set_overlay_cmap(cmap)

    def _save_settings(self) -> None:
        s = self.settings
        s.set(WINDOW_GEOMETRY, self.saveGeometry())
        s.set(WINDOW_STATE, self.saveState())
        s.set(VIEW_LAYOUT, ViewLayout.SIDE_BY_SIDE.value if self._side_by_side_wanted
              else self.view_grid.view_layout.value)
        s.set(OVERLAY_OPACITY, int(round(self.model.overlay_opacity * 100)))
        s.set(OVERLAY_COLORMAP, self.model.overlay_cmap)
        s.set(BRUSH_RADIUS_MM, float(self.editor.brush_radius_mm))
        s.sync()

    def closeEvent(self, event) -> None:  # noqa: N802
        if self._closed:
            super().closeEvent(event)
            return
        if not self.case_controller.ask_keep_work("Closing OligoPlan", other_images=False):
            event.ignore()
            return
        self._closed = True
        self.case_controller.discard_changes()  # saved or discarded: no recovery needed
        self.case_controller.shutdown()
        self.runner.shutdown()
        self._save_settings()
        for view in self.slice_views():
            view.disconnect_model()
        self.mip_view.disconnect_model()
        self.display_panel.disconnect_model()
        self.lesion_panel.disconnect_model()
        self.editor.disconnect_model()
        self.lesion_wiring.disconnect_model()
        self.tool_manager.disconnect_model()
        self.review_wiring.disconnect_model()
        self.comparison.disconnect_model()
        self.rules_wiring.disconnect_model()
        self.pacs_wiring.shutdown()
        self.structure_wiring.disconnect_model()
        self.display_wiring.disconnect_model()
        # the undo stack is destroyed after the actions and the title it updates; with edits left
        # after the close (a script's undo) its clear() emitted into them: "already deleted" at exit
        self.undo_stack.blockSignals(True)
        super().closeEvent(event)

    def start_up(self, path: str | None = None) -> None:
        """After the window is shown: offer unsaved work left by a crash, else open ``path``
        (a case file, `oligoplan CASE.json`, or a folder of images); then, the first time, ask the
        user's name and role for the audit trail (gui.review.controller.ReviewController.ask_user_if_unknown)."""
        self._clean_export_leftovers()
        try:
            self._open_at_start(path)
        finally:
            self.review_wiring.ask_user_if_unknown()

    def _clean_export_leftovers(self) -> None:
        """Remove the staging folders of exports killed in an earlier run (core.export_set) and say so."""
        removed = clean_recorded_leftovers()
        if removed:
            text = leftovers_message(removed)
            log.info("%s", text)  # folder names only (host, process id, token): no patient data
            self.show_message(text[0].upper() + text[1:])

    def _open_at_start(self, path: str | None) -> None:
        if self.case_controller.offer_recovery():
            return
        if path and Path(path).suffix.lower() == ".json" and not Path(path).is_dir():
            self.case_controller.open_case(path)  # a mistyped CASE.json: "no such case file"
        elif path:
            self.open_folder(str(path))

    # ---------------------------------------------------------- open a folder
    def _choose_folder(self) -> None:
        start = self.settings.get(LAST_FOLDER)
        path = QFileDialog.getExistingDirectory(self, "Open a folder of DICOM files", start)
        if path:
            self.open_folder(path)

    def open_folder(self, path: str, *, auto_open: bool = True) -> None:
        """Scan ``path`` in the background; list its series; open the first CT."""
        if not self.case_controller.ask_keep_work("Opening another folder"):
            return
        self.settings.set(LAST_FOLDER, str(path))
        self.runner.start(
            partial(loading.scan, str(path)),
            f"Scanning {path}",
            on_done=partial(self._on_scan_done, str(path), auto_open),
            on_failed=partial(show_exception, self, f"Opening the folder {path}"),
        )

    def _on_scan_done(self, path: str, auto_open: bool, result: Any) -> None:
        with error_boundary(self, f"Opening the folder {path}"):
            self.scan_result = result
            self.browser.set_scan(result)
            self.browser.mark_loaded(set())
            if not result.series:
                raise NoImagesError(
                    f"{path}: no image series found ({len(result.skipped)} files skipped; "
                    "hover over the summary below the series list for the reasons). "
                    "Choose a folder that holds CT, PET or MR images."
                )
            base, overlay = select_series(result.series)
            if auto_open and base is not None:
                self.open_entries(base, overlay)

    # ---------------------------------------------------------- open a series
    def open_entry(self, entry: Any) -> None:
        """Open a series from the browser. A PET that fits the shown CT is fused
        over it; a CT or MR opens with the best matching PET, if any."""
        base_entry, _ = self.loaded_entries
        if entry.info.modality == Modality.PT and base_entry is not None and \
                self.model.base is not None and can_overlay(base_entry.info, entry.info):
            self.open_entries(base_entry, entry)
            return
        overlay = None
        if entry.info.modality != Modality.PT and self.scan_result is not None:
            overlay = matching_pet(self.scan_result.series, entry)
        self.open_entries(entry, overlay)

    def open_entries(self, base_entry: Any, overlay_entry: Any | None = None) -> None:
        """Load a base series (and an overlay) in the background, then show them."""
        if base_entry is not self.loaded_entries[0] and \
                not self.case_controller.ask_keep_work("Opening another series"):
            return
        reuse = self.model.base if (base_entry is self.loaded_entries[0] and self.model.base is not None) else None

        def work(progress, cancel):
            if reuse is not None:
                overlay = None
                if overlay_entry is not None:
                    overlay = loading.load_pair(overlay_entry, None, progress=progress, cancel=cancel).base
                return loading.LoadedPair(reuse, overlay)
            return loading.load_pair(base_entry, overlay_entry, progress=progress, cancel=cancel)

        names = " + ".join(e.info.title for e in (base_entry, overlay_entry) if e is not None)
        self.runner.start(
            work,
            f"Loading {names}",
            on_done=partial(self._on_load_done, base_entry, overlay_entry),
            on_failed=partial(show_exception, self, f"Loading {names}"),
        )

    def _on_load_done(self, base_entry: Any, overlay_entry: Any, pair: loading.LoadedPair) -> None:
        with error_boundary(self, "Showing the loaded series"):
            self.show_volumes(pair.base, pair.overlay)
            self.loaded_entries = (base_entry, overlay_entry if pair.overlay is not None else None)
            self.browser.mark_loaded({e.key for e in self.loaded_entries if e is not None})

    def show_volumes(self, base: Volume | None, overlay: Volume | None = None) -> None:
        """Show volumes already in memory (the worker's result, or a script's)."""
        self.tool_manager.cancel()
        self.loaded_entries = (None, None)
        self.model.set_volumes(base, overlay)
        self.views[Plane.AXIAL].setFocus()

    def show_loaded(self, scan: Any, base_entry: Any, overlay_entry: Any, pair: loading.LoadedPair) -> None:
        """Show series loaded from a scan (a case's images): browser, volumes, loaded marks."""
        self.scan_result = scan
        self.browser.set_scan(scan)
        self.show_volumes(pair.base, pair.overlay)
        self.loaded_entries = (base_entry, overlay_entry if pair.overlay is not None else None)
        self.browser.mark_loaded({e.key for e in self.loaded_entries if e is not None})

    def cancel_task(self) -> None:
        if self.runner.busy:
            self.task_label.setText("Cancelling…")
            self.runner.cancel()

    def _on_cancel_triggered(self) -> None:
        """Esc: stop a load in progress, else drop the tool's preview or outline."""
        if self.runner.busy:
            self.cancel_task()
        elif self.tool_manager.cancel():
            self.show_message("Dropped")

    def update_title(self) -> None:
        base = self.model.base
        parts = ["OligoPlan"]
        review = getattr(self, "review_wiring", None)  # the review state, e.g. " [Approved]"
        practising = review is not None and review.practice.active
        case = self.case_controller.case
        if self.model.lesions or case.path is not None or practising or len(case.audit):
            parts.append(self.case_controller.name + (review.title_part() if review is not None else ""))
        if base is not None:
            images = base.info.title
            if self.model.overlay is not None:
                images += f" + {self.model.overlay.modality.value}"
            parts.append(images)
        self.setWindowTitle(" — ".join(parts) + ("[*]" if len(parts) > 1 else ""))

    # -------------------------------------------------------- model / runner
    def _on_model_volumes(self) -> None:
        self._offer_side_by_side()
        lines = volume_warnings(self.model.base, self.model.overlay)
        if lines:
            more = f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""
            self.warning_label.setText(f"⚠ {lines[0]}{more}")
        else:
            self.warning_label.setText("")
        self.warning_label.setToolTip("\n".join(lines))
        has_overlay = self.model.overlay is not None
        self.actions.toggle_overlay.setEnabled(has_overlay)
        self.update_title()

    def _on_model_overlay(self) -> None:
        with QSignalBlocker(self.actions.toggle_overlay):
            self.actions.toggle_overlay.setChecked(self.model.overlay_visible)

    def _on_runner_started(self, description: str) -> None:
        self.task_label.setText(description if len(description) < 60 else description[:57] + "…")
        self.progress_bar.setRange(0, 0)  # busy until the first progress report
        self.progress_bar.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.lesion_wiring.update_actions()

    def _on_runner_progress(self, done: int, total: int, message: str) -> None:
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(min(done, total))
        if message:
            self.task_label.setText(message)

    def _on_runner_finished(self) -> None:
        self.progress_bar.hide()
        self.cancel_button.hide()
        self.lesion_wiring.update_actions()
        self.task_label.setText("")

    def show_message(self, text: str) -> None:
        """A short note in the status bar (cleared after a few seconds)."""
        if not self.runner.busy:
            self.task_label.setText(text)
            self._message_timer.start(_MESSAGE_MS)

    # -------------------------------------------------------------- handlers
    def _on_view_hovered(self, probe: Probe | None) -> None:
        self.readout_label.setText(format_probe(probe))

    def _on_preset_triggered(self, key: str, _checked: bool = False) -> None:
        preset = next(p for p in WINDOW_PRESETS if p.key == key)
        layer = self.model.apply_preset(preset)
        if not layer:
            needed = {"HU": "a CT (HU)", "SUV": "a PET in SUV", "MR": "an MR"}.get(preset.unit, preset.unit)
            self.show_message(f"The {preset.name} preset needs {needed} on screen")
        else:
            self.show_message(f"Window: {preset.name}")

    def _on_reset_view_triggered(self) -> None:
        for view in self.slice_views():
            view.reset_view()

    def slice_views(self) -> list[SliceView]:
        """Every slice view: axial, coronal, sagittal, and the CT alone and PET alone of CT | fused | PET."""
        return [*self.views.values(), *self.alone_views]

    def help_actions(self) -> list[QAction]:
        """Every action of the window, the main ones first, then those the review, rules,
        structures and PACS controllers added (each once)."""
        listed = self.actions.all()
        seen = set(map(id, listed))
        for action in self.findChildren(QAction):
            if id(action) not in seen and action.text():
                listed.append(action)
                seen.add(id(action))
        return listed

    def _show_help(self) -> None:
        """F1: the shortcuts in a window beside the views (non-modal: the user can try them out)."""
        if self.help_dialog is None:
            self.help_dialog = HelpDialog(help_text(self.help_actions()), self)
        self.help_dialog.fit_screen()
        self.help_dialog.show()
        self.help_dialog.raise_()

    def _show_about(self) -> None:
        QMessageBox.about(
            self,
            "About OligoPlan",
            f"<b>OligoPlan {core.__version__}</b><br>Decision support for stereotactic body "
            "radiotherapy (SBRT) of oligometastatic cancer.<br><br>"
            f"<b>{DECISION_SUPPORT_NOTE}.</b> Every result must be checked by a qualified "
            "physician before any treatment decision.",
        )

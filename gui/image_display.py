"""How the images read: PET colours, the window presets that fit, labels on the image, jumps.

* View > PET colours: hot iron, rainbow, inverted grey (one at a time; the choice is the
  model's ``overlay_cmap``, remembered by the window's settings). Over a CT, low uptake is
  transparent (gui.render.colormap_lut); a PET shown alone is drawn in the same map, opaque.
* View > Window presets lists only the presets that fit an image on screen: no CT preset
  for an MR, MR presets (percentiles of the MR's own voxels) only for an MR. The number
  key of a preset not listed says in the status bar what it needs.
* View > Labels on the image (L): every label on the three views on or off (lesion numbers,
  practice marks, structure names). View > Structure names on the image: every structure's
  name written on the image (off: only the one under the mouse; the Structures dock is the
  legend).
* Double-click a structure in the Structures dock or a lesion in the lesion table: the
  crosshair (and so the three views) goes to it. The lesion map jumps on a click already.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Sequence

from PySide6.QtCore import QSignalBlocker
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QTreeWidgetItem

from gui.panels.lesion_table import ID_ROLE
from gui.panels.structure_list import ROLE_KEY
from gui.render import COLORMAPS, WINDOW_PRESETS
from gui.services import Controller, Services
from gui.structure_overlay import structure_centre_index

if TYPE_CHECKING:  # annotations only
    from gui.panels.lesion_table import LesionPanel
    from gui.slice_view import SliceView
    from gui.structures import StructuresController


class ImageDisplayController(Controller):
    """Made by the main window after its structures controller: ``views`` are every slice view (their
    labels), ``structures`` and ``lesion_panel`` the lists whose double-click jumps."""

    def __init__(self, services: Services, views: Sequence[SliceView], structures: StructuresController,
                 lesion_panel: LesionPanel):
        super().__init__(services)
        self.preset_actions = services.actions.presets
        self.views = list(views)
        self.structures = structures
        self.menus = services.menus
        group = QActionGroup(self)
        group.setExclusive(True)
        self.colour_actions: dict[str, QAction] = {}
        for name in COLORMAPS:
            action = QAction(name.capitalize(), self.owner)
            action.setObjectName(f"pet_colours_{name.replace(' ', '_')}")
            action.setCheckable(True)
            action.setStatusTip(f"Draw the PET in {name} (over the CT, and alone)")
            group.addAction(action)
            action.triggered.connect(partial(self.set_colours, name))
            self.colour_actions[name] = action
        self.labels_action = QAction("&Labels on the image", self.owner)
        self.labels_action.setObjectName("toggle_labels")
        self.labels_action.setCheckable(True)
        self.labels_action.setChecked(True)
        self.labels_action.setShortcut(QKeySequence("L"))
        tip = "Show or hide every label on the images (lesion numbers, structure names, practice marks)"
        self.labels_action.setStatusTip(tip)
        self.labels_action.setToolTip(tip)
        self.labels_action.toggled.connect(self.set_labels_shown)
        self.names_action = QAction("Structure &names on the image", self.owner)
        self.names_action.setObjectName("structure_names_on_image")
        self.names_action.setCheckable(True)
        tip = "Write every structure's name on the images (off: only the one under the mouse)"
        self.names_action.setStatusTip(tip)
        self.names_action.setToolTip(tip)
        self.names_action.toggled.connect(self.set_structure_names)
        self._build_menu()
        self.model.events.overlay.connect(self._sync_colours)
        self.model.events.volumes.connect(self._sync_presets)
        structures.panel.tree.itemDoubleClicked.connect(self._on_structure_double_clicked)
        lesion_panel.table.doubleClicked.connect(self._on_lesion_double_clicked)
        self._sync_colours()
        self._sync_presets()

    def disconnect_model(self) -> None:
        self.model.events.overlay.disconnect(self._sync_colours)
        self.model.events.volumes.disconnect(self._sync_presets)

    def _build_menu(self) -> None:
        view_menu = self.menus.view
        colours = QMenu("PET &colours", view_menu)
        colours.setObjectName("pet_colours_menu")
        for action in self.colour_actions.values():
            colours.addAction(action)
        anchor = self.menus.presets.menuAction()  # before the presets
        view_menu.insertMenu(anchor, colours)
        view_menu.insertAction(anchor, self.labels_action)
        view_menu.insertAction(anchor, self.names_action)
        for action in (self.labels_action, self.names_action, *self.colour_actions.values()):
            self.owner.addAction(action)

    def set_colours(self, name: str, _checked: bool = False) -> None:
        self.model.set_overlay_cmap(name)
        self._sync_colours()  # the one chosen again stays ticked

    # ------------------------------------------------------------ model -> actions
    def _sync_colours(self) -> None:
        for name, action in self.colour_actions.items():
            with QSignalBlocker(action):
                action.setChecked(name == self.model.overlay_cmap)

    def _sync_presets(self) -> None:
        """View > Window presets lists the presets that fit; the others leave the menu but keep their
        key, which then says in the status bar what the preset needs (the window's handler)."""
        menu = self.presets_menu()
        menu.clear()
        for action in self.preset_actions:
            preset = next(p for p in WINDOW_PRESETS if p.key == action.data())
            if self.model.preset_fits(preset):
                menu.addAction(action)

    def presets_menu(self) -> QMenu:
        return self.menus.presets

    # ------------------------------------------------------------ labels
    def set_labels_shown(self, shown: bool) -> None:
        for view in self.views:
            view.labels.shown = bool(shown)
            view.update()
        with QSignalBlocker(self.labels_action):
            self.labels_action.setChecked(bool(shown))
        self.show_message("Labels on the image" if shown else "Labels hidden (L shows them)")

    def set_structure_names(self, on: bool) -> None:
        for view in self.views:
            view.labels.structure_names = bool(on)
            view.update()

    # ------------------------------------------------------------ jumps
    def _on_structure_double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        key = item.data(0, ROLE_KEY)
        if key is not None:
            self.go_to_structure(key)

    def go_to_structure(self, key) -> bool:
        """Move the crosshair to a voxel at the centre of a structure; False (and why, in the status
        bar) when it cannot be shown on the images on screen."""
        s = self.structures.find(key)
        base = self.model.base
        if s is None or base is None:
            return False
        if s.mask is None or s.mask.series_uid != base.info.series_uid or s.mask.grid_shape != base.shape:
            self.show_message(f"{s.name} is not drawn on the images shown: nothing to go to")
            return False
        zyx = structure_centre_index(s.mask)
        if zyx is None:
            self.show_message(f"{s.name} is empty: nothing to go to")
            return False
        self.model.set_cursor(zyx)
        return True

    def _on_lesion_double_clicked(self, index) -> None:
        lesion_id = index.data(ID_ROLE)
        if lesion_id is not None and lesion_id in self.model.lesions:
            self.model.go_to_lesion(lesion_id)


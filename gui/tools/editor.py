"""Every lesion edit of the gui, as undoable core commands on the window's stack.

Tools and the lesion table call these methods; none of them changes a lesion
directly. Geometry (rasterising, painting a plane, interpolation) is
core.contours; this module only decides *which* lesion an edit goes to:

* drawing (polygon, freehand, brush) adds to the selected lesion, or makes a
  new lesion when none is selected (N deselects);
* the eraser erases from the selected lesion, or from every lesion it
  touches when none is selected;
* a lesion erased down to nothing keeps its marker if it has one, otherwise
  it is deleted (in the same undo step);
* every new lesion takes the site and side core.anatomy proposes for it (from
  the organ structures shown, else the CT), marked proposed until the user
  confirms it (:meth:`confirm_site`); never a site left from another lesion.
"""

from __future__ import annotations

import logging
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, Signal

from core.anatomy import propose_site
from core.anatomy.ct_anatomy import ct_anatomy
from core.codes import Site, SiteSource
from core.contours import gaps, interpolate_mask, paint_slice
from core.lesion_labels import is_site_label, new_label
from core.lesions import AddLesion, Lesion, LesionMask, RemoveLesion, UpdateLesion
from core.segment_record import SegmentRecord
from core.volume import Volume
from gui.undo import UndoStack
from gui.viewer_model import ViewerModel

log = logging.getLogger(__name__)

BRUSH_LIMITS_MM = (0.5, 50.0)
BRUSH_STEP = 1.25


class LesionEditor(QObject):
    """Makes lesion edits for the tools and the table.

    Signals
    -------
    message(str)
        A short note for the status bar ("Added to L2 (Liver 1)").
    brush_changed(float)
        The brush radius (mm) changed.
    """

    message = Signal(str)
    brush_changed = Signal(float)

    def __init__(self, model: ViewerModel, undo: UndoStack, parent: QObject | None = None,
                 brush_radius_mm: float = 5.0):
        super().__init__(parent)
        self.model = model
        self.undo = undo
        #: () -> (structures, ct, pet) that place new lesions; set by the window (None: CT of the views only)
        self.site_context: Callable[[], tuple] | None = None
        model.events.volumes.connect(self._on_model_volumes)
        self._brush_radius_mm = float(np.clip(brush_radius_mm, *BRUSH_LIMITS_MM))

    # ------------------------------------------------------------------ brush
    @property
    def brush_radius_mm(self) -> float:
        return self._brush_radius_mm

    def set_brush_radius(self, radius_mm: float) -> None:
        radius = round(float(np.clip(radius_mm, *BRUSH_LIMITS_MM)), 2)
        if radius != self._brush_radius_mm:
            self._brush_radius_mm = radius
            self.brush_changed.emit(radius)

    def brush_smaller(self) -> None:
        self.set_brush_radius(self._brush_radius_mm / BRUSH_STEP)

    def brush_larger(self) -> None:
        self.set_brush_radius(self._brush_radius_mm * BRUSH_STEP)

    # ------------------------------------------------------------------ names
    @property
    def grid(self) -> Volume | None:
        """The volume drawn on: the base volume of the views."""
        return self.model.base

    def new_label(self, site: Site | str) -> str:
        """'<Site> n' with the smallest n not used by another lesion ('Lesion n' when the site is
        unknown; core.lesion_labels)."""
        return new_label(site, (lesion.label for lesion in self.model.lesions))

    def disconnect_model(self) -> None:
        self.model.events.volumes.disconnect(self._on_model_volumes)

    # --------------------------------------------------------------- sites
    def _on_model_volumes(self) -> None:
        base = self.model.base
        if base is not None and base.modality.value == "CT":  # build the CT's anatomy off the GUI thread
            QThreadPool.globalInstance().start(lambda: _warm_up(base))

    def proposed(self, lesion: Lesion) -> Lesion:
        """``lesion`` with the site and side core.anatomy proposes (site unknown when it cannot)."""
        structures, ct, pet = self.site_context() if self.site_context is not None else ((), None, None)
        if ct is None and pet is None:
            base = self.model.base
            ct = base if base is not None and base.modality.value == "CT" else None
        where = lesion.mask if lesion.mask is not None else lesion.point_mm
        grid = self.model.grid_for(lesion.mask) if lesion.mask is not None else None
        try:
            proposal = propose_site(where, grid, structures=structures, ct=ct, pet=pet)
        except (ValueError, IndexError, MemoryError) as exc:  # no proposal: the site stays unknown, say why
            log.warning("site proposal for %s failed: %s", lesion.id, exc)
            self.message.emit(f"No site could be proposed for {lesion.id}: choose it in the lesion table")
            return lesion.with_changes(site=Site.UNKNOWN, site_source=SiteSource.UNKNOWN, site_confirmed=False,
                                       site_detail="no proposal could be made")
        return lesion.with_proposal(proposal)

    def _reproposed(self, old: Lesion, new: Lesion) -> Lesion:
        """A lesion whose contour changed while its site was only proposed: proposed again (the
        automatic label follows a new site)."""
        if new.site_confirmed or new.mask == old.mask:
            return new
        again = self.proposed(new)
        if again.site != old.site and is_site_label(old.label, old.site):
            again = again.with_changes(label=self.new_label(again.site))
        return again

    def confirm_site(self, lesion_id: str) -> bool:
        """Confirm the proposed site (and side) of a lesion (one undo step); False when it was not proposed."""
        lesion = self.model.lesions[lesion_id]
        if lesion.site_confirmed:
            return False
        if lesion.site is Site.UNKNOWN:
            self.message.emit(f"{lesion.label}: no site was proposed; choose it in the lesion table")
            return False
        self.undo.push_command(UpdateLesion(self.model.lesions, lesion.with_site_confirmed(),
                                            f"Confirm site of {lesion.label}"))
        self.message.emit(f"{lesion.label}: {lesion.site_text} confirmed")
        return True

    def confirm_selected_site(self) -> bool:
        """Confirm the selected lesion's proposed site (the Confirm site key)."""
        selected = self.model.selected
        if selected is None:
            self.message.emit("Select a lesion whose proposed site you confirm")
            return False
        if selected.site_confirmed:
            self.message.emit(f"{selected.label}: its site is already confirmed")
            return False
        return self.confirm_site(selected.id)

    # ------------------------------------------------------------------- adds
    def add_lesion(self, *, mask: LesionMask | None = None, point_mm=None, select: bool = True,
                   text: str = "", segmentation: SegmentRecord | None = None) -> Lesion:
        lesions = self.model.lesions
        lesion = Lesion(id=lesions.new_id(), label="", site=Site.UNKNOWN, point_mm=point_mm, mask=mask,
                        segmentation=segmentation)
        lesion = self.proposed(lesion)
        lesion = lesion.with_changes(label=self.new_label(lesion.site))
        command = AddLesion(lesions, lesion)
        if text:
            command.text = text
        self.undo.push_command(command)
        if select:
            self.model.set_selected(lesion.id)
        if lesion.site is Site.UNKNOWN:
            self.message.emit(f"Added {lesion.id} ({lesion.label}): site unknown ({lesion.site_detail}); "
                              "choose it in the lesion table")
        else:
            self.message.emit(f"Added {lesion.id} ({lesion.label}): {lesion.site_text} proposed "
                              f"({lesion.site_detail}); press Y to confirm it")
        return lesion

    def paint(self, axis: int, index: int, region: np.ndarray, region_offset=(0, 0), *,
              what: str = "Draw") -> Lesion | None:
        """Add a plane region to the selected lesion (or to a new one)."""
        grid = self.grid
        if grid is None or not np.asarray(region).any():
            return None
        target = self.model.selected
        if target is not None and target.mask is not None and self.model.grid_for(target.mask) is not grid:
            self.message.emit(f"{target.label} was drawn on other images; press N to start a new lesion")
            return None
        old = target.mask if target is not None else None
        new = paint_slice(old, axis, index, region, add=True, grid_shape=grid.shape,
                          series_uid=grid.info.series_uid, region_offset=region_offset)
        if new is None:
            return None
        if target is None:
            return self.add_lesion(mask=new, text=f"{what} new lesion")
        if new == old:
            return target
        updated = self._reproposed(target, target.with_changes(mask=new))
        self.undo.push_command(UpdateLesion(self.model.lesions, updated, f"{what} on {target.label}"))
        self.message.emit(f"Added to {target.id} ({target.label}); press N to start a new lesion")
        return updated

    def erase(self, axis: int, index: int, region: np.ndarray, region_offset=(0, 0)) -> int:
        """Erase a plane region from the selected lesion, or from all lesions when none is
        selected. Returns how many lesions changed (one undo step)."""
        grid = self.grid
        if grid is None:
            return 0
        selected = self.model.selected
        targets = [selected] if selected is not None else list(self.model.lesions)
        changes: list[tuple[Lesion, LesionMask | None]] = []
        for lesion in targets:
            if lesion.mask is None or self.model.grid_for(lesion.mask) is not grid:
                continue
            new = paint_slice(lesion.mask, axis, index, region, add=False, grid_shape=grid.shape,
                              series_uid=grid.info.series_uid, region_offset=region_offset)
            if new is None or not new == lesion.mask:
                changes.append((lesion, new))
        if not changes:
            return 0
        names = ", ".join(lesion.label for lesion, _ in changes)
        with self.undo.macro(f"Erase on {names}"):
            for lesion, new in changes:
                self._set_mask(lesion, new, f"Erase on {lesion.label}")
        return len(changes)

    def _set_mask(self, lesion: Lesion, mask: LesionMask | None, text: str) -> None:
        lesions = self.model.lesions
        if mask is None and lesion.point_mm is None:
            self.undo.push_command(RemoveLesion(lesions, lesion.id))
            self.message.emit(f"{lesion.label} erased completely: deleted (Ctrl+Z brings it back)")
        else:
            self.undo.push_command(UpdateLesion(lesions, lesion.with_changes(mask=mask), text))

    # ------------------------------------------------------------- table edits
    def update(self, lesion_id: str, **changes) -> bool:
        """Change fields of a lesion (label, site, laterality, kind, treatable, notes).

        A label still named after the old site ('Other 2') follows a new
        site ('Liver 1'). Returns False when nothing changed.
        """
        lesion = self.model.lesions[lesion_id]
        if "label" in changes:
            label = str(changes["label"]).strip()
            if not label:
                self.message.emit("A lesion needs a label; the old one was kept")
                return False
            changes["label"] = label
        try:
            new = lesion.with_changes(**changes)
        except ValueError as exc:
            self.message.emit(str(exc))
            return False
        if "site" in changes and "label" not in changes and new.site != lesion.site \
                and is_site_label(lesion.label, lesion.site):
            new = new.with_changes(label=self.new_label(new.site))
        if new == lesion:
            if {"site", "laterality"} & set(changes) and lesion.site_proposed:
                return self.confirm_site(lesion_id)  # the proposed site chosen again: that confirms it
            return False
        field = next(iter(changes))
        self.undo.push_command(UpdateLesion(self.model.lesions, new, f"Change {field} of {lesion.label}"))
        return True

    def delete(self, lesion_id: str) -> None:
        self.undo.push_command(RemoveLesion(self.model.lesions, lesion_id))

    def delete_selected(self) -> bool:
        selected = self.model.selected
        if selected is None:
            self.message.emit("Select a lesion to delete (in the table, or click it with the crosshair tool)")
            return False
        self.delete(selected.id)
        self.message.emit(f"Deleted {selected.label} (Ctrl+Z brings it back)")
        return True

    def cycle_treatable_selected(self) -> bool:
        """The selected lesion's treatability to its next state (not assessed -> yes -> no), undoably."""
        selected = self.model.selected
        if selected is None:
            self.message.emit("Select a lesion to set whether it can be treated (T)")
            return False
        state = selected.treatable.next
        if not self.update(selected.id, treatable=state):
            return False
        self.message.emit(f"{selected.label}: treatable {state.value} (T again for the next state; Ctrl+Z undoes)")
        return True

    def interpolate_selected(self, axis: int) -> bool:
        """Fill the planes between the contoured planes (normal to ``axis``) of the selected lesion."""
        lesion = self.model.selected
        grid = self.grid
        if lesion is None or lesion.mask is None or grid is None:
            self.message.emit("Select a contoured lesion to interpolate")
            return False
        n = gaps(lesion.mask, axis)
        if n == 0:
            self.message.emit(f"{lesion.label} has no gaps between contoured slices in this plane")
            return False
        new = interpolate_mask(lesion.mask, axis, grid.spacing_mm)
        self.undo.push_command(UpdateLesion(self.model.lesions, lesion.with_changes(mask=new),
                                            f"Interpolate {lesion.label}"))
        self.message.emit(f"Filled {n} slice(s) of {lesion.label}")
        return True


def _warm_up(ct: Volume) -> None:
    """Build the CT anatomy the site proposals sample (a failure here is retried, and reported, when a
    lesion is added)."""
    try:
        ct_anatomy(ct)
    except Exception:  # noqa: BLE001 - a worker thread must not raise; the first proposal says what failed
        log.exception("building the CT anatomy for site proposals failed")

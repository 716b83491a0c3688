"""PET hot-spot candidates in the main window (issue 13): Tools > Find lesions and the candidates dock.

* Find lesions runs core.detect on the PET shown (fused over the CT, or on
  its own) with the case's liver and organ structures, and puts the
  candidates in the case (replacing earlier ones). Without a PET it says that
  candidates need a PET and what to do instead.
* The dock lists them (sortable); selecting one moves the crosshair to it and
  draws its outline (a preview, dashed yellow). Accept makes a lesion with
  its outline and proposed site and side (core.candidates.AcceptCandidate),
  Reject records the choice; both go on the window's undo stack and into the
  audit trail. The liver reference sphere is outlined (cyan; Go to
  reference moves the views there) and can be moved to the crosshair, which
  finds the candidates again.
* While any candidate is unreviewed every rule set is undetermined: the
  verdict panel is evaluated again after every decision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

from core.candidates import AcceptCandidate, CandidateSet, RejectCandidate, lesion_from_candidate, mask_on_grid
from core.detect import DetectionError, DetectParams, detect_candidates, patient_body_from_header
from core.detect.finder import anatomy_proposer
from core.detect.physiology import organ_of_structure
from core.rt.structures import Structure
from core.volume import Modality
from gui.errors import error_boundary
from gui.panels.candidate_list import CandidateList
from gui.services import Controller, Services
from gui.structure_overlay import StructureOverlay

if TYPE_CHECKING:  # annotations only
    from gui.case_controller import CaseController
    from gui.verdicts import VerdictsController
    from gui.slice_view import SliceView
    from gui.structures import StructuresController
    from gui.tools.editor import LesionEditor

NO_PET = ("Candidates need a PET: open a PET/CT study (the PET fused over the CT), or mark the lesions by hand "
          "with the click, contour or brush tools")
PREVIEW_COLOUR = (255, 220, 0)
REFERENCE_COLOUR = (0, 200, 255)


class CandidatesController(Controller):
    def __init__(self, services: Services, cases: CaseController, views: Sequence[SliceView], editor: LesionEditor,
                 structures: StructuresController, rules: VerdictsController):
        """``views`` draw the candidate and the reference sphere; ``editor`` places an accepted one;
        ``structures`` give the organs that place it and the physiological uptake left out;
        ``rules`` evaluate again after every decision."""
        super().__init__(services)
        self.undo = services.undo_stack
        self.cases = cases
        self.views = list(views)
        self.editor = editor
        self.structures = structures
        self.rules = rules
        self.panel = CandidateList()
        # a tab beside the lesion table (MainWindow._arrange_docks)
        self.dock = services.add_dock("PET candidates", "candidate_dock", self.panel,
                                      Qt.DockWidgetArea.BottomDockWidgetArea)
        self.find_action = QAction("&Find lesions (PET)", self.owner)
        self.find_action.setObjectName("find_lesions")
        self.find_action.setToolTip("Find hot spots on the PET: candidates to accept or reject one by one")
        self.find_action.triggered.connect(self.find)
        services.menus.tools.addSeparator()
        services.menus.tools.addAction(self.find_action)
        self._reference_centre = None  # where the user moved the sphere (None: placed automatically)
        self._preview: list[tuple[object, Structure]] = []  # the selected candidate's outline
        self._reference: list[tuple[object, Structure]] = []  # the liver reference sphere's outline
        self.overlay = StructureOverlay(lambda: self._reference + self._preview)
        for view in self.views:
            view.extra_overlays.append(self.overlay)
        self.panel.find_requested.connect(self.find)
        self.panel.accept_requested.connect(self.accept)
        self.panel.reject_requested.connect(self.reject)
        self.panel.selected.connect(self._on_selected)
        self.panel.move_reference_requested.connect(self.move_reference_to_cursor)
        self.panel.go_to_reference_requested.connect(self.go_to_reference)
        self._case = None
        cases.case_adopted.connect(self._on_case_adopted)
        self._on_case_adopted(cases.case)

    # ----------------------------------------------------------------- state
    @property
    def case(self):
        return self.cases.case

    def pet(self):
        for volume in (self.model.overlay, self.model.base):
            if volume is not None and volume.modality is Modality.PT:
                return volume
        return None

    def _on_case_adopted(self, case) -> None:
        if self._case is not None:
            self._case.candidates.changed.disconnect(self._on_candidates_changed)
        self._case = case
        case.candidates.changed.connect(self._on_candidates_changed)
        self._reference_centre = None  # nothing carries over from another case: the sphere, the own threshold
        self.panel.own_threshold.setChecked(False)
        self._preview = []
        self._refresh()

    def _on_candidates_changed(self, _candidate_id=None) -> None:
        self._refresh()
        self.rules.evaluate_now()  # undetermined until every candidate is reviewed

    def _refresh(self) -> None:
        self.panel.show_candidates(self.case.candidates)
        self._reference = []
        centre = (self.case.candidates.reference or {}).get("centre_mm")
        if centre and self.model.base is not None:
            from core.detect.reference import SPHERE_DIAMETER_MM
            from core.samples import sphere_mask

            mask = sphere_mask(self.model.base, centre, SPHERE_DIAMETER_MM)
            if mask is not None:
                self._reference = [(("reference",), Structure(0, "liver reference", REFERENCE_COLOUR, "", mask=mask))]
        self.overlay.clear()
        for view in self.views:
            view.update()

    # ----------------------------------------------------------------- find
    def find(self) -> CandidateSet | None:
        """Find the candidates on the PET shown and put them in the case (replacing earlier ones)."""
        pet = self.pet()
        if pet is None:
            self.panel.show_error(NO_PET)
            self.show_message(NO_PET)
            return None
        params = DetectParams(
            threshold=self.panel.threshold.value() if self.panel.own_threshold.isChecked() else None,
            reference_centre_mm=self._reference_centre)
        with error_boundary(self.owner, "Finding lesions on the PET"):
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                organs, ct = self.structures.site_context()[:2]
                detection = detect_candidates(pet, body=self._body(pet), params=params,
                                              structures=self._structures(pet),
                                              propose_site=anatomy_proposer(organs, ct))
            except DetectionError as exc:
                self.panel.show_error(str(exc))
                raise
            finally:
                QApplication.restoreOverrideCursor()
            case = self.case
            case.candidates.changed.disconnect(self._on_candidates_changed)
            case.candidates = CandidateSet.from_detection(detection)
            case.candidates.changed.connect(self._on_candidates_changed)
            self.cases.mark_modified()
            if not self.panel.own_threshold.isChecked():
                self.panel.threshold.setValue(detection.reference.threshold)
            self._on_candidates_changed()
            self.dock.raise_()
            note = f"; {detection.notes[0]}" if detection.notes else ""
            self.show_message(f"{len(detection.candidates)} PET candidate(s) to review, "
                                     f"{len(detection.suppressed)} physiological region(s) left out{note}")
            return case.candidates
        return None

    def _body(self, pet):
        scan = self.scan()
        entry = next((e for e in getattr(scan, "series", []) if e.info.series_uid == pet.info.series_uid), None)
        return patient_body_from_header(entry.header) if entry is not None else None

    def _structures(self, pet):
        """The liver and physiological organs of the structure sets shown, on the PET grid."""
        out = []
        for placed in self.structures.sets:
            for s in placed.structures:
                name = s.name.upper().replace("_", "")
                if s.mask is None or not (name in ("LIVER",) or organ_of_structure(s.name)):
                    continue
                grid = self.model.base if self.model.base is not None and \
                    s.mask.series_uid == self.model.base.info.series_uid else None
                mask = mask_on_grid(s.mask, grid, pet) if grid is not None else (
                    s.mask if s.mask.series_uid == pet.info.series_uid else None)
                if mask is not None:
                    out.append((s.name, mask.full()))
        return out

    # ----------------------------------------------------------------- review
    def accept(self, candidate_id: str) -> str | None:
        """Make the candidate a lesion (undoable); returns the lesion id."""
        with error_boundary(self.owner, f"Accepting candidate {candidate_id}"):
            case = self.case
            lesion = lesion_from_candidate(case.candidates[candidate_id], case.lesions.new_id(), pet=self.pet(),
                                           grid=self.model.base)
            if lesion.mask is not None and self.model.grid_for(lesion.mask) is not None:
                lesion = self.editor.proposed(lesion)  # its contour on the CT, placed as any new lesion
            self.undo.push_command(AcceptCandidate(case, candidate_id, lesion))
            self.show_message(f"Candidate {candidate_id} is now lesion {lesion.id} (site and side proposed: "
                                     "confirm them in the lesion table)")
            return lesion.id
        return None

    def reject(self, candidate_id: str) -> None:
        with error_boundary(self.owner, f"Rejecting candidate {candidate_id}"):
            self.undo.push_command(RejectCandidate(self.case, candidate_id))
            self.show_message(f"Candidate {candidate_id} rejected (Undo brings it back)")

    # ----------------------------------------------------------------- navigation
    def _on_selected(self, candidate_id) -> None:
        base = self.model.base
        self._preview = []
        if candidate_id is not None and base is not None:
            c = self.case.candidates[candidate_id]
            pet = self.pet()
            mask = mask_on_grid(c.mask, pet, base) if (c.mask is not None and pet is not None) else None
            if mask is not None:
                self._preview = [(("candidate", c.id), Structure(0, f"{c.id} (candidate)", PREVIEW_COLOUR,
                                                                  "", mask=mask))]
            self.model.set_cursor(base.patient_to_index(np.array(c.centroid_mm)))
        self.overlay.clear()
        for view in self.views:
            view.update()

    def go_to_reference(self) -> None:
        centre = (self.case.candidates.reference or {}).get("centre_mm")
        if centre and self.model.base is not None:
            self.model.set_cursor(self.model.base.patient_to_index(np.array(centre, float)))

    def move_reference_to_cursor(self) -> None:
        """The liver sphere at the crosshair; the candidates are found again with it."""
        if self.model.cursor_mm is None:
            return
        self._reference_centre = self.model.cursor_mm
        self.find()

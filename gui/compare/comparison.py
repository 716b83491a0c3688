"""Compare with prior in the main window (issue 17): open a prior study, register, carry its lesions over.

* File > Compare with prior: open the prior study from a folder, from the PACS
  (the query/retrieve dialog; the study retrieved next opens as the prior), or
  from the case file of the earlier visit (its images found as a case's images
  are; absent: refused, nothing compared). A prior of another patient, or the
  series shown, is refused.
* In the background (the window's task runner: progress and Cancel): the prior
  is loaded, its CT registered to the current CT (core.registration: the
  identity for one frame of reference) and, for a prior case, its lesions
  carried over and segmented again (core.tracking). Then the layout Compare
  with prior (View > Layout, Ctrl+6) shows prior | current, linked through the
  map (gui.compare.views.CompareLink); the header says the method, metric, shift
  and angle, how close the lesions were found to where they were carried, and
  the nudge.
* The dock lists the carried-over lesions as proposals (dashed on the current
  views) with their status and values at both dates. Nothing is accepted
  without a click: Confirm adds the lesion to the current case keeping its
  identity (``prior_id``), Reject leaves it out, a status chosen overrides
  the one worked out; each is recorded in the audit trail, as is a nudge.
* Once the user has confirmed a lesion of the comparison, the case holds the
  comparison as the user has judged it, as `oligoplan track --out` writes it
  (its ``tracking``, core.tracking.document.judged_record): the facts derived
  from it fill the facts nobody entered, marked as derived (facts form, verdict
  panel, summary PDF's timeline page). Each decision updates it (an undone
  confirmation too); a change of the derived values is audited once. With no
  confirmed lesion the case keeps the tracking it had before (none, usually).
* Another case or other current images end the comparison (nothing carries
  over to another case or patient).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFileDialog, QFrame, QMenu, QMessageBox, QScrollArea

from core.audit import AuditAction
from core.lesions import AddLesion
from core.registration import RegistrationResult, register_ct
from core.tracking.new_lesions import header_body, new_lesion_finder
from core.tracking.compare import Nudge, carried_residual_mm, lesion_for_current_case, new_lesion_for_current_case
from core.tracking.document import judged_record
from core.tracking.prior import PriorStudy, PriorStudyError, check_comparable, open_prior_case, open_prior_folder
from core.tracking.record import TrackingRecord
from core.tracking.status import LesionStatus
from core.tracking.tracker import NewLesion, TrackedLesion, TrackResult, track
from core.volume import Modality
from core.workspace import Workspace
from gui.actions import make_compare_actions
from gui.compare.overlay import Proposal, ProposalOverlay
from gui.compare.panel import ComparePanel, values_text
from gui.compare.views import CompareLink, PriorViews, header_html
from gui.errors import error_boundary, show_exception
from gui.services import Controller, Services
from gui.settings import LAST_FOLDER
from gui.view_grid import ViewLayout

if TYPE_CHECKING:  # annotations only
    from core.orientation import Plane
    from gui.case_controller import CaseController
    from gui.panels.series_browser import SeriesBrowser
    from gui.slice_view import SliceView
    from gui.tools.editor import LesionEditor
    from gui.view_grid import ViewGrid
    from gui.viewer_model import Probe

log = logging.getLogger("oligoplan.gui")

NEEDS_CURRENT_CT = ("Compare with prior needs the current CT on screen: open today's CT (and PET) first, "
                    "then the prior study")
NEEDS_PRIOR = "Compare with prior needs a prior study: File > Compare with prior"
AUDIT_NUDGE_DELAY_MS = 1500  # one audit entry per burst of nudges


@dataclass
class CompareSession:
    """What the background work found; the user's decisions are kept beside it."""

    study: PriorStudy
    current_ct: object
    registration: RegistrationResult
    result: TrackResult | None
    warnings: list[str]
    decisions: dict[str, tuple[str, str]] = field(default_factory=dict)  # prior id -> (state, lesion id)
    overrides: dict[str, LesionStatus] = field(default_factory=dict)

    def tracked(self, prior_id: str) -> TrackedLesion:
        return next(t for t in (self.result.lesions if self.result else ()) if t.prior.id == prior_id)

    def new_lesion(self, lesion_id: str) -> NewLesion | None:
        """The lesion found only now with this id (None: it is a carried-over one)."""
        return next((n for n in (self.result.new if self.result else ()) if n.id == lesion_id), None)

    def status(self, t: TrackedLesion) -> LesionStatus:
        return self.overrides.get(t.prior.id, t.status)

    @property
    def any_confirmed(self) -> bool:
        return any(state == "confirmed" for state, _ in self.decisions.values())

    def judged(self) -> TrackingRecord | None:
        """The comparison as the user has judged it so far, as the case file's "tracking" (None: no
        lesions were carried over)."""
        if self.result is None:
            return None
        rejected = [key for key, (state, _) in self.decisions.items() if state == "rejected"]
        study = self.study
        return judged_record(self.result, self.overrides, rejected, prior_path=study.path, prior_date=study.date,
                             current_date=self.current_ct.info.study_date,
                             prior_unreviewed=len(study.case.candidates.unreviewed) if study.case else 0)


def compare_work(loader, current: Workspace, find_new, progress, cancel, registration=None) -> CompareSession:
    """Load the prior, check it, register its CT, carry its lesions over (in the task runner's thread)."""
    study = loader(progress=progress, cancel=cancel) if callable(loader) else loader
    if study.images.ct is None:
        raise PriorStudyError("the prior study holds no CT: the registration is CT to CT (a PET follows its CT); "
                              "open the prior PET/CT study")
    warnings = check_comparable(study.images.primary, current.primary)
    if registration is None:
        registration = register_ct(study.images.ct, current.ct, progress=progress, cancel=cancel)
    result = None
    if study.lesions:
        result = track(study.lesions, study.images, current, find_new=find_new, registration=registration,
                       first_new_number=study.next_number, progress=progress, cancel=cancel)
    return CompareSession(study, current.ct, registration, result, warnings)


class PriorComparison(Controller):
    """The comparison with a prior study in the main window (see the module docstring). ``menu`` is the
    File > Compare with prior submenu (the window places it); ``dock`` the carried-over lesions."""

    def __init__(self, services: Services, cases: CaseController, *, views: dict[Plane, SliceView],
                 slice_views: Sequence[SliceView], view_grid: ViewGrid, set_view_layout: Callable[[str], None],
                 editor: LesionEditor, browser: SeriesBrowser, open_pacs: Callable[..., object],
                 tracking_changed: Callable[[], None], on_hovered: Callable[[Probe | None], None]):
        """``cases`` holds the case the comparison writes to (audit, "tracking"); ``views`` the three
        current views linked to the prior ones (the CT alone / PET alone views share the axial view's
        overlays), ``slice_views`` every slice view redrawn with the proposals; ``view_grid`` shows the
        prior views (Compare with prior layout), ``set_view_layout(value)`` is the window's View > Layout;
        ``editor`` proposes a confirmed lesion's site; ``browser`` lists the prior's series;
        ``open_pacs(on_retrieved=...)`` the PACS dialog; ``tracking_changed()`` re-evaluates the verdicts
        after the case's tracking changed; ``on_hovered(probe)`` the status bar's read-out. The dock is
        tabified beside the lesion table by the window."""
        super().__init__(services)
        self.cases = cases
        self.slice_views = list(slice_views)
        self.view_grid = view_grid
        self.set_view_layout = set_view_layout
        self.editor = editor
        self.browser = browser
        self.open_pacs = open_pacs
        self.tracking_changed = tracking_changed
        self.prior_views = PriorViews()
        view_grid.set_compare_widgets(self.prior_views.header, self.prior_views.axial, self.prior_views.coronal)
        self.link = CompareLink(self.model, views, self.prior_views, self)
        self.link.outside_changed.connect(lambda _outside: self._update_header())
        self.panel = ComparePanel()
        area = QScrollArea()
        area.setObjectName("compare_panel_scroll")
        area.setWidget(self.panel)
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the summary wraps instead
        self.dock = services.add_dock("Compare with prior", "compare_dock", area,
                                      Qt.DockWidgetArea.RightDockWidgetArea)
        self.dock.hide()  # shown when a prior opens; the window tabifies it beside the lesion table
        self.session: CompareSession | None = None
        self._case = None  # the case the comparison writes its "tracking" to (never another one)
        self._tracking_before: TrackingRecord | None = None  # that case's own, kept while nothing is confirmed
        self._undone: dict[str, str] = {}  # prior id -> lesion id of a confirmation undone (redo restores it)
        self.nudge = Nudge()
        self._nudge_recorded = Nudge()
        self._nudge_timer = QTimer(self)
        self._nudge_timer.setSingleShot(True)
        self._nudge_timer.timeout.connect(self.record_nudge)
        self._layout_before = ViewLayout.AXIAL_LARGE  # put back when the comparison ends
        self.overlay = ProposalOverlay(self.proposals)
        for view in views.values():  # the CT alone / PET alone views share the axial view's list
            view.extra_overlays.append(self.overlay)
        self.actions = make_compare_actions(self)
        self.menu = QMenu("Compare with &prior", self.owner)
        self.menu.setObjectName("compare_menu")
        self._connect_actions()
        self.panel.confirm_requested.connect(self.confirm)
        self.panel.reject_requested.connect(self.reject)
        self.panel.reconsider_requested.connect(self.reconsider)
        self.panel.go_to_requested.connect(self.go_to)
        self.panel.status_chosen.connect(self.choose_status)
        for view in self.prior_views.views:  # the status bar reads out the prior's HU / SUV under the mouse
            view.hovered.connect(on_hovered)
        self.nudge_bar = self.prior_views.nudge_bar
        self.nudge_bar.nudge_changed.connect(self._on_nudge_changed)
        self.nudge_bar.recarry_requested.connect(self.carry_again)
        self.model.events.case_closed.connect(self._on_case_closed)
        self.model.events.volumes.connect(self._on_current_volumes)
        self.model.events.lesion_changed.connect(self._on_lesions_changed)  # whichever lesion set is shown
        cases.about_to_save.connect(lambda *_: self.record_nudge())  # a nudge not yet audited

    def disconnect_model(self) -> None:
        """The window is closing."""
        self._nudge_timer.stop()
        self.link.disconnect()
        self.prior_views.disconnect_model()
        self.model.events.case_closed.disconnect(self._on_case_closed)
        self.model.events.volumes.disconnect(self._on_current_volumes)
        self.model.events.lesion_changed.disconnect(self._on_lesions_changed)

    def _connect_actions(self) -> None:
        a = self.actions
        a.open_scanned.triggered.connect(lambda _checked=False: self.open_prior_in_open_folder())
        a.open_folder.triggered.connect(self._choose_folder)
        a.open_case.triggered.connect(self._choose_case)
        a.open_pacs.triggered.connect(self.open_from_pacs)
        a.close.triggered.connect(lambda _checked=False: self.close_prior())
        for action in a.nudges:
            axis, mm = action.data()
            action.triggered.connect(lambda _checked=False, axis=axis, mm=mm: self.step_nudge(axis, mm))
        for action in a.all():
            self.owner.addAction(action)  # the shortcuts work whichever view has the focus
        for action in a.menu_actions():
            self.menu.addSeparator() if action is None else self.menu.addAction(action)

    # ---------------------------------------------------------------- opening
    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self.owner, "Open the prior study (a folder of DICOM files)",
                                                self.settings.get(LAST_FOLDER))
        if path:
            self.open_prior_folder(path)

    def _choose_case(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.owner, "Open the earlier visit's case file",
                                              self.settings.get(LAST_FOLDER), "OligoPlan case (*.json)")
        if path:
            self.open_prior_case(path)

    def open_from_pacs(self) -> None:
        """The PACS dialog; the next study it retrieves opens as the prior (not as the current images)."""
        if not self._current_ready():
            return
        self.open_pacs(on_retrieved=self._on_pacs_retrieved)

    def _on_pacs_retrieved(self, folder: str) -> None:
        self.open_prior_folder(folder, source="PACS")

    def open_prior_folder(self, path: str, source: str = "folder") -> None:
        current = self.model.base.info if self.model.base is not None else None
        self._start(partial(open_prior_folder, str(path), source=source, current=current),
                    f"Opening the prior study {path}")

    def open_prior_in_open_folder(self) -> None:
        """The earlier study in the folder open now (a folder holding both visits), as the prior."""
        scan = self.scan()
        if scan is None or self.model.base is None:
            self.show_message(NEEDS_CURRENT_CT)
            return
        self._start(partial(open_prior_folder, str(scan.root), source="open folder", current=self.model.base.info,
                            scan=scan), "Opening the earlier study of the open folder")

    def open_prior_case(self, path: str) -> None:
        self._start(partial(open_prior_case, str(path)), f"Opening the prior case {Path(path).name}")

    def _current_ready(self) -> bool:
        base = self.model.base
        if base is None or base.modality is not Modality.CT:
            self.show_message(NEEDS_CURRENT_CT)
            QMessageBox.information(self.owner, "Compare with prior", NEEDS_CURRENT_CT)
            return False
        return True

    def current_images(self) -> Workspace:
        return Workspace.of_images(self.scan(), self.model.base, self.model.overlay)

    def _start(self, loader, doing: str, registration=None) -> None:
        if not self._current_ready():
            return
        current = self.current_images()
        self.runner.start(
            partial(compare_work, loader, current, new_lesion_finder(current, body=header_body(current)),
                    registration=registration),
            doing,
            on_done=self._on_done,
            on_failed=partial(show_exception, self.owner, doing),
        )

    def _on_done(self, session: CompareSession) -> None:
        with error_boundary(self.owner, "Showing the prior study"):
            if session.current_ct is not self.model.base:
                self.show_message("The current images changed while the prior was registered: open it again")
                return
            old = self.session
            if old is not None and old.study is session.study:  # carried over again: the decisions stay, and
                session.decisions, session.overrides = old.decisions, old.overrides  # the map stays the
                session.registration = old.registration  # registration, the nudge after it
            else:
                self.record_nudge()
                self.nudge = self._nudge_recorded = Nudge(centre_mm=self._centre_mm())
                self._case = self.cases.case
                self._tracking_before = self._case.tracking
                self._undone = {}
                self.nudge_bar.set_nudge((0, 0, 0), (0, 0, 0), emit=False)
            self.session = session
            study = session.study
            self.prior_views.show_study(study.images.primary, study.images.pet, study.lesions)
            self.link.set_transform(self.transform())
            self.actions.close.setEnabled(True)
            for a in self.actions.nudges:
                a.setEnabled(True)
            self.add_prior_to_browser()
            self.refresh()
            self.dock.show()
            self.dock.raise_()
            if self.view_grid.view_layout != ViewLayout.COMPARE:
                self._layout_before = self.view_grid.view_layout
            self.set_view_layout(ViewLayout.COMPARE.value)
            self.show_message(self._done_message())

    def _done_message(self) -> str:
        s = self.session
        n = len(s.result.lesions) if s.result else 0
        if s.result is None:
            return "Prior study open beside the current one (no case: no lesions to carry over)"
        return f"Prior study open; {n} lesion(s) carried over as proposals: confirm or reject each"

    def add_prior_to_browser(self) -> None:
        if self.session is not None and self.session.study.images.scan is not None:
            self.browser.add_prior_scan(self.session.study.images.scan, self.session.study.images.primary.info.study_uid)

    # ------------------------------------------------------------------ state
    def transform(self):
        return self.nudge.applied_to(self.session.registration.transform)

    def _centre_mm(self) -> tuple[float, float, float]:
        base = self.model.base
        centre = (np.array(base.shape, dtype=float) - 1) / 2
        return tuple(float(v) for v in base.index_to_patient(centre))

    def close_prior(self, message: str = "") -> None:
        if self.session is None:
            return
        self.record_nudge()
        self.session = None
        self._case = None  # what was confirmed stays in that case; nothing follows into another
        self._undone = {}
        self.link.set_transform(None)
        self.prior_views.clear()
        self.browser.clear_prior()
        self.actions.close.setEnabled(False)
        for a in self.actions.nudges:
            a.setEnabled(False)
        self.panel.show_rows([])
        self.panel.summary.setText(message or "No prior study open. File > Compare with prior.")
        self.prior_views.set_info(message or "No prior study open. File > Compare with prior.")
        self.overlay.clear()
        if self.view_grid.view_layout == ViewLayout.COMPARE:
            self.view_grid.set_view_layout(self._layout_before)
        self._update_views()

    def _on_case_closed(self) -> None:
        if self.session is not None:
            self.close_prior("The comparison ended: another case was opened (nothing carries over to it)")

    def _on_current_volumes(self) -> None:
        if self.session is not None and self.model.base is not self.session.current_ct:
            self.close_prior("The comparison ended: other current images were opened; open the prior again")

    def _on_lesions_changed(self, _event=None) -> None:
        """A confirmed lesion undone (or deleted): its proposal waits again; redone: confirmed again."""
        if self.session is None:
            return
        changed = False
        for prior_id, (state, lesion_id) in list(self.session.decisions.items()):
            if state == "confirmed" and lesion_id not in self.model.lesions:
                del self.session.decisions[prior_id]
                self._undone[prior_id] = lesion_id
                changed = True
        for prior_id, lesion_id in list(self._undone.items()):
            if lesion_id in self.model.lesions and prior_id not in self.session.decisions:
                self.session.decisions[prior_id] = ("confirmed", lesion_id)
                del self._undone[prior_id]
                changed = True
        if changed:
            self.refresh()

    # ------------------------------------------------------------- decisions
    def confirm(self, prior_id: str) -> str | None:
        """Make the carried-over lesion a lesion of the current case (undoable); returns its id."""
        with error_boundary(self.owner, f"Confirming {prior_id}"):
            s = self.session
            if s.new_lesion(prior_id) is not None:
                return self._confirm_new(s.new_lesion(prior_id))
            t = s.tracked(prior_id)
            status = s.status(t)
            lesions = self.model.lesions
            lesion = lesion_for_current_case(t, status, lesions.ids(), lesions.new_id, prior_date=s.study.date,
                                             overridden=prior_id in s.overrides)
            if lesion.mask is not None and self.model.grid_for(lesion.mask) is not None:
                lesion = self.editor.proposed(lesion)  # its site proposed on today's scan, to confirm
            self.record_nudge()
            self._undone.pop(prior_id, None)
            self.undo_stack.push_command(AddLesion(lesions, lesion))
            s.decisions[prior_id] = ("confirmed", lesion.id)
            self._audit(AuditAction.PRIOR_LESION_CONFIRMED,
                        f"confirmed {lesion.id} as {prior_id} of the prior scan ({status.value})",
                        {**self._lesion_details(t, status), "lesion": lesion.id})
            self.refresh()
            self.show_message(f"{prior_id} of the prior scan is now lesion {lesion.id} ({status.value}); "
                                     "its site is proposed: confirm it in the lesion table")
            return lesion.id
        return None

    def reject(self, prior_id: str) -> None:
        with error_boundary(self.owner, f"Rejecting {prior_id}"):
            s = self.session
            new = s.new_lesion(prior_id)
            if new is not None:
                s.decisions[prior_id] = ("rejected", "")
                self._audit(AuditAction.NEW_LESION_REJECTED, f"rejected the new-lesion proposal {prior_id}",
                            self._new_details(new))
                self.refresh()
                return
            t = s.tracked(prior_id)
            s.decisions[prior_id] = ("rejected", "")
            self._audit(AuditAction.PRIOR_LESION_REJECTED, f"rejected the carried-over {prior_id}",
                        self._lesion_details(t, s.status(t)))
            self.refresh()
            self.show_message(f"{prior_id}: the carried-over proposal is left out of the current case")

    def reconsider(self, lesion_id: str) -> None:
        """A rejection taken back: the proposal waits for a decision again (audited)."""
        with error_boundary(self.owner, f"Reconsidering {lesion_id}"):
            s = self.session
            if s.decisions.get(lesion_id, ("", ""))[0] != "rejected":
                return
            del s.decisions[lesion_id]
            self._audit(AuditAction.PRIOR_LESION_REOPENED, f"rejection of {lesion_id} taken back: a proposal again",
                        {"id": lesion_id, "prior_date": s.study.date})
            self.refresh()

    def _confirm_new(self, new: NewLesion) -> str:
        s = self.session
        lesions = self.model.lesions
        lesion = new_lesion_for_current_case(new, lesions.ids(), lesions.new_id, prior_date=s.study.date)
        if lesion.mask is not None and self.model.grid_for(lesion.mask) is not None:
            lesion = self.editor.proposed(lesion)
        self._undone.pop(new.id, None)
        self.undo_stack.push_command(AddLesion(lesions, lesion))
        s.decisions[new.id] = ("confirmed", lesion.id)
        self._audit(AuditAction.NEW_LESION_CONFIRMED, f"confirmed {lesion.id}: new since the prior scan",
                    {**self._new_details(new), "lesion": lesion.id})
        self.refresh()
        self.show_message(f"{lesion.id} added: new since the prior scan (its site is proposed)")
        return lesion.id

    def _new_details(self, new: NewLesion) -> dict:
        v = new.values
        return {"id": new.id, "status": LesionStatus.NEW.value, "prior_date": self.session.study.date,
                "centroid_mm": [round(float(c), 1) for c in new.candidate.centroid_mm],
                "volume_cc": _r(v.volume_cc, 3), "suv_max": _r(v.suv_max)}

    def choose_status(self, prior_id: str, value: str) -> None:
        with error_boundary(self.owner, f"Setting the status of {prior_id}"):
            s = self.session
            t = s.tracked(prior_id)
            status = LesionStatus.parse(value)
            was = s.status(t)
            if status == was:
                return
            if status == t.status:
                s.overrides.pop(prior_id, None)
            else:
                s.overrides[prior_id] = status
            self._audit(AuditAction.PRIOR_STATUS_OVERRIDDEN,
                        f"status of {prior_id} set to {status.value} by the user (worked out: {t.status.value})",
                        {**self._lesion_details(t, status), "was": was.value})
            self.refresh()

    def go_to(self, prior_id: str) -> None:
        if self.session is None or self.session.result is None:
            return
        new = self.session.new_lesion(prior_id)
        if new is not None:
            point = new.candidate.centroid_mm
        else:
            t = self.session.tracked(prior_id)
            point = t.current_values.centroid_mm if t.current_values is not None else t.carried_mm
        self.model.set_cursor(self.model.base.patient_to_index(np.asarray(point, dtype=float)))

    def _lesion_details(self, t: TrackedLesion, status: LesionStatus) -> dict:
        def values(v):
            if v is None:
                return None
            return {"longest_axial_diameter_mm": _r(v.longest_axial_diameter_mm), "short_axis_mm": _r(v.short_axis_mm),
                    "volume_cc": _r(v.volume_cc, 3), "suv_peak": _r(v.suv_peak)}
        reg = self.session.registration
        return {"prior_id": t.prior.id, "status": status.value, "proposed_status": t.status.value,
                "decided_by": t.decision.decided_by, "prior_date": self.session.study.date,
                "prior_source": self.session.study.source,
                "prior": values(t.prior_values), "current": values(t.current_values),
                # which map carried it: the registration and the user's nudge after it
                "registration": {"method": reg.method, "metric_value": _r(reg.metric_value, 5),
                                 "nudge": None if self.nudge.is_zero else self.nudge.to_json()}}

    def _audit(self, action: AuditAction, what: str, details: dict) -> None:
        self.cases.case.review.record(action, what, details)
        self.cases.mark_modified()

    # ----------------------------------------------------------------- nudge
    def step_nudge(self, axis: int, delta_mm: float) -> None:
        if self.session is not None:
            self.nudge_bar.step_nudge(axis, delta_mm)

    def _on_nudge_changed(self) -> None:
        if self.session is None:
            return
        shift, rotation = self.nudge_bar.nudge_values()
        self.nudge = Nudge(shift, rotation, self.nudge.centre_mm)
        self.link.set_transform(self.transform())
        self._update_header()
        self._nudge_timer.start(AUDIT_NUDGE_DELAY_MS)

    def record_nudge(self) -> None:
        """The nudge into the audit trail (once per burst of changes): a user adjustment of the registration."""
        self._nudge_timer.stop()
        if self.session is None or self.nudge == self._nudge_recorded:
            return
        self._audit(AuditAction.REGISTRATION_ADJUSTED,
                    f"registration to the prior scan adjusted by the user: {self.nudge.text()}",
                    {**self.nudge.to_json(), "prior_date": self.session.study.date,
                     "method": self.session.registration.method,
                     "transform": self.transform().to_json()})
        self._nudge_recorded = self.nudge

    def carry_again(self) -> None:
        """Carry the prior lesions over again through the nudged map (the decisions made stay)."""
        if self.session is None:
            return
        s = self.session
        adjusted = replace(s.registration, transform=self.transform(),
                           method=s.registration.method + ("+nudge" if not self.nudge.is_zero else ""))
        self._start(s.study, "Carrying the prior lesions over again", registration=adjusted)

    # ---------------------------------------------------------------- showing
    def proposals(self) -> list[Proposal]:
        s = self.session
        if s is None or s.result is None:
            return []
        out = []
        for t in s.result.lesions:
            if t.prior.id in s.decisions:
                continue
            point = tuple(t.current_values.centroid_mm) if t.current_values is not None else tuple(t.carried_mm)
            out.append(Proposal(t.prior.id, s.status(t), t.current.mask if t.current is not None else None, point))
        out.extend(Proposal(n.id, LesionStatus.NEW, n.candidate.mask, n.candidate.centroid_mm)
                   for n in s.result.new if n.id not in s.decisions)
        return out

    def refresh(self) -> None:
        self._update_header()
        s = self.session
        rows = []
        for t in (s.result.lesions if s and s.result else ()):
            state, lesion_id = s.decisions.get(t.prior.id, ("proposal", ""))
            decision = {"proposal": "proposal", "confirmed": f"confirmed as {lesion_id}",
                        "rejected": "rejected"}[state]
            rows.append({"id": t.prior.id, "status": s.status(t).value, "proposed": t.status.value,
                         "prior": values_text(t.prior.site, t.prior_values),
                         "current": values_text(t.prior.site, t.current_values), "by": t.decision.decided_by,
                         "decision": decision, "can_confirm": t.current is not None,
                         "tip": t.decision.note or t.why_not_found})
        for n in (s.result.new if s and s.result else ()):
            state, lesion_id = s.decisions.get(n.id, ("proposal", ""))
            decision = {"proposal": "proposal", "confirmed": f"confirmed as {lesion_id}",
                        "rejected": "rejected"}[state]
            rows.append({"id": n.id, "status": "new", "proposed": "new", "prior": "not there",
                         "current": values_text(n.candidate.site, n.values), "by": "PET finder",
                         "decision": decision, "can_confirm": True, "status_fixed": True,
                         "tip": "Found only on the current scan, outside the carried-over lesions"})
        self.panel.show_rows(rows)
        judged = s.judged() if s is not None else None
        self._sync_tracking(judged)
        self.panel.derived.setText(self._derived_text(judged))
        line, *notes = self._summary()
        self.panel.summary.setText(line + (f"  ⚠ {len(notes)} note(s): hover here" if notes else ""))
        self.panel.summary.setToolTip("\n".join(notes))
        self.overlay.clear()
        self._update_views()

    def _derived_text(self, judged: TrackingRecord | None) -> str:
        """The facts derived from the comparison as the user has judged it (derived, not confirmed: the
        case uses them, marked as derived, once a lesion is confirmed; the user's entries override them)."""
        if judged is None:
            return ""
        shown = [f"{f.key} = {f.value} ({f.reason})" for f in judged.derived.values() if f.value is not None]
        if not shown:
            return ""
        where = ("in the case's facts as derived: enter a value in Case facts to override one"
                 if self.session.any_confirmed else "used by the case once a lesion is confirmed")
        return f"Derived, not confirmed ({where}): " + "; ".join(shown)

    def _sync_tracking(self, judged: TrackingRecord | None) -> None:
        """The case's "tracking" follows the comparison as the user has judged it, once a lesion of it is
        confirmed (before that, and when every confirmation is undone: the tracking the case had). One
        derived_facts_set audit entry per change of the derived values, none for a click that changes none."""
        s = self.session
        case = self.cases.case
        if s is None or s.result is None or case is not self._case:
            return
        record = judged if s.any_confirmed else self._tracking_before
        old = case.tracking
        if _record_json(old) == _record_json(record):
            return
        case.tracking = record
        was, now = _derived_values(old), _derived_values(record)
        if now != was:
            if now:
                case.review.record_derived_facts(record)
            else:
                case.review.record(AuditAction.DERIVED_FACTS_SET,
                                   "facts derived from the prior scan removed: no lesion of the comparison is "
                                   "confirmed", {"derived": {}, "was": was, "prior_date": s.study.date})
        self.cases.mark_modified()
        self.tracking_changed()

    def _summary(self) -> list[str]:
        """One line: the study and the counts; then the notes (warnings, shown in the tooltip)."""
        s = self.session
        if s is None:
            return ["No prior study open."]
        line = f"Prior {_date(s.study.date)} ({s.study.source}). "
        notes: list[str] = []
        if s.result is None:
            line += "Images only: no lesions to carry over."
            notes.append("No lesions to carry over: open the earlier visit's case file to carry its lesions over")
        else:
            r = s.result
            waiting = sum(x not in s.decisions for x in [t.prior.id for t in r.lesions] + [n.id for n in r.new])
            line += f"Lesions: {r.count_prior} then, {r.count_current} found now; {waiting} to confirm or reject"
            if r.new:
                line += f"; {len(r.new)} new (found only now)"
            notes.extend(r.warnings)
        notes.extend(s.warnings)
        return [line, *notes]

    def _update_header(self) -> None:
        s = self.session
        if s is None:
            return
        reg = s.registration
        parts = [("Prior", f"{_date(s.study.date)} ({s.study.source})")]
        if reg.method == "identity":
            parts.append(("Registration", "same frame of reference: identity (no registration needed)"))
        else:
            value = "" if reg.metric_value is None else f", {reg.metric} {reg.metric_value:.3f}"
            shift = ", ".join(f"{v:.1f}" for v in reg.transform.translation_mm)
            parts.append(("Registration", f"{reg.method}{value}, {reg.seconds:.1f} s; shift ({shift}) mm, "
                                          f"rotation {reg.transform.rotation_deg:.1f}°"))
        residual = self.residual_mm()
        if reg.landmark_error_mm is not None:
            parts.append(("Residual", f"{reg.landmark_error_mm:.1f} mm (landmarks)"))
        elif residual is not None:
            parts.append(("Residual", f"{residual[0]:.1f} mm (lesions found vs carried, mean of {residual[1]})"))
        else:
            parts.append(("Residual", "not known"))
        if not self.nudge.is_zero:
            parts.append(("Nudged by the user", self.nudge.text()))
        if s.study.images.pet is not None:
            parts.append(("", "PET follows its CT"))
        self.prior_views.set_info(header_html(parts))
        current = _date(self.model.base.info.study_date) if self.model.base is not None else ""
        outside = "  —  the point at the crosshair is outside the prior scan" if self.link.outside else ""
        self.prior_views.set_captions(f"PRIOR {_date(s.study.date)}  (reference, not edited){outside}",
                                      f"CURRENT {current}  (this case)")

    def residual_mm(self) -> tuple[float, int] | None:
        s = self.session
        return carried_residual_mm(s.result) if s is not None and s.result is not None else None

    def _update_views(self) -> None:
        for view in self.slice_views:
            view.update()


def _record_json(record: TrackingRecord | None) -> dict | None:
    return None if record is None else record.to_json()


def _derived_values(record: TrackingRecord | None) -> dict:
    return {} if record is None else {k: f.value for k, f in record.derived.items() if f.value is not None}


def _date(dicom_date: str) -> str:
    d = (dicom_date or "").strip()
    return f"{d[:4]}-{d[4:6]}-{d[6:]}" if len(d) == 8 and d.isdigit() else (d or "no date")


def _r(value, digits: int = 1):
    return None if value is None else round(float(value), digits)

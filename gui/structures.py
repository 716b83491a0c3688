"""DICOM-RT in the main window: the structure list, outlines, import and export.

* When images are shown, the structure sets found in their folder that belong
  on them are imported in the background (core.rt.rtstruct_read); those of
  another series, patient or frame of reference are named in the status bar.
* File > Import RTSTRUCT… places one more file on the images shown, read in
  the background (refused with the reason when it belongs elsewhere; nothing
  is loaded then; dropped when another case or other images are shown by the
  time it is read). A
  structure set drawn on another series of the same frame of reference (the
  CT's, with the PET shown) is rasterised onto the images shown, and says so.
* The case file records the structure sets shown and which structures are
  turned off (core.case.StructureSetRef, written on save and autosave);
  opening the case brings them back, read in the background, found by SOP
  Instance UID in the image folder when the file moved; one found nowhere is
  named in the Structures dock and the status bar, and stays recorded.
  Turning a structure on or off marks the case changed (closing asks to save).
* The Structures dock lists them (organs at risk apart from targets), with a
  check box per structure for its outline in the three views; "Make lesion"
  turns a target into a lesion through an undoable AddLesion.
* File > Export RTSTRUCT… / Export SR… write the case's lesions (and, for
  the RTSTRUCT, the organs at risk shown) into a folder, validated first, with
  an "Anonymise" check box (core.rt.anonymise).

Methods that open a dialog are ``_choose_*`` / ``_ask_*`` and delegate to
plain methods (:meth:`import_file`, :meth:`export_rtstruct`,
:meth:`export_sr`, :meth:`make_lesion`) that tests call.
"""

from __future__ import annotations

import copy
import logging
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QFileDialog

from core.audit import AuditTrail
from core.export_job import ExportJob, ExportOptions
from core.errors import ExportError
from core.lesions import AddLesion, LesionSet
from core.case import Case
from core.rt.case_structures import read_recorded_structure_sets, structure_set_ref
from core.export_set import write_as_set
from core.rt.export_job import (
    PDF_DICOM_NAME,
    RTSTRUCT_NAME,
    SEG_NAME,
    SR_NAME,
    cancelled_note,
    write_case_rtstruct,
    write_case_sr,
)
from core.rt.matching import ImageStack
from core.rt.seg_read import import_folder_objects, read_structure_file
from core.rt.rtstruct_write import RoiSpec
from core.rt.structures import ImportedStructureSet, lesion_from_structure, site_of_structure
from core.volume import Modality
from core.workspace import Workspace
from gui.actions import make_structure_actions
from gui.errors import error_boundary, show_exception
from gui.export_dialog import ExportDialog  # noqa: F401 (tests patch it here)
from gui.overwrite import ask_replace
from gui.panels.structure_list import StructureList, structure_key
from gui.services import Controller, Menus, Services
from gui.structure_overlay import StructureOverlay
from gui.workers import TaskRunner

if TYPE_CHECKING:  # annotations only
    from gui.case_controller import CaseController
    from gui.slice_view import SliceView
    from gui.tools.editor import LesionEditor


def _write_case_dicom(job: ExportJob, cancel=None) -> Path:
    """The whole case as DICOM (as ``oligoplan export --dicom``, its rule sets and options the
    case's own: the job's default check options); returns the SR's path (the SEG and the PDF are
    in ``job.written``)."""
    from core.rt.export_job import SR_NAME, write_case_dicom

    paths = write_case_dicom(job, cancel)
    return next(p for p in paths if p.name == SR_NAME)

log = logging.getLogger("oligoplan.gui")


class StructuresController(Controller):
    """Made by the main window after its views and case controller: ``views`` draw the structures,
    ``editor`` places new lesions by them, ``cases`` holds the case (its recorded structure sets),
    ``offer_send(paths)`` offers an export to a PACS."""

    changed = Signal()  # after structure sets were imported or removed (the verdicts follow)
    exported = Signal(object)  # the path of an RTSTRUCT or SR written, once reported and offered

    def __init__(self, services: Services, cases: CaseController, views: Sequence[SliceView], editor: LesionEditor,
                 *, offer_send: Callable[[Sequence[Path]], object]):
        super().__init__(services)
        self.undo = services.undo_stack
        self.cases = cases
        self.views = list(views)
        self.editor = editor
        self.offer_send = offer_send
        self.actions = make_structure_actions(self.owner)
        self.panel = StructureList()
        self.dock = services.add_dock("Structures", "structure_dock", self.panel,
                                      Qt.DockWidgetArea.RightDockWidgetArea)
        self.sets: list[ImportedStructureSet] = []
        self.hidden: set = set()
        self.refused: list[tuple[str, str]] = []
        #: what the user should know about the case's recorded structure sets (moved, not found)
        self.notes: list[str] = []
        self._case = cases.case
        self._case_refs = list(self._case.structure_sets)
        #: reads the case's recorded structure sets off the GUI thread; a runner of its own,
        #: so it neither cancels nor is cancelled by the folder import on the window's runner
        self.case_reader = TaskRunner(self)
        self.case_reader.progress.connect(self._on_case_reader_progress)
        self.case_reader.finished.connect(partial(self._set_reading, "case", ""))
        #: reads a file chosen with File > Import RTSTRUCT… (its own runner, for the same reason)
        self.file_reader = TaskRunner(self)
        self.file_reader.finished.connect(partial(self._set_reading, "file", ""))
        self._reading: dict[str, str] = {}
        self.overlay = StructureOverlay(self.visible_structures)
        for view in self.views:
            view.extra_overlays.append(self.overlay)
        self._build_menus(services.menus, services.actions.cancel_task)
        self.actions.import_rtstruct.triggered.connect(self._choose_rtstruct)
        self.actions.export_rtstruct.triggered.connect(partial(self._ask_export, "rtstruct"))
        self.actions.export_sr.triggered.connect(partial(self._ask_export, "sr"))
        self.actions.structure_to_lesion.triggered.connect(self._on_make_lesion_triggered)
        self.panel.visibility_changed.connect(self._on_panel_visibility_changed)
        self.panel.make_lesion.connect(self.make_lesion)
        self.panel.tree.itemSelectionChanged.connect(self._update_actions)
        self.model.events.volumes.connect(self._on_model_volumes)
        editor.site_context = self.site_context  # organ structures place new lesions
        cases.case_adopted.connect(self._on_case_adopted)
        cases.about_to_save.connect(self._on_case_about_to_save)
        self.runner.started.connect(self._update_actions)
        self.runner.finished.connect(self._update_actions)
        self._update_actions()

    def disconnect_model(self) -> None:
        self.case_reader.shutdown()  # a late result is dropped (the task is cancelled)
        self.file_reader.shutdown()
        self.model.events.volumes.disconnect(self._on_model_volumes)
        self.cases.case_adopted.disconnect(self._on_case_adopted)
        self.cases.about_to_save.disconnect(self._on_case_about_to_save)

    def _build_menus(self, menus: Menus, before: QAction) -> None:
        a = self.actions
        anchor = before if before in menus.file.actions() else None
        for action in (a.import_rtstruct, a.export_rtstruct, a.export_sr):
            menus.file.insertAction(anchor, action)
        menus.file.insertSeparator(anchor)
        menus.view.addAction(self.dock.toggleViewAction())
        for action in a.all():
            self.owner.addAction(action)

    # ------------------------------------------------------------ state
    def site_context(self) -> tuple:
        """(structures, CT, PET) that place a new lesion (core.anatomy.propose_site): every imported
        structure (shown or not), the CT and, without a CT, the PET."""
        base, overlay = self.model.base, self.model.overlay
        ct = base if base is not None and base.modality.value == "CT" else None
        pet = next((v for v in (base, overlay) if v is not None and v.modality.value == "PT"), None)
        return [s for ss in self.sets for s in ss.structures], ct, pet if ct is None else None

    def visible_structures(self):
        return [(structure_key(ss, s), s) for ss in self.sets for s in ss.structures
                if structure_key(ss, s) not in self.hidden and s.mask is not None]

    def find(self, key):
        for ss in self.sets:
            for s in ss.structures:
                if structure_key(ss, s) == key:
                    return s
        return None

    def _refresh(self) -> None:
        self.overlay.clear()
        self.panel.set_structure_sets(self.sets, self.hidden, self.notes)
        self._update_actions()
        for view in self.views:
            view.update()
        self.changed.emit()

    def _update_actions(self) -> None:
        s = self.panel.selected_structure()
        self.actions.structure_to_lesion.setEnabled(bool(s is not None and s.can_become_lesion))
        has_images = self.model.base is not None
        idle = not self.runner.busy  # an export runs there; it would cancel a load
        self.actions.import_rtstruct.setEnabled(has_images)
        self.actions.export_rtstruct.setEnabled(has_images and idle)
        self.actions.export_sr.setEnabled(has_images and idle)

    @property
    def busy(self) -> bool:
        """Structure sets are still being read (the case's recorded ones, or an imported file)."""
        return self.case_reader.busy or self.file_reader.busy

    def _set_reading(self, source: str, text: str) -> None:
        """What ``source`` ("case", "file") is reading, for the dock ("" when done)."""
        if text:
            self._reading[source] = text
        else:
            self._reading.pop(source, None)
        self.panel.set_reading("\n".join(self._reading.values()))

    def _on_panel_visibility_changed(self, key, visible: bool) -> None:
        (self.hidden.discard if visible else self.hidden.add)(key)
        for view in self.views:
            view.update()
        # the case file records the structures turned off: closing must offer to save, and
        # autosave keeps it. Not an undo step: showing or hiding an outline changes no
        # lesion, and like 3D Slicer and MIM the app keeps display state out of undo
        self.cases.mark_modified()

    # ------------------------------------------------------------ import
    def _on_model_volumes(self) -> None:
        base = self.model.base
        self.sets = [ss for ss in self.sets if base is not None and ss.series_uid == base.info.series_uid]
        self._refresh()
        scan = self.scan()
        if base is None or scan is None or not (scan.structure_sets or getattr(scan, "segmentations", None)):
            return
        self.runner.start(
            lambda progress, cancel: import_folder_objects(scan, base),  # RTSTRUCTs and SEGs
            "Reading the structure sets",
            on_done=partial(self._on_folder_import_done, base),
            on_failed=lambda exc: show_exception(self.owner, "Reading the structure sets", exc),
        )

    def _on_folder_import_done(self, base, result) -> None:
        if self.model.base is not base:
            return  # other images are shown by now
        known = {ss.sop_uid for ss in self.sets}
        self.sets.extend(ss for ss in result.placed if ss.sop_uid not in known)
        self.refused = list(result.refused)
        self._refresh()
        if result.placed:
            n = sum(len(ss.structures) for ss in result.placed)
            self.show_message(f"{n} structure(s) from {len(result.placed)} structure set(s) shown")

    def _choose_rtstruct(self) -> None:
        start = str(Path(self.scan().root)) if self.scan() is not None else ""
        path, _ = QFileDialog.getOpenFileName(self.owner, "Import an RT Structure Set or a segmentation (SEG)", start,
                                              "DICOM (*.dcm *.DCM);;All files (*)")
        if path:
            self.start_import(path)

    def _stacks(self) -> list[ImageStack] | None:
        scan = self.scan()
        return [ImageStack.from_entry(e) for e in scan.series] if scan is not None else None

    def import_file(self, path: str | Path) -> ImportedStructureSet | None:
        """Place one RTSTRUCT file on the images shown, now (a refusal is shown, nothing loaded).
        The menu reads it in the background instead: :meth:`start_import`."""
        base = self.model.base
        with error_boundary(self.owner, f"Importing {Path(path).name}"):
            if base is None:
                raise ExportError("open the images the structure set was drawn on first")
            placed = read_structure_file(path, base, self._stacks())
            self._show_imported(path, placed)
            return placed
        return None

    def start_import(self, path: str | Path) -> None:
        """Read one RTSTRUCT file in the background (a pydicom parse and a rasterisation:
        seconds on a real structure set) and place it on the images shown when ready; a
        result for another case or images no longer shown is dropped, and said so."""
        base, name = self.model.base, Path(path).name
        if base is None:
            with error_boundary(self.owner, f"Importing {name}"):
                raise ExportError("open the images the structure set was drawn on first")
            return
        stacks = self._stacks()
        self.file_reader.start(
            lambda progress, cancel: read_structure_file(path, base, stacks),
            f"Reading {name}",
            on_done=partial(self._on_file_read, path, self._case, base),
            on_failed=partial(self._on_file_failed, path, self._case, base),
        )
        self._set_reading("file", f"Reading {name}…")

    def _on_file_read(self, path, case, base, placed: ImportedStructureSet) -> None:
        if self._is_stale(case, base):
            self.show_message(f"{Path(path).name} was not added: another case or other images are "
                                     "shown now; import it again")
            return
        self._show_imported(path, placed)

    def _on_file_failed(self, path, case, base, exc: BaseException) -> None:
        if not self._is_stale(case, base):
            show_exception(self.owner, f"Importing {Path(path).name}", exc)

    def _show_imported(self, path, placed: ImportedStructureSet) -> None:
        self.sets = [ss for ss in self.sets if ss.sop_uid != placed.sop_uid] + [placed]
        self._refresh()
        self.cases.mark_modified()  # the case now records it: save (and autosave)
        self.show_message(f"{len(placed.structures)} structure(s) imported from {Path(path).name}"
                                 + (f" ({len(placed.warnings)} warning(s))" if placed.warnings else ""))

    # ------------------------------------------------------------ the case file
    def _on_case_adopted(self, case) -> None:
        """Show the structure sets ``case`` records, with the structures turned off as saved.

        Those in the image folder come with the folder import (already shown, or
        on their way); the others are read by :attr:`case_reader` in the
        background and appear when ready (:meth:`_on_case_sets_read`). One found
        nowhere, or refused, is named in the dock and stays recorded for the next
        save. A read still running for the previous case is cancelled, and its
        result dropped.
        """
        had_notes = bool(self.notes)
        self._case, self._case_refs, self.notes = case, list(case.structure_sets), []
        self.case_reader.cancel()
        for ref in self._case_refs:
            self.hidden = {k for k in self.hidden if k[0] != ref.sop_uid}
            self.hidden.update((ref.sop_uid, int(n)) for n in ref.hidden_rois)
        base = self.model.base
        if not self._case_refs or base is None:
            if had_notes or self._case_refs:
                self._refresh()
            return
        scan = self.scan()
        in_folder = {s.sop_uid for s in scan.structure_sets} if scan is not None else set()
        shown = {ss.sop_uid for ss in self.sets}
        # the worker reads a copy: the window's case may be edited (and saved) meanwhile
        recorded = Case(images=list(case.images), path=case.path, structure_sets=list(self._case_refs))
        self.case_reader.start(
            partial(read_recorded_structure_sets, recorded, scan, base, skip=shown, locate_only=in_folder),
            "Reading the case's structure sets",
            on_done=partial(self._on_case_sets_read, case, base),
            on_failed=partial(self._on_case_sets_failed, case, base),
        )
        self._set_reading("case", "Reading the structure sets of the case…")
        self._refresh()

    def _on_case_reader_progress(self, done: int, total: int, message: str) -> None:
        if message and self.case_reader.busy:
            self._set_reading("case", f"{message}… ({done + 1} of {total})" if total else f"{message}…")

    def _is_stale(self, case, base) -> bool:
        """Another case or other images are shown since the read started."""
        return case is not self._case or self.model.base is not base

    def _on_case_sets_read(self, case, base, found) -> None:
        if self._is_stale(case, base):
            return
        self.notes = list(found.notes) + [reason for _, reason in found.refused]
        known = {ss.sop_uid for ss in self.sets}
        self.sets.extend(ss for ss in found.placed if ss.sop_uid not in known)
        self._set_reading("case", "")
        self._refresh()
        if self.notes:
            self.show_message("; ".join(self.notes))

    def _on_case_sets_failed(self, case, base, exc: BaseException) -> None:
        if self._is_stale(case, base):
            return
        self._set_reading("case", "")
        show_exception(self.owner, "Reading the structure sets of the case", exc)

    def _on_case_about_to_save(self, case) -> None:
        """Write the structure sets shown (and which structures are off) into ``case``;
        recorded ones that could not be shown are kept."""
        refs = [structure_set_ref(ss, [n for uid, n in self.hidden if uid == ss.sop_uid]) for ss in self.sets]
        shown = {ref.sop_uid for ref in refs}
        kept = [ref for ref in self._case_refs if ref.sop_uid not in shown] if case is self._case else []
        case.structure_sets = refs + kept

    # ------------------------------------------------------------ lesions
    def _on_make_lesion_triggered(self) -> None:
        key = self.panel.selected_key()
        if key is not None:
            self.make_lesion(key)

    def make_lesion(self, key) -> str | None:
        """Add the target ``key`` as a new lesion (one undo step); returns its id."""
        structure = self.find(key)
        if structure is None:
            return None
        with error_boundary(self.owner, f"Making a lesion of {structure.name}"):
            lesions = self.model.lesions
            try:
                lesion = lesion_from_structure(structure, lesions.new_id())
            except ValueError as exc:
                raise ExportError(str(exc)) from None
            if "site" not in site_of_structure(structure):  # neither ours nor coded: its site is proposed
                lesion = self.editor.proposed(lesion)
            self.undo.push_command(AddLesion(lesions, lesion))
            self.show_message(f"{structure.name} is now lesion {lesion.id}")
            return lesion.id
        return None

    # ------------------------------------------------------------ export
    def _ask_export(self, kind: str) -> None:
        title = "Export RTSTRUCT" if kind == "rtstruct" else "Export SR measurement report"
        case = self.cases.case
        start = str(case.path.parent) if case.path else str(Path.home())
        from core.export_privacy import free_text_items

        dialog = ExportDialog(title, start, with_oars=(kind == "rtstruct"), parent=self.owner,
                              free_text=free_text_items(case), with_case_dicom=(kind == "sr"))
        dialog.oars_box.setChecked(True)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        folder = dialog.folder_edit.text().strip()
        if kind == "sr" and dialog.case_dicom():
            kind = "dicom"
        names = {"rtstruct": (RTSTRUCT_NAME,), "sr": (SR_NAME, SEG_NAME),
                 "dicom": (SR_NAME, SEG_NAME, PDF_DICOM_NAME)}[kind]
        if folder and not ask_replace(self.owner, folder, [Path(folder) / n for n in names],
                                      f"this case's {'RTSTRUCT' if kind == 'rtstruct' else 'DICOM objects' if kind == 'dicom' else 'SR and SEG'}"):
            return
        self.start_export(kind, folder, dialog.anonymise(), kind == "rtstruct" and dialog.oars_box.isChecked(),
                          keep_free_text=dialog.keep_free_text(), author=dialog.author())

    def start_export(self, kind: str, folder, anonymise: bool = False, include_oars: bool = False,
                     keep_free_text: bool = False, author: str = "") -> None:
        """Write the RTSTRUCT (``kind`` "rtstruct"), the SR ("sr") or the whole case as DICOM ("dicom":
        SEG, SR with facts and review, summary as Encapsulated PDF) in the background, on the
        window's runner (progress bar, Cancel): building, measuring and validating the files
        takes seconds. The case is taken as it is now; editing meanwhile is safe."""
        what = {"rtstruct": "the RTSTRUCT", "sr": "the SR"}.get(kind, "the case as DICOM")
        with error_boundary(self.owner, f"Exporting {what}"):
            if self.runner.busy:  # starting would cancel the load or import under way
                raise ExportError(f"wait until '{self.runner.current.description}' has finished, "
                                  "then export again")
            # the dialog's author is the one an anonymised export writes; otherwise the summary's default
            options = ExportOptions(include_oars=include_oars, anonymise=anonymise, keep_free_text=keep_free_text,
                                    author=author if anonymise else None)
            job = self._job(folder, options, snapshot=True)
            write = {"rtstruct": write_case_rtstruct, "sr": write_case_sr}.get(kind, _write_case_dicom)
            task = self.runner.start(
                lambda progress, cancel: write_as_set(job, lambda: write(job, cancel)), f"Exporting {what}",
                # after the runner's 'finished', which clears the status bar
                on_done=lambda path: QTimer.singleShot(0, partial(self._report, path, job)),
                on_failed=partial(show_exception, self.owner, f"Exporting {what}"),
            )
            # Cancel: nothing written, or (too late) what was written all the same; never silence
            task.signals.cancelled.connect(
                lambda: QTimer.singleShot(0, lambda: self.show_message(cancelled_note(job))))

    def _job(self, folder: str | Path, options: ExportOptions, snapshot: bool = False) -> ExportJob:
        base, overlay = self.model.base, self.model.overlay
        if base is None:
            raise ExportError("no images are shown: open the case's images first")
        if not str(folder):
            raise ExportError("choose a folder to export into")
        case = self.cases.case
        if snapshot:  # for a worker: the lesions as they are now (lesions are immutable; the set is not)
            case = Case(images=list(case.images), lesions=LesionSet(list(case.lesions)), path=case.path,
                        facts=copy.deepcopy(case.facts), audit=AuditTrail(list(case.audit)))
        job = ExportJob(case=case, case_path=case.path or Path("case.json"), out_dir=Path(folder), options=options)
        scan = self.scan()
        pet = overlay if overlay is not None and overlay.modality is Modality.PT else None
        job.workspace = Workspace(folder=Path(scan.root) if scan is not None else Path("."), scan=scan,
                                  primary=base, pet=pet)
        job.oars = [RoiSpec(s.name, s.mask, s.color, s.interpreted_type or "ORGAN", algorithm="MANUAL")
                    for _, s in self.visible_structures() if s.is_organ_at_risk]
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"{folder}: the folder cannot be created ({exc.strerror or exc}); "
                              "choose another folder") from exc
        return job

    def export_rtstruct(self, folder, anonymise: bool = False, include_oars: bool = True) -> Path | None:
        with error_boundary(self.owner, "Exporting the RTSTRUCT"):
            job = self._job(folder, ExportOptions(include_oars=include_oars, anonymise=anonymise))
            path = write_as_set(job, lambda: write_case_rtstruct(job))
            self._report(path, job)
            return path
        return None

    def export_sr(self, folder, anonymise: bool = False) -> Path | None:
        with error_boundary(self.owner, "Exporting the SR"):
            job = self._job(folder, ExportOptions(anonymise=anonymise))
            path = write_as_set(job, lambda: write_case_sr(job))
            self._report(path, job)
            return path
        return None

    def _report(self, path: Path, job: ExportJob) -> None:
        """Say what was written, and offer to send it to a PACS."""
        text = f"Wrote {path.name} to {path.parent}" + (" (anonymised)" if job.anonymise else "")
        if job.seg_path is not None:
            text += f", with {job.seg_path.name} (the lesion segments it references)"
        if job.notes:
            text += "; " + "; ".join(job.notes)
        self.show_message(text)
        self.offer_send(list(job.written) or [p for p in (path, job.seg_path) if p is not None])  # SEG too
        self.exported.emit(path)

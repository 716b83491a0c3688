"""Case files in the window: open, save, save as, autosave and crash recovery.

* The window always holds one case (core.case.Case): the lesions drawn on the
  base volume shown. Showing other images starts a new case; the user is
  asked first when there is unsaved work (:meth:`CaseController.ask_keep_work`).
* Open: the case file is read first (core.case.load_case: a bad file gives a
  message naming the file and the problem, and is never written). If its
  images are on screen the lesions appear at once; otherwise the images are
  loaded in the background from the folder the case names. When that folder
  is gone or holds other images, the user is asked to locate them; a chosen
  folder whose UIDs do not match the case is refused and nothing changes.
* Autosave: after each edit, once the user pauses (AUTOSAVE_DELAY_MS), the
  case is written to the recovery folder (core.case.write_recovery). Saving
  removes the recovery file; at start-up :meth:`offer_recovery` offers the
  recovery files left by a crash.

Methods that open a dialog are ``_choose_*`` / ``_ask_*`` and delegate to plain
methods (:meth:`open_case`, :meth:`save_to`, :meth:`restore`) that tests call.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Callable

import shiboken6
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox

from core.case import (
    Case,
    ImageRef,
    discard_recovery,
    load_case,
    load_recovery,
    pending_recoveries,
    recovery_path_for,
    save_case,
    write_recovery,
)
from core.errors import CaseFileError, ForeignLesionError
from core.lesions import LesionEvent, LesionSet
from core.rt.case_images import check_grids, load_case_images
from core.workspace import Workspace
from gui import loading
from gui.errors import error_boundary, show_exception
from gui.services import Controller, Services
from gui.settings import AUTOSAVE_DELAY_MS, LAST_CASE_FOLDER

log = logging.getLogger("oligoplan.gui")

CASE_FILTER = "OligoPlan case (*.oligoplan.json *.json);;All files (*)"
CASE_SUFFIX = ".oligoplan.json"


class CaseController(Controller):
    """The case of a main window: ``show_loaded(scan, base_entry, pet_entry, pair)`` shows a case's
    images once loaded, ``update_title()`` the case's name and state in the title bar. Before other
    images replace the shown ones, ``before_other_images(doing)`` is asked (the practice ends; False
    cancels); the window sets it once the practice exists."""

    #: a case became the window's case (opened, restored, or new for other images)
    case_adopted = Signal(object)
    #: the case is about to be written (save or autosave): parts of the window that keep
    #: state in the case file (the structure sets shown) write it into the case now
    about_to_save = Signal(object)

    def __init__(self, services: Services, *, show_loaded: Callable[..., None], update_title: Callable[[], None]):
        super().__init__(services)
        self.undo = services.undo_stack
        self.show_loaded = show_loaded
        self.update_title = update_title
        self.before_other_images: Callable[[str], bool] = lambda doing: True
        self.case = Case(lesions=self.model.lesions)
        self._unsaved_extra = False  # restored or relocated work that is not in any file yet
        self._restored_from: Path | None = None
        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(max(int(self.settings.get(AUTOSAVE_DELAY_MS)), 0))
        self._autosave.timeout.connect(self.autosave)
        self.model.events.lesion_changed.connect(self._on_lesions_changed)
        self.model.events.volumes.connect(self._on_model_volumes)
        self.undo.cleanChanged.connect(self._on_undo_clean_changed)

    def shutdown(self) -> None:
        """Stop autosaving and following the model and the undo stack (the window closes).

        The undo stack outlives the window's close: when it is destroyed with unsaved edits, its
        ``clear`` emits ``cleanChanged`` into a window already deleted (a RuntimeError printed at exit)."""
        self._autosave.stop()
        self.model.events.lesion_changed.disconnect(self._on_lesions_changed)
        self.model.events.volumes.disconnect(self._on_model_volumes)
        self.undo.cleanChanged.disconnect(self._on_undo_clean_changed)

    # ------------------------------------------------------------- state
    @property
    def is_modified(self) -> bool:
        return not self.undo.isClean() or self._unsaved_extra

    @property
    def name(self) -> str:
        return self.case.path.name if self.case.path is not None else "untitled case"

    def current_image_refs(self) -> list[ImageRef]:
        """The shown volumes as case image references (absolute folders)."""
        vols = [v for v in (self.model.base, self.model.overlay) if v is not None]
        folder = self._images_folder(vols)
        return [ImageRef(folder, v.info.series_uid, v.info.frame_of_reference_uid, v.modality.value)
                for v in vols]

    def _images_folder(self, vols) -> str:
        scan = self.scan()
        scanned = {e.info.series_uid for e in getattr(scan, "series", ())}
        if scan is not None and vols and all(v.info.series_uid in scanned for v in vols):
            return str(Path(scan.root).resolve())
        files = [f for v in vols for f in v.source_files]
        if files:
            return os.path.commonpath([str(Path(f).resolve().parent) for f in files])
        known = {r.series_uid: r.folder for r in self.case.images}
        return next((known[v.info.series_uid] for v in vols if v.info.series_uid in known), "")

    def _adopt(self, case: Case, *, unsaved: bool = False) -> None:
        """Make ``case`` the window's case: its lesions on screen, a fresh undo history."""
        self._autosave.stop()
        self.case = case
        self.model.set_lesions(case.lesions)
        self.undo.clear()
        self.undo.setClean()
        self._unsaved_extra = unsaved
        self._update_window()
        self.case_adopted.emit(case)

    def new_case(self) -> None:
        """An empty case on the shown images."""
        self._adopt(Case(images=self.current_image_refs(), lesions=LesionSet()))

    def mark_modified(self) -> None:
        """A change outside the undo history (a sign-off): the case needs saving; autosave it."""
        self._unsaved_extra = True
        self._autosave.start()
        self._update_window()

    def _update_window(self) -> None:
        if not shiboken6.isValid(self.owner):  # destroyed without being closed (a script's window)
            return
        self.update_title()
        self.owner.setWindowModified(self.is_modified)

    # ------------------------------------------------------------ events
    def _on_model_volumes(self) -> None:
        base = self.model.base
        shown = {v.info.series_uid for v in (base, self.model.overlay) if v is not None}
        drawn = {lesion.mask.series_uid for lesion in self.case.lesions if lesion.mask is not None}
        untouched = not len(self.case.lesions) and self.case.path is None
        if base is not None and drawn <= shown and (self._same_base(base) or untouched):
            self.case.images = self.current_image_refs()  # e.g. a PET was added over the CT
            self._update_window()
            return
        self.new_case()

    def _same_base(self, base) -> bool:
        return any(r.series_uid == base.info.series_uid for r in self.case.images)

    def _on_lesions_changed(self, event: LesionEvent) -> None:
        self._autosave.start()
        self._update_window()

    def _on_undo_clean_changed(self, _clean: bool) -> None:
        self._update_window()

    # ---------------------------------------------------------- autosave
    def autosave(self) -> Path | None:
        """Write the recovery file now (when there is unsaved work); never raises."""
        self._autosave.stop()
        try:
            if not self.is_modified:
                discard_recovery(self.case)
                return None
            if self.model.base is not None:
                self.case.images = self.current_image_refs()
            self.about_to_save.emit(self.case)
            path = write_recovery(self.case)
            log.info("autosaved to %s", path)
            return path
        except OSError as exc:  # autosave must never interrupt the user
            log.warning("autosave failed: %s", exc)
            self.show_message(f"Autosave failed: {exc}")
            return None

    # -------------------------------------------------------------- save
    def _choose_save(self) -> bool:
        if self.case.path is None:
            return self._choose_save_as()
        with error_boundary(self.owner, f"Saving the case {self.name}"):
            self.save_to(self.case.path)
            return True
        return False

    def _choose_save_as(self) -> bool:
        start = str(self.case.path) if self.case.path else str(
            Path(self.settings.get(LAST_CASE_FOLDER) or Path.home()) / f"case{CASE_SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self.owner, "Save the case as", start, CASE_FILTER)
        if not path:
            return False
        if not path.lower().endswith(".json"):
            path += CASE_SUFFIX
        with error_boundary(self.owner, f"Saving the case {Path(path).name}"):
            self.save_to(path)
            return True
        return False

    def save_to(self, path: str | os.PathLike) -> Path:
        """Save the case to ``path`` (atomically); the recovery file is no longer needed."""
        path = Path(path)
        old_recovery = recovery_path_for(self.case)
        if self.model.base is not None:
            self.case.images = self.current_image_refs()
        self.about_to_save.emit(self.case)
        try:
            save_case(self.case, path)
        except OSError as exc:
            raise CaseFileError(f"{path}: cannot be written ({exc.strerror or exc}); "
                                "choose another folder or file name") from exc
        self._autosave.stop()
        for stale in {old_recovery, recovery_path_for(self.case), self._restored_from}:
            if stale is not None and stale.exists():
                stale.unlink()
        self._restored_from = None
        self.undo.setClean()
        self._unsaved_extra = False
        self.settings.set(LAST_CASE_FOLDER, str(path.resolve().parent))
        self._update_window()
        self.show_message(f"Saved {path.name}")
        return path

    # -------------------------------------------------------------- open
    def _choose_case(self) -> None:
        if not self.ask_keep_work("Opening another case"):
            return
        path, _ = QFileDialog.getOpenFileName(self.owner, "Open a case", self.settings.get(LAST_CASE_FOLDER),
                                              CASE_FILTER)
        if path:
            self.open_case(path)

    def open_case(self, path: str | os.PathLike) -> None:
        """Open a case file: its lesions on its images (loaded in the background when needed)."""
        path = Path(path)
        with error_boundary(self.owner, f"Opening the case {path.name}"):
            case = load_case(path)
            self.settings.set(LAST_CASE_FOLDER, str(path.resolve().parent))
            self._show_case(case, path.parent, unsaved=False)

    def _choose_case_dicom(self) -> None:
        if not self.ask_keep_work("Opening another case"):
            return
        folder = QFileDialog.getExistingDirectory(self.owner, "Open a case from DICOM (folder of the images and "
                                                  "the exported SEG and SR)", self.settings.get(LAST_CASE_FOLDER))
        if folder:
            self.open_case_dicom(folder)

    def open_case_dicom(self, folder: str | os.PathLike, study_uid: str | None = None,
                        sr_uid: str | None = None) -> None:
        """Rebuild a case from the newest OligoPlan SR of the folder's study (or ``sr_uid``) and its SEG
        (as `oligoplan open-dicom`) and show it, unsaved: Save case as… writes its case file."""
        from core.rt.open_dicom import rebuild_case

        folder = Path(folder)
        with error_boundary(self.owner, f"Opening a case from DICOM in {folder.name}"):
            rebuilt = rebuild_case(folder, study_uid=study_uid, sr_uid=sr_uid)
            self._show_case(rebuilt.case, folder, unsaved=True)
            self.show_message(
                f"Case rebuilt from OligoPlan SR {rebuilt.report.path.name} ({len(rebuilt.case.lesions)} lesion(s), "
                f"review state {rebuilt.case.review.state.value}); not saved yet: Save case as… writes it"
                + "".join(f"; {note}" for note in rebuilt.notes))

    def _show_case(self, case: Case, base_dir: Path, *, unsaved: bool) -> None:
        if self.images_shown(case):
            self._adopt(case, unsaved=unsaved)
            return
        if not case.images:
            raise CaseFileError(f"{case.path.name if case.path else 'the case'}: names no images to "
                                "show its lesions on")
        folder = case.images[0].resolve(base_dir)
        if not folder.is_dir():
            folder = self._ask_images_folder(case, f"not found at {folder}")
            if folder is None:
                return
            self._load_images(case, folder, unsaved=unsaved, located=True)
        else:
            self._load_images(case, folder, unsaved=unsaved, located=False)

    def images_shown(self, case: Case) -> bool:
        vols = [v for v in (self.model.base, self.model.overlay) if v is not None]
        if not vols or not case.images:
            return False
        uids = {v.info.series_uid for v in vols}
        if not all(ref.series_uid in uids for ref in case.images):
            return False
        check_grids(case, vols)
        return True

    def _ask_images_folder(self, case: Case, why: str) -> Path | None:
        name = case.path.name if case.path else "the case"
        folder = QFileDialog.getExistingDirectory(
            self.owner, f"Locate the images of {name} ({why})", str(Path.home()))
        return Path(folder) if folder else None

    def _load_images(self, case: Case, folder: Path, *, unsaved: bool, located: bool) -> None:
        name = case.path.name if case.path else "the case"
        self.runner.start(
            partial(load_case_images, case, folder),
            f"Loading the images of {name}",
            on_done=partial(self._on_images_loaded, case, unsaved or located),
            on_failed=partial(self._on_images_failed, case, unsaved, located),
        )

    def _on_images_loaded(self, case: Case, unsaved: bool, result: Workspace) -> None:
        with error_boundary(self.owner, "Showing the case"):
            scan = result.scan
            pet_entry = scan.find(result.pet.info.series_uid) if result.pet is not None else None
            self.show_loaded(scan, scan.find(result.primary.info.series_uid), pet_entry,
                                    loading.LoadedPair(result.primary, result.pet))
            folder = str(result.folder.resolve())
            case.images = [replace(ref, folder=folder) for ref in case.images]
            self._adopt(case, unsaved=unsaved)

    def _on_images_failed(self, case: Case, unsaved: bool, located: bool, exc: BaseException) -> None:
        name = case.path.name if case.path else "the case"
        # a lesion drawn on other images (ForeignLesionError): the folder is right, the case is not;
        # asking for "the images" again would only loop: the message says which lesion and what to do
        if isinstance(exc, CaseFileError) and not isinstance(exc, ForeignLesionError) and not located:
            folder = self._ask_images_folder(case, "the folder it names holds other images")
            if folder is not None:
                self._load_images(case, folder, unsaved=unsaved, located=True)
            return
        show_exception(self.owner, f"Opening the case {name}", exc)

    # ---------------------------------------------------- unsaved work
    def ask_keep_work(self, doing: str, *, other_images: bool = True) -> bool:
        """Before replacing the case: offer to save unsaved work; when other images will be shown
        (``other_images``), end a practice first (asked). False = the user cancelled."""
        if other_images and not self.before_other_images(doing):
            return False
        if not self.is_modified:
            return True
        answer = QMessageBox.question(
            self.owner, "OligoPlan — unsaved lesions",
            f"{doing}: the lesions of {self.name} have changes that are not saved.\n\n"
            "Save them first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self._choose_save()
        if answer == QMessageBox.StandardButton.Discard:
            self.discard_changes()
            return True
        return False

    def discard_changes(self) -> None:
        """Forget the unsaved work: the recovery file goes, the lesions count as saved."""
        self._autosave.stop()
        discard_recovery(self.case)
        if self._restored_from is not None and self._restored_from.exists():
            self._restored_from.unlink()
        self._restored_from = None
        self.undo.setClean()
        self._unsaved_extra = False
        self._update_window()

    # ---------------------------------------------------------- recovery
    def offer_recovery(self) -> bool:
        """At start-up: offer each recovery file left by a crash. True when one was restored."""
        for path in pending_recoveries():
            info = _recovery_info(path)
            answer = QMessageBox.question(
                self.owner, "OligoPlan — restore unsaved work?",
                f"OligoPlan found lesions that were not saved ({info}), probably because it "
                "closed unexpectedly.\n\nRestore them? (No keeps them for later; Discard deletes them.)",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
                | QMessageBox.StandardButton.Discard,
                QMessageBox.StandardButton.Yes,
            )
            if answer == QMessageBox.StandardButton.Yes:
                return self.restore(path)
            if answer == QMessageBox.StandardButton.Discard:
                path.unlink(missing_ok=True)
            elif path.name == "untitled.recovery.json":  # keep it from the next untitled autosave
                stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
                path.rename(path.with_name(f"untitled-{stamp}.recovery.json"))
        return False

    def restore(self, path: str | os.PathLike) -> bool:
        """Show the lesions of a recovery file (as unsaved work of the case it belongs to)."""
        path = Path(path)
        with error_boundary(self.owner, f"Restoring {path.name}"):
            case = load_recovery(path)  # keeps the digest of the case file it belongs to
            self._restored_from = path
            self._show_case(case, path.parent, unsaved=True)
            return True
        return False


def _recovery_info(path: Path) -> str:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        of = doc.get("recovery_of")
        n = len(doc.get("lesions", []))
        when = str(doc.get("saved_at", ""))[:16].replace("T", " ")
        return f"{n} lesion(s) of {Path(of).name if of else 'an untitled case'}, autosaved {when} UTC"
    except (OSError, ValueError, AttributeError, TypeError):
        return path.name

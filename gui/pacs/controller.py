"""The PACS in the main window: File > Query / retrieve from PACS…, File > Send to PACS…,
File > Send case to PACS….

A retrieved study opens like any folder (``open_folder``, given by the window); an OligoPlan case
picked in the PACS dialog (or "Open newer" after a refused send) is rebuilt from its SR and SEG
(:meth:`CaseController.open_case_dicom`). After an export the other controllers call
:meth:`PacsController.offer_send` with the files written. Methods that open a dialog are
``_choose_*`` / ``_ask_*``; tests call :meth:`PacsController.open_dialog`,
:meth:`PacsController.send_dialog` and :meth:`PacsController.send_case_dialog`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from PySide6.QtWidgets import QFileDialog, QMessageBox

from gui.actions import make_pacs_actions
from gui.pacs.dialog import PacsDialog
from gui.pacs.offer import offer_send
from gui.pacs.send_case_dialog import SendCaseDialog
from gui.pacs.send_dialog import SendDialog
from gui.services import Controller, Services
from gui.settings import LAST_FOLDER

if TYPE_CHECKING:  # annotations only
    from gui.case_controller import CaseController


class PacsController(Controller):
    def __init__(self, services: Services, cases: CaseController, open_folder: Callable[[str], None],
                 settings_path: str | Path | None = None, cache_root: str | Path | None = None):
        """``cases`` opens a case picked on the PACS and is the case sent; ``open_folder`` opens a study."""
        super().__init__(services)
        self.services = services  # the send-case dialog reads the shown case and images
        self.cases = cases
        self.open_folder = open_folder
        self.settings_path = settings_path
        self.cache_root = cache_root
        self.actions = make_pacs_actions(self.owner)
        self.dialog: PacsDialog | None = None
        self.send_offer = None  # the last "Send to PACS…" note after an export (gui.pacs.offer)
        self.last_send_dialog: SendDialog | None = None
        self.last_send_case_dialog: SendCaseDialog | None = None
        file_menu = services.menus.file
        anchor = services.actions.open_case if services.actions.open_case in file_menu.actions() else None
        for action in self.actions.all():
            file_menu.insertAction(anchor, action)
        file_menu.insertSeparator(anchor)
        for action in self.actions.all():
            self.owner.addAction(action)
        self._on_retrieved = None  # Compare with prior: where the next retrieved study goes
        self.actions.query_retrieve.triggered.connect(lambda _checked=False: self.open_dialog())
        self.actions.send_folder.triggered.connect(self._choose_folder_to_send)
        self.actions.send_case.triggered.connect(self._ask_send_case)

    def open_dialog(self, on_retrieved=None) -> PacsDialog:
        """Show the (one) query/retrieve dialog; a retrieved study opens in the viewer, or, with
        ``on_retrieved(folder)`` (Compare with prior), the next one retrieved goes there instead."""
        self._on_retrieved = on_retrieved
        if self.dialog is None:
            self.dialog = PacsDialog(self.owner, self.settings_path, self.cache_root)
            self.dialog.study_retrieved.connect(self._on_dialog_study_retrieved)
            self.dialog.case_chosen.connect(self._on_dialog_case_chosen)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def _on_dialog_study_retrieved(self, folder: str) -> None:
        target, self._on_retrieved = self._on_retrieved, None
        if target is not None:
            target(folder)
        else:
            self.open_folder(folder)

    def _on_dialog_case_chosen(self, folder: str, sr_uid: str) -> None:
        if self.cases.ask_keep_work("Opening a case from the PACS"):
            self.cases.open_case_dicom(folder, sr_uid=sr_uid)

    def _ask_send_case(self) -> None:
        self.send_case_dialog().show()

    def send_case_dialog(self) -> SendCaseDialog:
        """File > Send case to PACS…: the shown case as a new version on a PACS."""
        dialog = SendCaseDialog(self.owner, self.services, self.cases, self.settings_path, self.cache_root)
        dialog.open_newer.connect(self._open_newer)
        self.last_send_case_dialog = dialog
        return dialog

    def _open_newer(self, node: str, study_uid: str, sr_uid: str) -> None:
        """"Open newer" after a refused send: the PACS dialog retrieves the study and the case opens."""
        self.open_dialog().open_case_version(node, study_uid, sr_uid)

    def _choose_folder_to_send(self) -> None:
        start = self.settings.get(LAST_FOLDER)
        folder = QFileDialog.getExistingDirectory(self.owner, "Send a folder of DICOM files to a PACS", start)
        if folder:
            self.send_dialog([folder]).show()

    def send_dialog(self, paths: Sequence[str | Path]) -> SendDialog:
        return SendDialog(paths, self.owner, self.settings_path)

    def offer_send(self, paths: Sequence[str | Path]) -> QMessageBox | None:
        """After an export: offer to send the DICOM files among ``paths`` to a PACS (gui.pacs.offer)."""
        box = offer_send(self.owner, paths, self.settings_path, self._on_send_dialog)
        if box is not None:
            self.send_offer = box
        return box

    def _on_send_dialog(self, dialog: SendDialog) -> None:
        self.last_send_dialog = dialog

    def shutdown(self) -> None:
        """The window is closing: stop a search or retrieve in progress."""
        if self.dialog is not None:
            self.dialog.runner.shutdown()

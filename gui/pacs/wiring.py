"""The PACS in the main window: File > Query / retrieve from PACS…, File > Send to PACS…,
File > Send case to PACS….

A retrieved study opens like any folder (:meth:`MainWindow.open_folder`); an OligoPlan case
picked in the PACS dialog (or "Open newer" after a refused send) is rebuilt from its SR and SEG
(:meth:`CaseController.open_case_dicom`).
Methods that open a dialog are ``_choose_*`` / ``_ask_*``; tests call
:meth:`PacsWiring.open_dialog`, :meth:`PacsWiring.send_dialog` and :meth:`PacsWiring.send_case_dialog`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMenu

from gui.actions import make_pacs_actions
from gui.pacs.dialog import PacsDialog
from gui.pacs.send_case_dialog import SendCaseDialog
from gui.pacs.send_dialog import SendDialog
from gui.settings import LAST_FOLDER


class PacsWiring(QObject):
    def __init__(self, window, settings_path: str | Path | None = None, cache_root: str | Path | None = None):
        super().__init__(window)
        self.window = window
        self.settings_path = settings_path
        self.cache_root = cache_root
        self.actions = make_pacs_actions(window)
        self.dialog: PacsDialog | None = None
        self.send_offer = None  # the last "Send to PACS…" note after an export (gui.pacs.offer)
        self.last_send_dialog: SendDialog | None = None
        self.last_send_case_dialog: SendCaseDialog | None = None
        file_menu = next((m for m in window.menuBar().findChildren(QMenu) if m.title() == "&File"), None)
        if file_menu is not None:
            anchor = window.actions.open_case if window.actions.open_case in file_menu.actions() else None
            for action in self.actions.all():
                file_menu.insertAction(anchor, action)
            file_menu.insertSeparator(anchor)
        for action in self.actions.all():
            window.addAction(action)
        self._on_retrieved = None  # Compare with prior: where the next retrieved study goes
        self.actions.query_retrieve.triggered.connect(lambda _checked=False: self.open_dialog())
        self.actions.send_folder.triggered.connect(self._choose_folder_to_send)
        self.actions.send_case.triggered.connect(self._ask_send_case)

    def open_dialog(self, on_retrieved=None) -> PacsDialog:
        """Show the (one) query/retrieve dialog; a retrieved study opens in the viewer, or, with
        ``on_retrieved(folder)`` (Compare with prior), the next one retrieved goes there instead."""
        self._on_retrieved = on_retrieved
        if self.dialog is None:
            self.dialog = PacsDialog(self.window, self.settings_path, self.cache_root)
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
            self.window.open_folder(folder)

    def _on_dialog_case_chosen(self, folder: str, sr_uid: str) -> None:
        controller = self.window.case_controller
        if controller.ask_keep_work("Opening a case from the PACS"):
            controller.open_case_dicom(folder, sr_uid=sr_uid)

    def _ask_send_case(self) -> None:
        self.send_case_dialog().show()

    def send_case_dialog(self) -> SendCaseDialog:
        """File > Send case to PACS…: the shown case as a new version on a PACS."""
        dialog = SendCaseDialog(self.window, self.settings_path, self.cache_root)
        dialog.open_newer.connect(self._open_newer)
        self.last_send_case_dialog = dialog
        return dialog

    def _open_newer(self, node: str, study_uid: str, sr_uid: str) -> None:
        """"Open newer" after a refused send: the PACS dialog retrieves the study and the case opens."""
        self.open_dialog().open_case_version(node, study_uid, sr_uid)

    def _choose_folder_to_send(self) -> None:
        start = self.window.settings.get(LAST_FOLDER)
        folder = QFileDialog.getExistingDirectory(self.window, "Send a folder of DICOM files to a PACS", start)
        if folder:
            self.send_dialog([folder]).show()

    def send_dialog(self, paths: Sequence[str | Path]) -> SendDialog:
        return SendDialog(paths, self.window, self.settings_path)

    def shutdown(self) -> None:
        """The window is closing: stop a search or retrieve in progress."""
        if self.dialog is not None:
            self.dialog.runner.shutdown()

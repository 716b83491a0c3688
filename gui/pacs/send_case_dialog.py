"""File > Send case to PACS…: the shown case as a new version on a PACS (core.pacs.case_store.send_case).

Pick a node, Send: the case is exported as DICOM (SEG, SR, summary PDF) and sent with the
images the PACS does not hold yet; progress, Cancel, and a summary saying how many images
were not sent again and why. When the PACS holds a version made after the one this case was
opened from or last sent as, nothing is sent: a message says who made it, when and its
review state, with "Open newer" (retrieve and open that version) and "Cancel".
A send records the SR sent in the case (``pacs_base``): the case then needs saving.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QMessageBox,
    QVBoxLayout,
)

from core.audit import AuditTrail
from core.case import Case
from core.errors import ExportError, NewerCaseOnPacs
from core.lesions import LesionSet
from core.pacs import PacsClient, PacsSettings, load_settings
from core.pacs.case_store import BASE_KEY, send_case
from core.volume import Modality
from core.workspace import Workspace
from gui.errors import error_boundary, show_exception
from gui.pacs.send_dialog import add_send_controls
from gui.settings import USER_NAME, USER_ROLE
from gui.workers import TaskRunner

if TYPE_CHECKING:  # annotations only
    from PySide6.QtWidgets import QWidget

    from gui.case_controller import CaseController
    from gui.services import Services


class SendCaseDialog(QDialog):
    """``sent`` carries the report; ``open_newer`` (node name, study UID, SR UID) asks the window to open
    the newer version from the PACS."""

    sent = Signal(object)
    open_newer = Signal(str, str, str)

    def __init__(self, parent: QWidget, services: Services, cases: CaseController,
                 settings_path: str | Path | None = None, cache_root: str | Path | None = None):
        """Sends the case of ``cases`` on the images of ``services`` (model, scan); the sender's name
        and role from its settings."""
        super().__init__(parent)
        self.model, self.scan, self.app_settings = services.model, services.scan, services.settings
        self.cases = cases
        self.cache_root = cache_root
        self.setObjectName("pacs_send_case_dialog")
        self.setWindowTitle("Send case to PACS")
        self.settings = PacsSettings()
        with error_boundary(self, "Reading the PACS settings"):
            self.settings = load_settings(settings_path)
        self.runner = TaskRunner(self)
        self.newer_box: QMessageBox | None = None
        layout = QVBoxLayout(self)
        name = cases.name
        intro = QLabel(f"Send {name} as a new version (SEG, SR and summary PDF, with the images the PACS does not "
                       "hold yet) to:")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        add_send_controls(self, layout, "send_case", status_lines=3)
        self.send_button.clicked.connect(self.send)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.runner.progress.connect(self._on_runner_progress)
        self.runner.finished.connect(self._on_runner_finished)
        self.runner.started.connect(lambda _description: self._on_runner_started())
        self.resize(560, 200)

    def _snapshot(self):
        """The case and its images as they are now, for the worker (the window's case may change meanwhile)."""
        base, overlay = self.model.base, self.model.overlay
        case = self.cases.case
        if base is None or not len(case.lesions):
            raise ExportError("no case to send: open the images and mark at least one lesion first")
        snapshot = Case(images=list(case.images), lesions=LesionSet(list(case.lesions)), path=case.path,
                        facts=copy.deepcopy(case.facts), audit=AuditTrail(list(case.audit)),
                        extra=copy.deepcopy(case.extra))
        scan = self.scan()
        pet = overlay if overlay is not None and overlay.modality is Modality.PT else None
        workspace = Workspace(folder=Path(scan.root) if scan is not None else Path("."), scan=scan,
                              primary=base, pet=pet)
        return snapshot, workspace

    def send(self) -> None:
        with error_boundary(self, "Sending the case"):
            client = PacsClient(self.settings.node(self.node_combo.currentText()), self.settings.local)
            case, workspace = self._snapshot()
            settings = self.app_settings
            name, role = settings.get(USER_NAME).strip(), settings.get(USER_ROLE).strip()
            author = (name, role) if name else None
            path, cache_root = case.path or Path("case.json"), self.cache_root
            self.send_button.setEnabled(False)
            self.status_label.setText(f"Sending the case to {client.node.describe()}…")
            self.runner.start(
                lambda progress, cancel: (case, send_case(client, case, path, workspace=workspace, author=author,
                                                          cache_root=cache_root, progress=progress,
                                                          cancel=cancel)),
                "Sending the case", on_done=self._on_sent, on_failed=self._on_failed)

    def _on_runner_progress(self, done: int, total: int, message: str) -> None:
        self.progress_bar.setRange(0, max(total, 0))
        self.progress_bar.setValue(min(done, total) if total else 0)
        if message:
            self.status_label.setText(message)

    def _on_runner_finished(self) -> None:
        self.send_button.setEnabled(bool(self.settings.nodes))
        self.progress_bar.setRange(0, 1)
        self.cancel_button.setText("Close")

    def _on_runner_started(self) -> None:
        self.cancel_button.setText("Cancel")

    def _on_sent(self, result) -> None:
        snapshot, report = result
        problems = [f"{Path(f).name}: {r}" for f, r in report.send.failed + report.send.not_dicom]
        text = report.summary()[0].upper() + report.summary()[1:] + "."
        if BASE_KEY in snapshot.extra and snapshot.extra[BASE_KEY]["sr_sop_uid"] == report.sr_sop_uid:
            controller = self.cases
            controller.case.extra[BASE_KEY] = dict(snapshot.extra[BASE_KEY])
            controller.mark_modified()  # the case remembers the version sent: save it
            text += " The case records this version: save it to keep that."
        self.status_label.setText(text + ("\n" + "\n".join(problems[:5]) if problems else ""))
        self.sent.emit(report)

    def _on_failed(self, exc: BaseException) -> None:
        if isinstance(exc, NewerCaseOnPacs):
            self.status_label.setText("Not sent: the PACS holds a newer version of this case.")
            self._ask_open_newer(exc)
            return
        self.status_label.setText(f"Sending failed: {exc}")
        show_exception(self, "Sending the case", exc)

    def _ask_open_newer(self, exc: NewerCaseOnPacs) -> QMessageBox:
        newer = exc.newer[0]
        more = f"\n\n{len(exc.newer)} newer versions are on the PACS; this is the newest." if len(exc.newer) > 1 else ""
        box = QMessageBox(QMessageBox.Icon.Warning, "A newer version is on the PACS",
                          f"Not sent. The PACS holds a newer version of this case:\n\n{newer.describe()}.\n\n"
                          + ("It was made after this case was opened or last sent; sending would put an older "
                             "version on top of it." if exc.base is not None else
                             "This case was made here, never opened from the PACS nor sent to it; sending would "
                             "put it on top of the version there.")
                          + f" Open the newer version?{more}", QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("pacs_newer_box")
        open_button = box.addButton("Open newer", QMessageBox.ButtonRole.AcceptRole)
        open_button.setObjectName("open_newer_button")
        box.setDefaultButton(open_button)
        node = self.node_combo.currentText()
        open_button.clicked.connect(lambda: self._open_newer(node, newer.study_uid, newer.sr_sop_uid))
        self.newer_box = box
        box.open()
        return box

    def _open_newer(self, node: str, study_uid: str, sr_uid: str) -> None:
        self.open_newer.emit(node, study_uid, sr_uid)
        self.accept()

    def _on_cancel_clicked(self) -> None:
        if self.runner.busy:
            self.runner.cancel()
            self.status_label.setText("Cancelled: nothing more is sent (what reached the PACS stays there)")
        else:
            self.reject()

    def done(self, result: int) -> None:  # noqa: D401 - QDialog API
        self.runner.shutdown()
        super().done(result)

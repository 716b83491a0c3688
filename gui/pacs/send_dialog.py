"""Send files or a folder of DICOM (exports, or anything else) to a configured PACS."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.pacs import PacsClient, PacsSettings, load_settings, send_files
from gui.errors import error_boundary, show_exception
from gui.pacs.dialog import node_combo
from gui.workers import TaskRunner


class SendDialog(QDialog):
    """Pick a node, send, watch the progress, cancel. ``sent`` carries the report."""

    sent = Signal(object)

    def __init__(self, paths: Sequence[str | Path], parent: QWidget | None = None,
                 settings_path: str | Path | None = None):
        super().__init__(parent)
        self.setObjectName("pacs_send_dialog")
        self.setWindowTitle("Send to PACS")
        self.paths = [str(p) for p in paths]
        self.settings = PacsSettings()
        with error_boundary(self, "Reading the PACS settings"):
            self.settings = load_settings(settings_path)
        self.runner = TaskRunner(self)
        layout = QVBoxLayout(self)
        names = ", ".join(Path(p).name for p in self.paths[:3]) + (" …" if len(self.paths) > 3 else "")
        layout.addWidget(QLabel(f"Send {names} (folders are searched for DICOM files) to:"))
        add_send_controls(self, layout, "send")
        self.send_button.clicked.connect(self.send)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.runner.progress.connect(self._on_runner_progress)
        self.runner.finished.connect(lambda: self.send_button.setEnabled(bool(self.settings.nodes)))
        self.resize(520, 160)

    def send(self) -> None:
        with error_boundary(self, "Sending"):
            client = PacsClient(self.settings.node(self.node_combo.currentText()), self.settings.local)
            paths = list(self.paths)
            self.send_button.setEnabled(False)
            self.status_label.setText(f"Sending to {client.node.describe()}…")
            self.runner.start(lambda progress, cancel: send_files(client, paths, progress, cancel),
                              "Sending", on_done=self._on_sent, on_failed=self._on_failed)

    def _on_runner_progress(self, done: int, total: int, message: str) -> None:
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(done)
        self.status_label.setText(message)

    def _on_sent(self, report) -> None:
        problems = [f"{Path(f).name}: {r}" for f, r in report.failed + report.not_dicom]
        self.status_label.setText(report.summary() + ("\n" + "\n".join(problems[:5]) if problems else ""))
        self.sent.emit(report)

    def _on_failed(self, exc: BaseException) -> None:
        self.status_label.setText(f"Sending failed: {exc}")
        show_exception(self, "Sending", exc)

    def _on_cancel_clicked(self) -> None:
        if self.runner.busy:
            self.runner.cancel()
            self.status_label.setText("Cancelled")
        else:
            self.reject()

    def done(self, result: int) -> None:  # noqa: D401 - QDialog API
        self.runner.shutdown()
        super().done(result)


def add_send_controls(dialog, layout: QVBoxLayout, prefix: str, status_lines: int = 1) -> None:
    """What both send dialogs show under their intro: the node picker, a Send / progress / Cancel row
    and a status line, as ``dialog.node_combo``, ``send_button``, ``progress_bar``, ``cancel_button``
    and ``status_label`` (object names ``{prefix}_button``, ``{prefix}_progress``,
    ``{prefix}_cancel_button``, ``{prefix}_status``). ``dialog.settings`` gives the nodes."""
    dialog.node_combo = node_combo(dialog.settings, dialog)
    layout.addWidget(dialog.node_combo)
    row = QHBoxLayout()
    dialog.send_button = QPushButton("Send", dialog)
    dialog.send_button.setObjectName(f"{prefix}_button")
    dialog.send_button.setEnabled(bool(dialog.settings.nodes))
    dialog.cancel_button = QPushButton("Cancel", dialog)
    dialog.cancel_button.setObjectName(f"{prefix}_cancel_button")
    dialog.progress_bar = QProgressBar(dialog)
    dialog.progress_bar.setObjectName(f"{prefix}_progress")
    row.addWidget(dialog.send_button)
    row.addWidget(dialog.progress_bar, 1)
    row.addWidget(dialog.cancel_button)
    layout.addLayout(row)
    dialog.status_label = QLabel("" if dialog.settings.nodes else
                                 "No PACS configured yet: add one in File > Query / retrieve from PACS > Nodes…")
    dialog.status_label.setObjectName(f"{prefix}_status")
    dialog.status_label.setWordWrap(True)
    if status_lines > 1:
        dialog.status_label.setMinimumHeight(status_lines * dialog.status_label.fontMetrics().lineSpacing() + 4)
    layout.addWidget(dialog.status_label)

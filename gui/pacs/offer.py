"""After an export: offer to send the DICOM files just written to a PACS.

Each export calls ``PacsController.offer_send`` (gui.pacs.controller, which
calls :func:`offer_send` here) once with the files it wrote (RTSTRUCT and SR
from the structures controller, the candidacy summary from the verdicts one).
Only DICOM files are offered (a PDF, JSON or CSV is never sent); when none was
written, or no PACS node is configured, nothing is shown. The offer is a non-modal note with a "Send to PACS…" button that opens
:class:`gui.pacs.send_dialog.SendDialog` on those files.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from core.errors import PacsError
from core.pacs import load_settings
from core.pacs.send import SendReport, collect_files
from gui.pacs.send_dialog import SendDialog

log = logging.getLogger("oligoplan.gui")


def dicom_paths(paths: Sequence[str | Path]) -> list[str]:
    """The DICOM files among ``paths`` (files or folders), as the sender finds them."""
    try:
        return [f.path for f in collect_files([p for p in paths if Path(p).exists()], SendReport())]
    except PacsError:
        return []


def offer_send(parent: QWidget, paths: Sequence[str | Path], settings_path: str | Path | None = None,
               on_send_dialog: Callable[[SendDialog], None] | None = None) -> QMessageBox | None:
    """Show "Wrote …: send to PACS?" over ``parent`` for the DICOM files among ``paths`` (the PACS nodes
    of ``settings_path``, else the user's); None when there is nothing to offer. ``on_send_dialog`` is
    told of the send dialog its button opens."""
    try:
        settings = load_settings(settings_path)
    except PacsError as exc:  # a broken settings file: the PACS dialog says so when opened
        log.warning("not offering to send the export to a PACS: %s", exc)
        return None
    files = dicom_paths(paths)
    if not settings.nodes or not files:
        return None
    names = ", ".join(Path(f).name for f in files[:3]) + (" …" if len(files) > 3 else "")
    box = QMessageBox(QMessageBox.Icon.Information, "Export written",
                      f"Wrote {names}.\nSend {'it' if len(files) == 1 else 'them'} to a PACS "
                      f"({', '.join(n.name for n in settings.nodes[:3])}{' …' if len(settings.nodes) > 3 else ''})?",
                      QMessageBox.StandardButton.Close, parent)
    box.setObjectName("pacs_send_offer")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.NonModal)
    send = box.addButton("Send to PACS…", QMessageBox.ButtonRole.AcceptRole)
    send.setObjectName("offer_send_button")
    box.setDefaultButton(send)
    send.clicked.connect(lambda: _open_send_dialog(parent, files, settings_path, on_send_dialog))
    box.show()
    return box


def _open_send_dialog(parent: QWidget, files: list[str], settings_path, on_send_dialog) -> SendDialog:
    dialog = SendDialog(files, parent, settings_path)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    if on_send_dialog is not None:
        on_send_dialog(dialog)
    return dialog

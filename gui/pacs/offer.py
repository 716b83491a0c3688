"""After an export: offer to send the DICOM files just written to a PACS.

Each export calls :func:`offer_send` once with the files it wrote (RTSTRUCT and
SR from ``gui/structures_wiring.py``, the candidacy summary from
``gui/rules_wiring.py``). Only DICOM files are offered (a PDF, JSON or CSV is
never sent); when none was written, or no PACS node is configured, nothing is
shown. The offer is a non-modal note with a "Send to PACS…" button that opens
:class:`gui.pacs.send_dialog.SendDialog` on those files.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

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


def offer_send(window: QWidget, paths: Sequence[str | Path]) -> QMessageBox | None:
    """Show "Wrote …: send to PACS?" for the DICOM files among ``paths``; None when there is nothing to offer."""
    wiring = getattr(window, "pacs_wiring", None)
    settings_path = getattr(wiring, "settings_path", None)
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
                      QMessageBox.StandardButton.Close, window)
    box.setObjectName("pacs_send_offer")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.NonModal)
    send = box.addButton("Send to PACS…", QMessageBox.ButtonRole.AcceptRole)
    send.setObjectName("offer_send_button")
    box.setDefaultButton(send)
    send.clicked.connect(lambda: _open_send_dialog(window, files, settings_path))
    box.show()
    if wiring is not None:
        wiring.send_offer = box
    return box


def _open_send_dialog(window: QWidget, files: list[str], settings_path) -> SendDialog:
    dialog = SendDialog(files, window, settings_path)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    wiring = getattr(window, "pacs_wiring", None)
    if wiring is not None:
        wiring.last_send_dialog = dialog
    return dialog

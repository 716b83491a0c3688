"""Review > Compare with DICOM SR…: the open case's audit trail compared with the SR(s) exported from it.

The comparison is core.rt.sr_compare's (as `oligoplan check --compare-sr`). Its differences join
the case's audit-trail warnings, so the verdict panel's review line, the history panel and the
summary show them as they show a trail changed outside OligoPlan; the result is listed in a
dialog. The SR comes from a folder or a file, or from a PACS node of the settings (its SR
series are fetched in the background into the study's cache folder).

``_ask_source`` opens the dialogs; :meth:`SrCompareController.compare` and
:meth:`SrCompareController.compare_pacs` are the plain methods tests call.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from core.errors import OligoPlanError, PacsError
from gui.errors import error_boundary, show_exception
from gui.services import Controller
from gui.settings import LAST_CASE_FOLDER
from gui.workers import TaskRunner

if TYPE_CHECKING:  # annotations only
    from gui.case_controller import CaseController
    from gui.pacs.controller import PacsController
    from gui.services import Services

log = logging.getLogger("oligoplan.gui")


class SrCompareController(Controller):
    """Made by the review side of the window (gui.review.controller): ``cases`` holds the case compared,
    ``show_history()`` shows the differences, ``pacs`` (its settings) is where an SR may be fetched."""

    def __init__(self, services: Services, cases: CaseController, show_history: Callable[[], None],
                 pacs: PacsController) -> None:
        super().__init__(services)
        self.cases = cases
        self.pacs = pacs
        self._show_history = show_history
        self.runner = TaskRunner(self)
        self.last_comparison = None
        self.result_box: QMessageBox | None = None

    @property
    def case(self):
        return self.cases.case

    def _pacs_settings(self):
        from core.pacs import load_settings

        try:
            return load_settings(self.pacs.settings_path)
        except PacsError as exc:  # a broken settings file: the PACS dialog says so when opened
            log.warning("PACS settings not readable: %s", exc)
            return None

    # ------------------------------------------------------------ dialogs
    def _ask_source(self) -> None:
        settings = self._pacs_settings()
        nodes = list(settings.nodes) if settings is not None else []
        box = QMessageBox(QMessageBox.Icon.Question, "Compare with DICOM SR",
                          "Compare this case's audit trail with the OligoPlan SR exported from it.\n\n"
                          "Where is the SR?", QMessageBox.StandardButton.Cancel, self.owner)
        box.setObjectName("compare_sr_source")
        folder = box.addButton("Folder…", QMessageBox.ButtonRole.AcceptRole)
        file = box.addButton("SR file…", QMessageBox.ButtonRole.AcceptRole)
        pacs = {box.addButton(f"PACS {node.name}", QMessageBox.ButtonRole.AcceptRole): node.name for node in nodes}
        box.exec()
        start = self.settings.get(LAST_CASE_FOLDER)
        clicked = box.clickedButton()
        if clicked is folder:
            path = QFileDialog.getExistingDirectory(self.owner, "Folder holding the case's DICOM SR", start)
        elif clicked is file:
            path, _ = QFileDialog.getOpenFileName(self.owner, "The case's DICOM SR", start,
                                                  "DICOM (*.dcm);;All files (*)")
        elif clicked in pacs:
            self.compare_pacs(pacs[clicked])
            return
        else:
            return
        if path:
            self.compare(path)

    # ------------------------------------------------------------ comparing
    def compare(self, path: str | Path, source: str | None = None):
        """Compare with the SR(s) at ``path`` (a file or a folder); show and return the comparison."""
        from core.rt.sr_compare import apply_to_case, compare_with_reports

        with error_boundary(self.owner, "Comparing the case with its DICOM SR"):
            case = self.case
            comparison = compare_with_reports(case, path, source=source)
            new = apply_to_case(case, comparison)
            self.last_comparison = comparison
            if new:
                log.info("the case differs from its DICOM SR in %d point(s)", len(new))
                case.review.changed.emit()  # the verdict panel's review line and the history show them
            self._show_result(comparison)
            return comparison
        return None

    def compare_pacs(self, node_name: str) -> None:
        """Fetch the SR series of the case's study from the PACS node ``node_name`` (in the background),
        then compare with them."""
        from core.pacs import PacsClient
        from core.pacs.reports import fetch_reports
        from core.rt.sr_compare import case_study_uid

        with error_boundary(self.owner, "Fetching the case's DICOM SR from the PACS"):
            settings = self._pacs_settings()
            if settings is None:
                raise OligoPlanError("the PACS settings cannot be read; open File > PACS to see why")
            node = settings.node(node_name)
            study_uid = case_study_uid(self.case)
            if not study_uid:
                raise OligoPlanError("the study of the case's images cannot be read: show the case on its images "
                                     "first, or fetch the SR with File > PACS and compare with that folder")
            client = PacsClient(node, settings.local)
            source = f"PACS {node.describe()}, study {study_uid}"
            self.show_message(f"Fetching the case's SR from {node.describe()}…")
            self.runner.start(lambda progress, cancel: fetch_reports(client, study_uid, progress=progress,
                                                                     cancel=cancel),
                              "Fetching the case's DICOM SR",
                              on_done=lambda folder: self.compare(folder, source=source),
                              on_failed=lambda exc: show_exception(self.owner, "Fetching the case's DICOM SR",
                                                                   exc))

    def _show_result(self, comparison) -> None:
        differs = not comparison.consistent
        lines = []
        for report in comparison.reports:
            lines.append(f"{report.headline()} ({report.report.path.name})")
            lines.extend(("⚠ " if line.finding.is_difference else "• ") + line.text for line in report.lines)
            lines.append("")
        text = "\n".join(lines).strip()
        if differs:
            text += ("\n\nThe differences are listed with the audit trail's warnings (Review > History): "
                     "check the lesions and sign-offs before relying on them.")
        box = QMessageBox(QMessageBox.Icon.Warning if differs else QMessageBox.Icon.Information,
                          "Compared with DICOM SR", text, QMessageBox.StandardButton.Close, self.owner)
        box.setObjectName("compare_sr_result")
        box.setStyleSheet("QLabel#qt_msgbox_label { min-width: 560px; }")  # long lines: wide rather than one word a line
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.destroyed.connect(lambda: setattr(self, "result_box", None))
        self.result_box = box
        box.show()
        if differs:
            self._show_history()

    def shutdown(self) -> None:
        self.runner.shutdown()

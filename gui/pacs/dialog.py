"""The PACS dialog: pick a node, search, list studies and series, retrieve.

Everything that talks to the network runs in a :class:`gui.workers.TaskRunner`
(one task at a time, with progress and cancel); the dialog never blocks. A
retrieved study is announced with :attr:`PacsDialog.study_retrieved` (its
cache folder), which the main window opens like any folder. A partial
retrieve shows what is missing; what arrived is kept and can be opened.

A selected study also lists its OligoPlan cases (gui.pacs.cases_panel; every OligoPlan SR,
newest first); "Open case" retrieves the study and announces :attr:`PacsDialog.case_chosen`
(the study folder and the SR picked), which the main window rebuilds as open-dicom does.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.errors import RetrieveIncompleteError
from core.pacs import FindQuery, FindResult, PacsClient, PacsSettings, RetrieveMethod, load_settings
from core.errors import PacsError
from core.pacs.cache import study_folder
from core.pacs.case_store import list_cases
from core.pacs.retrieve import retrieve_study
from gui.errors import error_boundary, show_exception
from gui.pacs.cases_panel import CasesPanel
from gui.pacs.nodes_dialog import NodesDialog
from gui.workers import TaskRunner

log = logging.getLogger("oligoplan.gui")

STUDY_COLUMNS = ("Patient ID", "Name", "Date", "Modalities", "Description", "Instances")
SERIES_COLUMNS = ("Modality", "Description", "Instances", "Series UID")
MODALITIES = ("", "CT", "PT", "MR", "RTSTRUCT", "SR", "SEG")


def node_combo(settings: PacsSettings, parent: QWidget | None = None) -> QComboBox:
    combo = QComboBox(parent)
    combo.setObjectName("node_combo")
    fill_nodes(combo, settings)
    return combo


def fill_nodes(combo: QComboBox, settings: PacsSettings) -> None:
    current = combo.currentText()
    combo.clear()
    for node in settings.nodes:
        combo.addItem(node.name)
        combo.setItemData(combo.count() - 1, node.describe(), Qt.ItemDataRole.ToolTipRole)
    if current:
        index = combo.findText(current)
        if index >= 0:
            combo.setCurrentIndex(index)


class PacsDialog(QDialog):
    """Query/retrieve. ``settings_path``: the PACS settings file (default: the user's)."""

    study_retrieved = Signal(str)  # the study folder
    case_chosen = Signal(str, str)  # the study folder, the OligoPlan SR to rebuild the case from

    def __init__(self, parent: QWidget | None = None, settings_path: str | Path | None = None,
                 cache_root: str | Path | None = None):
        super().__init__(parent)
        self.setObjectName("pacs_dialog")
        self.setWindowTitle("Query / retrieve from PACS")
        self.settings_path = settings_path
        self.cache_root = cache_root
        self.settings = PacsSettings()
        self.runner = TaskRunner(self)
        self.studies: list[FindResult] = []
        self.series: list[FindResult] = []
        self.last_folder: str | None = None
        self._ended, self._doing = True, ""
        self._build()
        self.reload_settings()

    # ------------------------------------------------------------------ build
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.node_combo = node_combo(self.settings, self)
        self.node_combo.setMinimumWidth(220)
        self.echo_button = self._button("Echo", "echo_button", "Check that the PACS answers (C-ECHO)")
        self.nodes_button = self._button("Nodes…", "nodes_button", "Add, change or remove PACS nodes")
        top.addWidget(QLabel("PACS:"))
        top.addWidget(self.node_combo, 1)
        top.addWidget(self.echo_button)
        top.addWidget(self.nodes_button)
        layout.addLayout(top)

        search = QGroupBox("Search")
        form = QFormLayout(search)
        self.patient_id_edit = self._edit("patient_id_edit", "exact ID")
        self.patient_name_edit = self._edit("patient_name_edit", "e.g. DOE* (wildcards * and ?)")
        self.modality_combo = QComboBox(self)
        self.modality_combo.setObjectName("modality_combo")
        self.modality_combo.addItems([m or "any" for m in MODALITIES])
        self.date_from_edit = self._edit("date_from_edit", "YYYY-MM-DD")
        self.date_to_edit = self._edit("date_to_edit", "YYYY-MM-DD")
        self.accession_edit = self._edit("accession_edit", "accession number")
        dates = QHBoxLayout()
        dates.addWidget(self.date_from_edit)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.date_to_edit)
        form.addRow("Patient ID", self.patient_id_edit)
        form.addRow("Patient name", self.patient_name_edit)
        form.addRow("Modality", self.modality_combo)
        form.addRow("Study date", dates)
        form.addRow("Accession", self.accession_edit)
        self.search_button = self._button("Search", "search_button", "Find the matching studies (C-FIND)")
        self.search_button.setDefault(True)
        form.addRow("", self.search_button)
        layout.addWidget(search)

        self.study_table = self._table("study_table", STUDY_COLUMNS, QAbstractItemView.SelectionMode.SingleSelection)
        self.series_table = self._table("series_table", SERIES_COLUMNS,
                                        QAbstractItemView.SelectionMode.ExtendedSelection)
        layout.addWidget(QLabel("Studies"))
        layout.addWidget(self.study_table, 2)
        layout.addWidget(QLabel("Series (select some, or none for the whole study)"))
        layout.addWidget(self.series_table, 2)
        layout.addWidget(QLabel("OligoPlan cases of the study (newest first)"))
        self.cases_panel = CasesPanel(self)
        layout.addWidget(self.cases_panel, 1)

        bottom = QHBoxLayout()
        self.method_combo = QComboBox(self)
        self.method_combo.setObjectName("method_combo")
        self.method_combo.addItem("C-GET", RetrieveMethod.GET.value)
        self.method_combo.addItem("C-MOVE", RetrieveMethod.MOVE.value)
        self.method_combo.setToolTip("C-GET works without configuring OligoPlan on the PACS; C-MOVE needs our "
                                     "AE title, address and listen port in the PACS's DICOM nodes. A PACS that "
                                     "refuses C-GET is asked by C-MOVE when a listen port is set (Nodes…)")
        self.retrieve_button = self._button("Retrieve and open", "retrieve_button",
                                            "Copy the study (or the selected series) to the local cache and open it")
        self.open_button = self._button("Open retrieved", "open_button", "Open what was retrieved in the viewer")
        self.open_button.setEnabled(False)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("pacs_progress")
        self.progress_bar.hide()
        self.cancel_button = self._button("Cancel", "pacs_cancel_button", "Stop the search or retrieve")
        self.cancel_button.hide()
        for w in (self.method_combo, self.retrieve_button, self.open_button):
            w.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)  # no jump when the bar hides
        bottom.addWidget(self.method_combo)
        bottom.addWidget(self.retrieve_button)
        bottom.addWidget(self.open_button)
        bottom.addWidget(self.progress_bar, 1)
        bottom.addWidget(self.cancel_button)
        layout.addLayout(bottom)
        self.status_label = QLabel("", self)
        self.status_label.setObjectName("pacs_status")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # room for two lines (e.g. "C-GET refused …; retrieved by C-MOVE instead. 169 instance(s) …")
        self.status_label.setMinimumHeight(2 * self.status_label.fontMetrics().lineSpacing() + 4)
        layout.addWidget(self.status_label)

        self.echo_button.clicked.connect(self.echo)
        self.nodes_button.clicked.connect(self._ask_nodes)
        self.search_button.clicked.connect(self.search)
        self.retrieve_button.clicked.connect(self.retrieve)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.cases_panel.open_button.clicked.connect(self.open_case)
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.study_table.itemSelectionChanged.connect(self._on_study_selection_changed)
        self.runner.started.connect(self._on_runner_started)
        self.runner.progress.connect(self._on_runner_progress)
        self.runner.finished.connect(self._on_runner_finished)
        self.resize(900, 760)

    def _button(self, text: str, name: str, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setAutoDefault(False)
        return button

    def _edit(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        edit.returnPressed.connect(self.search)
        return edit

    def _table(self, name: str, columns, mode) -> QTableWidget:
        table = QTableWidget(0, len(columns), self)
        table.setObjectName(name)
        table.setHorizontalHeaderLabels(list(columns))
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(mode)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        return table

    # -------------------------------------------------------------- settings
    def reload_settings(self) -> None:
        with error_boundary(self, "Reading the PACS settings"):
            self.settings = load_settings(self.settings_path)
        fill_nodes(self.node_combo, self.settings)
        has_nodes = bool(self.settings.nodes)
        for w in (self.echo_button, self.search_button, self.retrieve_button):
            w.setEnabled(has_nodes)
        if not has_nodes:
            self.status_label.setText("No PACS configured yet: click Nodes… to add one.")

    def _ask_nodes(self) -> None:
        dialog = NodesDialog(self.settings, self.settings_path, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.reload_settings()

    def client(self) -> PacsClient:
        node = self.settings.node(self.node_combo.currentText())
        return PacsClient(node, self.settings.local)

    # ------------------------------------------------------------- actions
    def echo(self) -> None:
        with error_boundary(self, "Echo"):
            client = self.client()
            self._start(lambda progress, cancel: client.echo(), f"Echo to {client.node.describe()}",
                        lambda s: self._say(f"{client.node.describe()} answered in {s * 1000:.0f} ms"), "Echo")

    def query(self) -> FindQuery:
        modality = self.modality_combo.currentText()
        return FindQuery(level="study", patient_id=self.patient_id_edit.text().strip(),
                         patient_name=self.patient_name_edit.text().strip(),
                         modality="" if modality == "any" else modality,
                         date_from=self.date_from_edit.text().strip(), date_to=self.date_to_edit.text().strip(),
                         accession_number=self.accession_edit.text().strip())

    def search(self) -> None:
        """C-FIND the studies matching the form, in the background."""
        with error_boundary(self, "Searching"):
            query, client = self.query(), self.client()
            self._start(lambda progress, cancel: client.find(query, cancel=cancel),
                        f"Searching {client.node.describe()}", self._on_studies_found, "Searching")

    def _on_studies_found(self, rows: list[FindResult]) -> None:
        self.studies = rows
        self.series = []
        self.series_table.setRowCount(0)
        _fill(self.study_table, [(r.patient_id, r.patient_name, r.study_date, r.modality, r.description,
                                  r.n_instances) for r in rows])
        self._say(f"{len(rows)} stud{'y' if len(rows) == 1 else 'ies'} found")

    def selected_study(self) -> FindResult | None:
        rows = {i.row() for i in self.study_table.selectionModel().selectedRows()}
        return self.studies[min(rows)] if rows else None

    def _on_study_selection_changed(self) -> None:
        study = self.selected_study()
        self.series_table.setRowCount(0)
        self.series = []
        self.cases_panel.clear()
        if study is None or study.study_uid is None:
            return
        with error_boundary(self, "Listing the series"):
            client, cache_root = self.client(), self.cache_root
            query = FindQuery(level="series", study_uid=study.study_uid)

            def work(progress, cancel):
                rows = client.find(query, cancel=cancel)
                try:  # the series are shown even when the cases cannot be listed
                    return rows, list_cases(client, study.study_uid, cache_root=cache_root, cancel=cancel), ""
                except PacsError as exc:
                    return rows, [], str(exc)

            self._start(work, "Listing the series and OligoPlan cases", self._on_series_found, "Listing the series")

    def _on_series_found(self, found) -> None:
        rows, cases, problem = found if isinstance(found, tuple) else (found, [], "")
        self.series = rows
        _fill(self.series_table, [(r.modality, r.description, r.n_instances, r.series_uid) for r in rows])
        self.cases_panel.show_cases(cases, problem)
        self._say(f"{len(rows)} series in the study" + (f", {len(cases)} OligoPlan case version(s)" if cases else ""))

    def selected_series(self) -> list[str]:
        rows = sorted({i.row() for i in self.series_table.selectionModel().selectedRows()})
        return [self.series[r].series_uid for r in rows if self.series[r].series_uid]

    def retrieve(self) -> None:
        """Retrieve the selected study (only the selected series, if any) into the cache."""
        with error_boundary(self, "Retrieving"):
            study = self.selected_study()
            if study is None or study.study_uid is None:
                self._say("Select a study first.")
                return
            client, series = self.client(), self.selected_series() or None
            method = self.method_combo.currentData()
            folder = study_folder(study.study_uid, self.cache_root)
            self.last_folder = str(folder)

            def work(progress, cancel):
                return retrieve_study(client, study.study_uid, series, folder=folder, method=method,
                                      progress=progress, cancel=cancel)

            self._start(work, f"Retrieving from {client.node.describe()}", self._on_retrieved, "Retrieving",
                        on_failed=self._on_retrieve_failed)

    def _on_retrieved(self, report) -> None:
        self._say(report.summary())
        self.open_button.setEnabled(True)
        self.study_retrieved.emit(str(report.folder))

    def _on_retrieve_failed(self, exc: BaseException) -> None:
        if isinstance(exc, RetrieveIncompleteError) and exc.report is not None:
            self.open_button.setEnabled(any(s.present for s in exc.report.series))
        self._failed("Retrieving", exc)

    def open_case(self) -> None:
        """Retrieve the selected study (whole: the case's images, SEG and SR) and open the picked version."""
        study, version = self.selected_study(), self.cases_panel.selected()
        if study is None or study.study_uid is None or version is None:
            self._say("Select a study and one of its OligoPlan cases first.")
            return
        self.open_case_version(self.node_combo.currentText(), study.study_uid, version.sr_sop_uid)

    def open_case_version(self, node_name: str, study_uid: str, sr_uid: str) -> None:
        """Retrieve ``study_uid`` from the node named ``node_name`` and announce :attr:`case_chosen`
        (also File > Send case to PACS…'s "Open newer")."""
        with error_boundary(self, "Opening the case"):
            index = self.node_combo.findText(node_name)
            if index >= 0:
                self.node_combo.setCurrentIndex(index)
            client, method = self.client(), self.method_combo.currentData()
            folder = study_folder(study_uid, self.cache_root)
            self.last_folder = str(folder)

            def work(progress, cancel):
                return retrieve_study(client, study_uid, None, folder=folder, method=method, progress=progress,
                                      cancel=cancel)

            def done(report):
                self._say(f"{report.summary()}; opening the case")
                self.case_chosen.emit(str(report.folder), sr_uid)

            self._start(work, f"Retrieving the case from {client.node.describe()}", done, "Retrieving",
                        on_failed=self._on_retrieve_failed)

    def _on_open_clicked(self) -> None:
        if self.last_folder:
            self.study_retrieved.emit(self.last_folder)

    # ---------------------------------------------------------------- runner
    def _start(self, fn, description: str, on_done, doing: str, on_failed=None) -> None:
        """Run ``fn(progress=, cancel=)`` in the background; a task that ends
        without calling back was cancelled, which the status line says."""
        self._ended, self._doing = False, doing

        def done(result):
            self._ended = True
            on_done(result)

        def failed(exc):
            self._ended = True
            (on_failed or partial(self._failed, doing))(exc)

        self.runner.start(fn, description, on_done=done, on_failed=failed)

    def _failed(self, doing: str, exc: BaseException) -> None:
        self._say(f"{doing} failed: {exc}")
        show_exception(self, doing, exc)

    def _say(self, text: str) -> None:
        self.status_label.setText(text)

    def _on_runner_started(self, description: str) -> None:
        self._say(description + "…")
        self.progress_bar.setRange(0, 0)
        self.progress_bar.show()
        self.cancel_button.show()

    def _on_runner_progress(self, done: int, total: int, message: str) -> None:
        self.progress_bar.setRange(0, max(total, 0))
        self.progress_bar.setValue(min(done, total) if total else 0)
        if message:
            self._say(message)

    def _on_runner_finished(self) -> None:
        self.progress_bar.hide()
        self.cancel_button.hide()
        if not self._ended:
            retrieving = self._doing == "Retrieving"
            self._say(f"{self._doing} cancelled" + ("; what arrived is kept in the cache" if retrieving else ""))
            if retrieving and self.last_folder:
                self.open_button.setEnabled(any(Path(self.last_folder).rglob("*.dcm")))

    def done(self, result: int) -> None:  # noqa: D401 - QDialog API: closing stops the work
        self.runner.shutdown()
        super().done(result)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.runner.shutdown()
        super().closeEvent(event)


def _fill(table: QTableWidget, rows) -> None:
    table.setRowCount(0)
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem("" if value is None else str(value))
            if isinstance(value, int):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)


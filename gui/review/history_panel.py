"""The history dock: the case's audit trail (every change and sign-off), with export.

Problems the hash chain revealed when the case was opened are shown above
the entries in red; the export writes the entries with their hashes as CSV
(core.audit.audit_csv).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.audit import audit_csv
from core.case import atomic_write_text
from gui.errors import error_boundary

if TYPE_CHECKING:  # annotations only
    from gui.case_controller import CaseController

HEADERS = ("#", "When (UTC)", "Who", "Role", "Change", "What")


class HistoryPanel(QWidget):
    """Shows the audit trail of the window's case; :meth:`refresh` after each change."""

    def __init__(self, cases: CaseController, show_message: Callable[[str], None], parent: QWidget | None = None):
        """``cases`` holds the case whose trail is shown; ``show_message`` says where an export went."""
        super().__init__(parent)
        self.setObjectName("history_panel")
        self.cases = cases
        self.show_message = show_message
        layout = QVBoxLayout(self)
        self.state_label = QLabel("", self)
        self.state_label.setObjectName("history_state")
        layout.addWidget(self.state_label)
        self.problem_label = QLabel("", self)
        self.problem_label.setObjectName("history_problems")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #e04040; font-weight: bold;")
        self.problem_label.hide()
        layout.addWidget(self.problem_label)
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setObjectName("history_table")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.export_button = QPushButton("Export…", self)
        self.export_button.setObjectName("history_export")
        self.export_button.setToolTip("Save the audit trail (with its hashes) as CSV")
        self.export_button.clicked.connect(self._choose_export)
        row.addWidget(self.export_button)
        layout.addLayout(row)

    @property
    def case(self):
        return self.cases.case

    def refresh(self) -> None:
        case = self.case
        self.state_label.setText(f"Review state: <b>{case.review.status_text()}</b>")
        problems = list(case.integrity_warnings)
        self.problem_label.setVisible(bool(problems))
        self.problem_label.setText("⚠ " + "\n⚠ ".join(problems))
        entries = list(case.audit)
        self.table.setRowCount(len(entries))
        for r, e in enumerate(reversed(entries)):  # newest first
            for c, text in enumerate((str(e.seq), e.when.replace("T", " ").replace("+00:00", ""), e.who,
                                      e.role, e.action_label, e.what)):
                item = QTableWidgetItem(text)
                item.setToolTip(f"hash {e.hash[:16]}…, after {e.prev[:16]}…")
                self.table.setItem(r, c, item)
        self.export_button.setEnabled(bool(entries))

    def cell_text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def _choose_export(self) -> None:
        name = self.case.path.stem if self.case.path else "case"
        path, _ = QFileDialog.getSaveFileName(self, "Export the history", f"{name}-history.csv", "CSV (*.csv)")
        if path:
            self.export_to(path if path.lower().endswith(".csv") else path + ".csv")

    def export_to(self, path: str) -> None:
        with error_boundary(self, "Exporting the history"):
            atomic_write_text(path, audit_csv(self.case.audit))
            self.show_message(f"History saved to {path}")

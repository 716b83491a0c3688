"""The PACS dialog's list of a study's OligoPlan cases: one row per version (SR) on the PACS,
newest first, with its date and time, author, role and review state; "Open case" opens the
one picked (gui.pacs.dialog retrieves it with its SEG and the images)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.pacs.case_store import CaseOnPacs

CASE_COLUMNS = ("Date / time", "Author", "Role", "Review state")


class CasesPanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.cases: list[CaseOnPacs] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, len(CASE_COLUMNS), self)
        self.table.setObjectName("cases_table")
        self.table.setHorizontalHeaderLabels(list(CASE_COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        # room for three versions; more scroll: the studies and series above keep their room
        self.table.setMaximumHeight(3 * self.table.verticalHeader().defaultSectionSize()
                                    + self.table.horizontalHeader().sizeHint().height()
                                    + 2 * self.table.frameWidth() + 2)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.note = QLabel("Select a study to see its OligoPlan cases.", self)
        self.note.setObjectName("cases_note")
        self.note.setWordWrap(True)
        self.open_button = QPushButton("Open case", self)
        self.open_button.setObjectName("open_case_button")
        self.open_button.setToolTip("Retrieve the study with this version of the case (SR and SEG) and open it")
        self.open_button.setAutoDefault(False)
        self.open_button.setEnabled(False)
        row.addWidget(self.note, 1)
        row.addWidget(self.open_button)
        layout.addLayout(row)
        self.table.itemSelectionChanged.connect(
            lambda: self.open_button.setEnabled(self.selected() is not None))

    def show_cases(self, cases: list[CaseOnPacs], problem: str = "") -> None:
        """The study's versions, newest first; ``problem``: why they could not be listed."""
        self.cases = list(cases)
        self.table.setRowCount(0)
        self.table.setRowCount(len(self.cases))
        for r, c in enumerate(self.cases):
            for col, text in enumerate((c.when.replace("T", " "), c.author or "(not recorded)", c.role,
                                        c.state_text)):
                item = QTableWidgetItem(text)
                item.setToolTip(f"OligoPlan SR {c.sr_sop_uid}")
                self.table.setItem(r, col, item)
        if problem:
            self.note.setText(f"The study's OligoPlan cases could not be listed: {problem}")
        elif self.cases:
            self.note.setText(f"{len(self.cases)} version(s) of the case, newest first; pick one and Open case.")
            self.table.selectRow(0)
        else:
            self.note.setText("No OligoPlan case in this study yet.")
        self.open_button.setEnabled(self.selected() is not None)

    def clear(self, text: str = "") -> None:
        self.cases = []
        self.table.setRowCount(0)
        self.note.setText(text)
        self.open_button.setEnabled(False)

    def selected(self) -> CaseOnPacs | None:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        return self.cases[min(rows)] if rows and min(rows) < len(self.cases) else None

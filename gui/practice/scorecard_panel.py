"""The scorecard dock of practice mode: the figures, one row per lesion, PDF and CSV export.

Clicking a row moves the views to that lesion (the reference's, or the
trainee's extra). The figures and rows come from core.practice.report, the
same ones the PDF prints.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.export_names import case_stem
from core.lesion_map import lesion_centre_index
from core.practice.report import scorecard_rows, summary_items, write_scorecard_csv, write_scorecard_pdf
from core.practice.styles import LEGEND_NOTE, PRACTICE_STYLES, LineStyle
from gui.errors import error_boundary
from gui.settings import USER_NAME

HEADERS = ("", "Reference", "Trainee", "Dice", "HD95 mm", "MSD mm", "Vol. diff", "Site")
ROW_TEXT_COLOR = QColor(255, 255, 255)  # on the missed / extra rows' dark backgrounds
MIN_TABLE_ROWS = 4  # rows of the lesion table in view before the dock scrolls
ROW_COLORS = {"missed": QColor(120, 30, 30), "extra": QColor(130, 80, 10)}


class ScorecardPanel(QWidget):
    """Shows the scorecard of ``practice`` (a gui.practice.controller.PracticeController)."""

    def __init__(self, practice, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("scorecard_panel")
        self.practice = practice
        self.settings = practice.settings
        self.show_message = practice.show_message
        layout = QVBoxLayout(self)
        # the figures and the table scroll inside the dock: laid out in full, their minimum height
        # (about 330 px) made the window taller than a 768 px screen once a practice was scored
        content = QWidget(self)
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setObjectName("scorecard_scroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        layout.addWidget(scroll, 1)
        self.status_label = QLabel("", self)
        self.status_label.setObjectName("scorecard_status")
        self.status_label.setWordWrap(True)
        column.addWidget(self.status_label)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        figures_and_table = QHBoxLayout()  # side by side: under the figures the table was out of view
        figures_and_table.addLayout(self.form, 2)
        column.addLayout(figures_and_table, 1)
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setObjectName("scorecard_table")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.cellClicked.connect(self._on_table_cell_clicked)
        self.table.setMinimumHeight(MIN_TABLE_ROWS * self.table.verticalHeader().defaultSectionSize()
                                    + self.table.horizontalHeader().sizeHint().height() + 4)
        figures_and_table.addWidget(self.table, 3)
        buttons = QHBoxLayout()
        self.pdf_button = QPushButton("Export PDF…", self)
        self.pdf_button.setObjectName("scorecard_pdf")
        self.csv_button = QPushButton("Export CSV…", self)
        self.csv_button.setObjectName("scorecard_csv")
        self.pdf_button.clicked.connect(self._choose_pdf)
        self.csv_button.clicked.connect(self._choose_csv)
        buttons.addStretch(1)
        buttons.addWidget(self.pdf_button)
        buttons.addWidget(self.csv_button)
        layout.addLayout(buttons)
        self._rows = []
        practice.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        session = self.practice.session
        card = session.scorecard if session is not None else None
        while self.form.rowCount():
            self.form.removeRow(0)
        self.table.setRowCount(0)
        self._rows = []
        self.pdf_button.setEnabled(card is not None)
        self.csv_button.setEnabled(card is not None)
        if session is None:
            self.status_label.setText("Not practising. Practice > Practise on a case… opens an expert's "
                                      "case with its lesions hidden.")
            return
        if card is None:
            self.status_label.setText(f"Practising on {session.source.name}: the reference is hidden. "
                                      "Mark and contour every lesion, then Practice > Score.")
            return
        self.status_label.setText(f"Scored against {html.escape(session.source.name)}.<br>{legend_html()}")
        for what, value in summary_items(card):
            label = QLabel(value, self)
            label.setWordWrap(True)
            label.setObjectName(f"score_{what.split()[0].lower()}")
            self.form.addRow(f"<b>{what}</b>", label)
        self._rows = scorecard_rows(card, session.reference, session.trainee)
        self.table.setRowCount(len(self._rows))
        for r, row in enumerate(self._rows):
            v = row.values
            if row.outcome == "matched":
                site = v["reference_site"] if v["site_agrees"] else f"{v['reference_site']} ≠ {v['trainee_site']}"
                cells = ["found", row.reference, row.trainee, _f(v["dice"], ".3f"), _f(v["hd95_mm"], ".1f"),
                         _f(v["msd_mm"], ".1f"), _f(v["volume_diff_pct"], "+.0f", "%"), site]
            else:
                cells = [row.outcome.upper(), row.reference, row.trainee, "", "", "", "",
                         v.get("reference_site") or v.get("trainee_site", "")]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if row.outcome in ROW_COLORS:
                    item.setBackground(ROW_COLORS[row.outcome])
                    item.setForeground(ROW_TEXT_COLOR)  # black on the dark red/brown could not be read
                self.table.setItem(r, c, item)

    def cell_text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    # ------------------------------------------------------------- jump
    def _on_table_cell_clicked(self, row: int, _column: int) -> None:
        session = self.practice.session
        if session is None or not 0 <= row < len(self._rows):
            return
        item = self._rows[row]
        lesions = {l.id: l for l in session.reference} if item.reference else {l.id: l for l in session.trainee}
        lesion = lesions.get(item.reference or item.trainee)
        model = self.practice.model
        if lesion is None or model.base is None:
            return
        grid = model.grid_for(lesion.mask) if lesion.mask is not None else None
        centre = lesion_centre_index(lesion, grid, model.base)
        if centre is not None and np.all(np.isfinite(centre)):
            model.set_cursor(centre)

    # ----------------------------------------------------------- export
    def default_name(self, suffix: str) -> str:
        """``<patient ID>_<study date>_scorecard.<suffix>`` of the practised images (core.export_names);
        the save dialog asks before replacing a file."""
        base = self.practice.model.base
        return f"{case_stem(base.info if base is not None else None, 'scorecard', anonymise=False)}.{suffix}"

    def _choose_pdf(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the scorecard as PDF", self.default_name("pdf"),
                                              "PDF (*.pdf)")
        if path:
            self.export_pdf(path if path.lower().endswith(".pdf") else path + ".pdf")

    def _choose_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the scorecard as CSV", self.default_name("csv"),
                                              "CSV (*.csv)")
        if path:
            self.export_csv(path if path.lower().endswith(".csv") else path + ".csv")

    def export_pdf(self, path: str) -> None:
        session = self.practice.session
        with error_boundary(self, "Exporting the scorecard PDF"):
            write_scorecard_pdf(path, session.scorecard, session.reference, session.trainee,
                                self.practice.model.base, self.practice.grids(),
                                trainee_name=self.settings.get(USER_NAME),
                                case_name=session.source.name)
            self.show_message(f"Scorecard saved to {path}")

    def export_csv(self, path: str) -> None:
        session = self.practice.session
        with error_boundary(self, "Exporting the scorecard CSV"):
            write_scorecard_csv(path, session.scorecard, session.reference, session.trainee)
            self.show_message(f"Scorecard saved to {path}")


def legend_html() -> str:
    """The practice styles as the views draw them (a line sample on a dark box) with the scorecard PDF's words."""
    entries = []
    for style in PRACTICE_STYLES:
        sample = "- - -" if style.line is LineStyle.DASHED else "\u2014\u2014"
        entries.append(f"<span style='background-color:#202020; color:{style.colour}'>&nbsp;<b>{sample}</b>&nbsp;"
                       f"</span>&nbsp;{html.escape(style.legend_entry())}")
    pairs = [" &nbsp; ".join(entries[k:k + 2]) for k in range(0, len(entries), 2)]  # two a line
    return "<br>".join(pairs) + f"<br><small>{html.escape(LEGEND_NOTE)}</small>"


def _f(value, spec: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{unit}"

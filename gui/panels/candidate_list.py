"""The PET candidates dock: reference region, threshold, the sortable candidate list, Accept / Reject.

Candidates are proposals, not lesions: the table shows each one's status
(unreviewed in bold), SUVmax, SULpeak, volume and proposed site and side;
what was left out as physiological is listed under it with the reason.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDoubleSpinBox,
    QFrame,
    QBoxLayout,
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

COLUMNS = ("Id", "Status", "SUVmax", "SULpeak", "Volume cm3", "Proposed site", "Side")


class _NumberItem(QTableWidgetItem):
    """Sorts by value, not by text ("10.2" after "9.8")."""

    def __lt__(self, other) -> bool:  # noqa: D401 - Qt API
        a, b = self.data(Qt.ItemDataRole.UserRole), other.data(Qt.ItemDataRole.UserRole)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return a < b
        return self.text() < other.text()  # (QTableWidgetItem.__lt__ would call this override again)


class CandidateList(QWidget):
    find_requested = Signal()
    move_reference_requested = Signal()
    go_to_reference_requested = Signal()
    accept_requested = Signal(str)
    reject_requested = Signal(str)
    selected = Signal(object)  # candidate id or None

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.find_button = QPushButton("Find lesions", self)
        self.find_button.setObjectName("find_lesions_button")
        self.find_button.setToolTip("Find hot spots on the PET: candidates to accept or reject one by one")
        self.own_threshold = QCheckBox("Own threshold", self)
        self.own_threshold.setObjectName("own_threshold")
        self.own_threshold.setToolTip("Use this threshold instead of 1.5 x liver mean + 2 x SD (PERCIST)")
        self.threshold = QDoubleSpinBox(self)
        self.threshold.setObjectName("threshold_spin")
        self.threshold.setRange(0.1, 100.0)
        self.threshold.setDecimals(2)
        self.threshold.setSingleStep(0.1)
        self.threshold.setEnabled(False)
        self.own_threshold.toggled.connect(self.threshold.setEnabled)
        top = QHBoxLayout()
        top.addWidget(self.find_button)
        top.addWidget(self.own_threshold)
        top.addWidget(self.threshold)
        top.addStretch(1)
        self.reference_label = QLabel("No candidates yet: Find lesions works on the PET.", self)
        self.reference_label.setObjectName("reference_label")
        self.reference_label.setWordWrap(True)
        self.go_reference = QPushButton("Go to reference", self)
        self.go_reference.setObjectName("go_to_reference")
        self.move_reference = QPushButton("Move reference to cursor", self)
        self.move_reference.setObjectName("move_reference")
        self.move_reference.setToolTip("Put the 3 cm liver sphere at the crosshair and find the candidates again")
        ref_row = QHBoxLayout()
        ref_row.addWidget(self.go_reference)
        ref_row.addWidget(self.move_reference)
        ref_row.addStretch(1)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("candidate_table")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)  # hottest first
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.accept_button = QPushButton("Accept", self)
        self.accept_button.setObjectName("accept_candidate")
        self.accept_button.setToolTip("Make the selected candidate a lesion (its outline and proposed site)")
        self.reject_button = QPushButton("Reject", self)
        self.reject_button.setObjectName("reject_candidate")
        self.reject_button.setToolTip("Record that the selected candidate is not a lesion")
        buttons = QHBoxLayout()
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.reject_button)
        buttons.addStretch(1)
        self.pending_label = QLabel("", self)
        self.pending_label.setObjectName("pending_label")
        self.pending_label.setWordWrap(True)
        self.pending_label.setStyleSheet("color: #d08000;")
        self.suppressed_label = QLabel("", self)
        self.suppressed_label.setObjectName("suppressed_label")
        self.suppressed_label.setWordWrap(True)
        # controls on the left, the list on the right: the dock sits beside the lesion table, wide and low
        controls = QVBoxLayout()
        controls.setSpacing(3)
        controls.addLayout(top)
        controls.addLayout(buttons)
        controls.addWidget(self.reference_label)
        controls.addLayout(ref_row)
        controls.addWidget(self.pending_label)
        controls.addWidget(self.suppressed_label)
        controls.addStretch(1)
        left = QWidget(self)
        left.setLayout(controls)
        # in a scroll area: the controls never make the bottom docks (and so the window) taller than a
        # 768 px screen allows
        scroll = QScrollArea(self)
        scroll.setObjectName("candidate_controls")
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(440)
        scroll.setMaximumWidth(540)
        self.table.setMinimumHeight(60)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(scroll)
        layout.addWidget(self.table, 1)
        self._controls_scroll = scroll
        self.find_button.clicked.connect(self.find_requested)
        self.move_reference.clicked.connect(self.move_reference_requested)
        self.go_reference.clicked.connect(self.go_to_reference_requested)
        self.accept_button.clicked.connect(lambda: self._emit_for(self.accept_requested))
        self.reject_button.clicked.connect(lambda: self._emit_for(self.reject_requested))
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.show_candidates(None)

    # ---------------------------------------------------------------- show

    def stack_vertically(self) -> None:
        """Controls above the list, for a narrow side column (the main window's, issue 16): side by
        side they made the column at least 524 px wide."""
        self.layout().setDirection(QBoxLayout.Direction.TopToBottom)
        self._controls_scroll.setMinimumWidth(0)
        self._controls_scroll.setMaximumWidth(16777215)
        self._controls_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self._controls_scroll.setMaximumHeight(72)
        self.table.setMinimumHeight(40)
    def show_candidates(self, candidates) -> None:
        """Fill the table from a core.candidates.CandidateSet (None or empty: no candidates)."""
        chosen = self.selected_id()
        self.table.setSortingEnabled(False)
        self.table.setRowCount(0)
        items = list(candidates or [])
        for c in items:
            row = self.table.rowCount()
            self.table.insertRow(row)
            unit = (candidates.reference or {}).get("unit", "SUL")
            values = (c.id, c.status.value, c.suv_max, c.sul_peak, c.volume_cc,
                      f"{c.site} (proposed, {c.site_source})", c.side)
            for col, value in enumerate(values):
                item = _NumberItem(f"{value:.2f}" if isinstance(value, float) else str(value))
                item.setData(Qt.ItemDataRole.UserRole, value if isinstance(value, float) else str(value))
                if col == 0:
                    item.setData(Qt.ItemDataRole.UserRole + 1, c.id)
                if c.status.value == "unreviewed":
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                if col == 3:
                    item.setToolTip(f"peak in {unit} (mean in the 1 cm3 sphere where it is highest)")
                self.table.setItem(row, col, item)
        self.table.setSortingEnabled(True)
        if chosen is not None:
            self.select(chosen)
        ref = (candidates.reference if candidates is not None else None) or {}
        if not items and not ref:
            self.reference_label.setText("No candidates yet: Find lesions works on the PET.")
        elif ref.get("organ"):
            centre = ", ".join(f"{v:.0f}" for v in ref["centre_mm"])
            self.reference_label.setText(
                f"Liver reference ({ref['method']}) at ({centre}) mm: mean {ref['sul_mean']:.2f}, SD "
                f"{ref['sul_sd']:.2f} {ref['unit']}; threshold {ref['threshold']:.2f} {ref['unit']}")
            self.reference_label.setToolTip("PERCIST 1.0: a 3 cm sphere in the right liver lobe; threshold "
                                            "1.5 x mean + 2 x SD unless you set your own")
        else:
            self.reference_label.setText(f"Threshold {ref.get('threshold', 0):.2f} {ref.get('unit', '')} (yours; "
                                         "no liver reference)")
        pending = [c for c in items if c.status.value == "unreviewed"]
        self.pending_label.setText(
            f"{len(pending)} candidate(s) to review: rule sets undetermined until each is accepted or rejected"
            if pending else ("Every candidate reviewed" if items else ""))
        left_out = (candidates.suppressed if candidates is not None else []) or []
        self.suppressed_label.setText(
            "Left out as physiological:\n" + "\n".join(f"  {s['organ']}: {s['reason']}" for s in left_out)
            if left_out else "")
        self._on_selection()

    def show_error(self, text: str) -> None:
        self.pending_label.setText(text)

    # ---------------------------------------------------------------- selection
    def selected_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return item.data(Qt.ItemDataRole.UserRole + 1) if item is not None else None

    def select(self, candidate_id: str) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole + 1) == candidate_id:
                self.table.selectRow(row)
                return

    def status_of(self, candidate_id: str) -> str | None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole + 1) == candidate_id:
                return self.table.item(row, 1).text()
        return None

    def _on_selection(self) -> None:
        cid = self.selected_id()
        status = self.status_of(cid) if cid else None
        self.accept_button.setEnabled(status == "unreviewed")
        self.reject_button.setEnabled(status == "unreviewed")
        self.selected.emit(cid)

    def _emit_for(self, signal) -> None:
        cid = self.selected_id()
        if cid is not None:
            signal.emit(cid)

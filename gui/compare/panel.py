"""The Compare with prior dock: the carried-over lesions (proposals), and the nudge bar of the views' header.

Table: per prior lesion, its status (a proposal the user may override), the
values at both dates and how it stands (proposal / confirmed as Ln /
rejected). Confirm makes it a lesion of the current case; Reject leaves it
out; both only on a click.

:class:`NudgeBar`: a shift (mm) and rotations (degrees) applied after the
registration, at once (Ctrl+Alt+arrows and Ctrl+Alt+PageUp/PageDown step it by
1 mm from the views), with Reset and Carry over again.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.tracking.status import LesionStatus, size_mm_for

COLUMNS = ("Lesion", "Status", "Decision", "Prior", "Current", "By")
STATUS_CHOICES = (LesionStatus.STABLE, LesionStatus.PROGRESSING, LesionStatus.RESPONDING,
                  LesionStatus.DISAPPEARED, LesionStatus.UNKNOWN)
NUDGE_STEP_MM = 1.0
NUDGE_LIMIT_MM = 50.0
ROTATE_LIMIT_DEG = 15.0


def values_text(site, values) -> str:
    """"18.2 mm, SUVpeak 5.1" (the size RECIST uses for the site; the PET peak when measured)."""
    if values is None:
        return "not found"
    size, _measure = size_mm_for(site, values.longest_axial_diameter_mm, values.short_axis_mm)
    parts = ["-" if size is None else f"{size:.1f} mm"]
    if values.suv_peak is not None:
        parts.append(f"SUVpeak {values.suv_peak:.1f}")
    return ", ".join(parts)


class ComparePanel(QWidget):
    """Signals: confirm_requested(str), reject_requested(str), reconsider_requested(str) (a rejection taken
    back), go_to_requested(str) with the prior id;
    status_chosen(str, str) the prior id and a status value."""

    confirm_requested = Signal(str)
    reject_requested = Signal(str)
    reconsider_requested = Signal(str)
    go_to_requested = Signal(str)
    status_chosen = Signal(str, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("compare_panel")
        self.summary = QLabel("Open a prior study: File > Compare with prior.")
        self.summary.setObjectName("compare_summary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("carried_table")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.table.setMinimumHeight(110)
        self.confirm_button = QPushButton("Confirm")
        self.confirm_button.setObjectName("confirm_carried")
        self.confirm_button.setToolTip("Make the selected carried-over lesion a lesion of the current case "
                                       "(it keeps its prior id)")
        self.reject_button = QPushButton("Reject")
        self.reject_button.setObjectName("reject_carried")
        self.reject_button.setToolTip("Leave the selected proposal out of the current case")
        self.go_button = QPushButton("Go to")
        self.go_button.setObjectName("go_to_carried")
        self.confirm_button.clicked.connect(lambda: self._emit_selected(self.confirm_requested))
        # on a rejected row the same button reads "Reconsider" and takes the rejection back
        self.reject_button.clicked.connect(lambda: self._emit_selected(
            self.reconsider_requested if self._selected_decision() == "rejected" else self.reject_requested))
        self.go_button.clicked.connect(lambda: self._emit_selected(self.go_to_requested))
        self.status_combo = QComboBox()
        self.status_combo.setObjectName("carried_status")
        for status in STATUS_CHOICES:
            self.status_combo.addItem(status.value, status.value)
        self.status_combo.setToolTip("The selected lesion's status, worked out from the values at both dates; "
                                     "choose another to override it (recorded in the audit trail)")
        self.status_combo.currentIndexChanged.connect(lambda _i: self._on_status_chosen())
        buttons = QHBoxLayout()
        for button in (self.go_button, self.confirm_button, self.reject_button):
            buttons.addWidget(button)
        status_row = QHBoxLayout()
        status_row.addWidget(QLabel("Status of the selected lesion"))
        status_row.addWidget(self.status_combo, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)  # above the table: in the side column's short tab group they stay in view
        layout.addLayout(status_row)
        layout.addWidget(self.table, 1)
        self.derived = QLabel("")
        self.derived.setObjectName("compare_derived")
        self.derived.setWordWrap(True)
        self.derived.setToolTip("Case facts that follow from the comparison: proposals, shown as derived until "
                                "the user confirms them in the case facts")
        layout.addWidget(self.derived)
        self._ids: list[str] = []
        self._filling = False
        self._on_selection()

    # ---------------------------------------------------------------- rows
    def show_rows(self, rows: list[dict]) -> None:
        """rows: {"id", "status", "proposed", "prior", "current", "by", "decision", "tip", "can_confirm",
        "status_fixed" (a new lesion: its status is "new")}."""
        keep = self.selected_id()
        self._filling = True
        try:
            self.table.setRowCount(len(rows))
            self._ids = [r["id"] for r in rows]
            for n, row in enumerate(rows):
                status = row["status"] if row["status"] == row["proposed"] else \
                    f"{row['status']} (by the user; worked out: {row['proposed']})"
                texts = (row["id"], status, row["decision"], row["prior"], row["current"], row["by"])
                for col, text in enumerate(texts):
                    item = QTableWidgetItem(text)
                    item.setToolTip(row.get("tip", ""))
                    self.table.setItem(n, col, item)
        finally:
            self._filling = False
        self.table.resizeColumnsToContents()
        if keep in self._ids:
            self.select(keep)
        self._rows = {r["id"]: r for r in rows}
        self._on_selection()

    def selected_id(self) -> str | None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        return self._ids[min(rows)] if rows and min(rows) < len(self._ids) else None

    def select(self, lesion_id: str) -> None:
        if lesion_id in self._ids:
            self.table.selectRow(self._ids.index(lesion_id))
            self.table.scrollToItem(self.table.item(self._ids.index(lesion_id), 0))

    def status_text(self, lesion_id: str) -> str:
        return self.table.item(self._ids.index(lesion_id), 1).text()

    def choose_status(self, value: str) -> None:
        """Choose a status for the selected proposal (as the user does in the Status box)."""
        self.status_combo.setCurrentIndex(self.status_combo.findData(value))

    def _emit_selected(self, signal) -> None:
        lesion_id = self.selected_id()
        if lesion_id is not None:
            signal.emit(lesion_id)

    def _selected_decision(self) -> str:
        row = getattr(self, "_rows", {}).get(self.selected_id())
        return row["decision"] if row is not None else ""

    def _on_status_chosen(self) -> None:
        lesion_id = self.selected_id()
        row = getattr(self, "_rows", {}).get(lesion_id) if lesion_id else None
        if self._filling or row is None or self.status_combo.currentData() == row["status"]:
            return
        self.status_chosen.emit(lesion_id, self.status_combo.currentData())

    def _on_selection(self) -> None:
        lesion_id = self.selected_id()
        row = getattr(self, "_rows", {}).get(lesion_id) if lesion_id else None
        proposal = row is not None and row["decision"].startswith("proposal")
        self.confirm_button.setEnabled(proposal and row.get("can_confirm", True))
        rejected = row is not None and row["decision"] == "rejected"
        self.reject_button.setText("Reconsider" if rejected else "Reject")
        self.reject_button.setToolTip("Take back the rejection: a proposal again" if rejected
                                      else "Leave the selected proposal out of the current case")
        self.reject_button.setEnabled(proposal or rejected)
        self.go_button.setEnabled(row is not None)
        self.status_combo.setEnabled(proposal and row.get("status_fixed") is not True)
        was, self._filling = self._filling, True
        try:
            if row is not None:
                self.status_combo.setCurrentIndex(max(0, self.status_combo.findData(row["status"])))
        finally:
            self._filling = was
        if lesion_id is not None and not self._filling:
            self.go_to_requested.emit(lesion_id)


class NudgeBar(QWidget):
    """One row: shift x/y/z (mm), rotate x/y/z (degrees), Reset, Carry over again.

    Signals: nudge_changed() after a field changed; recarry_requested()."""

    nudge_changed = Signal()
    recarry_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("nudge_bar")
        self._filling = False
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(3)
        self.shift = [self._spin(f"nudge_shift_{a}", NUDGE_LIMIT_MM, " mm", NUDGE_STEP_MM) for a in "xyz"]
        self.rotate = [self._spin(f"nudge_rotate_{a}", ROTATE_LIMIT_DEG, "°", 0.5) for a in "xyz"]
        title = QLabel("<b>Nudge</b> shift")
        title.setToolTip("A manual correction after the registration: shift in mm along x (right to left), "
                         "y (front to back), z (feet to head) and rotations in degrees about the image centre. "
                         "Applied at once; Ctrl+Alt+arrows and Ctrl+Alt+PageUp/PageDown step it by 1 mm. "
                         "Recorded in the audit trail as a user adjustment")
        row.addWidget(title)
        for axis, spin in zip("xyz", self.shift):
            row.addWidget(QLabel(axis))
            row.addWidget(spin)
        row.addWidget(QLabel(" rotate"))
        for axis, spin in zip("xyz", self.rotate):
            row.addWidget(QLabel(axis))
            row.addWidget(spin)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setObjectName("reset_nudge")
        self.reset_button.clicked.connect(self.reset_nudge)
        self.recarry_button = QPushButton("Carry over again")
        self.recarry_button.setObjectName("recarry")
        self.recarry_button.setToolTip("Carry the prior lesions over again through the nudged registration")
        self.recarry_button.clicked.connect(self.recarry_requested)
        row.addWidget(self.reset_button)
        row.addWidget(self.recarry_button)
        row.addStretch(1)

    def _spin(self, name: str, limit: float, suffix: str, step: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setObjectName(name)
        spin.setRange(-limit, limit)
        spin.setDecimals(1)
        spin.setSingleStep(step)
        spin.setSuffix(suffix)
        spin.setKeyboardTracking(False)
        spin.valueChanged.connect(lambda _v: None if self._filling else self.nudge_changed.emit())
        return spin

    def nudge_values(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return tuple(s.value() for s in self.shift), tuple(r.value() for r in self.rotate)

    def set_nudge(self, shift_mm, rotation_deg, emit: bool = True) -> None:
        self._filling = True
        try:
            for spin, value in zip(self.shift, shift_mm):
                spin.setValue(float(value))
            for spin, value in zip(self.rotate, rotation_deg):
                spin.setValue(float(value))
        finally:
            self._filling = False
        if emit:
            self.nudge_changed.emit()

    def step_nudge(self, axis: int, delta_mm: float) -> None:
        spin = self.shift[axis]
        spin.setValue(spin.value() + delta_mm)

    def reset_nudge(self) -> None:
        self.set_nudge((0, 0, 0), (0, 0, 0))

"""Series browser: the studies and series a folder scan found, grouped by study, newest first.

Shows, per study, patient, study date and description; per series, modality,
description, slice count and the loader's warnings. Double-click or "Open"
asks the main window to load a series. Skipped files are counted below the
list, with their reasons in the tooltip. A prior study opened for Compare with prior
(gui.compare) is listed too, as a dated group marked "prior" (its series are not
opened as the current images).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

COLUMNS = ("Series", "Modality", "Slices", "Warnings")
_KEY_ROLE = Qt.ItemDataRole.UserRole
_DATE_ROLE = Qt.ItemDataRole.UserRole + 1
_STUDY_ROLE = Qt.ItemDataRole.UserRole + 2
PRIOR_PREFIX = "Prior (compare) · "
_MAX_SKIPPED_IN_TOOLTIP = 25


def format_date(dicom_date: str) -> str:
    """(0008,0020) Study Date "YYYYMMDD" -> "YYYY-MM-DD" (other text unchanged)."""
    d = (dicom_date or "").strip()
    if len(d) == 8 and d.isdigit():
        return f"{d[:4]}-{d[4:6]}-{d[6:]}"
    return d or "no date"


def format_patient(name: str, patient_id: str) -> str:
    name = (name or "").replace("^", " ").strip() or "Unnamed patient"
    return f"{name} ({patient_id})" if patient_id else name


class SeriesBrowser(QWidget):
    """Lists a :class:`core.dicom.scan.ScanResult`.

    Signals
    -------
    open_requested(object)
        The user asked to open this series entry (double-click or Open).
    """

    open_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("series_browser")
        self._entries: dict[str, Any] = {}
        self._items: dict[str, QTreeWidgetItem] = {}

        self.tree = QTreeWidget(self)
        self.tree.setObjectName("series_tree")
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.tree.itemDoubleClicked.connect(self._on_tree_double_clicked)
        self.tree.itemSelectionChanged.connect(self._on_tree_selection_changed)

        self.summary = QLabel("No folder opened. File > Open folder (Ctrl+O).", self)
        self.summary.setObjectName("scan_summary")
        self.summary.setWordWrap(True)
        self.open_button = QPushButton("Open", self)
        self.open_button.setObjectName("open_series_button")
        self.open_button.setToolTip("Open the selected series (Enter or double-click)")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._on_open_clicked)

        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)

    # ---------------------------------------------------------------- content
    def set_scan(self, scan: Any) -> None:
        """Show the series of a scan result (``.series``, ``.skipped``, ``.structure_sets``)."""
        self.tree.clear()
        self._entries.clear()
        self._items.clear()
        self._add_studies(scan.series)
        self.tree.expandAll()
        self.fit_columns()
        self.summary.setText(self._summary_text(scan))
        self.summary.setToolTip(self._skipped_tooltip(scan))

    def _add_studies(self, series, prior: bool = False) -> None:
        """One dated group per study (a patient with two studies: two groups), newest first."""
        studies: dict[tuple, QTreeWidgetItem] = {}
        for entry in series:
            info = entry.info
            study_key = (info.patient_id, info.patient_name, info.study_uid)
            parent = studies.get(study_key)
            if parent is None:
                parent = QTreeWidgetItem(self.tree)
                text = f"{format_patient(info.patient_name, info.patient_id)} · {format_date(info.study_date)}"
                if info.study_description:
                    text += f" · {info.study_description}"
                if prior:
                    text = PRIOR_PREFIX + text
                parent.setText(0, text)
                parent.setToolTip(0, text)
                parent.setFirstColumnSpanned(True)
                parent.setFlags(parent.flags() & ~Qt.ItemFlag.ItemIsSelectable)
                parent.setData(0, _DATE_ROLE, info.study_date or "")
                parent.setData(0, _STUDY_ROLE, info.study_uid or "")
                studies[study_key] = parent
            if prior:
                self._add_prior_entry(parent, entry)
            else:
                self._add_entry(parent, entry)
        groups = [self.tree.takeTopLevelItem(0) for _ in range(self.tree.topLevelItemCount())]
        groups.sort(key=lambda item: item.data(0, _DATE_ROLE) or "", reverse=True)  # stable: scan order kept
        self.tree.addTopLevelItems(groups)
        for item in groups:
            item.setFirstColumnSpanned(True)

    def add_prior_scan(self, scan: Any, study_uid: str | None = None) -> None:
        """List the prior study's series (Compare with prior; only those of ``study_uid`` when given) beside
        the current ones, as a dated group marked as the prior. A study listed already (the folder open
        holds both visits) is marked where it is."""
        self.clear_prior()
        listed = {self.tree.topLevelItem(n).data(0, _STUDY_ROLE): self.tree.topLevelItem(n)
                  for n in range(self.tree.topLevelItemCount())}
        if study_uid and study_uid in listed:
            item = listed[study_uid]
            item.setText(0, PRIOR_PREFIX + item.text(0))
            item.setToolTip(0, item.text(0))
            return
        self._add_studies([e for e in scan.series if study_uid is None or e.info.study_uid == study_uid],
                          prior=True)
        self.tree.expandAll()
        self.fit_columns()

    def clear_prior(self) -> None:
        """The comparison ended: its prior group goes (a study of the open folder stays, unmarked)."""
        for n in reversed(range(self.tree.topLevelItemCount())):
            item = self.tree.topLevelItem(n)
            if item.text(0).startswith(PRIOR_PREFIX):
                if item.child(0) is not None and item.child(0).data(0, _KEY_ROLE) is not None:
                    item.setText(0, item.text(0)[len(PRIOR_PREFIX):])
                    item.setToolTip(0, item.text(0))
                else:
                    self.tree.takeTopLevelItem(n)

    def study_groups(self) -> list[str]:
        """The groups' texts, top to bottom."""
        return [self.tree.topLevelItem(n).text(0) for n in range(self.tree.topLevelItemCount())]

    def _add_prior_entry(self, parent: QTreeWidgetItem, entry: Any) -> None:
        info = entry.info
        item = QTreeWidgetItem(parent)
        number = f"#{info.series_number} " if info.series_number is not None else ""
        item.setText(0, f"{number}{info.description or '(no description)'}")
        item.setText(1, info.modality.value)
        item.setText(2, str(entry.n_slices))
        for col in range(len(COLUMNS)):
            item.setToolTip(col, "The prior study, shown at the left of View > Layout > Compare with prior")

    def fit_columns(self) -> None:
        """Modality and Slices as wide as their texts; the series column gets what is left of the dock
        (120 to 260 px), so that the slice count stays in view: in the 330 px dock a 210 px series
        column pushed it past the edge ("9" of "96")."""
        self.tree.resizeColumnToContents(1)
        self.tree.resizeColumnToContents(2)
        room = self.tree.viewport().width() - self.tree.columnWidth(1) - self.tree.columnWidth(2) - 24
        self.tree.setColumnWidth(0, max(120, min(self.tree.sizeHintForColumn(0) + 24, 260, room)))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.tree.topLevelItemCount():
            self.fit_columns()

    def _add_entry(self, parent: QTreeWidgetItem, entry: Any) -> None:
        info = entry.info
        item = QTreeWidgetItem(parent)
        number = f"#{info.series_number} " if info.series_number is not None else ""
        item.setText(0, f"{number}{info.description or '(no description)'}")
        item.setText(1, info.modality.value)
        item.setText(2, str(entry.n_slices))
        item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        warnings = list(entry.warnings)
        item.setText(3, f"⚠ {len(warnings)}: {warnings[0]}" if warnings else "")
        shape = " × ".join(str(n) for n in entry.shape)
        spacing = " × ".join(f"{s:.2f}" for s in entry.spacing_mm)
        tip = [info.title, f"{shape} voxels (z × y × x)",
               f"spacing {spacing} mm", *warnings]
        for col in range(len(COLUMNS)):
            item.setToolTip(col, "\n".join(tip))
        item.setData(0, _KEY_ROLE, entry.key)
        self._entries[entry.key] = entry
        self._items[entry.key] = item

    @staticmethod
    def _summary_text(scan: Any) -> str:
        n_series = len(scan.series)
        parts = [f"{n_series} series"]
        n_rt = len(getattr(scan, "structure_sets", []) or [])
        if n_rt:
            parts.append(f"{n_rt} structure set{'s' if n_rt != 1 else ''}")
        n_seg = len(getattr(scan, "segmentations", []) or [])
        if n_seg:
            parts.append(f"{n_seg} segmentation{'s' if n_seg != 1 else ''} (SEG)")
        n_skipped = len(scan.skipped)
        if n_skipped:
            parts.append(f"{n_skipped} file{'s' if n_skipped != 1 else ''} skipped (hover for reasons)")
        return ", ".join(parts)

    @staticmethod
    def _skipped_tooltip(scan: Any) -> str:
        if not scan.skipped:
            return ""
        lines = [f"{s.path}: {s.reason}" for s in scan.skipped[:_MAX_SKIPPED_IN_TOOLTIP]]
        more = len(scan.skipped) - _MAX_SKIPPED_IN_TOOLTIP
        if more > 0:
            lines.append(f"… and {more} more")
        return "\n".join(lines)

    # ---------------------------------------------------------------- queries
    def entries(self) -> list[Any]:
        return list(self._entries.values())

    def item_for(self, key: str) -> QTreeWidgetItem | None:
        return self._items.get(key)

    def selected_entry(self) -> Any | None:
        items = self.tree.selectedItems()
        if not items:
            return None
        return self._entries.get(items[0].data(0, _KEY_ROLE))

    def select(self, key: str) -> None:
        item = self._items.get(key)
        if item is not None:
            self.tree.setCurrentItem(item)

    def mark_loaded(self, keys: set[str]) -> None:
        """Show the series that are on screen in bold."""
        for key, item in self._items.items():
            font = QFont(item.font(0))
            font.setBold(key in keys)
            for col in range(len(COLUMNS)):
                item.setFont(col, font)

    # ----------------------------------------------------------------- events
    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.selected_entry() is not None:
            self.open_requested.emit(self.selected_entry())
            return
        super().keyPressEvent(event)

    def _on_tree_double_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        entry = self._entries.get(item.data(0, _KEY_ROLE))
        if entry is not None:
            self.open_requested.emit(entry)

    def _on_tree_selection_changed(self) -> None:
        self.open_button.setEnabled(self.selected_entry() is not None)

    def _on_open_clicked(self) -> None:
        entry = self.selected_entry()
        if entry is not None:
            self.open_requested.emit(entry)

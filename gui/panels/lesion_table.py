"""The lesion table dock: every lesion with its site, kind and measurements.

Sortable by any column; label, site, side, kind and 'treatable' are edited in
place (each edit is an undoable command through gui.tools.LesionEditor).
Treatability is yes / no / not assessed (a new lesion is not assessed): one
click on the Treat check box (or Space on the cell) moves it not assessed ->
yes -> no -> not assessed; the box shows partly checked while not assessed.
Selecting a row selects the lesion and moves the three views to its centre.
Above the table, the count per organ (core LesionSet.counts_by_site) is
always shown. Measurements come from core.measure via the viewer model.
A site only proposed (core.anatomy) shows in italics with "proposed" and its
source in the tooltip; Confirm site (Y, or the button) accepts it.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSignalBlocker, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.codes import Laterality, LesionKind, Site, Treatability
from core.display import UNKNOWN_COLOUR
from core.lesions import Lesion, LesionEvent, LesionSet
from gui.panels.column_fit import FittedColumns
from gui.tools.editor import LesionEditor
from gui.tools.overlay import lesion_color
from gui.viewer_model import ViewerModel

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2

# (header, tooltip)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("ID", "Lesion id (never reused) and its colour in the views"),
    ("Label", "Name of the lesion: double-click to edit"),
    ("Site", "Organ / site the lesion is counted under. In italics: proposed (from an organ structure or "
             "the CT), not yet confirmed; Y confirms it, double-click to choose another"),
    ("Side", "Laterality (paired organs)"),
    ("Kind", "Primary tumour or metastasis"),
    ("Treat", "Can be treated safely: yes / no / not assessed (a new lesion is not assessed). Click the box "
              "(or press Space) to go not assessed -> yes -> no -> not assessed; rule sets need every lesion "
              "assessed, or the case fact 'All lesions safely treatable'"),
    ("Vol cc", "Volume, cm³ (core.measure)"),
    ("Axial LD mm", "Longest axial diameter, mm (RECIST 1.1). The rule sets' size criteria, 'oligoplan check' "
                    "and the summary's '3D LD' use the longest 3D diameter, which can be longer"),
    ("SA mm", "Short axis in the slice of the longest diameter, mm (lymph nodes)"),
    ("SUVmax", "Highest SUV (body weight) in the lesion"),
    ("Notes", "Free notes on the lesion (saved in the case): double-click to edit"),
)
C_ID, C_LABEL, C_SITE, C_SIDE, C_KIND, C_TREAT, C_VOL, C_LD, C_SA, C_SUV, C_NOTES = range(len(COLUMNS))
#: the column names the remembered choice of columns uses (settings: lesions/hidden_columns)
COLUMN_KEYS = ("id", "label", "site", "side", "kind", "treat", "vol_cc", "axial_ld_mm", "sa_mm", "suv_max", "notes")
#: shown at any width (the label stretches; site and treatability cut with "…" at the narrowest)
ESSENTIAL_COLUMNS = (C_LABEL, C_TREAT, C_SITE, C_LD)  # (the first stretches, the next ones give up width first)
#: shown while they fit, in this order (the header's context menu chooses among them)
OPTIONAL_COLUMNS = (C_ID, C_SIDE, C_SUV, C_VOL, C_KIND, C_SA, C_NOTES)
ELIDABLE_PX = {C_LABEL: 72, C_SITE: 64, C_TREAT: 64}
MEASURED = (C_VOL, C_LD, C_SA, C_SUV)
CHOICES = {
    C_SITE: [(s.label, s) for s in Site],
    C_SIDE: [("—", Laterality.NONE)] + [(lat.value, lat) for lat in Laterality if lat is not Laterality.NONE],
    C_KIND: [(k.value, k) for k in LesionKind],
}
_FIELD = {C_LABEL: "label", C_SITE: "site", C_SIDE: "laterality", C_KIND: "kind", C_NOTES: "notes"}


def counts_text(lesions: LesionSet) -> str:
    """'Liver 2 · Lung 1 — 3 lesions', in the order of the site list."""
    counts = lesions.counts_by_site()
    if not counts:
        return "No lesions yet"
    parts = [f"{site.label} {counts[site.value]}" for site in Site if site.value in counts]
    total = sum(counts.values())
    proposed = sum(1 for lesion in lesions if lesion.site_proposed and lesion.site is not Site.UNKNOWN)
    notes = ([f"{proposed} site{'s' if proposed != 1 else ''} proposed, not confirmed"] if proposed else []) \
        + ([f"{counts[Site.UNKNOWN.value]} site{'s' if counts[Site.UNKNOWN.value] != 1 else ''} unknown"]
           if Site.UNKNOWN.value in counts else [])
    tail = f" ({'; '.join(notes)})" if notes else ""
    return f"{' · '.join(parts)} — {total} lesion{'s' if total != 1 else ''}{tail}"


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _proposal(lesion: Lesion) -> bool:
    """A site (and side) OligoPlan proposed and no user confirmed; "unknown" is no proposal."""
    return lesion.site_proposed and lesion.site is not Site.UNKNOWN


class LesionTableModel(QAbstractTableModel):
    """Qt table over the model's lesion set; edits go through the editor."""

    def __init__(self, model: ViewerModel, editor: LesionEditor, parent=None):
        super().__init__(parent)
        self.model = model
        self.editor = editor
        self._rows: list[Lesion] = list(model.lesions)
        self.swatch_column = C_ID  # the label's column while the ID column has no room
        model.events.lesion_changed.connect(self._on_lesions_changed)
        model.events.lesions.connect(self._on_model_lesions)
        model.events.volumes.connect(self._on_model_volumes)

    def disconnect_model(self) -> None:
        self.model.events.lesion_changed.disconnect(self._on_lesions_changed)
        self.model.events.lesions.disconnect(self._on_model_lesions)
        self.model.events.volumes.disconnect(self._on_model_volumes)

    # ------------------------------------------------------------- events
    def _reset(self) -> None:
        self.beginResetModel()
        self._rows = list(self.model.lesions)
        self.endResetModel()

    def _on_model_lesions(self) -> None:
        self._reset()

    def _on_model_volumes(self) -> None:
        self._reset()  # measurements depend on the images shown

    def _on_lesions_changed(self, event: LesionEvent) -> None:
        if event.kind == "updated" and event.lesion_id is not None:
            row = self.row_of(event.lesion_id)
            if row is not None:
                self._rows[row] = self.model.lesions[event.lesion_id]
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
                return
        self._reset()

    # ---------------------------------------------------------- Qt model
    def row_of(self, lesion_id: str) -> int | None:
        return next((i for i, lesion in enumerate(self._rows) if lesion.id == lesion_id), None)

    def lesion_at(self, row: int) -> Lesion:
        return self._rows[row]

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section][0]
            if role == Qt.ItemDataRole.ToolTipRole:
                return COLUMNS[section][1]
        return None

    def flags(self, index):
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() in _FIELD:
            flags |= Qt.ItemFlag.ItemIsEditable
        if index.column() == C_TREAT:
            flags |= Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsUserTristate
        return flags

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        lesion = self._rows[index.row()]
        col = index.column()
        if role == ID_ROLE:
            return lesion.id
        if role == Qt.ItemDataRole.DecorationRole and col == self.swatch_column:
            return _swatch(lesion_color(lesion.id))
        if role == Qt.ItemDataRole.CheckStateRole and col == C_TREAT:
            return _CHECK_STATE[lesion.treatable]
        if role == Qt.ItemDataRole.ForegroundRole and col == C_TREAT and lesion.treatable is not Treatability.YES:
            return QColor("#e65100" if lesion.treatable is Treatability.NOT_ASSESSED else "#c62828")
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._text(lesion, col, role == Qt.ItemDataRole.EditRole)
        if role == SORT_ROLE:
            return self._sort_key(lesion, col)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in MEASURED:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(lesion)
        if role == Qt.ItemDataRole.ForegroundRole and col == C_SITE and lesion.site is Site.UNKNOWN:
            return QColor(UNKNOWN_COLOUR)  # nothing placed it: unknown, for the user to choose (not a proposal)
        proposed = _proposal(lesion) if col == C_SITE else lesion.site_proposed  # a side alone may be proposed
        if role == Qt.ItemDataRole.FontRole and col in (C_SITE, C_SIDE) and proposed:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and col in (C_SITE, C_SIDE) and proposed:
            return QColor("#1f5fa8")  # proposed: blue italics (a confirmed site is plain text)
        return None

    def _text(self, lesion: Lesion, col: int, edit: bool):
        if col == C_ID:
            return lesion.id
        if col == C_LABEL:
            return lesion.label
        if col == C_SITE:
            if edit:
                return lesion.site.value
            return f"{lesion.site.label}, proposed" if _proposal(lesion) else lesion.site.label
        if col == C_SIDE:
            return lesion.laterality.value if edit else (lesion.laterality.value or "—")
        if col == C_KIND:
            return lesion.kind.value
        if col == C_TREAT:
            return lesion.treatable.value
        if col == C_NOTES:
            return lesion.notes if edit else " ".join(lesion.notes.split())  # one line in the table
        if lesion.mask is None and col in (C_VOL, C_LD, C_SA):
            return "marker" if col == C_VOL else ""
        m = self.model.measure(lesion)
        if col == C_VOL:
            return _number(m.volume_cc, 2)
        if col == C_LD:
            return _number(m.longest_axial_diameter_mm, 1)
        if col == C_SA:
            return _number(m.short_axis_mm, 1)
        if col == C_SUV:
            return _number(m.suv_max, 1)
        return None

    def _sort_key(self, lesion: Lesion, col: int):
        if col == C_ID:
            digits = "".join(ch for ch in lesion.id if ch.isdigit())
            return int(digits) if digits else 0
        if col == C_TREAT:
            return list(Treatability).index(lesion.treatable)
        if col in MEASURED:
            m = self.model.measure(lesion)
            value = {C_VOL: m.volume_cc, C_LD: m.longest_axial_diameter_mm,
                     C_SA: m.short_axis_mm, C_SUV: m.suv_max}[col]
            return -1.0 if value is None else float(value)
        return str(self._text(lesion, col, False)).lower()

    def _tooltip(self, lesion: Lesion) -> str:
        m = self.model.measure(lesion)
        lines = [f"{lesion.id} {lesion.label}: {lesion.site_text}, {lesion.kind.value}",
                 f"site {lesion.site_decided_text}" + (" (Y confirms it)" if lesion.site_proposed
                                                       and lesion.site is not Site.UNKNOWN else "")]
        if m.longest_3d_diameter_mm is not None:
            lines.append(f"longest 3D diameter {m.longest_3d_diameter_mm:.1f} mm")
        if m.centroid_mm is not None:
            lines.append("centroid ({}) mm (LPS)".format(", ".join(f"{v:.1f}" for v in m.centroid_mm)))
        if m.hu_mean is not None:
            lines.append(f"mean {m.hu_mean:.0f} HU, max {m.hu_max:.0f} HU" if m.hu_max is not None
                         else f"mean {m.hu_mean:.0f} HU")
        if m.suv_mean is not None:
            lines.append(f"SUVmean {m.suv_mean:.2f}, SUVpeak {m.suv_peak:.2f}" if m.suv_peak is not None
                         else f"SUVmean {m.suv_mean:.2f}")
        if lesion.mask is None:
            lines.append("marker only: counted, not contoured")
        if lesion.segmentation is not None:
            lines.append(f"click-segmented, {lesion.segmentation.describe()}")
        if lesion.notes.strip():
            lines.append(f"notes: {lesion.notes.strip()}")
        return "\n".join(lines)

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid():
            return False
        lesion = self._rows[index.row()]
        col = index.column()
        if col == C_TREAT and role == Qt.ItemDataRole.CheckStateRole:
            # Qt's user-tristate box cycles unchecked -> partly -> checked: no -> not assessed -> yes; from
            # not assessed the next click is yes, then no (Treatability.next), each an undoable command
            state = _TREATABILITY[Qt.CheckState(value)] if not isinstance(value, bool) else Treatability.parse(value)
            return self.editor.update(lesion.id, treatable=state)
        if col in _FIELD and role == Qt.ItemDataRole.EditRole:
            return self.editor.update(lesion.id, **{_FIELD[col]: value})
        return False


_CHECK_STATE = {Treatability.YES: Qt.CheckState.Checked, Treatability.NO: Qt.CheckState.Unchecked,
                Treatability.NOT_ASSESSED: Qt.CheckState.PartiallyChecked}
_TREATABILITY = {v: k for k, v in _CHECK_STATE.items()}


def _swatch(color: QColor) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(color)
    return QIcon(pixmap)


class ChoiceDelegate(QStyledItemDelegate):
    """A combo box of coded values (site, side, kind) for editing in place."""

    def createEditor(self, parent, option, index):  # noqa: N802
        combo = QComboBox(parent)
        combo.setObjectName(f"choice_editor_{index.column()}")
        for text, value in CHOICES[index.column()]:
            combo.addItem(text, value.value)
        return combo

    def setEditorData(self, editor, index):  # noqa: N802
        found = editor.findData(index.data(Qt.ItemDataRole.EditRole))
        editor.setCurrentIndex(max(found, 0))

    def setModelData(self, editor, model, index):  # noqa: N802
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class LesionPanel(QWidget):
    """Counts per organ, the Confirm site button, and the lesion table."""

    def __init__(self, model: ViewerModel, editor: LesionEditor, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lesion_panel")
        self.model = model
        self.editor = editor
        self.counts_label = QLabel(self)
        self.counts_label.setObjectName("lesion_counts_label")
        self.counts_label.setWordWrap(True)
        self.counts_label.setStyleSheet("font-weight: bold; padding: 2px;")
        # new lesions take the site proposed for them (never one left from an earlier lesion)
        self.confirm_button = QPushButton("Confirm site (Y)", self)
        self.confirm_button.setObjectName("confirm_site_button")
        self.confirm_button.setToolTip("Confirm the site and side proposed for the selected lesion")

        self.table_model = LesionTableModel(model, editor, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.table_model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView(self)
        self.table.setObjectName("lesion_table")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(C_ID, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.SelectedClicked)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        # the columns fit the side column's width (324-500 px): label, site, size and treatability always,
        # the others while they fit or as the header's context menu chooses (no sideways scrolling)
        self.columns = FittedColumns(self.table, ESSENTIAL_COLUMNS, OPTIONAL_COLUMNS, ELIDABLE_PX, COLUMN_KEYS)
        self.columns.fitted.connect(self._follow_id_column)
        self._follow_id_column()
        self._choice_delegate = ChoiceDelegate(self.table)
        for col in CHOICES:
            self.table.setItemDelegateForColumn(col, self._choice_delegate)

        top = QHBoxLayout()
        top.addWidget(self.counts_label, 1)
        top.addWidget(self.confirm_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

        model.events.lesion_changed.connect(self._on_lesions_changed)
        model.events.lesions.connect(self._on_model_lesions)
        model.events.selection.connect(self._on_model_selection)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.table.clicked.connect(self._on_table_clicked)  # the selected row again: go back to it
        self.table_model.modelReset.connect(self._show_model_selection)
        self.confirm_button.clicked.connect(self._on_confirm_button_clicked)
        self._update_counts()

    def disconnect_model(self) -> None:
        self.model.events.lesion_changed.disconnect(self._on_lesions_changed)
        self.model.events.lesions.disconnect(self._on_model_lesions)
        self.model.events.selection.disconnect(self._on_model_selection)
        self.table_model.disconnect_model()

    def _follow_id_column(self, *_args) -> None:
        """The lesion's colour beside its label while the ID column (which shows it) has no room."""
        column = C_LABEL if self.table.isColumnHidden(C_ID) else C_ID
        if column != self.table_model.swatch_column:
            self.table_model.swatch_column = column
            self.table.viewport().update()

    # ------------------------------------------------------------ helpers
    def proxy_index(self, lesion_id: str, column: int = C_LABEL) -> QModelIndex:
        """The table index (after sorting) of a lesion's cell; invalid when absent."""
        row = self.table_model.row_of(lesion_id)
        if row is None:
            return QModelIndex()
        return self.proxy.mapFromSource(self.table_model.index(row, column))

    def select_lesion(self, lesion_id: str) -> None:
        """Select a lesion's row as a click would (the views move to it)."""
        self.table.selectRow(self.proxy_index(lesion_id).row())

    def cell_text(self, lesion_id: str, column: int) -> str:
        return str(self.proxy_index(lesion_id, column).data() or "")

    # ------------------------------------------------------------- events
    def _update_counts(self) -> None:
        self.counts_label.setText(counts_text(self.model.lesions))
        self._update_confirm_button()

    def _on_lesions_changed(self, event: LesionEvent) -> None:
        self._update_counts()

    def _on_model_lesions(self) -> None:
        self._update_counts()

    def _on_table_selection_changed(self, *_args) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        lesion_id = rows[0].data(ID_ROLE)
        if lesion_id != self.model.selected_id:
            self.model.set_selected(lesion_id)
        self.model.go_to_lesion(lesion_id)

    def _on_table_clicked(self, index: QModelIndex) -> None:
        lesion_id = index.data(ID_ROLE)
        if lesion_id is not None and lesion_id == self.model.selected_id:
            self.model.go_to_lesion(lesion_id)

    def _on_model_selection(self, old, new) -> None:
        self._show_model_selection()
        self._update_confirm_button()

    def _show_model_selection(self) -> None:
        with QSignalBlocker(self.table.selectionModel()):
            self.table.clearSelection()
            selected = self.model.selected_id
            if selected is not None:
                index = self.proxy_index(selected)
                if index.isValid():
                    # the row into view, the columns left as the user scrolled them (a click on a Notes
                    # cell of the narrow side column must not jump the table back to its first column)
                    across = self.table.horizontalScrollBar().value()
                    self.table.selectRow(index.row())
                    self.table.scrollTo(index)
                    self.table.horizontalScrollBar().setValue(across)
        self.table.viewport().update()

    def _on_confirm_button_clicked(self) -> None:
        self.editor.confirm_selected_site()

    def _update_confirm_button(self) -> None:
        selected = self.model.selected
        self.confirm_button.setEnabled(selected is not None and selected.site_proposed
                                       and selected.site is not Site.UNKNOWN)

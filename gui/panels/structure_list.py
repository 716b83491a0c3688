"""The structure list: imported RTSTRUCT structures, toggled one by one.

Two groups, so organs at risk are never mistaken for lesions: "Targets and
others" (GTV/CTV/PTV, body outline, unclassified) and "Organs at risk". Each
row shows the structure's colour and name and has a check box for its
outline in the three views; a target can be turned into a lesion with the
button (or the action) "Make lesion". What could not be drawn (unsupported
contour types, contours outside the slices) is in the row's tooltip and the
warnings line below.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.rt.structures import ImportedStructureSet, Structure, StructureKind

ROLE_KEY = Qt.ItemDataRole.UserRole


def structure_key(structure_set: ImportedStructureSet, structure: Structure) -> tuple[str, int]:
    return (structure_set.sop_uid, structure.number)


def _swatch(rgb) -> QIcon:
    pix = QPixmap(12, 12)
    pix.fill(QColor(*rgb))
    return QIcon(pix)


class StructureList(QWidget):
    """Shows structure sets; emits ``visibility_changed(key, visible)`` and ``make_lesion(key)``."""

    visibility_changed = Signal(object, bool)
    make_lesion = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("structure_tree")
        self.tree.setHeaderLabels(["Structure", "Type"])
        self.tree.setRootIsDecorated(True)
        # the name column takes what its names need, as far as the dock's width allows (fit_name_column);
        # a fixed 170 px cut "BRONCHUS_PROX" to "BRONCHUS…"
        self.tree.header().setStretchLastSection(True)
        self.tree.viewport().installEventFilter(self)
        self.make_lesion_button = QPushButton("Make lesion", self)
        self.make_lesion_button.setObjectName("make_lesion_button")
        self.make_lesion_button.setToolTip("Turn the selected target (GTV) into a lesion; Edit > Undo takes it back")
        self.make_lesion_button.setEnabled(False)
        self.warnings = QLabel(self)
        self.warnings.setObjectName("structure_warnings")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #c80;")
        # long warnings (a structure set not found, resampled onto another series) scroll
        # instead of squeezing the list to one row
        self.warnings_area = QScrollArea(self)
        self.warnings_area.setWidget(self.warnings)
        self.warnings_area.setWidgetResizable(True)
        self.warnings_area.setFrameShape(QFrame.Shape.NoFrame)
        self.warnings_area.setMaximumHeight(90)
        self.tree.setMinimumHeight(140)
        self.empty = QLabel("No structure set on these images.\nFile > Import RTSTRUCT… adds one.", self)
        # structure sets still being read in the background (the case's, an import)
        self.reading = QLabel(self)
        self.reading.setObjectName("structure_reading")
        self.reading.setWordWrap(True)
        self.reading.setStyleSheet("color: #666; font-style: italic;")
        self.reading.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.reading)
        layout.addWidget(self.empty)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.make_lesion_button)
        layout.addWidget(self.warnings_area)
        self._items: dict[tuple[str, int], QTreeWidgetItem] = {}
        self._structures: dict[tuple[str, int], Structure] = {}
        self._filling = False
        self.tree.itemChanged.connect(self._on_tree_item_changed)
        self.tree.itemSelectionChanged.connect(self._on_tree_selection)
        self.make_lesion_button.clicked.connect(self._on_make_lesion_clicked)
        self.set_structure_sets([], set())

    def set_structure_sets(self, sets: list[ImportedStructureSet], hidden: set, notes=()) -> None:
        """Show ``sets``; structures whose key is in ``hidden`` are unchecked; ``notes`` (structure
        sets of the case that moved or are not found) head the warnings line."""
        # the user's choices in the list survive a refresh (a structure set read in the
        # background arriving): the selected row, collapsed groups, the scroll position
        selected = self.selected_key()
        collapsed = {self.tree.topLevelItem(i).text(0) for i in range(self.tree.topLevelItemCount())
                     if not self.tree.topLevelItem(i).isExpanded()}
        scrolled = self.tree.verticalScrollBar().value()
        self._filling = True
        try:
            self.tree.clear()
            self._items.clear()
            self._structures.clear()
            targets = QTreeWidgetItem(["Targets and others", ""])
            oars = QTreeWidgetItem(["Organs at risk", ""])
            for group in (targets, oars):
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            warnings: list[str] = list(notes)
            for ss in sets:
                warnings.extend(ss.warnings)
                for s in ss.structures:
                    key = structure_key(ss, s)
                    item = QTreeWidgetItem([s.name, s.interpreted_type or s.kind.value])
                    item.setIcon(0, _swatch(s.color))
                    item.setData(0, ROLE_KEY, key)
                    flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                    if s.mask is not None:
                        flags |= Qt.ItemFlag.ItemIsUserCheckable
                    item.setFlags(flags)
                    if s.mask is not None:
                        item.setCheckState(0, Qt.CheckState.Unchecked if key in hidden else Qt.CheckState.Checked)
                    tip = [f"{s.name}: {s.kind.value}, {s.n_contours} contour(s), from '{ss.label or ss.path}' "
                           f"(matched by {ss.how})"] + list(s.warnings)
                    if s.mask is None:
                        tip.append("nothing to draw on these images")
                    item.setToolTip(0, "\n".join(tip))
                    (oars if s.kind is StructureKind.ORGAN_AT_RISK else targets).addChild(item)
                    self._items[key] = item
                    self._structures[key] = s
            for group in (targets, oars):
                if group.childCount():
                    self.tree.addTopLevelItem(group)
                    group.setExpanded(True)
            if selected in self._items:
                self.tree.setCurrentItem(self._items[selected])  # (expands the row's group)
            for group in (targets, oars):
                group.setExpanded(group.text(0) not in collapsed)
            self.tree.verticalScrollBar().setValue(scrolled)
            self.empty.setVisible(not self._items and self.reading.isHidden())
            self.tree.setVisible(bool(self._items))
            self.fit_name_column()
            self.warnings.setText("\n".join(dict.fromkeys(warnings)))
            self.warnings_area.setVisible(bool(warnings))
        finally:
            self._filling = False
        self._on_tree_selection()

    def fit_name_column(self) -> None:
        """Size the name column to its longest name (colour swatch and indentation included), leaving the
        type column what its longest type needs; in a dock too narrow for both the name column takes the
        rest and a name is cut (its tooltip starts with the full name)."""
        tree = self.tree
        names = tree.sizeHintForColumn(0)
        if names <= 0:
            return
        types = max(tree.sizeHintForColumn(1), tree.header().sectionSizeHint(1))
        room = tree.viewport().width() - types
        tree.setColumnWidth(0, max(min(names + 8, room), 80))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if watched is self.tree.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_name_column()
        return super().eventFilter(watched, event)

    def set_reading(self, text: str) -> None:
        """Say what is being read in the background (``""`` when nothing is)."""
        self.reading.setText(text)
        self.reading.setVisible(bool(text))
        self.empty.setVisible(not self._items and not text)

    def item_for(self, key) -> QTreeWidgetItem | None:
        return self._items.get(key)

    def selected_key(self):
        items = self.tree.selectedItems()
        return items[0].data(0, ROLE_KEY) if items else None

    def selected_structure(self) -> Structure | None:
        key = self.selected_key()
        return self._structures.get(key) if key is not None else None

    def _on_tree_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling or column != 0:
            return
        key = item.data(0, ROLE_KEY)
        if key is not None:
            self.visibility_changed.emit(key, item.checkState(0) == Qt.CheckState.Checked)

    def _on_tree_selection(self) -> None:
        s = self.selected_structure()
        self.make_lesion_button.setEnabled(bool(s is not None and s.can_become_lesion))

    def _on_make_lesion_clicked(self) -> None:
        key = self.selected_key()
        if key is not None:
            self.make_lesion.emit(key)

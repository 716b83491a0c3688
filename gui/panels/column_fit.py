"""Columns that fit the table's width: the essential ones always, the others while there is room.

A table in the narrow side column (324-500 px) must not scroll sideways: the user loses the row's other
cells and drags a scroll bar for every look. :class:`FittedColumns` keeps a table's columns within its
viewport:

* the *essential* columns are always shown (the text of an elidable one ends in "…" when it must);
* the others, in order of priority, are shown while they fit whole; those left out have no room and come
  back when the column gets wider (their names are in the header's tooltip);
* the header's context menu is a column chooser, its ticks the columns shown: unticking one hides it for
  good, ticking one left out shows it ahead of the others (even when the table must then scroll: the
  user asked for it); the choice is remembered through ``on_choice`` (the window keeps it in its settings).

One column stretches into the width the others leave.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHeaderView, QMenu, QStyle, QTableView

#: px between a cell's text and the column's edge (Qt's item margins, both sides)
_PADDING_PX = 12


class FittedColumns(QObject):
    """Fits ``table``'s columns to its viewport.

    ``essential``: always shown, in this order of importance (the first one stretches);
    ``optional``: shown while they fit, in this order of priority;
    ``elidable``: {column: least width in px} of essential columns whose text may be cut with "…";
    ``keys``: a stable name per column (what the remembered choice lists);
    ``on_choice``: called with (the wanted columns' keys, the unticked columns' keys) when the user
    changes the choice.

    Signal ``fitted()``: after each fit (the columns shown may have changed).
    """

    fitted = Signal()

    def __init__(self, table: QTableView, essential: Sequence[int], optional: Sequence[int],
                 elidable: dict[int, int], keys: Sequence[str],
                 on_choice: Callable[[list[str], list[str]], None] | None = None):
        super().__init__(table)
        self.table = table
        self.essential = list(essential)
        self.optional = list(optional)
        self.elidable = dict(elidable)
        self.keys = list(keys)
        self.on_choice = on_choice
        self.unticked: set[int] = set()  # the user's choice: never shown
        self.wanted: list[int] = []  # the user's choice: shown first, whatever the width (last ticked first)
        self.no_room: list[int] = []  # ticked, left out at the present width
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(24)
        for col in range(header.count()):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(self.essential[0], QHeaderView.ResizeMode.Stretch)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._show_menu)
        self._timer = QTimer(self)  # one fit after a burst of changes (typing, a model reset, a resize)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.fit)
        table.viewport().installEventFilter(self)
        model = table.model()
        for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.dataChanged,
                       model.layoutChanged):
            signal.connect(self._timer.start)
        self.fit()

    # ------------------------------------------------------------ choice
    def set_choice(self, wanted: Sequence[str], unticked: Sequence[str]) -> None:
        """The remembered choice (keys): columns shown first whatever the width, and columns never shown
        (the first essential one is always shown)."""
        def columns(keys):
            return [self.keys.index(k) for k in keys if k in self.keys and self.keys.index(k) != self.essential[0]]
        self.unticked = set(columns(unticked))
        self.wanted = [c for c in columns(wanted) if c not in self.unticked and c in self.optional]
        self.fit()

    def choice(self) -> tuple[list[str], list[str]]:
        """(wanted, unticked) column keys, as :meth:`set_choice` takes them."""
        return [self.keys[c] for c in self.wanted], [self.keys[c] for c in sorted(self.unticked)]

    def set_ticked(self, column: int, ticked: bool) -> None:
        """Tick or untick a column as the header's menu does: ticked, it is shown (ahead of the others);
        unticked, it is hidden for good."""
        if column == self.essential[0]:
            return
        if column in self.wanted:
            self.wanted.remove(column)
        if ticked:
            self.unticked.discard(column)
            if column in self.optional:
                self.wanted.insert(0, column)
        else:
            self.unticked.add(column)
        self.fit()
        if self.on_choice is not None:
            self.on_choice(*self.choice())

    def menu(self) -> QMenu:
        """The column chooser: one tick per column; the first essential one cannot be unticked."""
        menu = QMenu(self.table)
        menu.setObjectName("column_chooser")
        model = self.table.model()
        for col in [*self.essential, *self.optional]:
            name = str(model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole))
            text = name + (" (no room: tick to show it anyway)" if col in self.no_room else "")
            action = QAction(text, menu)
            action.setObjectName(f"column_{self.keys[col]}")
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(col))
            action.setEnabled(col != self.essential[0])
            action.toggled.connect(lambda on, c=col: self.set_ticked(c, on))
            menu.addAction(action)
        return menu

    def _show_menu(self, pos) -> None:
        self.menu().exec(self.table.horizontalHeader().mapToGlobal(pos))

    # ------------------------------------------------------------ fitting
    def needed_px(self, col: int) -> int:
        """The width a column needs to show its header and every cell whole."""
        header = self.table.horizontalHeader()
        text = str(self.table.model().headerData(col, Qt.Orientation.Horizontal))
        margin = header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
        # Qt's own size makes room for the sort arrow in every column; only the sorted one shows it
        arrow = header.height() if header.isSortIndicatorShown() and header.sortIndicatorSection() == col else 0
        title = header.fontMetrics().horizontalAdvance(text) + 4 * margin + arrow
        return max(title, self.table.sizeHintForColumn(col) + 2)

    def fit(self) -> None:
        """Show the columns that fit the viewport's width; the first essential one takes what is left."""
        header = self.table.horizontalHeader()
        available = self.table.viewport().width()
        first, others = self.essential[0], self.essential[1:]
        need = {c: self.needed_px(c) for c in [*self.essential, *self.optional]}
        least = {c: min(need[c], self.elidable.get(c, need[c])) for c in self.essential}
        essentials = [c for c in others if c not in self.unticked]
        used = least[first] + sum(need[c] for c in essentials)
        shown, self.no_room = [], []
        for col in [*self.wanted, *(c for c in self.optional if c not in self.wanted)]:
            if col in self.unticked:
                continue
            if col in self.wanted or used + need[col] <= available:
                shown.append(col)
                used += need[col]
            else:
                self.no_room.append(col)
        width = dict(need)
        # short of room (the essential ones' whole widths do not fit): the elidable ones give some up
        over = least[first] + sum(width[c] for c in essentials + shown) - available
        for col in essentials:
            if over <= 0:
                break
            if col in self.elidable:
                give = min(over, width[col] - least[col])
                width[col] -= give
                over -= give
        visible = {first, *essentials, *shown}
        for col in range(header.count()):
            header.setSectionHidden(col, col not in visible)
            if col in visible and col != first:
                header.resizeSection(col, width[col])
        names = [str(self.table.model().headerData(c, Qt.Orientation.Horizontal)) for c in self.no_room]
        header.setToolTip(("No room for: " + ", ".join(names) + " (widen the column; right-click: choose "
                           "columns)") if names else "Right-click: choose the columns")
        self.fitted.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize:
            self._timer.start()
        return super().eventFilter(watched, event)

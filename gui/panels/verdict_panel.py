"""The verdict panel: one row per chosen rule set, coloured by verdict, expandable to its criteria.

A view only: :class:`gui.verdicts.VerdictsController` evaluates (core.rules) and
calls :meth:`VerdictPanel.set_evaluation`. Clicking a criterion that names
lesions emits ``lesions_clicked`` (the verdicts controller selects them; clicking again
moves to the next one). The rule-set picker emits ``selection_changed``.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QTreeWidgetItemIterator,
    QVBoxLayout,
    QWidget,
)

from core.display import STATUS_COLOURS, UNKNOWN_COLOUR  # the summary PDF's too
from core.display import VERDICT_TINTS as VERDICT_COLOURS  # light tints of the PDF's verdict colours
from core.rules.engine import VERDICT_TEXT, CriterionResult, Evaluation
from core.rules.facts import FIELD_BY_KEY
from core.rules.scores import Score, ScoreStatus
from core.review import review_colour, review_headline
from core.rules.oar import settings_lines
from core.rules.outcome import CriterionStatus, FlagStatus
from gui.panels.verdict_rows import COLUMN_PADDING, VerdictRowDelegate, compact_fits

#: the rows before any lesion is marked: a red NOT ELIGIBLE on a scan nobody has read yet
#: would read as a finding; the criteria underneath still show what the engine found
NO_LESIONS_TEXT, NO_LESIONS_COLOUR = "NO LESIONS YET", "#eeeeee"
STATUS_TEXT = {CriterionStatus.PASS: "pass", CriterionStatus.FAIL: "FAIL", CriterionStatus.UNKNOWN: "unknown"}
LESIONS_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2
MIN_TREE_ROWS = 6  # rows of verdicts and criteria always in view (the panel scrolls below them)
TREE_INDENT_PX = 14  # px a level (Qt's 20 took a sixth of the 324 px column from every criterion)
MIN_TITLE_WIDTH = 130  # px: the criterion column never shrinks below this
SCORE_KEY = "score:"  # the key of a prognostic score's row ("score:fong-crs")
COLUMNS = ("Rule set / criterion", "Status", "Value", "Threshold", "Lesions", "Source")


class VerdictPanel(QWidget):
    selection_changed = Signal(list)  # rule-set ids, in catalogue order
    cutoff_changed = Signal(float)
    lesions_clicked = Signal(list)  # lesion ids of a criterion
    oar_settings_requested = Signal()  # the "OAR flags…" button

    def __init__(self, rule_sets, selected: list[str], cutoff_months: float = 6.0,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("verdict_panel")
        self.picker = QToolButton(self)
        self.picker.setObjectName("rule_set_picker")
        self.picker.setText("Rule sets…")
        self.picker.setToolTip("Choose the rule sets to check (remembered)")
        self.picker.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.picker)
        self.rule_set_actions: dict[str, QAction] = {}
        for rs in rule_sets:
            action = QAction(f"{rs.id} — {rs.title}", self.menu)
            action.setObjectName(f"rule_set_{rs.id}")
            action.setCheckable(True)
            action.setChecked(rs.id in selected)
            action.setData(rs.id)
            action.toggled.connect(self._on_rule_set_toggled)
            self.menu.addAction(action)
            self.rule_set_actions[rs.id] = action
        self.picker.setMenu(self.menu)
        self._menu_stays_open = StayOpenMenu(self.menu)  # tick several rule sets in one go
        self.oar_button = QToolButton(self)
        self.oar_button.setObjectName("oar_settings_button")
        self.oar_button.setText("OAR flags…")
        self.oar_button.setToolTip("Ultracentral structures and margin (OAR flag settings)")
        self.oar_button.clicked.connect(self.oar_settings_requested)
        self.cutoff = QDoubleSpinBox(self)
        self.cutoff.setObjectName("sync_cutoff_spin")
        self.cutoff.setRange(0.0, 60.0)
        self.cutoff.setDecimals(1)
        self.cutoff.setSuffix(" months")
        self.cutoff.setValue(cutoff_months)
        self.cutoff.setToolTip("ESTRO-EORTC synchronous/metachronous cut-off (not verified; default 6 months)")
        self.cutoff.valueChanged.connect(self.cutoff_changed)
        self.review_label = QLabel(self)
        self.review_label.setObjectName("review_state_label")
        self.review_label.setWordWrap(True)
        self.review_label.setToolTip("Review state of the case (Review > Sign off); any change reopens it")
        self.class_label = QLabel(self)
        self.class_label.setObjectName("classification_label")
        self.class_label.setWordWrap(True)
        self.oar_label = QLabel(self)
        self.oar_label.setObjectName("oar_flags_label")
        self.oar_label.setWordWrap(True)
        self.counts_label = QLabel(self)
        self.counts_label.setObjectName("verdict_counts_label")
        self.counts_label.setWordWrap(True)
        self.note_label = QLabel("Decision support only: check every verdict against the protocol it cites. "
                                 "† = threshold not verified.", self)
        self.note_label.setWordWrap(True)
        self.note_label.setStyleSheet("color: #b03030; font-size: 10px;")
        self.error_label = QLabel(self)
        self.error_label.setObjectName("verdict_error_label")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.hide()
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("verdict_tree")
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setColumnCount(len(COLUMNS))
        # a criterion's name wraps onto more lines rather than being cut off ("Number of metastases
        # at most 5 in total…" read "Number of metast…" in a 440 px dock); its tooltip has it too
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.tree.setIndentation(TREE_INDENT_PX)
        self.rows = VerdictRowDelegate(self.tree)  # rows wrapped to the tree's width, the verdict first
        self.tree.setItemDelegateForColumn(0, self.rows)
        self.tree.header().setStretchLastSection(False)  # fit_columns shares the width (no sideways scroll)
        self.tree.viewport().installEventFilter(self)  # a scroll bar coming or going changes the width
        for col, width in enumerate((200, 70, 60, 100, 70)):
            self.tree.setColumnWidth(col, width)
        # the status column holds the criteria's pass / FAIL / unknown only: a rule set's row spans the
        # tree's width and starts with its verdict ("ELIGIBLE — sabr-comet — ..."); sized for
        # "UNDETERMINED" in bold, the column pushed the thresholds out of a 440 px dock
        self.status_px = max(self.tree.fontMetrics().horizontalAdvance(t) for t in STATUS_TEXT.values()) \
            + COLUMN_PADDING
        self.tree.setColumnWidth(1, self.status_px)
        self.tree.itemClicked.connect(self._on_tree_item_clicked)
        # at least MIN_TREE_ROWS rows in view: at 1024 x 768, under a structure list, the labels above
        # took the whole dock and the verdicts themselves shrank to nothing
        row_px = self.tree.fontMetrics().height() + 4
        self.tree.setMinimumHeight(MIN_TREE_ROWS * row_px + self.tree.header().sizeHint().height() + 6)
        self.tree.header().sectionResized.connect(self._on_header_section_resized)
        self._fitting = False
        self._user_sized = False  # a column the user dragged keeps its width (in the column layout)
        top = QHBoxLayout()
        top.addWidget(self.picker)
        top.addWidget(self.oar_button)
        top.addStretch(1)
        # the cut-off sits beside the class it decides (synchronous or metachronous); in the top row it
        # made the panel 376 px wide at least, and the window wider than a 1024 px screen
        # ("Sync. cut-off" was cryptic; the row now says what the cut-off decides)
        cutoff_row = QHBoxLayout()
        cutoff_label = QLabel("synchronous if found within", self)
        cutoff_label.setObjectName("sync_cutoff_label")
        cutoff_label.setWordWrap(True)
        cutoff_label.setStyleSheet("color: #555555;")
        cutoff_label.setToolTip(self.cutoff.toolTip())
        cutoff_row.addSpacing(12)
        cutoff_row.addWidget(cutoff_label, 1)
        cutoff_row.addWidget(self.cutoff)
        cutoff_row.addWidget(QLabel("of the primary", self))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        # the verdicts right under the buttons and the review state, the class, counts and flags that
        # explain them below: in a 1024 x 680 window the labels above took the dock's height and left the
        # tree no row in view (the panel scrolls as a whole, so what is below is one scroll away)
        layout.addLayout(top)
        layout.addWidget(self.review_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.class_label)
        layout.addLayout(cutoff_row)
        layout.addWidget(self.counts_label)
        layout.addWidget(self.oar_label)
        layout.addWidget(self.note_label)
        self._expanded: set[str] = set()
        self._clicks: dict[str, int] = {}

    # ------------------------------------------------------------ reading
    def selected_ids(self) -> list[str]:
        return [rid for rid, a in self.rule_set_actions.items() if a.isChecked()]

    def set_selected(self, ids) -> None:
        """Tick exactly ``ids`` (a case's own choice) without emitting ``selection_changed``."""
        wanted = set(ids)
        for rid, action in self.rule_set_actions.items():
            action.blockSignals(True)
            action.setChecked(rid in wanted)
            action.blockSignals(False)

    def rule_set_item(self, rule_id: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, KEY_ROLE) == rule_id:
                return item
        return None

    def criterion_item(self, rule_id: str, criterion_id: str) -> QTreeWidgetItem | None:
        parent = self.rule_set_item(rule_id)
        if parent is None:
            return None
        for i in range(parent.childCount()):
            if parent.child(i).data(0, KEY_ROLE) == f"{rule_id}/{criterion_id}":
                return parent.child(i)
        return None

    # ------------------------------------------------------------ showing
    def show_review(self, state: str, text: str, trail_altered: bool = False) -> None:
        """The case's review state (``state``: draft, reviewed, approved; ``text``: who and when;
        ``trail_altered``: the audit trail was changed outside OligoPlan, shown as a warning)."""
        colour = review_colour(state, trail_altered)
        text = review_headline(state, text) + (" (Review > Sign off)" if state == "draft" else "")
        self.review_label.setText(f"<span style='color:{colour}'><b>Review:</b> {html.escape(text)}</span>")

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def set_evaluation(self, ev: Evaluation) -> None:
        self._remember_expanded()
        self.tree.setUpdatesEnabled(False)
        self.tree.clear()
        # no lesions yet, unless PET candidates wait: then the verdict is UNDETERMINED and says why
        no_lesions = not ev.lesions and not any(c.id == "pet_candidates_reviewed" for r in ev.results for c in r.criteria)
        for result in ev.results:
            verdict = NO_LESIONS_TEXT if no_lesions else VERDICT_TEXT[result.verdict].upper()
            item = QTreeWidgetItem([f"{verdict} — {result.id} — {result.title}", verdict, "",
                                    "", "", result.sources[0]])
            item.setData(0, KEY_ROLE, result.id)
            item.setToolTip(0, f"{item.text(0)}\nversion {result.version}\n" + "\n".join(result.sources))
            brush = QBrush(QColor(NO_LESIONS_COLOUR if no_lesions else VERDICT_COLOURS[result.verdict]))
            for col in range(len(COLUMNS)):
                item.setBackground(col, brush)
            font = QFont(item.font(0))
            font.setBold(True)
            item.setFont(0, font)
            item.setFont(1, font)
            for c in result.criteria:
                self._add_criterion(item, result.id, c)
            self.tree.addTopLevelItem(item)
            item.setFirstColumnSpanned(True)  # verdict, id and title in full across the tree
            item.setExpanded(result.id in self._expanded)
        for score in ev.scores:
            self._add_score(score)
        self.tree.setUpdatesEnabled(True)
        self.fit_columns()
        cls = ev.classification
        self.class_label.setToolTip("\n".join(cls.problems))
        if cls.problems:
            # dates that cannot be right: no class, and why (issue 12); the dates themselves in the
            # tooltip (the whole message took four lines of a 1024 x 768 screen's dock)
            short = "; ".join(re.split(r" \(|: ", p)[0] for p in cls.problems)
            text = ("ESTRO-EORTC class: <b>unknown</b> — <span style='color:#e65100'>"
                    f"{html.escape(short)}</span> (Case facts, below)")
        elif cls.missing:
            # the form's labels, not the file's keys ("history_polymetastatic"), and where to fill them in
            needed = ", ".join(f"“{FIELD_BY_KEY[k].label if k in FIELD_BY_KEY else k}”" for k in cls.missing)
            text = f"ESTRO-EORTC class: <b>unknown</b> — needs {html.escape(needed)} (Case facts, below)"
        elif cls.induced:
            text = f"ESTRO-EORTC class: <b style='color:#c62828'>{cls.label.upper()}</b> (induced: down-staged " \
                   "widespread disease)"
        else:
            text = f"ESTRO-EORTC class: <b>{cls.label}</b>"
        derived = {k: source for k, source in ev.fact_sources.items() if source.get("derived")}
        if derived:  # facts nobody entered, derived from the prior scan (oligoplan track): say so
            names = ", ".join(f"“{FIELD_BY_KEY[k].label if k in FIELD_BY_KEY else k}”" for k in derived)
            text += f" <i>— uses {html.escape(names)} derived, not entered (Case facts, below)</i>"
            self.class_label.setToolTip("\n".join(
                [*cls.problems, *(f"{FIELD_BY_KEY[k].label if k in FIELD_BY_KEY else k}: {s['source']} "
                                  f"({s.get('reason', '')})" for k, s in derived.items())]))
        self.class_label.setText(text)
        counts = ev.counts()
        sites = ", ".join(f"{k} {v}" for k, v in counts["by_site"].items()) or "none"
        self.counts_label.setText(
            "Metastases: 0 — no lesions marked yet: mark every metastasis you see (P point marker, "
            "S click-segment); the verdicts follow" if no_lesions else f"Metastases: {counts['total']} ({sites})")
        self.oar_label.setText(_oar_text(ev))
        self.oar_label.setToolTip(_oar_settings_text(ev.oar.settings) if ev.oar is not None else "")

    def score_item(self, score_id: str) -> QTreeWidgetItem | None:
        """The row of a prognostic score ("fong-crs"), below the rule sets."""
        return self.rule_set_item(SCORE_KEY + score_id)

    def _add_score(self, score: Score) -> None:
        """A prognostic score beside the verdicts (not one of them): its total, or why there is none,
        in the row, each factor with its points and value underneath (issue 12)."""
        key = SCORE_KEY + score.id
        item = QTreeWidgetItem([score.one_line(), "", "", "", "", score.source])
        item.setData(0, KEY_ROLE, key)
        tip = "\n".join([f"{score.title}: {score.summary}", *score.factor_lines(), score.source])
        item.setToolTip(0, tip)
        if score.status is ScoreStatus.INCOMPLETE:
            item.setForeground(0, QBrush(QColor(STATUS_COLOURS["unknown"])))
        elif score.status is ScoreStatus.NOT_APPLICABLE:
            item.setForeground(0, QBrush(QColor("#777777")))
        for f in score.factors:
            child = QTreeWidgetItem([f.label, "unknown" if f.points is None else str(f.points), f.value_text,
                                     "", "", score.source])
            child.setData(0, KEY_ROLE, f"{key}/{f.id}")
            if f.points is None:
                child.setForeground(1, QBrush(QColor(STATUS_COLOURS["unknown"])))
            for col in range(len(COLUMNS)):
                child.setToolTip(col, f"{f.label}: {f.points_text} ({f.text})")
            item.addChild(child)
        self.tree.addTopLevelItem(item)
        item.setFirstColumnSpanned(True)
        item.setExpanded(key in self._expanded)

    def _add_criterion(self, parent: QTreeWidgetItem, rule_id: str, c: CriterionResult) -> None:
        dagger = "" if c.verified else " †"
        # the value with its unit ("22.1 mm", "33.2 months", "0 not treatable"): a bare "0" or "24.0"
        # left the reader guessing what was measured
        met = c.status is CriterionStatus.PASS
        value = c.value_with_unit if c.value is not None or not met else "—"
        item = QTreeWidgetItem([c.title, STATUS_TEXT[c.status], value, (c.threshold_text or "—") + dagger,
                                ", ".join(c.lesions) if not met else "", c.source])
        item.setData(0, KEY_ROLE, f"{rule_id}/{c.id}")
        item.setData(0, LESIONS_ROLE, list(c.lesions))
        item.setForeground(1, QBrush(QColor(STATUS_COLOURS[c.status])))
        lesions = f"lesions: {', '.join(c.lesions)}" if c.lesions and c.status != "pass" else ""
        tip = "\n".join(t for t in (c.title, c.reason, c.note, lesions, "threshold not verified: check the protocol"
                                    if not c.verified else "", c.source) if t)
        for col in range(len(COLUMNS)):
            item.setToolTip(col, tip)
        parent.addChild(item)
        for child in c.children:
            self._add_criterion(item, rule_id, child)
        item.setExpanded(True)

    def _remember_expanded(self) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            key = item.data(0, KEY_ROLE)
            (self._expanded.add if item.isExpanded() else self._expanded.discard)(key)

    def fit_columns(self) -> None:
        """Every row readable without a sideways scroll (issue 16). Where the status, value and
        threshold columns, each as wide as its longest text, leave the criterion's name at least
        MIN_TITLE_WIDTH, they stand beside it (Lesions and Source too while they fit whole) and the name
        takes the rest; where they do not (the side column, 324-500 px), the tree is one column and each
        criterion one cell: its status first, its name, then its value and threshold (the *compact*
        layout, :mod:`gui.panels.verdict_rows`: its one column is the tree's width, not draggable). In
        the column layout a column the user resized keeps its width."""
        viewport_px = self.tree.viewport().width()
        widths = {1: self.status_px, 2: self._text_width(2) + COLUMN_PADDING, 3: self._text_width(3) + COLUMN_PADDING}
        compact = compact_fits(viewport_px, MIN_TITLE_WIDTH, sum(widths.values()))
        if self._user_sized and not compact:
            return
        self._fitting = True
        before = self._column_layout()
        try:
            self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed if compact
                                                    else QHeaderView.ResizeMode.Interactive)
            shown = [] if compact else [1, 2, 3]
            room = viewport_px - sum(widths.values()) - MIN_TITLE_WIDTH
            for col in (4, 5):  # the lesions a criterion names, its source: while they fit whole
                need = self._text_width(col) + COLUMN_PADDING
                if not compact and need <= room:
                    widths[col], room = need, room - need
                    shown.append(col)
            for col in range(1, len(COLUMNS)):
                self.tree.setColumnHidden(col, col not in shown)
                if col in shown:
                    self.tree.setColumnWidth(col, widths[col])
            self.tree.setColumnWidth(0, max(MIN_TITLE_WIDTH if shown else 0,
                                            viewport_px - sum(widths[c] for c in shown)))
            self.rows.compact = compact
        finally:
            self._fitting = False
        if self._column_layout() != before:
            self.tree.doItemsLayout()  # the rows as tall as their text wrapped to the new widths

    def _column_layout(self) -> tuple:
        return (self.rows.compact, self.tree.viewport().width(),
                tuple(-1 if self.tree.isColumnHidden(c) else self.tree.columnWidth(c) for c in range(len(COLUMNS))))

    def is_compact(self) -> bool:
        """True while each criterion is one cell (status, name, value and threshold wrapped in it)."""
        return self.rows.compact

    def _text_width(self, col: int) -> int:
        fm = self.tree.fontMetrics()
        widest = QFontMetrics(self.tree.header().font()).horizontalAdvance(COLUMNS[col])
        it = QTreeWidgetItemIterator(self.tree)
        while it.value():
            widest = max(widest, fm.horizontalAdvance(it.value().text(col)))
            it += 1
        return widest

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.fit_columns()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        if obj is self.tree.viewport() and event.type() == QEvent.Type.Resize and not self._fitting:
            self.fit_columns()
        return False

    # ------------------------------------------------------------ events
    def _on_header_section_resized(self, *_args) -> None:
        if self._fitting:
            return  # fit_columns lays the rows out once it is done
        self.tree.doItemsLayout()  # the names wrap to the new width: rows as tall as their lines
        if self.isVisible():
            self._user_sized = True

    def _on_rule_set_toggled(self, _checked: bool) -> None:
        self.selection_changed.emit(self.selected_ids())

    def _on_tree_item_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        lesions = item.data(0, LESIONS_ROLE) or []
        if not lesions:
            return
        key = item.data(0, KEY_ROLE)
        n = self._clicks.get(key, 0)
        self._clicks[key] = n + 1
        ordered = lesions[n % len(lesions):] + lesions[: n % len(lesions)]  # next one first
        self.lesions_clicked.emit(ordered)


class StayOpenMenu(QObject):
    """Keeps a menu of checkable actions open while the user ticks several (a click or Space / Enter
    toggles the action under the pointer; Esc or a click outside closes the menu)."""

    def __init__(self, menu: QMenu):
        super().__init__(menu)
        self.menu = menu
        menu.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind == QEvent.Type.MouseButtonRelease:
            action = self.menu.actionAt(event.position().toPoint())
        elif kind == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Return,
                                                                Qt.Key.Key_Enter):
            action = self.menu.activeAction()
        else:
            return False
        if action is None or not action.isCheckable() or not action.isEnabled():
            return False
        action.toggle()
        return True  # handled: the menu stays open


def _oar_text(ev: Evaluation) -> str:
    if ev.oar is None:
        return "Organs at risk: none loaded (import an RTSTRUCT): OAR flags unknown"
    raised = []
    unknown = set()
    for entry in ev.oar.lesions:
        for f in entry.flags:
            if f.status is FlagStatus.FLAGGED:
                raised.append(f"<b>{entry.lesion_id}</b>: {f.flag.replace('_', ' ')} ({f.reason})")
            elif f.status is FlagStatus.UNKNOWN:
                unknown.add(f.reason)
    text = "OAR flags: " + ("; ".join(raised) if raised else "none")
    if unknown:
        text += f"<br><span style='color:{UNKNOWN_COLOUR}'>not checked: {'; '.join(sorted(unknown))}</span>"
    return text


def _oar_settings_text(settings) -> str:
    return "\n".join(settings_lines(settings)) + "\n(OAR flags… to change)"

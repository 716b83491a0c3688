"""The case-facts form: one field per fact of core.rules.facts.FIELDS; unknown is always allowed.

A view: it shows a facts dict and emits ``facts_edited(dict)`` with the whole
new dict when the user changes a field; a value core refuses (FactsError)
is shown in red beside the field and not emitted.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.errors import FactsError
from core.rules.facts import FIELDS, FactField, FactKind, parse_fact
from gui.panels.date_picker import add_calendar

UNKNOWN_TEXT = "unknown"
#: a label wider than this wraps onto a second line (in the 324 px side column the fields keep their room);
#: in a wider column a label may take this share of the width before it wraps
LABEL_MAX_PX = 110
LABEL_SHARE = 0.42
WIDE_FORM_PX = 400
EDIT_BUTTONS_PX = 64  # a text field's clear and calendar buttons and margins
PROPOSED_TEXT = "proposed:"  # the unknown entry of a field the images suggest a value for
DERIVED_TEXT = "derived:"  # the "not entered" entry of a field whose value is derived from the prior scan


class FactsForm(QWidget):
    facts_edited = Signal(dict)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("facts_form")
        self._facts: dict = {}
        self._proposals: dict = {}
        self._derived: dict = {}  # key -> (value, why)
        self._filling = False
        self.editors: dict[str, QWidget] = {}
        self.labels: list[QLabel] = []
        self.error_label = QLabel(self)
        self.error_label.setObjectName("facts_error_label")
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()  # shown with a message (empty, it took a line above the form)
        inner = QWidget(self)
        column = QVBoxLayout(inner)
        for group, title in (("case", "Case facts"), ("protocol", "Needed by some rule sets")):
            box = QGroupBox(title, inner)
            form = QFormLayout(box)
            # label and field side by side while both fit, the field stretching into the width; in the
            # narrow side column (324 px) a field that would not fit whole goes under its label
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            for spec in (f for f in FIELDS if f.group == group):
                editor = self._editor(spec)
                label = QLabel(spec.label + (f" ({spec.unit})" if spec.unit else ""), box)
                label.setObjectName(f"fact_label_{spec.key}")
                label.setWordWrap(True)  # a long label on two lines, not a field pushed out of view
                self.labels.append(label)
                label.setBuddy(editor)
                form.addRow(label, editor)
                self.editors[spec.key] = editor
            column.addWidget(box)
        column.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setObjectName("facts_scroll")
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.error_label)
        layout.addWidget(scroll, 1)
        self._fit_labels()

    def _fit_labels(self) -> None:
        """Labels on one line while they take at most LABEL_SHARE of the form's width (LABEL_MAX_PX in the
        narrow column); longer ones wrap, so that the fields beside them keep their room."""
        most = LABEL_MAX_PX if self.width() < WIDE_FORM_PX else int(self.width() * LABEL_SHARE)
        for label in self.labels:
            label.setMinimumWidth(min(label.fontMetrics().horizontalAdvance(label.text()) + 2, most))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_labels()

    def _editor(self, spec: FactField) -> QWidget:
        if spec.kind in (FactKind.TRISTATE, FactKind.CHOICE):
            combo = QComboBox(self)
            combo.addItem(UNKNOWN_TEXT, None)
            for choice in spec.choices:
                combo.addItem(choice, choice)
            combo.currentIndexChanged.connect(lambda _i, key=spec.key: self._on_edited(key))
            editor = combo
        else:
            edit = QLineEdit(self)
            edit.setPlaceholderText({FactKind.DATE: "YYYY-MM-DD"}.get(spec.kind, UNKNOWN_TEXT))
            edit.setClearButtonEnabled(True)
            # never narrower than a date and its buttons: a narrower field goes under its label instead
            edit.setMinimumWidth(edit.fontMetrics().horizontalAdvance("2000-00-00") + EDIT_BUTTONS_PX)
            edit.editingFinished.connect(lambda key=spec.key: self._on_edited(key))
            editor = edit
        editor.setObjectName(f"fact_{spec.key}")
        editor.setToolTip(spec.help or spec.label)
        if spec.kind is FactKind.DATE:
            add_calendar(editor)  # typed, or picked on a calendar
        return editor

    # ------------------------------------------------------------ proposals
    def set_proposals(self, proposals: dict) -> None:
        """Values the software worked out (core.image_facts: modality and tracer of the loaded images).

        A PROPOSAL: the field stays unknown (the rule sets see unknown) and its "unknown" entry reads
        "proposed: PET-CT" in italics (the tooltip says why), until the user picks the value.
        ``{}`` removes them (another case or patient)."""
        self._proposals = dict(proposals)
        self._show_first_entries()

    def set_derived(self, derived: dict) -> None:
        """Values derived from the comparison with the prior scan (`oligoplan track`; the case's
        ``tracking``): ``{key: (value, why)}``, ``why`` naming the source ("derived from prior scan of
        2024-01-02: the prior case had 3 lesions").

        Unlike a proposal the rule sets USE a derived value while the user has entered none: the field's
        "not entered" entry reads "derived: yes" in italics (the tooltip says from what). Choosing a value
        overrides it; choosing the "derived: ..." entry again goes back to it. ``{}`` removes them
        (another case)."""
        self._derived = {key: (value, str(why)) for key, (value, why) in derived.items()}
        self._show_first_entries()

    def _show_first_entries(self) -> None:
        """The first ("unknown") entry of each list: derived value, else proposal, else unknown."""
        for key, editor in self.editors.items():
            if not isinstance(editor, QComboBox):
                continue
            proposed = self._proposals.get(key)
            derived = self._derived.get(key)
            if derived is not None:
                text = f"{DERIVED_TEXT} {derived[0]}"
                why = (f"{derived[0]} is {derived[1]}; the rule sets use it while you enter no value here. "
                       f"Choose another value to override it, or \"{text}\" to go back to it")
            elif proposed:
                text = f"{PROPOSED_TEXT} {proposed}"
                why = (f"{proposed} is proposed from the loaded images; the rule sets treat this fact as unknown "
                       f"until you choose {proposed} (or another value) in the list")
            else:
                text, why = UNKNOWN_TEXT, None
            editor.setItemText(0, text)
            editor.setItemData(0, why, Qt.ItemDataRole.ToolTipRole)
            spec_tip = editor.property("fact_tooltip")
            if spec_tip is None:
                editor.setProperty("fact_tooltip", editor.toolTip())
                spec_tip = editor.toolTip()
            editor.setToolTip(f"{spec_tip}\n\n{why}" if why else spec_tip)
            self._mark_proposal(key)

    def proposal(self, key: str) -> str | None:
        """The proposed value of a field that is still unknown, else None."""
        editor = self.editors.get(key)
        if not isinstance(editor, QComboBox) or editor.currentData() is not None:
            return None
        return self._proposals.get(key)

    def derived(self, key: str):
        """The derived value a field shows (and the rule sets use) while the user entered none, else None."""
        editor = self.editors.get(key)
        if not isinstance(editor, QComboBox) or editor.currentData() is not None or key not in self._derived:
            return None
        return self._derived[key][0]

    def _mark_proposal(self, key: str) -> None:
        """Italics: a value the software worked out (proposed or derived), not one the user entered."""
        editor = self.editors[key]
        font = editor.font()
        font.setItalic(self.proposal(key) is not None or self.derived(key) is not None)
        editor.setFont(font)

    # ------------------------------------------------------------ model -> view
    def set_facts(self, facts: dict) -> None:
        self._facts = dict(facts)
        self._filling = True
        try:
            for key, editor in self.editors.items():
                value = facts.get(key)
                if isinstance(editor, QComboBox):
                    found = editor.findData(parse_or_none(key, value))
                    editor.setCurrentIndex(max(found, 0))
                    self._mark_proposal(key)
                else:
                    editor.setText(fact_text(value))
                    editor.setStyleSheet("")
        finally:
            self._filling = False
        self._show_error("")

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def value_text(self, key: str) -> str:
        editor = self.editors[key]
        if isinstance(editor, QComboBox):
            return UNKNOWN_TEXT if editor.currentData() is None else editor.currentText()
        return editor.text()

    # ------------------------------------------------------------ view -> model
    def set_value(self, key: str, text: str) -> None:
        """Enter ``text`` in a field as the user would (tests, scripts)."""
        editor = self.editors[key]
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(editor.findText(text), 0))
        else:
            editor.setText(text)
            editor.editingFinished.emit()

    def _on_edited(self, key: str) -> None:
        if self._filling:
            return
        editor = self.editors[key]
        if isinstance(editor, QComboBox):
            self._mark_proposal(key)
        raw = editor.currentData() if isinstance(editor, QComboBox) else editor.text().strip() or None
        try:
            value = parse_fact(key, raw, "facts")
        except FactsError as exc:
            editor.setStyleSheet("border: 1px solid #c62828;")
            self._show_error(str(exc))
            return
        editor.setStyleSheet("")
        self._show_error("")
        if self._facts.get(key) == value or (value is None and key not in self._facts):
            return
        new = dict(self._facts)
        if value is None:
            new.pop(key, None)
        else:
            new[key] = value
        self._facts = new
        self.facts_edited.emit(new)


def fact_text(value) -> str:
    """What a text field shows for a fact's value: '' when unknown, a whole number without decimals
    ('67', not '67.0': core keeps a typed '67' years as the float 67.0), other numbers as they are
    ('24.5' months)."""
    if value is None or str(value).lower() == UNKNOWN_TEXT:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_or_none(key: str, value):
    try:
        return parse_fact(key, value)
    except FactsError:
        return None

"""Dialogs of the review: who you are (once, kept in the settings), and a sign-off step."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from core.review import ReviewState, Role, SignOff


ROLE_PLACEHOLDER = "choose your role"


def _role_combo(parent: QWidget, role: str) -> QComboBox:
    """The roles of core.review.Role (a local title may be typed); no role chosen until the user picks
    one: a default role put "medical physicist" in the audit trail of whoever did not look."""
    combo = QComboBox(parent)
    combo.setObjectName("role_combo")
    combo.setEditable(True)  # a local title is fine too
    combo.addItems([r.value for r in Role])
    combo.lineEdit().setPlaceholderText(ROLE_PLACEHOLDER)
    if role:
        combo.setCurrentText(role)
    else:
        combo.setCurrentIndex(-1)
        combo.setEditText("")
    return combo


class UserDialog(QDialog):
    """Your name and role, recorded with every change and sign-off."""

    def __init__(self, name: str, role: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("user_dialog")
        self.setWindowTitle("Who you are")
        layout = QVBoxLayout(self)
        note = QLabel("OligoPlan records your name and role with every change and sign-off "
                      "in the case's audit trail. It is kept on this workstation.", self)
        note.setWordWrap(True)
        layout.addWidget(note)
        form = QFormLayout()
        self.name_edit = QLineEdit(name, self)
        self.name_edit.setObjectName("name_edit")
        self.name_edit.setPlaceholderText("e.g. A. Smith")
        self.role_combo = _role_combo(self, role)
        form.addRow("Name", self.name_edit)
        form.addRow("Role", self.role_combo)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._on_name_edit_text_changed)
        self.role_combo.editTextChanged.connect(self._on_name_edit_text_changed)
        self._on_name_edit_text_changed()

    def _on_name_edit_text_changed(self, _text: str = "") -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(self.name and self.role))

    @property
    def name(self) -> str:
        return self.name_edit.text().strip()

    @property
    def role(self) -> str:
        return self.role_combo.currentText().strip()


class SignOffDialog(QDialog):
    """One step: draft -> reviewed, or reviewed -> approved, with name, role and comment."""

    def __init__(self, state: ReviewState, signoffs: list[SignOff], name: str, role: str,
                 case_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("signoff_dialog")
        self.target = state.next
        verb = {ReviewState.REVIEWED: "Mark as reviewed", ReviewState.APPROVED: "Approve"}[self.target]
        self.setWindowTitle(f"{verb} — {case_name}")
        layout = QVBoxLayout(self)
        done = "".join(f"<li>{s.state.label} by {s.name}{f' ({s.role})' if s.role else ''}, "
                       f"{s.when[:16].replace('T', ' ')} UTC{': ' + s.comment if s.comment else ''}</li>"
                       for s in signoffs)
        intro = QLabel(f"The case is <b>{state.value}</b>. Signing marks it <b>{self.target.value}</b>"
                       + (f":<ul>{done}</ul>" if done else ".")
                       + "<br>Any later change reopens it as a draft.", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.name_edit = QLineEdit(name, self)
        self.name_edit.setObjectName("name_edit")
        self.role_combo = _role_combo(self, role)
        self.comment_edit = QPlainTextEdit(self)
        self.comment_edit.setObjectName("comment_edit")
        self.comment_edit.setPlaceholderText("What you checked, reservations…")
        form.addRow("Name", self.name_edit)
        form.addRow("Role", self.role_combo)
        form.addRow("Comment", self.comment_edit)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.sign_button = self.buttons.addButton(verb, QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_button.setObjectName("sign_button")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._on_name_edit_text_changed)
        self.role_combo.editTextChanged.connect(self._on_name_edit_text_changed)
        self._on_name_edit_text_changed()
        self.comment_edit.setFocus()

    def _on_name_edit_text_changed(self, _text: str = "") -> None:
        self.sign_button.setEnabled(bool(self.name and self.role))  # a sign-off names who and as what

    @property
    def name(self) -> str:
        return self.name_edit.text().strip()

    @property
    def role(self) -> str:
        return self.role_combo.currentText().strip()

    @property
    def comment(self) -> str:
        return self.comment_edit.toPlainText().strip()

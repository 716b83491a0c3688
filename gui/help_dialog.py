"""The "Mouse and keyboard" help (F1): every shortcut in a scrolling, non-modal window that fits the
screen. In a QMessageBox the list (about 60 rows) made a box 2,750 px tall, taller than any screen,
with its OK button out of reach."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from gui.screen_fit import fit_to_screen

MAX_SIZE_PX = (720, 820)  # the dialog's size when the screen has room
SCREEN_FRACTION = 0.85  # at most this much of the screen's free area


class HelpDialog(QDialog):
    def __init__(self, html: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("help_dialog")
        self.setWindowTitle("OligoPlan — mouse and keyboard")
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("help_text")
        self.browser.setHtml(html)
        self.browser.setOpenExternalLinks(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.fit_screen()

    def fit_screen(self) -> None:
        """As large as MAX_SIZE_PX, never more than SCREEN_FRACTION of the screen the parent is on."""
        fit_to_screen(self, *MAX_SIZE_PX, (self.parentWidget() or self).screen(), fraction=SCREEN_FRACTION)

"""A one-line QLabel that shrinks with its container and ends its text with "…" when cut.

A plain QLabel's minimum width is its whole text: one long status message
("Preview (Enter accepts, Esc rejects): PET: 61% of SUVmax ...") made the main
window wider than a 1024 px screen and pushed the decision-support note out of
the status bar. This label asks only for ``min_chars`` characters, shows the
rest elided, and keeps the full text in ``text()`` and in its tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None, *, min_chars: int = 12):
        super().__init__(text, parent)
        self._min_chars = min_chars
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setToolTip(text)

    def setText(self, text: str) -> None:  # noqa: N802
        super().setText(text)
        self.setToolTip(text)  # the whole message, also when the label shows it cut

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        hint = super().minimumSizeHint()
        width = self.fontMetrics().horizontalAdvance("x" * self._min_chars)
        return QSize(min(hint.width(), width), hint.height())

    def elided_text(self) -> str:
        """What the label shows at its current width."""
        rect = self.contentsRect()
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(), int(self.alignment()), self.palette(),
                                  self.isEnabled(), self.elided_text(), self.foregroundRole())

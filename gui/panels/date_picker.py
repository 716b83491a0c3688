"""A calendar beside a typed date: the field stays a text field (typed YYYY-MM-DD, empty = unknown) and a
calendar button in it opens a month view; picking a day enters it as if typed (Esc closes the calendar
without changing anything)."""

from __future__ import annotations

from PySide6.QtCore import QDate, QPoint, Qt
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QCalendarWidget, QLineEdit

DATE_FORMAT = "yyyy-MM-dd"  # ISO 8601, as core.rules.facts parses dates


def calendar_icon(size: int = 16) -> QIcon:
    """A small calendar sheet (no icon theme is installed on every workstation)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setPen(QColor("#455a64"))
    painter.setBrush(QColor("white"))
    painter.drawRect(1, 2, size - 3, size - 4)
    painter.fillRect(1, 2, size - 2, 4, QColor("#c62828"))
    for row in range(2):
        for col in range(3):
            painter.fillRect(3 + col * 4, 8 + row * 3, 2, 2, QColor("#455a64"))
    painter.end()
    return QIcon(pixmap)


class CalendarPopup(QCalendarWidget):
    """The month view of one date field (a pop-up window: a click outside or Esc closes it)."""

    def __init__(self, edit: QLineEdit):
        super().__init__(edit)
        self.setWindowFlags(Qt.WindowType.Popup)
        self.setObjectName(f"{edit.objectName()}_calendar")
        self.edit = edit
        self.setGridVisible(True)
        self.clicked.connect(self._on_clicked)
        self.activated.connect(self._on_clicked)

    def open_at_field(self) -> None:
        shown = QDate.fromString(self.edit.text().strip(), DATE_FORMAT)
        self.setSelectedDate(shown if shown.isValid() else QDate.currentDate())
        self.move(self.edit.mapToGlobal(QPoint(0, self.edit.height())))
        self.show()
        self.setFocus()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(event)

    def _on_clicked(self, date: QDate) -> None:
        self.hide()
        self.edit.setText(date.toString(DATE_FORMAT))
        self.edit.editingFinished.emit()  # as if typed and confirmed


def add_calendar(edit: QLineEdit) -> QAction:
    """Give a date text field a calendar button; returns the button's action. The pop-up (a child
    CalendarPopup of ``edit``) is made on the first click."""
    action = edit.addAction(calendar_icon(), QLineEdit.ActionPosition.TrailingPosition)
    action.setObjectName(f"{edit.objectName()}_calendar_button")
    action.setToolTip("Pick the date on a calendar (or type it: YYYY-MM-DD; empty = unknown)")

    def open_calendar() -> None:
        popup = edit.findChild(CalendarPopup) or CalendarPopup(edit)
        popup.open_at_field()
    action.triggered.connect(open_calendar)
    return action

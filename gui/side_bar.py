"""The slim bar at the window's right edge: one upright button per side panel, and one to fold them all.

A folded panel leaves only its button (24 px wide), as the side panels of reading stations and IDEs
fold, so that the images get the width back; a click on the button shows the panel again.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QPainter
from PySide6.QtWidgets import QStyle, QStyleOptionToolButton, QToolBar, QToolButton, QWidget

BAR_WIDTH_PX = 24


class UprightButton(QToolButton):
    """A tool button whose text runs bottom-to-top (as a folded panel's tab)."""

    label = ""  # shown instead of the action's text (a shorter one)

    def _text(self) -> str:
        action = self.defaultAction()
        return self.label or (action.text().replace("&", "") if action is not None else self.text())

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(BAR_WIDTH_PX - 2, self.fontMetrics().horizontalAdvance(self._text()) + 14)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return self.sizeHint()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        option = QStyleOptionToolButton()
        self.initStyleOption(option)
        option.text = ""
        self.style().drawComplexControl(QStyle.ComplexControl.CC_ToolButton, option, painter, self)
        painter.rotate(-90)
        painter.translate(-self.height(), 0)
        if self.isChecked():
            font = self.font()
            font.setBold(True)
            painter.setFont(font)
        painter.drawText(0, 0, self.height(), self.width(), Qt.AlignmentFlag.AlignCenter, self._text())
        painter.end()


#: shorter labels in the bar (a 680 px high window has room for about 600 px of upright text)
SHORT_LABELS = {"Fold side panels": "Fold all", "PET candidates": "Candidates", "Case facts": "Facts"}


def make_side_bar(parent: QWidget, fold_all: QAction, panel_actions: list[QAction]) -> QToolBar:
    """A fixed vertical tool bar: ``fold_all`` first, then one upright button per panel's toggle action."""
    bar = QToolBar("Panels", parent)
    bar.setObjectName("panel_bar")
    bar.setOrientation(Qt.Orientation.Vertical)
    bar.setMovable(False)
    bar.setFloatable(False)
    bar.setContentsMargins(0, 0, 0, 0)
    bar.layout().setContentsMargins(0, 0, 0, 0)
    bar.setStyleSheet("QToolBar { spacing: 1px; padding: 0px; }")
    bar.toggleViewAction().setEnabled(False)  # the bar is how folded panels come back: it stays
    for action in [fold_all, *panel_actions]:
        button = UprightButton(bar)
        button.setDefaultAction(action)
        button.label = SHORT_LABELS.get(action.text().replace("&", ""), "")
        button.setToolTip(action.toolTip() or action.text().replace("&", ""))
        button.setObjectName(f"panel_button_{action.objectName() or action.text()}")
        bar.addWidget(button)
    return bar

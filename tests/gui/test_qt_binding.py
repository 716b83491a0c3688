"""The Qt binding itself must not corrupt the interpreter.

PySide6 6.12.0 on Python 3.11 drops a reference to ``None`` on every call of
a Qt method that returns nothing (QPainter.setPen, QWidget.update, ...).
Python 3.11's ``None`` is not immortal, so after some tens of thousands of
such calls (a few minutes of scrolling) the process aborts with
"Fatal Python error: none_dealloc". PySide6 6.11.3 does not have the defect;
on Python 3.12+ ``None`` is immortal and the leak is harmless.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QWidget


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 on")
def test_void_qt_calls_keep_the_reference_count_of_none(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    try:
        before = sys.getrefcount(None)
        for _ in range(200):
            painter.setPen(QColor(1, 2, 3))
            painter.setOpacity(1.0)
            widget.update()
        lost = before - sys.getrefcount(None)
    finally:
        painter.end()
    import PySide6

    assert lost < 50, (
        f"PySide6 {PySide6.__version__} lost {lost} references to None in 600 calls: "
        "the application will abort with 'none_dealloc'. Use a PySide6 without this "
        "defect (6.11.3 works) or Python 3.12+."
    )

"""Sizing a window to the screen it opens on: as large as it asks for, never larger than a share of the
screen's free area (a 1024 x 768 laptop screen must show the whole window, its buttons included)."""

from __future__ import annotations

from PySide6.QtGui import QScreen
from PySide6.QtWidgets import QWidget


def fit_to_screen(widget: QWidget, width: int, height: int, screen: QScreen | None = None,
                  fraction: float = 1.0) -> None:
    """Resize ``widget`` to ``width`` x ``height``, at most ``fraction`` of ``screen``'s free area
    (``screen``: the widget's own by default; a window not yet shown passes its parent's)."""
    screen = screen if screen is not None else widget.screen()
    if screen is None:
        widget.resize(width, height)
        return
    free = screen.availableGeometry()
    widget.resize(min(width, int(free.width() * fraction)), min(height, int(free.height() * fraction)))

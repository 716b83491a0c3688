"""The texts written on a slice view (orientation letters, slice number, window and overlay lines) stay
readable in a narrow view: no corner text runs under a centred letter, none is cut mid-word."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFontMetrics

from core.orientation import Plane
from gui.slice_view import SliceView


def letter_box(item) -> QRectF:
    """Where a centred top/bottom letter is drawn (its glyph, not the full-width row)."""
    rect, _align, text, font, _colour = item
    fm = QFontMetrics(font)
    width = fm.horizontalAdvance(text)
    top = rect.top() if rect.top() < 50 else rect.bottom() - fm.height()
    return QRectF(rect.center().x() - width / 2, top, width, fm.height())


@pytest.mark.parametrize("width", [160, 230, 600])
def test_corner_texts_fit_and_clear_the_orientation_letters(window, qtbot, ct_volume, pet_volume, width):
    window.show_volumes(ct_volume, pet_volume)
    view = SliceView(window.model, Plane.AXIAL)
    qtbot.addWidget(view)
    view.resize(width, 480)
    view.show()
    qtbot.waitExposed(view)
    items = view.text_items()
    letters, corners = items[:4], items[4:]
    top, bottom = letter_box(letters[2]), letter_box(letters[3])
    slice_text, wl_text = corners
    assert "Axial" in slice_text[2] and "W " in wl_text[2] and "SUVbw" in wl_text[2]
    for rect, _align, text, font, _colour in corners:
        fm = QFontMetrics(font)
        for line in text.split("\n"):
            assert fm.horizontalAdvance(line) <= rect.width() + 1, (width, line)  # never clipped mid-word
        glyphs = QRectF(rect.left(), rect.top(), max(fm.horizontalAdvance(t) for t in text.split("\n")),
                        fm.height() * len(text.split("\n")))
        if rect.top() < 100:
            glyphs.moveTop(rect.top())
        else:
            glyphs.moveBottom(rect.bottom())
        assert not glyphs.intersects(top) and not glyphs.intersects(bottom), (width, text)
    if width >= 600:  # room enough: the texts stay in their corners, level with the letters
        assert slice_text[0].top() == 6 and "…" not in wl_text[2]

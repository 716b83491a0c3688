"""The feedback overlay draws the practice roles in the styles of core.practice.styles, the ones the
scorecard PDF draws and names, and the scorecard dock shows the same legend."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter, QPen, QTextDocument

from core.practice.styles import LEGEND_NOTE, MISSED, PRACTICE_STYLES, REFERENCE, TRAINEE, LineStyle
from tests.gui.conftest import pixels
from tests.gui.test_lesion_tools import at, axial, draw_polygon, go_to_mm
from tests.gui.test_review_practice import pet_ct, reference, square_around  # noqa: F401 - fixtures

QT_LINE = {LineStyle.DASHED: Qt.PenStyle.DashLine, LineStyle.SOLID: Qt.PenStyle.SolidLine}


class RecordingPainter(QPainter):
    """A painter that remembers the pen of every outline it draws, with the outline's box."""

    def __init__(self, device):
        super().__init__(device)
        self.outlines: list[tuple[QPen, object]] = []

    def drawPath(self, path):  # noqa: N802 - Qt's name
        self.outlines.append((QPen(self.pen()), path.boundingRect()))
        super().drawPath(path)


def outlines_of(view, overlay):
    image = QImage(view.size(), QImage.Format.Format_ARGB32)
    painter = RecordingPainter(image)
    view.labels.begin()
    overlay.paint(view, painter)
    painter.end()
    return painter.outlines


def pens_around(outlines, point):
    return [(pen.color().name(), pen.style()) for pen, box in outlines if box.contains(point)]


def scored_with_l4_missed(w, qtbot, reference, truth):
    rv = w.review_wiring
    rv.practice.start(reference)
    c1 = np.rint(go_to_mm(w, truth["L1"]["centre_mm"])).astype(int)
    half = 10 / 2 / w.model.base.pixel_spacing_mm[0]
    draw_polygon(qtbot, w, int(c1[0]), square_around(c1, half + 0.5))
    rv.actions.score_practice.trigger()
    card = rv.practice.session.scorecard
    assert card.missed == ("L2",) and [m.reference for m in card.matched] == ["L1"]
    return rv


def test_a_missed_reference_lesion_is_outlined_in_the_missed_style(pet_ct, qtbot, reference, truth):
    w = pet_ct
    rv = scored_with_l4_missed(w, qtbot, reference, truth)
    l4 = go_to_mm(w, truth["L4"]["centre_mm"])
    view = axial(w)
    pens = pens_around(outlines_of(view, rv.practice.overlay), at(view, np.rint(l4)))
    assert pens == [(MISSED.colour, QT_LINE[MISSED.line])]
    # and on screen: the outline is drawn in exactly that colour
    shown = pixels(view)
    assert (np.all(shown[..., :3] == MISSED.rgb, axis=-1)).sum() > 20


def test_a_found_lesion_shows_the_reference_over_the_trainee_in_their_styles(pet_ct, qtbot, reference, truth):
    w = pet_ct
    rv = scored_with_l4_missed(w, qtbot, reference, truth)
    l1 = go_to_mm(w, truth["L1"]["centre_mm"])
    view = axial(w)
    pens = pens_around(outlines_of(view, rv.practice.overlay), at(view, np.rint(l1)))
    assert pens == [(TRAINEE.colour, QT_LINE[TRAINEE.line]), (REFERENCE.colour, QT_LINE[REFERENCE.line])]
    shown = pixels(view)
    for style in (TRAINEE, REFERENCE):
        assert (np.all(shown[..., :3] == style.rgb, axis=-1)).sum() > 10, style.role


def test_the_scorecard_dock_legend_names_the_styles_the_pdf_names(pet_ct, qtbot, reference, truth):
    rv = scored_with_l4_missed(pet_ct, qtbot, reference, truth)
    doc = QTextDocument()
    doc.setHtml(rv.scorecard_panel.status_label.text())
    text = doc.toPlainText()
    for style in PRACTICE_STYLES:
        assert style.legend_entry() in text
    assert LEGEND_NOTE in text and "solid green" not in text

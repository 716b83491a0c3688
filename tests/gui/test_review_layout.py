"""Review and practice docks on a 1024 x 768 screen: a scored practice must not make the window taller
than the screen, and the scorecard's figures stay readable (they scroll inside the dock)."""

from __future__ import annotations

import numpy as np

from tests.gui.test_review_practice import pet_ct, reference, square_around  # noqa: F401 - fixtures
from tests.gui.test_lesion_tools import draw_polygon, go_to_mm


def test_a_scored_practice_fits_a_768_px_screen(pet_ct, qtbot, reference, truth):
    w = pet_ct
    rv = w.review_wiring
    rv.practice.start(reference)
    c1 = np.rint(go_to_mm(w, truth["L1"]["centre_mm"])).astype(int)
    draw_polygon(qtbot, w, int(c1[0]), square_around(c1, 6.5))
    rv.actions.score_practice.trigger()
    assert rv.scorecard_dock.isVisible()
    qtbot.wait(50)
    # the scorecard asks for no more height than the lesion table beside it would: with a structure set
    # shown (its tree needs ~190 px on the right) a 330 px scorecard made the window 846 px tall
    assert rv.scorecard_dock.minimumSizeHint().height() <= 768 // 4
    assert w.minimumSizeHint().height() <= 768
    w.resize(1024, 768)
    qtbot.waitUntil(lambda: w.height() <= 768)
    panel = rv.scorecard_panel
    # every figure can be read: scrolled into view it is as tall as its wrapped text needs
    for label in panel.findChildren(type(panel.status_label)):
        if label.objectName().startswith("score_") and label.isVisible():
            assert label.height() >= label.heightForWidth(label.width()) - 1, label.objectName()


def _luminance(c) -> float:
    def channel(v):
        v = v / 255.0
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue())


def open_lesion_map(w, qtbot, case_path):
    """Open the case and its lesion map (Review > Lesion map) as a physicist would."""
    w.case_controller.open_case(case_path)
    w.review_wiring.actions.lesion_map.trigger()
    lesion_map = w.review_wiring.lesion_map_window
    qtbot.waitExposed(lesion_map)
    return lesion_map


def contrast(a, b) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_lesion_map_card_titles_are_readable(pet_ct, qtbot, reference):
    import re

    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QLabel

    from core.lesion_colours import PALETTE

    w = pet_ct
    lesion_map = open_lesion_map(w, qtbot, reference)
    for lesion_id in ("L1", "L2"):
        title = lesion_map.findChild(QLabel, f"lesion_card_title_{lesion_id}")
        assert title is not None and f"{lesion_id} Expert" in title.text()
        # WCAG AA (4.5:1): the name in the panel's own text colour on its background ...
        fg, bg = title.palette().color(QPalette.ColorRole.WindowText), title.palette().color(QPalette.ColorRole.Window)
        assert contrast(fg, bg) >= 4.5
        # ... and every colour written as text on the panel is a badge background with black text on it
        text_colours = re.findall(r"(?<!background-)color:\s*(#[0-9a-fA-F]{6})", title.text())
        assert text_colours == ["#000000"]
    assert all(contrast(QColor(*rgb), QColor("#000000")) >= 4.5 for rgb in PALETTE)


def test_missed_and_extra_rows_of_the_scorecard_are_readable(pet_ct, qtbot, reference, truth):
    from tests.gui.test_review_layout import contrast

    w = pet_ct
    rv = w.review_wiring
    rv.practice.start(reference)
    c = np.rint(go_to_mm(w, truth["L3"]["centre_mm"])).astype(int)  # not in the reference: an extra
    draw_polygon(qtbot, w, int(c[0]), square_around(c, 4.5))
    rv.actions.score_practice.trigger()
    table = rv.scorecard_panel.table
    outcomes = {table.item(r, 0).text() for r in range(table.rowCount())}
    assert {"MISSED", "EXTRA"} <= outcomes
    for r in range(table.rowCount()):
        item = table.item(r, 1) or table.item(r, 0)
        if table.item(r, 0).text() in ("MISSED", "EXTRA"):
            assert contrast(item.foreground().color(), item.background().color()) >= 4.5


def test_the_scorecard_table_is_in_view_beside_the_figures(pet_ct, qtbot, reference, truth):
    w = pet_ct  # the default 1400 x 950 window
    rv = w.review_wiring
    rv.practice.start(reference)
    c = np.rint(go_to_mm(w, truth["L1"]["centre_mm"])).astype(int)
    draw_polygon(qtbot, w, int(c[0]), square_around(c, 6.5))
    rv.actions.score_practice.trigger()
    qtbot.wait(50)
    panel = rv.scorecard_panel
    from PySide6.QtWidgets import QScrollArea

    scroll = panel.findChild(QScrollArea, "scorecard_scroll")
    table = panel.table
    first_row = table.visualRect(table.model().index(0, 0))
    top_left = table.viewport().mapTo(scroll.viewport(), first_row.bottomLeft())
    assert 0 <= top_left.y() <= scroll.viewport().height()  # its first row shows without scrolling


def test_lesion_map_projections_carry_the_views_orientation_letters(pet_ct, qtbot, reference):
    from core.orientation import Plane
    from tests.gui.conftest import pixels

    w = pet_ct
    lesion_map = open_lesion_map(w, qtbot, reference)
    coronal_view = w.views[Plane.CORONAL]._layout
    sagittal_view = w.views[Plane.SAGITTAL]._layout
    for tile in lesion_map.projections:
        view = coronal_view if tile.objectName().endswith("coronal") else sagittal_view
        assert tile.letters == (view.left, view.right, view.top, view.bottom), tile.objectName()
        # the letter is painted: letter-yellow pixels near the left edge of the image
        rect, _align, _text = tile.letter_rects()[0]
        shot = pixels(tile)
        patch = shot[int(rect.center().y()) - 8:int(rect.center().y()) + 8, int(rect.left()):int(rect.left()) + 16]
        yellow = (patch[..., 0] > 200) & (patch[..., 1] > 150) & (patch[..., 2] < 120)
        assert yellow.sum() > 5, tile.objectName()

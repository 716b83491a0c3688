"""Review and practice docks on a 1024 x 768 screen: a scored practice must not make the window taller
than the screen, and the scorecard's figures stay readable (they scroll inside the dock)."""

from __future__ import annotations

import numpy as np

from tests.gui.test_review_practice import pet_ct, reference, square_around  # noqa: F401 - fixtures
from tests.gui.test_lesion_tools import (  # noqa: F401 - fixtures
    boxes,
    data_dir,
    draw_polygon,
    go_to_mm,
    phantom,
    truth,
    win,
)


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

"""Labels a user reads while deciding: the click-segment preview's keys and a scored practice's lesion names.

- The preview's keys ("Enter accepts, Esc rejects") are in the status bar, never over the preview
  or the lesion beside it; the lesion's own label stays on the image, beside the lesion.
- After Score, a trainee lesion's own label ("Other 1") is drawn in the colour the legend gives
  its outline (found: trainee magenta; extra: orange), not in the lesion's palette colour.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from core.practice.styles import EXTRA, TRAINEE
from core.orientation import Plane
from gui.tools.overlay import lesion_color
from gui.view_labels import LabelKind
from tests.gui.test_lesion_tools import axial, go_to_mm, key
from tests.gui.test_review_practice import reference  # noqa: F401 - fixture
from tests.gui.test_view_labels import (  # noqa: F401 - fixtures and helpers
    assert_readable,
    click_segment,
    folder_win,
    painted_labels,
)


def test_the_preview_keys_are_in_the_status_bar_not_over_the_image(folder_win, qtbot, truth):
    w = folder_win
    centre = truth["L4"]["centre_mm"]  # the lung lesion beside the bronchus: names all around
    click_segment(qtbot, w, centre)
    lesion = next(iter(w.model.lesions))
    # a second click on the same lesion: its preview is over the lesion
    idx = go_to_mm(w, centre)
    key(qtbot, w, Qt.Key.Key_S)
    view = axial(w)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.index_to_widget(np.rint(idx)).toPoint())
    assert w.tool_manager.active.preview is not None
    assert w.task_label.text().startswith("Preview (Enter accepts, Esc rejects)")
    for plane in Plane:
        labels = painted_labels(w.views[plane])
        texts = [label.text for label in labels]
        assert lesion.label in texts, (plane, texts)
        assert not any("Enter" in t or "Esc" in t for t in texts), (plane, texts)
        assert_readable(w.views[plane], labels)
    key(qtbot, w, Qt.Key.Key_Escape)
    assert w.tool_manager.active.preview is None


def test_scored_trainee_labels_take_the_legend_colours(folder_win, qtbot, reference, truth):
    w = folder_win
    rv = w.review_wiring
    rv.practice.start(reference)  # the expert's L1 (liver) and L4 (lung)
    qtbot.waitUntil(lambda: rv.practice.active)
    click_segment(qtbot, w, truth["L1"]["centre_mm"])  # found
    click_segment(qtbot, w, truth["L5"]["centre_mm"])  # the vertebra: not in the reference, an extra
    found, extra = sorted(w.model.lesions, key=lambda lesion: lesion.id)

    def label_colour(lesion, centre_mm):
        go_to_mm(w, centre_mm)
        labels = painted_labels(axial(w))
        own = [label for label in labels if label.text == lesion.label and label.kind is LabelKind.LESION]
        assert len(own) == 1, [label.text for label in labels]
        return own[0].color.name()

    # before scoring: their own palette colours
    assert label_colour(found, truth["L1"]["centre_mm"]) == lesion_color(found.id).name()
    key(qtbot, w, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    card = rv.practice.session.scorecard
    assert [m.trainee for m in card.matched] == [found.id] and card.extra == (extra.id,)
    assert label_colour(found, truth["L1"]["centre_mm"]) == TRAINEE.colour
    assert label_colour(extra, truth["L5"]["centre_mm"]) == EXTRA.colour
    # the practice ends: own colours again
    rv.practice.end()
    assert label_colour(found, truth["L1"]["centre_mm"]) == lesion_color(found.id).name()

"""Lesion tools driven as a user would: keys pick the tool, the mouse draws on the views."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QMouseEvent

from core.contours import brush_stroke, polygon_to_mask
from core.orientation import Plane
from tests.gui.conftest import (  # noqa: F401 - PHANTOM and make_window: imported from here too
    CT_SHAPE,
    CT_SPACING,
    PHANTOM,
    click,
    drag,
    make_window,
    mouse,
    pixels,
)


# ------------------------------------------------------------------ fixtures
@pytest.fixture
def ct_win(win, ct_volume):
    win.show_volumes(ct_volume)
    return win


# ------------------------------------------------------------------- helpers
def axial(w):
    return w.views[Plane.AXIAL]


def key(qtbot, w, k, modifiers=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(axial(w), k, modifiers)


def at(view, zyx) -> QPointF:
    return view.index_to_widget(np.asarray(zyx, dtype=float))


def draw_polygon(qtbot, w, k, corners_yx, close="enter"):
    """Press G and click the corners (y, x) on axial slice k, then close the polygon."""
    w.model.set_cursor((k, w.model.cursor[1], w.model.cursor[2]))
    key(qtbot, w, Qt.Key.Key_G)
    view = axial(w)
    for y, x in corners_yx:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=at(view, (k, y, x)).toPoint())
    if close == "enter":
        key(qtbot, w, Qt.Key.Key_Return)
    else:
        qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=at(view, (k, *corners_yx[-1])).toPoint())


def go_to_mm(w, xyz):
    idx = w.model.base.patient_to_index(np.asarray(xyz, dtype=float))
    w.model.set_cursor(idx)
    return idx


def only_lesion(w):
    lesions = list(w.model.lesions)
    assert len(lesions) == 1, [lesion.id for lesion in lesions]
    return lesions[0]


SQUARE = [(19.5, 29.5), (19.5, 44.5), (29.5, 44.5), (29.5, 29.5)]  # y, x on pixel edges: 10 x 15 voxels
SQUARE_MM3 = 10 * 0.8 * 15 * 0.8 * CT_SPACING[0]


# --------------------------------------------------------------------- tests
@pytest.mark.parametrize("close", ["enter", "double-click"])
def test_polygon_makes_a_lesion_of_its_area_times_the_slice(ct_win, qtbot, close):
    draw_polygon(qtbot, ct_win, 20, SQUARE, close)
    lesion = only_lesion(ct_win)
    full = lesion.mask.full()
    assert full.sum() == 150 and full[20, 20:30, 30:45].all()
    m = ct_win.model.measure(lesion)
    assert m.volume_cc == pytest.approx(SQUARE_MM3 / 1000.0, rel=1e-6)
    panel = ct_win.lesion_panel
    assert panel.table_model.rowCount() == 1
    assert panel.cell_text(lesion.id, 6) == f"{SQUARE_MM3 / 1000:.2f}"
    assert ct_win.model.selected_id == lesion.id  # the new lesion is the one drawn on next
    assert not ct_win.tool_manager.pending


def test_polygon_on_the_coronal_view_edits_the_coronal_plane(ct_win, qtbot):
    coronal = ct_win.views[Plane.CORONAL]
    y = ct_win.model.cursor[1]
    key(qtbot, ct_win, Qt.Key.Key_G)
    corners = [(9.5, 19.5), (9.5, 29.5), (14.5, 29.5), (14.5, 19.5)]  # (z, x)
    for z, x in corners:
        qtbot.mouseClick(coronal, Qt.MouseButton.LeftButton, pos=at(coronal, (z, y, x)).toPoint())
    key(qtbot, ct_win, Qt.Key.Key_Return)
    full = only_lesion(ct_win).mask.full()
    assert full.sum() == 5 * 10 and full[10:15, y, 20:30].all()


def test_backspace_takes_back_a_corner_and_escape_drops_the_polygon(ct_win, qtbot):
    view = axial(ct_win)
    key(qtbot, ct_win, Qt.Key.Key_G)
    for y, x in SQUARE + [(5, 5)]:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=at(view, (20, y, x)).toPoint())
    assert ct_win.actions.accept_edit.isEnabled() and ct_win.actions.cancel_task.isEnabled()
    qtbot.keyClick(view, Qt.Key.Key_Backspace)
    assert len(ct_win.tool_manager.active.points) == 4
    key(qtbot, ct_win, Qt.Key.Key_Escape)
    assert not ct_win.tool_manager.pending and len(ct_win.model.lesions) == 0
    assert not ct_win.actions.accept_edit.isEnabled()


def test_freehand_outline_closes_on_release(ct_win, qtbot):
    view = axial(ct_win)
    key(qtbot, ct_win, Qt.Key.Key_F)
    path = [(19.5, 19.5), (19.5, 40.5), (35.5, 40.5), (35.5, 19.5)]  # on pixel edges: 16 x 21 voxels
    press = at(view, (20, *path[0]))
    mouse(view, QMouseEvent.Type.MouseButtonPress, press,
          Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton)
    for y, x in path[1:]:
        mouse(view, QMouseEvent.Type.MouseMove, at(view, (20, y, x)),
              Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton)
    mouse(view, QMouseEvent.Type.MouseButtonRelease, at(view, (20, *path[-1])),
          Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton)
    lesion = only_lesion(ct_win)
    expected = polygon_to_mask(np.array(path, float), CT_SHAPE[1:])
    assert np.array_equal(lesion.mask.full()[20], expected) and expected.sum() == 16 * 21


def test_brush_paints_the_stroke_and_the_eraser_takes_it_back(ct_win, qtbot):
    view = axial(ct_win)
    ct_win.editor.set_brush_radius(2.0)
    key(qtbot, ct_win, Qt.Key.Key_B)
    drag(view, at(view, (20, 20, 20)), at(view, (20, 20, 40)), Qt.MouseButton.LeftButton)
    lesion = only_lesion(ct_win)
    expected = brush_stroke((20, 20), (20, 40), 2.0, (0.8, 0.8), CT_SHAPE[1:])
    full = lesion.mask.full()
    assert np.array_equal(full[20], expected) and full.sum() == expected.sum()
    assert full[20, 18:23, 30].all() and not full[20, 17, 30]  # 2 mm = 2.5 pixels each side

    key(qtbot, ct_win, Qt.Key.Key_E)
    drag(view, at(view, (20, 10, 30)), at(view, (20, 30, 30)), Qt.MouseButton.LeftButton)
    erased = ct_win.model.lesions[lesion.id].mask.full()
    assert not erased[20, :, 28:33].any() and erased[20, 20, 22] and erased[20, 20, 38]
    assert erased.sum() == expected.sum() - (expected & brush_stroke(
        (10, 30), (30, 30), 2.0, (0.8, 0.8), CT_SHAPE[1:])).sum()

    key(qtbot, ct_win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the erase goes
    assert np.array_equal(ct_win.model.lesions[lesion.id].mask.full(), full)
    key(qtbot, ct_win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # then the stroke
    assert len(ct_win.model.lesions) == 0


def test_bracket_keys_change_the_brush_and_its_spin_box(ct_win, qtbot):
    before = ct_win.editor.brush_radius_mm
    key(qtbot, ct_win, Qt.Key.Key_BracketRight)
    assert ct_win.editor.brush_radius_mm == pytest.approx(before * 1.25, abs=0.01)
    assert ct_win.brush_spin.value() == pytest.approx(ct_win.editor.brush_radius_mm, abs=0.05)
    key(qtbot, ct_win, Qt.Key.Key_BracketLeft)
    key(qtbot, ct_win, Qt.Key.Key_BracketLeft)
    assert ct_win.editor.brush_radius_mm < before


def test_erasing_a_whole_lesion_deletes_it_in_one_undo_step(ct_win, qtbot):
    draw_polygon(qtbot, ct_win, 20, [(19.5, 29.5), (19.5, 31.5), (21.5, 31.5), (21.5, 29.5)])
    ct_win.editor.set_brush_radius(5.0)
    view = axial(ct_win)
    key(qtbot, ct_win, Qt.Key.Key_E)
    drag(view, at(view, (20, 20, 30)), at(view, (20, 21, 31)), Qt.MouseButton.LeftButton)
    assert len(ct_win.model.lesions) == 0
    key(qtbot, ct_win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert only_lesion(ct_win).mask.n_voxels == 4


def test_point_marker_counts_a_lesion_without_a_contour(ct_win, qtbot):
    view = axial(ct_win)
    key(qtbot, ct_win, Qt.Key.Key_P)
    click(view, at(view, (20, 30, 40)))
    lesion = only_lesion(ct_win)
    assert lesion.mask is None
    assert np.allclose(ct_win.model.base.patient_to_index(lesion.point_mm), (20, 30, 40), atol=1e-6)
    assert ct_win.lesion_panel.cell_text(lesion.id, 6) == "marker"
    # the crosshair tool picks it again by clicking on it
    key(qtbot, ct_win, Qt.Key.Key_N)
    assert ct_win.model.selected_id is None
    key(qtbot, ct_win, Qt.Key.Key_C)
    click(view, at(view, (20, 30, 40)) + QPointF(3, 2))
    assert ct_win.model.selected_id == lesion.id


def test_drawing_adds_to_the_selected_lesion_and_n_starts_a_new_one(ct_win, qtbot):
    draw_polygon(qtbot, ct_win, 20, SQUARE)
    draw_polygon(qtbot, ct_win, 22, SQUARE)
    assert len(ct_win.model.lesions) == 1 and only_lesion(ct_win).mask.n_voxels == 300
    key(qtbot, ct_win, Qt.Key.Key_N)
    draw_polygon(qtbot, ct_win, 30, SQUARE)
    assert [lesion.id for lesion in ct_win.model.lesions] == ["L1", "L2"]


def test_interpolation_fills_the_slices_between_contours(ct_win, qtbot):
    draw_polygon(qtbot, ct_win, 18, SQUARE)
    draw_polygon(qtbot, ct_win, 22, SQUARE)
    key(qtbot, ct_win, Qt.Key.Key_I)
    full = only_lesion(ct_win).mask.full()
    assert [int(full[k].sum()) for k in range(17, 24)] == [0, 150, 150, 150, 150, 150, 0]
    key(qtbot, ct_win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert only_lesion(ct_win).mask.n_voxels == 300


def test_delete_key_removes_the_selected_lesion_and_undo_restores_it(ct_win, qtbot):
    draw_polygon(qtbot, ct_win, 20, SQUARE)
    lesion = only_lesion(ct_win)
    key(qtbot, ct_win, Qt.Key.Key_Delete)
    assert len(ct_win.model.lesions) == 0 and not ct_win.actions.delete_lesion.isEnabled()
    key(qtbot, ct_win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert only_lesion(ct_win) == lesion


def test_click_segment_previews_then_enter_accepts_and_undo_redo(win, qtbot, phantom, truth):
    win.show_volumes(phantom.primary, phantom.pet)
    l1 = truth["L1"]
    centre = go_to_mm(win, l1["centre_mm"])
    view = axial(win)
    before = pixels(view)
    key(qtbot, win, Qt.Key.Key_S)
    click(view, at(view, centre))
    tool = win.tool_manager.active
    assert tool.preview is not None and len(win.model.lesions) == 0
    assert not np.array_equal(before, pixels(view))  # the dashed preview is drawn
    assert win.actions.accept_edit.isEnabled()
    key(qtbot, win, Qt.Key.Key_Return)
    lesion = only_lesion(win)
    m = win.model.measure(lesion)
    assert m.volume_cc == pytest.approx(l1["volume_cc"], rel=0.10)
    assert m.suv_max > 5 and np.allclose(m.centroid_mm, l1["centre_mm"], atol=3.0)
    clicked = (view.slice_index, centre[1], centre[2])  # the marker: where the click was, on the shown slice
    assert np.allclose(lesion.point_mm, phantom.primary.index_to_patient(clicked), atol=1e-6)

    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(win.model.lesions) == 0
    key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert only_lesion(win) == lesion


def test_escape_rejects_the_preview_and_a_miss_says_why(win, qtbot, phantom, truth, boxes):
    win.show_volumes(phantom.primary, phantom.pet)
    centre = go_to_mm(win, truth["L2"]["centre_mm"])
    view = axial(win)
    key(qtbot, win, Qt.Key.Key_S)
    click(view, at(view, centre))
    assert win.tool_manager.active.preview is not None
    key(qtbot, win, Qt.Key.Key_Escape)
    assert win.tool_manager.active.preview is None and len(win.model.lesions) == 0
    rect = view.image_rect()
    click(view, QPointF(rect.left() + 3, rect.top() + 3))  # air in a corner: nothing to segment
    assert win.tool_manager.active.preview is None and len(win.model.lesions) == 0
    assert boxes.shown == []  # a miss is a status-bar note with why and what to try, not a dialog (issue 16)
    assert win.task_label.text().startswith("No lesion here: try its centre") and "no hot lesion" in \
        win.task_label.text()


def test_lesions_are_outlined_per_slice_and_scrolling_reuses_the_outlines(ct_win, qtbot):
    draw_polygon(qtbot, ct_win, 20, SQUARE)
    view = axial(ct_win)
    inside = at(view, (20, 19.5, 37))  # on the top edge of the outline
    assert tuple(pixels(view)[int(inside.y()), int(inside.x())]) != (0, 0, 0)
    overlay = view.lesion_overlay
    count = overlay.outline_count
    for delta in (1, -1, 1, -1):
        ct_win.model.step_slice(0, delta)
        view.grab()
    assert overlay.outline_count == count + 1  # slice 21 once; slice 20 from the cache
    draw_polygon(qtbot, ct_win, 20, [(9.5, 9.5), (9.5, 12.5), (12.5, 12.5)])  # an edit: outline again
    view.grab()
    assert overlay.outline_count == count + 2


def test_help_lists_the_tool_shortcuts(ct_win):
    from gui.actions import help_text

    text = help_text(ct_win.actions)
    for shortcut in ("Ctrl+Z", "Ctrl+Shift+Z", "Ctrl+S", "Del", "[", "]"):
        assert f"<b>{shortcut}" in text or f", {shortcut}" in text, shortcut
    for name in ("Polygon", "Freehand", "Brush", "Eraser", "Click-segment", "Point marker"):
        assert name in text


def test_help_lists_review_practice_and_rules_shortcuts_too(ct_win):
    """F1 lists every shortcut the window answers to, not only the main toolbar's."""
    from gui.actions import help_text

    text = help_text(ct_win.help_actions())
    for name, key in (("Sign off", "Ctrl+Shift+R"), ("History", "Ctrl+H"), ("Lesion map", "Ctrl+M"),
                      ("Score", "Ctrl+Shift+Return")):
        assert name in text, name
        assert key.replace("Return", "") in text.replace("Enter", "").replace("Return", ""), key
    keys = [a.shortcut().toString() for a in ct_win.help_actions() if not a.shortcut().isEmpty()]
    assert len(keys) == len(set(keys)), "two actions share a shortcut"

"""The three linked views driven as a user would: wheel, keys, clicks, drags."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from core.orientation import Plane
from gui.render import WINDOW_PRESETS
from tests.gui.conftest import (
    CT_SHAPE,
    CT_SPACING,
    KNOWN_HU,
    KNOWN_VOXEL,
    click,
    drag,
    hover,
    pixels,
    wheel,
)


@pytest.fixture
def shown(window, ct_volume):
    window.show_volumes(ct_volume)
    return window


def views(win):
    return win.views[Plane.AXIAL], win.views[Plane.CORONAL], win.views[Plane.SAGITTAL]


def centre(view) -> QPointF:
    return view.image_rect().center()


def test_volume_opens_on_the_middle_slices(shown):
    axial, coronal, sagittal = views(shown)
    nz, ny, nx = CT_SHAPE
    assert (axial.slice_index, coronal.slice_index, sagittal.slice_index) == (nz // 2, ny // 2, nx // 2)
    assert shown.windowTitle().startswith("OligoPlan")


def test_wheel_scrolls_the_axial_view_only(shown):
    axial, coronal, sagittal = views(shown)
    before = pixels(axial)
    wheel(axial, centre(axial), 120)
    assert axial.slice_index == CT_SHAPE[0] // 2 + 1
    after = pixels(axial)
    assert not np.array_equal(before, after)  # another slice is on screen
    wheel(axial, centre(axial), -360)
    assert axial.slice_index == CT_SHAPE[0] // 2 - 2
    assert coronal.slice_index == CT_SHAPE[1] // 2
    assert sagittal.slice_index == CT_SHAPE[2] // 2
    for _ in range(50):
        wheel(axial, centre(axial), -120)
    assert axial.slice_index == 0  # stops at the first slice


def test_arrow_and_page_keys_change_slices(shown, qtbot):
    axial, coronal, _ = views(shown)
    coronal.setFocus()
    qtbot.keyClick(coronal, Qt.Key.Key_Up)
    assert coronal.slice_index == CT_SHAPE[1] // 2 + 1
    qtbot.keyClick(coronal, Qt.Key.Key_PageDown)
    assert coronal.slice_index == CT_SHAPE[1] // 2 + 1 - 10
    qtbot.keyClick(coronal, Qt.Key.Key_Down)
    assert coronal.slice_index == CT_SHAPE[1] // 2 - 10
    assert axial.slice_index == CT_SHAPE[0] // 2


@pytest.mark.parametrize("preset", [p for p in WINDOW_PRESETS if p.unit == "HU"], ids=lambda p: p.name)
def test_number_keys_apply_ct_presets_and_change_the_pixels(shown, qtbot, preset):
    axial = shown.views[Plane.AXIAL]
    if preset.key == "2":  # the default: move away first so the key has something to do
        qtbot.keyClick(axial, Qt.Key.Key_1)
    before = pixels(axial)
    qtbot.keyClick(axial, getattr(Qt.Key, f"Key_{preset.key}"))
    assert shown.model.base_window == preset.window
    assert not np.array_equal(before, pixels(axial))
    assert shown.display_panel.width_spin.value() == pytest.approx(preset.window.width)


def test_pet_preset_without_pet_changes_nothing_and_says_why(shown, qtbot):
    axial = shown.views[Plane.AXIAL]
    window_before = shown.model.base_window
    qtbot.keyClick(axial, Qt.Key.Key_6)
    assert shown.model.base_window == window_before
    assert "needs a PET" in shown.task_label.text()


def test_click_in_axial_moves_coronal_and_sagittal(shown):
    axial, coronal, sagittal = views(shown)
    nz, ny, nx = CT_SHAPE
    rect = axial.image_rect()
    # Standard orientation: screen x follows the x index, screen y the y index.
    target_y, target_x = 10, 70
    pos = QPointF(rect.left() + (target_x + 0.5) * rect.width() / nx,
                  rect.top() + (target_y + 0.5) * rect.height() / ny)
    coronal_before, sagittal_before = pixels(coronal), pixels(sagittal)
    click(axial, pos)
    assert coronal.slice_index == target_y
    assert sagittal.slice_index == target_x
    assert axial.slice_index == nz // 2  # the clicked view keeps its slice
    assert shown.model.cursor == (nz // 2, target_y, target_x)
    assert not np.array_equal(coronal_before, pixels(coronal))
    assert not np.array_equal(sagittal_before, pixels(sagittal))


def test_drag_in_coronal_moves_the_axial_slice(shown):
    axial, coronal, _ = views(shown)
    nz = CT_SHAPE[0]
    rect = coronal.image_rect()
    # Coronal: superior at the top, so row 0 on screen is the last z slice.
    start = QPointF(rect.center())
    end = QPointF(rect.center().x(), rect.top() + 0.5 * rect.height() / nz)
    drag(coronal, start, end, Qt.MouseButton.LeftButton)
    assert axial.slice_index == nz - 1


def test_right_drag_changes_window_level(shown):
    axial = shown.views[Plane.AXIAL]
    w0 = shown.model.base_window
    before = pixels(axial)
    drag(axial, centre(axial), centre(axial) + QPointF(120, 60), Qt.MouseButton.RightButton)
    w1 = shown.model.base_window
    assert w1.width > w0.width
    assert w1.level > w0.level
    assert shown.model.cursor == tuple(n // 2 for n in CT_SHAPE)  # the crosshair stayed
    assert not np.array_equal(before, pixels(axial))


def test_window_change_renders_one_slice_per_view(shown, qtbot):
    for view in views(shown):
        view.repaint()
    counts = [v.render_count for v in views(shown)]
    qtbot.keyClick(shown.views[Plane.AXIAL], Qt.Key.Key_4)
    for view in views(shown):
        view.repaint()
        view.repaint()  # a second paint without change converts nothing
    assert [v.render_count for v in views(shown)] == [c + 1 for c in counts]


def test_ctrl_wheel_zooms_and_middle_drag_pans(shown):
    axial = shown.views[Plane.AXIAL]
    rect0 = axial.image_rect()
    wheel(axial, centre(axial), 240, Qt.KeyboardModifier.ControlModifier)
    rect1 = axial.image_rect()
    assert rect1.width() == pytest.approx(rect0.width() * 1.15**2)
    assert axial.slice_index == CT_SHAPE[0] // 2  # zoom did not scroll
    drag(axial, QPointF(300, 300), QPointF(340, 280), Qt.MouseButton.MiddleButton)
    rect2 = axial.image_rect()
    assert rect2.left() - rect1.left() == pytest.approx(40)
    assert rect2.top() - rect1.top() == pytest.approx(-20)
    drag(axial, QPointF(300, 300), QPointF(290, 300), Qt.MouseButton.LeftButton,
         Qt.KeyboardModifier.ShiftModifier)
    assert axial.image_rect().left() - rect2.left() == pytest.approx(-10)
    shown.actions.reset_view.trigger()
    assert axial.image_rect() == rect0


def test_views_keep_the_physical_aspect_ratio(shown):
    from gui.slice_view import _LETTER_ROW_PX

    axial, coronal, sagittal = views(shown)
    nz, ny, nx = CT_SHAPE
    dz, dy, dx = CT_SPACING
    for view, (w_mm, h_mm) in ((axial, (nx * dx, ny * dy)), (coronal, (nx * dx, nz * dz)),
                               (sagittal, (ny * dy, nz * dz))):
        rect = view.image_rect()
        assert rect.width() / rect.height() == pytest.approx(w_mm / h_mm, rel=1e-6)
        # fits the widget's width, or its height between the rows of the orientation letters
        fit_h = view.height() - 2 * _LETTER_ROW_PX
        assert min(abs(rect.width() - view.width()), abs(rect.height() - fit_h)) < 1e-6
        assert rect.top() >= _LETTER_ROW_PX - 1e-6 and rect.bottom() <= view.height() - _LETTER_ROW_PX + 1e-6


def test_orientation_letters_standard_axial_ct(shown):
    axial, coronal, sagittal = views(shown)
    got = {v.plane: (v.layout_info.left, v.layout_info.right, v.layout_info.top, v.layout_info.bottom)
           for v in (axial, coronal, sagittal)}
    assert got[Plane.AXIAL] == ("R", "L", "A", "P")
    assert got[Plane.CORONAL] == ("R", "L", "S", "I")
    assert got[Plane.SAGITTAL] == ("A", "P", "S", "I")


def test_readout_shows_hu_and_mm_under_the_cursor(shown, ct_volume):
    axial = shown.views[Plane.AXIAL]
    shown.model.set_cursor(KNOWN_VOXEL)
    pos = axial.index_to_widget(KNOWN_VOXEL)
    hover(axial, pos)
    text = shown.readout_label.text()
    assert f"CT {KNOWN_HU} HU" in text
    x, y, z = ct_volume.index_to_patient(np.array(KNOWN_VOXEL, float))
    assert f"x {x:.1f}  y {y:.1f}  z {z:.1f} mm" in text
    hover(axial, QPointF(2, 2))  # outside the image
    assert shown.readout_label.text() == ""


def test_warnings_of_the_loaded_series_are_in_the_status_bar(window):
    from tests.gui.conftest import make_ct

    window.show_volumes(make_ct(warnings=("gantry tilt 12.0 degrees: slices are sheared",
                                          "2 missing slices")))
    assert "gantry tilt 12.0" in window.warning_label.text()
    assert "(+1 more)" in window.warning_label.text()
    assert "2 missing slices" in window.warning_label.toolTip()


def test_decision_support_note_is_visible(window):
    assert window.note_label.isVisible()
    assert "not a treatment order" in window.note_label.text()

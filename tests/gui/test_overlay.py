"""PET fused over CT: colour, opacity slider, colour map, SUV readout, toggles."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from core.orientation import Plane
from tests.gui.conftest import SPHERE_CENTRE_MM, hover, make_pet, pixel_at


@pytest.fixture
def fused(window, ct_volume, pet_volume):
    window.show_volumes(ct_volume, pet_volume)
    window.model.set_cursor(ct_volume.patient_to_index(SPHERE_CENTRE_MM))
    return window


def sphere_pos(win):
    """The axial view and a point on the sphere just off the crosshair lines."""
    axial = win.views[Plane.AXIAL]
    return axial, axial.index_to_widget(win.model.cursor) + QPointF(6, 6)


def test_hot_sphere_is_drawn_in_colour_at_its_position(fused, window, ct_volume):
    axial, pos = sphere_pos(fused)
    r, g, b = pixel_at(axial, pos)
    assert r > b + 60 and g > b + 60  # yellow-ish from the "hot" map at SUV 8 of 10, not grey
    # Far from the sphere the PET is low (SUV 0.8): the CT shows almost unchanged.
    far = axial.index_to_widget((fused.model.cursor[0], 5, 40))
    r2, g2, b2 = pixel_at(axial, far)
    assert abs(r2 - g2) < 30
    # The same place with the CT alone is grey.
    window.show_volumes(ct_volume)
    window.model.set_cursor(ct_volume.patient_to_index(SPHERE_CENTRE_MM))
    r, g, b = pixel_at(axial, pos)
    assert r == g == b


def test_opacity_slider_changes_the_rendered_pixels(fused, qtbot):
    axial, pos = sphere_pos(fused)
    slider = fused.display_panel.opacity_slider
    assert slider.isEnabled()
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_End)
    assert fused.model.overlay_opacity == 1.0
    full = pixel_at(axial, pos)
    qtbot.keyClick(slider, Qt.Key.Key_Home)
    assert fused.model.overlay_opacity == 0.0
    none = pixel_at(axial, pos)
    assert none[0] == none[1] == none[2]  # CT only
    qtbot.keyClick(slider, Qt.Key.Key_PageUp)  # +10 %
    assert fused.model.overlay_opacity == pytest.approx(0.1)
    tenth = pixel_at(axial, pos)
    assert not np.array_equal(full, none)
    assert none[0] < tenth[0] < full[0] or not np.array_equal(tenth, none)
    assert fused.display_panel.opacity_value.text() == "10 %"


def test_opacity_change_repaints_without_resampling(fused, qtbot):
    axial = fused.views[Plane.AXIAL]
    axial.repaint()
    count = axial.render_count
    planes = len(fused.model.sampler)
    qtbot.keyClick(fused.display_panel.opacity_slider, Qt.Key.Key_PageDown)
    axial.repaint()
    assert axial.render_count == count
    assert len(fused.model.sampler) == planes


def test_o_key_hides_and_shows_the_overlay(fused, qtbot):
    axial, pos = sphere_pos(fused)
    qtbot.keyClick(axial, Qt.Key.Key_O)
    assert not fused.model.overlay_visible
    assert not fused.display_panel.visible_check.isChecked()
    r, g, b = pixel_at(axial, pos)
    assert r == g == b
    qtbot.keyClick(axial, Qt.Key.Key_O)
    assert fused.model.overlay_visible


def test_colour_map_choice_changes_the_pixels(fused, qtbot):
    axial, pos = sphere_pos(fused)
    hot = pixel_at(axial, pos)
    combo = fused.display_panel.cmap_combo
    combo.setCurrentText("jet")
    assert fused.model.overlay_cmap == "jet"
    assert not np.array_equal(hot, pixel_at(axial, pos))


def test_suv_preset_key_sets_the_pet_range(fused, qtbot):
    fused.display_panel.high_spin.setValue(4.0)
    assert fused.model.overlay_window.high == pytest.approx(4.0)
    ct_window = fused.model.base_window
    qtbot.keyClick(fused.views[Plane.AXIAL], Qt.Key.Key_6)
    assert (fused.model.overlay_window.low, fused.model.overlay_window.high) == (0.0, 10.0)
    assert fused.model.base_window == ct_window


def test_readout_shows_hu_and_suv(fused):
    axial, pos = sphere_pos(fused)
    hover(axial, axial.index_to_widget(fused.model.cursor))
    text = fused.readout_label.text()
    assert " HU" in text
    assert "PT 8.00 SUVbw" in text


def test_click_keeps_the_overlay_aligned_in_all_views(fused):
    """The sphere is coloured where the crosshair crosses, in each of the three views."""
    for view in fused.views.values():
        pos = view.index_to_widget(fused.model.cursor)
        offset = pos + QPointF(4, 4)
        r, g, b = pixel_at(view, offset)
        assert r > b + 60, view.plane


def test_suv_unavailable_reason_is_shown(window, ct_volume):
    window.show_volumes(ct_volume, make_pet(suv_unavailable="no patient weight (0010,1030)"))
    assert "not SUV: no patient weight" in window.warning_label.toolTip()
    assert "PT shown as stored (BQML)" in window.warning_label.text()


def test_overlay_panel_disabled_without_pet(window, ct_volume, pet_volume):
    window.show_volumes(ct_volume)
    assert not window.display_panel.overlay_box.isEnabled()
    assert not window.actions.toggle_overlay.isEnabled()
    window.show_volumes(ct_volume, pet_volume)
    assert window.display_panel.overlay_box.isEnabled()
    assert window.actions.toggle_overlay.isEnabled()

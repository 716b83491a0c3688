"""Fusion a reader trusts (issue 16): the CT stays readable under low uptake, the PET colour maps
readers expect (remembered), MR presets for an MR and no CT presets, PET alone in the chosen map."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from core.volume import Modality
from core.orientation import Plane
from gui.render import WINDOW_PRESETS, Window
from gui.settings import OVERLAY_COLORMAP
from tests.gui.conftest import SPHERE_CENTRE_MM, ct_info, make_ct, pixel_at


@pytest.fixture
def fused(window, ct_volume, pet_volume):
    window.show_volumes(ct_volume, pet_volume)
    window.model.set_cursor(ct_volume.patient_to_index(SPHERE_CENTRE_MM))
    return window


def far_from_sphere(win) -> QPointF:
    """A point in the body where the PET is background (SUV 0.8), on the axial view, off the
    crosshair's lines (the cursor is on the sphere)."""
    axial = win.views[Plane.AXIAL]
    z, row, _ = win.model.cursor
    return axial.index_to_widget((z, row + 6, 20))


def ct_alone_pixel(win, pos) -> np.ndarray:
    win.model.set_overlay_visible(False)
    grey = pixel_at(win.views[Plane.AXIAL], pos)
    win.model.set_overlay_visible(True)
    return grey


def test_low_uptake_leaves_the_ct_grey_and_hot_uptake_is_coloured(fused):
    axial = fused.views[Plane.AXIAL]
    pos = far_from_sphere(fused)
    fused.model.set_base_window(Window(1000, 100))  # the synthetic body in mid grey
    grey = ct_alone_pixel(fused, pos)
    assert grey[0] == grey[1] == grey[2] and 20 < grey[0] < 235  # body, not air or bone
    # SUV 0.8 in a 0-10 window (8 % of it): the CT's grey, within 3 levels (it was tinted by 40 %)
    fused_px = pixel_at(axial, pos)
    assert np.abs(fused_px - grey).max() <= 3, (fused_px, grey)
    # on the lower bound (SUV 0.8 of 0.8-10) and below it (1-10): exactly the CT's grey
    for low in (0.8, 1.0):
        fused.model.set_overlay_window(Window.from_range(low, 10.0))
        assert pixel_at(axial, pos).tolist() == grey.tolist(), low
    # just above the lower bound the ramp starts from nothing: still the CT's grey within a level
    fused.model.set_overlay_window(Window.from_range(0.75, 10.0))
    assert np.abs(pixel_at(axial, pos) - grey).max() <= 1
    # the hot sphere (SUV 8) is coloured at full opacity of the ramp, not a faint tint
    sphere = axial.index_to_widget(fused.model.cursor) + QPointF(6, 6)
    r, g, b = pixel_at(axial, sphere)
    assert r - b > 80


def test_pet_colours_menu_changes_the_pixels_and_is_remembered(qtbot, settings, fused):
    from gui.main_window import MainWindow

    axial = fused.views[Plane.AXIAL]
    sphere = axial.index_to_widget(fused.model.cursor) + QPointF(6, 6)
    actions = fused.display_wiring.colour_actions
    assert list(actions) == ["hot iron", "rainbow", "inverted grey"]
    assert actions["hot iron"].isChecked()  # the default
    seen = {}
    for name, action in actions.items():
        action.trigger()
        assert fused.model.overlay_cmap == name and action.isChecked()
        assert fused.display_panel.cmap_combo.currentText() == name
        seen[name] = tuple(pixel_at(axial, sphere))
    assert len(set(seen.values())) == 3, seen  # each map paints the hot sphere differently
    actions["rainbow"].trigger()
    fused.close()
    again = MainWindow(settings)
    qtbot.addWidget(again)
    assert again.model.overlay_cmap == "rainbow"
    assert again.display_wiring.colour_actions["rainbow"].isChecked()
    again.close()
    settings.set(OVERLAY_COLORMAP, "jet")  # what an earlier version remembered
    third = MainWindow(settings)
    qtbot.addWidget(third)
    assert third.model.overlay_cmap == "rainbow"


def test_pet_alone_is_drawn_in_the_chosen_map(window, pet_volume):
    window.show_volumes(pet_volume)
    window.model.set_cursor(pet_volume.patient_to_index(SPHERE_CENTRE_MM))
    axial = window.views[Plane.AXIAL]
    sphere = axial.index_to_widget(window.model.cursor) + QPointF(4, 4)
    background = axial.index_to_widget((window.model.cursor[0], 2, 2))
    window.display_wiring.colour_actions["inverted grey"].trigger()
    hot, low = pixel_at(axial, sphere), pixel_at(axial, background)
    assert hot[0] == hot[1] == hot[2] and hot[0] < 70  # SUV 8 of 10: dark
    assert low[0] == low[1] == low[2] and low[0] > 220  # SUV 0.8: near white
    window.display_wiring.colour_actions["hot iron"].trigger()
    r, g, b = pixel_at(axial, sphere)
    assert r > b + 100  # in colour now


def make_mr():
    """The synthetic CT's geometry as an MR: positive intensities, no unit, modality MR."""
    ct = make_ct()
    voxels = (ct.voxels.astype(np.float32) + 1000.0) * 0.5
    info = ct_info(series_uid="1.2.3.mr", modality=Modality.MR, description="Synthetic T1")
    return dataclasses.replace(ct, voxels=voxels, info=info, unit="")


def preset_menu_keys(win) -> list[str]:
    return [a.data() for a in win.display_wiring.presets_menu().actions()]


def test_an_mr_gets_mr_presets_and_no_ct_presets(window, qtbot, ct_volume, pet_volume):
    mr = make_mr()
    window.show_volumes(mr)
    assert preset_menu_keys(window) == ["7", "8", "9"]
    hint = window.display_panel.preset_hint.text()
    assert "MR auto" in hint and "Lung" not in hint and "PET" not in hint
    # the MR opens in MR auto: the 1st-99.5th percentile of the body, not a CT window
    opened = window.model.base_window
    body = mr.voxels[mr.voxels > 0.05 * np.percentile(mr.voxels, 99.5)]
    assert body.min() <= opened.low < opened.high <= body.max()
    axial = window.views[Plane.AXIAL]
    qtbot.keyClick(axial, Qt.Key.Key_1)  # Lung: a CT preset
    assert window.model.base_window == opened
    assert "needs a CT" in window.task_label.text()
    qtbot.keyClick(axial, Qt.Key.Key_9)  # MR contrast: 20th-90th percentile, narrower than auto
    contrast = window.model.base_window
    assert opened.low < contrast.low and contrast.high < opened.high
    assert window.display_panel.width_spin.value() == pytest.approx(contrast.width, abs=0.1)
    # a CT again: the CT presets are back, no MR preset (and the PET one with a PET)
    window.show_volumes(ct_volume)
    assert preset_menu_keys(window) == ["1", "2", "3", "4", "5"]
    qtbot.keyClick(axial, Qt.Key.Key_8)
    assert "needs an MR" in window.task_label.text()
    window.show_volumes(ct_volume, pet_volume)
    assert preset_menu_keys(window) == [p.key for p in WINDOW_PRESETS if p.unit in ("HU", "SUV")]

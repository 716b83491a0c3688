"""CT | fused | PET side by side (issue 16): three axial views of one slice, the CT alone, the CT with the PET
fused and the PET alone in its colour map, one crosshair, slice, zoom and window; offered only with a PET
overlay (the status bar says why otherwise) and remembered for the next start like the other layouts."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from core.orientation import Plane
from gui.render import Window, colormap_lut, window_to_uint8
from tests.gui.conftest import SPHERE_CENTRE_MM, pixel_at, wheel

SIDE = "ct|fused|pet"


@pytest.fixture(autouse=True)
def isolated(message_boxes, tmp_path, monkeypatch):
    monkeypatch.setenv("OLIGOPLAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OLIGOPLAN_CONFIG_DIR", str(tmp_path / "config"))


def _open(qtbot, settings, ct=None, pet=None):
    from gui.main_window import MainWindow

    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.resize(1600, 1000)
    w.show()
    qtbot.waitExposed(w)
    if ct is not None:
        w.show_volumes(ct, pet)
    qtbot.wait(100)
    return w


def test_ct_fused_and_pet_side_by_side_show_their_own_pixels_and_move_together(
        qtbot, settings, ct_volume, pet_volume):
    w = _open(qtbot, settings, ct_volume, pet_volume)
    try:
        action = w.layout_actions.layout_action(SIDE)
        assert action.isEnabled() and action.shortcut().toString() == "Ctrl+5"
        action.trigger()
        qtbot.wait(50)
        ct_alone, pet_alone = w.alone_views
        fused = w.views[Plane.AXIAL]
        assert w.view_grid.shown_views() == [fused, ct_alone, pet_alone]  # (order of the grid's list)
        lefts = [v.mapTo(w, QPoint(0, 0)).x() for v in (ct_alone, fused, pet_alone)]
        tops = {v.mapTo(w, QPoint(0, 0)).y() for v in (ct_alone, fused, pet_alone)}
        assert lefts == sorted(lefts) and len(set(lefts)) == 3 and len(tops) == 1  # CT | fused | PET
        widths = [v.width() for v in (ct_alone, fused, pet_alone)]
        assert max(widths) - min(widths) <= 2 and action.isChecked()
        assert not any(v.isVisible() for v in (w.views[Plane.CORONAL], w.views[Plane.SAGITTAL], w.mip_view))

        w.model.set_cursor(ct_volume.patient_to_index(SPHERE_CENTRE_MM))
        w.model.set_base_window(Window(1000, 100))  # the synthetic body in mid grey
        qtbot.wait(20)
        # the hot sphere (off the crosshair's lines): grey on the CT alone, coloured fused and alone
        def at(view, zyx, offset=QPointF(0, 0)):  # one point of the slice, where each view draws it
            return view.index_to_widget(zyx) + offset

        here = w.model.cursor
        r, g, b = pixel_at(ct_alone, at(ct_alone, here, QPointF(6, 6)))
        assert r == g == b
        r, g, b = pixel_at(fused, at(fused, here, QPointF(6, 6)))
        assert r - b > 80
        hot = pixel_at(pet_alone, at(pet_alone, here, QPointF(6, 6)))
        assert hot[0] - hot[2] > 80
        # background uptake: the fused view keeps the CT's grey, the PET alone is the map's opaque colour
        z, row, _ = w.model.cursor
        far = (z, row + 6, 20)
        grey = pixel_at(ct_alone, at(ct_alone, far))
        assert grey[0] == grey[1] == grey[2] and 20 < grey[0] < 235  # body, not air
        assert np.abs(pixel_at(fused, at(fused, far)) - grey).max() <= 3
        # the PET alone there is the opaque colour of the map for the PET's value there (not the CT under it)
        lay = fused.layout_info
        screen = lay.plane_to_screen(w.model.sampler.plane(lay.slice_axis, z))
        srow, scol = (int(round(v)) for v in lay.index_to_screen((z, row + 6, 20)))
        lut = colormap_lut(w.model.overlay_cmap, opaque=True)
        expected = lut[window_to_uint8(screen[srow:srow + 1, scol:scol + 1], w.model.overlay_window)][0, 0, :3]
        background = pixel_at(pet_alone, at(pet_alone, far))
        assert np.abs(background - expected.astype(int)).max() <= 3, (background, expected)
        assert np.abs(background - grey).max() > 10, (background, grey)

        # the wheel over the CT alone scrolls all three; Ctrl+wheel over the PET zooms all three
        before = fused.slice_index
        wheel(ct_alone, QPointF(ct_alone.width() / 2, ct_alone.height() / 2), -120)
        qtbot.wait(20)
        assert fused.slice_index != before
        assert ct_alone.slice_index == fused.slice_index == pet_alone.slice_index
        wheel(pet_alone, QPointF(pet_alone.width() / 2, pet_alone.height() / 2), 120,
              Qt.KeyboardModifier.ControlModifier)
        qtbot.wait(20)
        assert pet_alone.zoom > 1.0 and ct_alone.zoom == fused.zoom == pet_alone.zoom
        assert ct_alone.pan == fused.pan == pet_alone.pan
        # the window dragged on one is the window of all: the CT alone and the fused view read the same grey
        w.model.set_base_window(Window(400, 40))
        qtbot.wait(20)
        assert np.abs(pixel_at(fused, at(fused, far)) - pixel_at(ct_alone, at(ct_alone, far))).max() <= 3
        assert w.close()
    finally:
        w.runner.shutdown()


def test_without_a_pet_overlay_it_is_not_offered_and_the_status_bar_says_why(qtbot, settings, ct_volume):
    w = _open(qtbot, settings, ct_volume)
    try:
        action = w.layout_actions.layout_action(SIDE)
        assert not action.isEnabled() and "needs a PET overlay" in action.statusTip()
        w.set_view_layout(SIDE)  # asked for anyway (a script, a shortcut)
        assert w.view_grid.view_layout.value == "axial+2"
        assert w.layout_actions.layout_action("axial+2").isChecked() and not action.isChecked()
        assert "needs a PET overlay" in w.task_label.text()
        assert not any(v.isVisible() for v in w.alone_views)
    finally:
        w.runner.shutdown()


def test_remembered_for_the_next_start_and_shown_once_a_pet_is_loaded(qtbot, settings, ct_volume, pet_volume):
    w = _open(qtbot, settings, ct_volume, pet_volume)
    try:
        w.layout_actions.layout_action(SIDE).trigger()
        assert w.view_grid.view_layout.value == SIDE
        w.show_volumes(ct_volume, None)  # the PET gone: the layout gives way and says why
        qtbot.wait(20)
        assert w.view_grid.view_layout.value == "axial+2" and "needs a PET overlay" in w.task_label.text()
        w.show_volumes(ct_volume, pet_volume)  # back with the next PET
        qtbot.wait(20)
        assert w.view_grid.view_layout.value == SIDE and all(v.isVisible() for v in w.alone_views)
        assert w.close()
    finally:
        w.runner.shutdown()
    again = _open(qtbot, settings)
    try:
        assert again.view_grid.view_layout.value == "axial+2"  # no images yet: nothing to put side by side
        again.show_volumes(ct_volume, pet_volume)
        qtbot.wait(20)
        assert again.view_grid.view_layout.value == SIDE and again.layout_actions.layout_action(SIDE).isChecked()
        assert again.close()
    finally:
        again.runner.shutdown()

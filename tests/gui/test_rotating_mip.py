"""The PET MIP of the 2 x 2 layout turns (issue 16): the fixed coronal MIP first, the other angles computed in
the background, a sideways drag or the play button turns it, the lesion numbers follow the angle, and a click
at any angle moves the views to the lesion or to the hottest point along that line of sight."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from core.lesions import AddLesion
from tests.gui.conftest import SPHERE_CENTRE_MM, click, drag, make_pet
from tests.gui.test_verdict_panel import cube_lesion


@pytest.fixture(autouse=True)
def isolated(message_boxes, tmp_path, monkeypatch):
    monkeypatch.setenv("OLIGOPLAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OLIGOPLAN_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture
def turned(qtbot, settings, ct_volume, pet_volume):
    """A 1280 x 800 window in the 2 x 2 layout, PET over CT, two lesions, the MIP's turn computed."""
    from gui.main_window import MainWindow

    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    w.show_volumes(ct_volume, pet_volume)
    w.set_view_layout("2x2")
    for n, site in enumerate(["liver", "lung"]):
        w.undo_stack.push_command(AddLesion(w.model.lesions, cube_lesion(ct_volume, n, site)))
    qtbot.waitUntil(w.mip_view.turn_ready, timeout=20000)
    yield w
    w.runner.shutdown()


def test_the_coronal_mip_comes_first_and_a_sideways_drag_turns_it(turned, qtbot):
    mip = turned.mip_view
    assert mip.frame_index == 0 and mip.title() == "PET MIP coronal"
    front = {lesion_id: p for _n, lesion_id, p in mip.markers()}
    rect = mip.image_rect()
    start = QPointF(rect.center().x() - 40, rect.center().y())
    drag(mip, start, start + QPointF(9 * 6, 0), Qt.MouseButton.LeftButton)  # 9 frames of 10 degrees
    assert mip.frame_index == 9 and mip.title() == "PET MIP 90°"
    letters = mip.geometry_info.letters(mip.angle_deg)
    assert letters[:2] == ("A", "P")  # seen from the patient's left
    side = {lesion_id: p for _n, lesion_id, p in mip.markers()}
    # the numbers moved with the turn, not with the mouse: same heights, other places across
    for lesion_id in front:
        assert side[lesion_id].y() == pytest.approx(front[lesion_id].y())
    assert any(abs(side[i].x() - front[i].x()) > 5 for i in front)
    assert turned.model.selected_id is None  # a drag is not a click
    drag(mip, start + QPointF(9 * 6, 0), start, Qt.MouseButton.LeftButton)  # and back
    assert mip.frame_index == 0


def test_at_any_angle_a_click_on_a_number_or_a_hot_spot_moves_the_views_there(turned, qtbot):
    w = turned
    mip = w.mip_view
    mip.set_frame(7)  # 70 degrees
    number, lesion_id, centre = mip.markers()[1]
    click(mip, centre)
    assert w.model.selected_id == lesion_id == "L2"
    expected = np.rint(w.model.lesion_centre_index(w.model.lesions["L2"])).astype(int)
    assert tuple(int(v) for v in expected) == w.model.cursor
    # the PET's hot sphere where it projects at 70 degrees, away from the numbers: its centre, depth included
    sphere = w.model.overlay.patient_to_index(np.asarray(SPHERE_CENTRE_MM, float))
    at = mip.to_widget(*mip.geometry_info.project(sphere, mip.angle_deg))
    assert all(np.hypot(p.x() - at.x(), p.y() - at.y()) > 14 for _n, _id, p in mip.markers())
    w.model.set_cursor((0, 0, 0))
    click(mip, at)
    assert np.linalg.norm(np.asarray(w.model.cursor_mm) - SPHERE_CENTRE_MM) <= 4.0  # within a PET voxel


def test_play_spins_and_stops_and_another_series_starts_again_at_the_coronal_mip(turned, qtbot, ct_volume):
    w = turned
    mip = w.mip_view
    qtbot.mouseClick(mip.play_button, Qt.MouseButton.LeftButton)
    assert mip.spin_timer.isActive() and mip.play_button.isChecked()
    qtbot.waitUntil(lambda: mip.frame_index >= 2, timeout=5000)
    qtbot.mouseClick(mip.play_button, Qt.MouseButton.LeftButton)
    assert not mip.spin_timer.isActive()
    w.show_volumes(ct_volume, make_pet())  # another PET: its own turn, from the front
    assert mip.frame_index == 0 and not mip.frame_ready(1)
    qtbot.waitUntil(mip.turn_ready, timeout=20000)
    w.set_view_layout("1x3")  # hidden: it does not spin
    assert not mip.spin_timer.isActive()


def test_the_quarter_turns_are_computed_first_so_that_a_coarse_turn_spins_early():
    from gui.mip_view import coarse_first

    order = coarse_first(36)
    assert order[:3] == [9, 18, 27] and order[3:5] == [3, 6]  # 90, 180, 270 degrees, then every 30
    assert sorted(order) == list(range(1, 36))  # every frame but the coronal one, once

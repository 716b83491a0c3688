"""The rotating MIP (core.rotating_mip): angle 0 is the fixed coronal MIP, a hot spot shows where its marker is
projected at every angle, and the hottest voxel along a clicked ray is found back at any angle."""

import numpy as np
import pytest

from core.errors import Cancelled
from core.lesion_map import mip
from core.orientation import Plane, plane_layout
from core.rotating_mip import MipGeometry, angles, rotating_mip
from tests.core.grids import ellipsoid, make_grid


@pytest.fixture(scope="module")
def body():
    """A warm cylinder (the body, SUV 1) with a hot sphere (SUV 9) off the axis: left, anterior, high."""
    grid = make_grid((30, 60, 80), (3.0, 2.0, 2.0))
    x, y = np.meshgrid(np.arange(80) * 2.0, np.arange(60) * 2.0)
    data = np.zeros(grid.shape, np.float32)
    data[:, ((x - 79) / 70) ** 2 + ((y - 59) / 50) ** 2 <= 1.0] = 1.0
    data[ellipsoid(grid, (110.0, 40.0, 60.0), (6.0, 6.0, 6.0))] = 9.0
    return make_grid(grid.shape, (3.0, 2.0, 2.0), voxels=data, unit="SUVbw")


def test_the_first_frame_is_the_fixed_coronal_mip(body):
    frames = rotating_mip(body, 8)
    lay = plane_layout(body, Plane.CORONAL)
    assert len(frames) == 8 and angles(8)[:3] == [0.0, 45.0, 90.0]
    assert np.array_equal(frames[0], lay.plane_to_screen(mip(body, lay.slice_axis)))
    assert all(f.shape == frames[0].shape for f in frames)  # one frame size: the turn does not jump


@pytest.mark.parametrize("angle", [0.0, 40.0, 90.0, 180.0, 250.0])
def test_the_hot_spot_shows_where_its_marker_is_projected_and_a_click_there_finds_it(body, angle):
    geometry = MipGeometry.of(body)
    centre = body.patient_to_index(np.array([110.0, 40.0, 60.0]))  # (z, y, x) of the sphere's centre
    frame = geometry.frame(body, angle)
    row, col = geometry.project(centre, angle)
    hot_rows, hot_cols = np.nonzero(frame >= 9.0)
    # the marker sits on the hot spot the frame shows (its middle, to a pixel)
    assert abs(hot_rows.mean() - row) <= 1.0 and abs(hot_cols.mean() - col) <= 1.5, (angle, row, col)
    # a click on the spot: the hottest voxel along that ray, the sphere's middle (depth from the maximum)
    found = geometry.hottest_along_ray(body, row, col, angle)
    assert np.allclose(found, centre, atol=2.0), (angle, found, centre)
    assert body.voxels[tuple(np.rint(found).astype(int))] == 9.0
    # a click on the warm body elsewhere (its axis, the frame's middle at any angle): a voxel of the body
    axis_col = geometry.project(body.patient_to_index(np.array([79.0, 59.0, 30.0])), angle)[1]
    assert axis_col == pytest.approx(39.5)
    off = geometry.hottest_along_ray(body, row, axis_col, angle)
    assert off is not None and body.voxels[tuple(np.rint(off).astype(int))] >= 1.0


def test_the_letters_turn_with_the_frame_and_top_and_bottom_stay(body):
    geometry = MipGeometry.of(body)
    assert geometry.letters(0.0) == ("R", "L", "S", "I")
    assert geometry.letters(90.0) == ("A", "P", "S", "I")  # seen from the patient's left
    assert geometry.letters(180.0)[:2] == ("L", "R")  # from behind


def test_a_ray_beside_the_volume_finds_nothing_and_bad_input_is_named(body):
    geometry = MipGeometry.of(body)
    assert geometry.hottest_along_ray(body, 10, -500.0, 30.0) is None
    with pytest.raises(ValueError, match="at least 1 angle; got 0"):
        angles(0)
    with pytest.raises(Cancelled):
        rotating_mip(body, 4, cancel=lambda: True)


def test_a_volume_too_large_to_convert_at_once_gives_the_same_frames_block_by_block(body, monkeypatch):
    import core.rotating_mip as rotating

    geometry = MipGeometry.of(body)
    whole = geometry.frame(body, 130.0)
    monkeypatch.setattr(rotating, "PREPARED_MAX_BYTES", 0)  # a 512 x 512 CT shown without a PET
    prepared = geometry.prepared(body)
    assert prepared._whole is None  # no float copy of the whole volume
    assert np.array_equal(geometry.frame(body, 130.0, prepared=prepared), whole)

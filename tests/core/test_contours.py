"""Slice geometry of lesion masks, checked against cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from core.contours import (
    brush_disk,
    brush_stroke,
    fill_between_slices,
    gaps,
    interpolate_mask,
    interpolate_slices,
    mask_outlines,
    paint_slice,
    plane_axes,
    polygon_area,
    polygon_to_mask,
    signed_distance,
    slice_outlines,
    slice_region,
)
from core.lesions import LesionMask

GRID = (10, 12, 14)
UID = "1.2.3"


# ---------------------------------------------------------------- polygons
def test_square_on_pixel_centres_covers_exactly_its_area():
    # corners on centres (1,1)-(4,4): area 9, the half-open rule keeps rows/cols 1..3
    mask = polygon_to_mask([(1, 1), (1, 4), (4, 4), (4, 1)], (6, 6))
    expected = np.zeros((6, 6), bool)
    expected[1:4, 1:4] = True
    assert np.array_equal(mask, expected)
    assert mask.sum() == polygon_area([(1, 1), (1, 4), (4, 4), (4, 1)]) == 9


def test_square_on_pixel_edges_covers_the_pixels_inside():
    mask = polygon_to_mask([(1.5, 1.5), (1.5, 4.5), (4.5, 4.5), (4.5, 1.5)], (7, 7))
    assert np.argwhere(mask).tolist() == [[r, c] for r in (2, 3, 4) for c in (2, 3, 4)]


def test_triangle_by_hand():
    # right triangle (0,0), (0,4), (4,0): centres with r + c < 4 strictly inside;
    # on the hypotenuse r + c = 4 they are on a bottom/right edge: outside
    mask = polygon_to_mask([(0, 0), (0, 4), (4, 0)], (5, 5))
    rows, cols = np.nonzero(mask)
    assert set(zip(rows.tolist(), cols.tolist())) == {(r, c) for r in range(5) for c in range(5) if r + c < 4}


def test_vertex_order_does_not_matter():
    ccw = [(1, 1), (4, 1), (4, 4), (1, 4)]
    cw = ccw[::-1]
    assert np.array_equal(polygon_to_mask(ccw, (6, 6)), polygon_to_mask(cw, (6, 6)))


def test_even_odd_rule_leaves_the_overlap_of_a_self_crossing_polygon_out():
    # a pentagram: its central pentagon is wound twice, so even-odd leaves it out
    star = [(0, 5), (9.5, 8), (3.5, 0.5), (3.5, 9.5), (9.5, 2)]  # a 5-pointed star centred near (5, 5)
    mask = polygon_to_mask(star, (11, 11))
    assert not mask[5, 5]  # the pentagon in the middle is crossed twice: outside
    assert mask[2, 5]  # the top point: inside


def test_polygon_is_clipped_to_the_plane_and_checked():
    mask = polygon_to_mask([(-5, -5), (-5, 2.5), (2.5, 2.5), (2.5, -5)], (4, 4))
    assert np.argwhere(mask).tolist() == [[r, c] for r in range(3) for c in range(3)]
    assert not polygon_to_mask([(20, 20), (20, 30), (30, 30)], (4, 4)).any()
    with pytest.raises(ValueError, match="at least 3 vertices; got 2"):
        polygon_to_mask([(0, 0), (1, 1)], (4, 4))
    with pytest.raises(ValueError, match=r"\(n, 2\) array"):
        polygon_to_mask([1, 2, 3], (4, 4))


# ------------------------------------------------------------------- brush
def test_disk_of_2_mm_on_1_mm_pixels_has_13_pixels():
    disk = brush_disk((5, 5), 2.0, (1.0, 1.0), (11, 11))
    # offsets with dr^2 + dc^2 <= 4: centre, 4 at 1, 4 diagonals (2), 4 at 2
    assert disk.sum() == 13
    assert disk[5, 3] and disk[5, 7] and disk[6, 6] and not disk[6, 7]


def test_disk_honours_anisotropic_spacing():
    # 1 mm rows, 2 mm columns, radius 2 mm: 5 pixels down the column, 1 each side
    disk = brush_disk((5, 5), 2.0, (1.0, 2.0), (11, 11))
    assert disk.sum() == 7
    assert np.argwhere(disk[:, 4]).ravel().tolist() == [5]
    assert np.argwhere(disk[:, 5]).ravel().tolist() == [3, 4, 5, 6, 7]


def test_stroke_is_a_capsule_and_clipped():
    stroke = brush_stroke((2, 2), (2, 8), 1.0, (1.0, 1.0), (5, 11))
    assert stroke[1:4, 2:9].sum() == 3 * 7 - 0  # rows 1..3 along columns 2..8
    assert stroke.sum() == 7 * 3 + 2  # + the round ends (2, 1) and (2, 9)
    edge = brush_disk((0, 0), 1.0, (1.0, 1.0), (3, 3))
    assert np.argwhere(edge).tolist() == [[0, 0], [0, 1], [1, 0]]
    with pytest.raises(ValueError, match="brush radius must be a positive number of mm; got 0.0"):
        brush_disk((0, 0), 0.0, (1, 1), (3, 3))


# ---------------------------------------------------------------- outlines
def test_outline_of_one_pixel_is_its_four_edges():
    m = np.zeros((5, 6), bool)
    m[2, 3] = True
    (loop,) = mask_outlines(m)
    assert sorted(map(tuple, loop.tolist())) == [(1.5, 2.5), (1.5, 3.5), (2.5, 2.5), (2.5, 3.5)]


def test_outline_of_a_rectangle_has_four_corners_walked_clockwise():
    m = np.zeros((6, 6), bool)
    m[1:3, 1:4] = True  # rows 1-2, cols 1-3
    (loop,) = mask_outlines(m)
    assert loop.tolist() == [[0.5, 0.5], [0.5, 3.5], [2.5, 3.5], [2.5, 0.5]]
    assert polygon_area(loop) == 6


def test_outline_of_an_l_shape_and_area_match_the_pixels():
    m = np.zeros((6, 6), bool)
    m[1:4, 1] = True
    m[3, 1:4] = True
    (loop,) = mask_outlines(m)
    assert len(loop) == 6
    assert polygon_area(loop) == m.sum() == 5


def test_diagonal_neighbours_make_two_loops_and_a_hole_makes_two():
    m = np.zeros((4, 4), bool)
    m[1, 1] = m[2, 2] = True
    loops = mask_outlines(m)
    assert len(loops) == 2 and all(len(loop) == 4 for loop in loops)
    ring = np.ones((5, 5), bool)
    ring[2, 2] = False
    loops = mask_outlines(np.pad(ring, 1))
    assert sorted(polygon_area(loop) for loop in loops) == [1, 25]
    assert mask_outlines(np.zeros((3, 3), bool)) == []


def test_outline_rasterised_again_gives_the_mask_back():
    rng = np.random.default_rng(4)
    blob = np.zeros((20, 20), bool)
    for _ in range(6):
        c = rng.integers(4, 16, 2)
        blob |= brush_disk(c, rng.uniform(1.5, 4), (1, 1), (20, 20))
    again = np.zeros_like(blob)
    for loop in mask_outlines(blob):
        again ^= polygon_to_mask(loop, blob.shape)
    assert np.array_equal(again, blob)


# ----------------------------------------------------------- interpolation
def test_signed_distance_is_half_way_between_boundary_pixels():
    m = np.zeros((7, 7), bool)
    m[2:5, 2:5] = True
    sd = signed_distance(m)
    assert sd[3, 3] == -2.0  # centre: 2 pixels from the nearest outside pixel
    assert sd[3, 2] == -1.0 and sd[3, 1] == 1.0 and sd[1, 1] == pytest.approx(np.sqrt(2))
    with pytest.raises(ValueError, match="both inside and outside"):
        signed_distance(np.zeros((3, 3), bool))


def test_interpolating_3x3_and_7x7_squares_gives_5x5_half_way():
    a = np.zeros((11, 11), bool)
    b = np.zeros((11, 11), bool)
    a[4:7, 4:7] = True
    b[2:9, 2:9] = True
    (mid,) = interpolate_slices(a, b, 1)
    expected = np.zeros((11, 11), bool)
    expected[3:8, 3:8] = True
    assert np.array_equal(mid, expected)


def test_interpolating_identical_slices_repeats_them_and_overlapping_ones_move():
    a = np.zeros((9, 12), bool)
    a[2:7, 1:6] = True  # 5 x 5, columns 1..5
    same = interpolate_slices(a, a, 3)
    assert all(np.array_equal(s, a) for s in same)
    b = np.roll(a, 2, axis=1)  # columns 3..7
    (mid,) = interpolate_slices(a, b, 1)
    # by hand on the middle row: column 1 blends -1 and +2 (out), 2: -2 and +1 (in),
    # 6: +1 and -2 (in), 7: +2 and -1 (out); on the top row column 2 is a tie (in)
    assert np.array_equal(mid, np.roll(a, 1, axis=1))


def test_slices_that_do_not_overlap_do_not_travel():
    a = np.zeros((9, 12), bool)
    a[3:6, 1:4] = True
    b = np.roll(a, 6, axis=1)
    # half-way, middle row, column 2: (-2 + 5) / 2 > 0; column 8: (5 - 2) / 2 > 0: nothing
    assert not interpolate_slices(a, b, 1).any()


def test_fill_between_slices_fills_only_gaps_between_contours():
    box = np.zeros((7, 5, 5), bool)
    box[0, 1:4, 1:4] = True
    box[3, 1:4, 1:4] = True
    box[4, 2, 2] = True  # adjacent to 3: no gap
    filled = fill_between_slices(box, axis=0)
    assert [filled[k].sum() for k in range(7)] == [9, 9, 9, 9, 1, 0, 0]
    assert np.array_equal(filled[0], box[0]) and np.array_equal(filled[4], box[4])


def test_interpolate_mask_along_a_coronal_axis_keeps_one_grid():
    mask = paint_slice(None, 1, 2, _square(GRID, 1, 2, 4), add=True, grid_shape=GRID, series_uid=UID)
    mask = paint_slice(mask, 1, 6, _square(GRID, 1, 2, 4), add=True, grid_shape=GRID, series_uid=UID)
    assert gaps(mask, 1) == 3 and gaps(mask, 0) == 0
    filled = interpolate_mask(mask, 1, (3.0, 1.0, 1.0))
    assert filled.grid_shape == GRID and filled.series_uid == UID
    assert [int(filled.full()[:, y].sum()) for y in range(2, 7)] == [4] * 5
    assert gaps(filled, 1) == 0


# ----------------------------------------------------------- mask editing
def _square(grid, axis, lo, hi):
    a, b = plane_axes(axis)
    plane = np.zeros((grid[a], grid[b]), bool)
    plane[lo:hi, lo:hi] = True
    return plane


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_paint_then_erase_on_each_plane(axis):
    region = _square(GRID, axis, 2, 5)  # 3x3
    mask = paint_slice(None, axis, 4, region, add=True, grid_shape=GRID, series_uid=UID)
    full = mask.full()
    assert full.sum() == 9 and np.take(full, 4, axis=axis).sum() == 9
    assert slice_region(mask, axis, 3) is None
    box, offset = slice_region(mask, axis, 4)
    assert box.shape == (3, 3) and offset == (2, 2)
    (loop,) = slice_outlines(mask, axis, 4)
    assert sorted(map(tuple, loop.tolist())) == [(1.5, 1.5), (1.5, 4.5), (4.5, 1.5), (4.5, 4.5)]
    bigger = paint_slice(mask, axis, 5, region, add=True, grid_shape=GRID, series_uid=UID)
    assert bigger.n_voxels == 18
    one = np.zeros_like(region)
    one[3, 3] = True
    holed = paint_slice(bigger, axis, 4, one, add=False, grid_shape=GRID, series_uid=UID)
    assert holed.n_voxels == 17
    assert paint_slice(mask, axis, 4, region, add=False, grid_shape=GRID, series_uid=UID) is None


def test_paint_slice_with_an_offset_region_and_checks():
    small = np.ones((2, 2), bool)
    mask = paint_slice(None, 0, 1, small, add=True, grid_shape=GRID, series_uid=UID, region_offset=(10, 12))
    assert mask.offset == (1, 10, 12) and mask.n_voxels == 4
    clipped = paint_slice(None, 0, 1, small, add=True, grid_shape=GRID, series_uid=UID, region_offset=(11, 13))
    assert clipped.n_voxels == 1  # the rest lies outside the 12 x 14 plane
    with pytest.raises(ValueError, match="plane index 10 is outside the grid"):
        paint_slice(None, 0, 10, small, add=True, grid_shape=GRID, series_uid=UID)
    with pytest.raises(ValueError, match="not on 9.9"):
        paint_slice(mask, 0, 1, small, add=True, grid_shape=GRID, series_uid="9.9")
    assert paint_slice(None, 0, 1, small, add=False, grid_shape=GRID, series_uid=UID) is None
    untouched = paint_slice(mask, 0, 5, small, add=False, grid_shape=GRID, series_uid=UID)
    assert untouched == mask


def test_painting_matches_the_full_grid_arithmetic():
    rng = np.random.default_rng(1)
    mask = None
    full = np.zeros(GRID, bool)
    for _ in range(25):
        axis = int(rng.integers(0, 3))
        k = int(rng.integers(0, GRID[axis]))
        a, b = plane_axes(axis)
        region = rng.random((GRID[a], GRID[b])) < 0.2
        add = bool(rng.random() < 0.7)
        mask = paint_slice(mask, axis, k, region, add=add, grid_shape=GRID, series_uid=UID)
        index = [slice(None)] * 3
        index[axis] = k
        if add:
            full[tuple(index)] |= region
        else:
            full[tuple(index)] &= ~region
        assert (mask.full() if mask is not None else np.zeros(GRID, bool)).tolist() == full.tolist()
    assert LesionMask.from_full(full, UID) == mask

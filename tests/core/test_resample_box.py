"""core.resample.resample_box: a box of one grid sampled from another volume by patient
position, in chunks, the same values as the plane-by-plane and point-by-point paths."""

from __future__ import annotations

import numpy as np
import pytest

from core import resample
from core.resample import resample_box, resample_plane, resample_points
from tests.core.test_resample import linear_field, make_volume

TURNED = (np.array([1.0, 0.2, 0.1]), np.array([-0.2, 1.0, 0.3]))


def oblique_moving():
    row = TURNED[0] / np.linalg.norm(TURNED[0])
    col = TURNED[1] - (TURNED[1] @ row) * row
    return make_volume((30, 40, 40), (3.0, 2.0, 2.0), (-40.0, -40.0, -20.0), row_dir=row,
                       col_dir=col / np.linalg.norm(col), fill=linear_field)


@pytest.mark.parametrize("chunk_voxels", [1 << 20, 3 * 21 * 17], ids=["one chunk", "3 slices a chunk"])
def test_a_box_has_the_values_of_the_planes_of_the_fixed_grid(monkeypatch, chunk_voxels):
    monkeypatch.setattr(resample, "BOX_CHUNK_VOXELS", chunk_voxels)
    moving = oblique_moving()
    fixed = make_volume((20, 30, 30), (2.5, 1.5, 1.5), (-10.0, -15.0, 5.0))
    lo, hi = (3, 4, 5), (17, 25, 22)
    box = resample_box(moving, fixed, lo, hi, order=1)
    assert box.shape == (14, 21, 17) and box.dtype == np.float32
    for k in (3, 9, 16):
        plane = resample_plane(moving, fixed, 0, k, order=1)[lo[1]:hi[1], lo[2]:hi[2]]
        np.testing.assert_allclose(box[k - lo[0]], plane, rtol=1e-5, atol=1e-3, equal_nan=True)
    # inside the moving volume a linear field comes back exactly
    inside = ~np.isnan(box)
    assert inside.sum() > 0.5 * box.size
    idx = np.argwhere(inside) + np.array(lo)
    np.testing.assert_allclose(box[inside], linear_field(fixed.index_to_patient(idx)), rtol=1e-4)


def test_irregular_grids_are_sampled_point_by_point_and_chunks_join(monkeypatch):
    moving = oblique_moving()
    fixed = make_volume((12, 20, 20), (2.0, 1.5, 1.5), (-10.0, -15.0, 5.0),
                        z_positions=[0, 2, 4, 7, 9, 11, 14, 16, 18, 20, 23, 25])
    assert not fixed.is_regular
    monkeypatch.setattr(resample, "BOX_CHUNK_VOXELS", 2 * 20 * 20 + 7)  # 2 slices a chunk, 6 chunks
    box = resample_box(moving, fixed, (0, 0, 0), fixed.shape, order=1, cval=0.0)
    idx = np.indices(fixed.shape).transpose(1, 2, 3, 0).astype(float)
    expected = resample_points(moving, fixed.index_to_patient(idx), order=1, cval=0.0)
    np.testing.assert_allclose(box, expected, rtol=1e-6)


def test_threshold_gives_a_boolean_box_and_bad_bounds_are_refused():
    moving = oblique_moving()
    fixed = make_volume((10, 20, 20), (2.0, 1.5, 1.5), (-10.0, -15.0, 5.0))
    values = resample_box(moving, fixed, (0, 0, 0), fixed.shape, cval=0.0)
    above = resample_box(moving, fixed, (0, 0, 0), fixed.shape, cval=0.0, threshold=100.0)
    assert above.dtype == bool and np.array_equal(above, values >= 100.0)
    assert 0 < above.sum() < above.size
    with pytest.raises(ValueError, match="not inside the fixed grid"):
        resample_box(moving, fixed, (0, 0, 0), (11, 20, 20))

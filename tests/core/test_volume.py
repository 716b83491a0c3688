"""core.volume.Volume: voxel index (z, y, x) <-> patient LPS mm, checked by hand.

Every expected position below is worked out on paper from Image Position,
Image Orientation and Pixel Spacing, not from the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.volume import Modality, SeriesInfo, Volume


def make_volume(positions, row_dir=(1, 0, 0), col_dir=(0, 1, 0), spacing=(1.0, 1.0),
                shape_yx=(20, 30), voxels=None, thickness=None):
    positions = np.asarray(positions, dtype=float)
    if voxels is None:
        voxels = np.zeros((len(positions), *shape_yx), dtype=np.int16)
    return Volume(
        voxels=voxels,
        positions_mm=positions,
        row_dir=np.asarray(row_dir, float),
        col_dir=np.asarray(col_dir, float),
        pixel_spacing_mm=spacing,
        info=SeriesInfo(series_uid="1.2.3", modality=Modality.CT),
        slice_thickness_mm=thickness,
    )


def axial_volume():
    # Origin (-100, -120, 20), slices 2.5 mm apart going up; pixel spacing
    # (row 0.7 mm, column 0.9 mm): non-square pixels.
    positions = [(-100.0, -120.0, 20.0 + 2.5 * k) for k in range(6)]
    return make_volume(positions, spacing=(0.7, 0.9))


def oblique_volume():
    # Rows run along (cos 30, sin 30, 0); columns go down in z (0, 0, -1).
    # normal = row x col = (-sin 30, cos 30, 0) = (-0.5, 0.8660254, 0).
    # Slices 3 mm apart along that normal from (10, 20, 30); pixels 1.5 (rows) x 2 mm.
    row = (math.cos(math.radians(30)), math.sin(math.radians(30)), 0.0)
    col = (0.0, 0.0, -1.0)
    normal = np.array([-0.5, math.cos(math.radians(30)), 0.0])
    positions = [np.array([10.0, 20.0, 30.0]) + 3.0 * k * normal for k in range(5)]
    return make_volume(positions, row_dir=row, col_dir=col, spacing=(1.5, 2.0))


def test_axial_voxel_lands_at_hand_computed_position():
    vol = axial_volume()
    # (k, j, i) = (3, 10, 20): x = -100 + 20 * 0.9 = -82.0 (column step),
    # y = -120 + 10 * 0.7 = -113.0 (row step), z = 20 + 3 * 2.5 = 27.5.
    np.testing.assert_allclose(vol.index_to_patient([3, 10, 20]), [-82.0, -113.0, 27.5], atol=1e-9)
    np.testing.assert_allclose(vol.patient_to_index([-82.0, -113.0, 27.5]), [3, 10, 20], atol=1e-9)


def test_non_square_pixels_are_not_swapped():
    vol = axial_volume()
    # One step in x index (column) moves 0.9 mm along +x; one step in y (row) 0.7 mm along +y.
    np.testing.assert_allclose(vol.index_to_patient([0, 0, 1]) - vol.index_to_patient([0, 0, 0]),
                               [0.9, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(vol.index_to_patient([0, 1, 0]) - vol.index_to_patient([0, 0, 0]),
                               [0.0, 0.7, 0.0], atol=1e-12)
    assert vol.spacing_mm == pytest.approx((2.5, 0.7, 0.9))


def test_oblique_voxel_lands_at_hand_computed_position():
    vol = oblique_volume()
    # (k, j, i) = (2, 4, 5):
    #   origin (10, 20, 30)
    #   + 2 slices * 3 mm * (-0.5, 0.8660254, 0) = (-3.0, 5.1961524, 0)
    #   + 4 rows * 1.5 mm * (0, 0, -1)           = (0, 0, -6.0)
    #   + 5 cols * 2 mm * (0.8660254, 0.5, 0)     = (8.660254, 5.0, 0)
    #   = (15.660254, 30.1961524, 24.0)
    expected = [15.660254, 30.1961524, 24.0]
    np.testing.assert_allclose(vol.index_to_patient([2, 4, 5]), expected, atol=1e-6)
    np.testing.assert_allclose(vol.patient_to_index(expected), [2, 4, 5], atol=1e-6)
    np.testing.assert_allclose(vol.normal, [-0.5, 0.8660254, 0.0], atol=1e-7)


@pytest.mark.parametrize("make", [axial_volume, oblique_volume])
def test_affine_agrees_with_index_to_patient_and_inverts(make):
    vol = make()
    rng = np.random.default_rng(1)
    zyx = rng.uniform([0, 0, 0], [4, 19, 29], size=(50, 3))
    homogeneous = np.c_[zyx, np.ones(len(zyx))]
    via_affine = (vol.affine @ homogeneous.T).T[:, :3]
    np.testing.assert_allclose(via_affine, vol.index_to_patient(zyx), atol=1e-9)
    back = (np.linalg.inv(vol.affine) @ np.c_[via_affine, np.ones(len(zyx))].T).T[:, :3]
    np.testing.assert_allclose(back, zyx, atol=1e-9)
    np.testing.assert_allclose(vol.patient_to_index(via_affine), zyx, atol=1e-9)


def test_gantry_tilt_positions_are_exact():
    # 15 degree tilt: each slice 2 mm higher in z is shifted tan(15) * 2 mm in +y.
    tan = math.tan(math.radians(15))
    positions = [(0.0, tan * 2.0 * k, 2.0 * k) for k in range(8)]
    vol = make_volume(positions, spacing=(0.5, 0.5))
    # (7, 3, 4): x = 4 * 0.5 = 2.0, y = tan(15) * 14 + 3 * 0.5 = 3.7513 + 1.5 = 5.2513, z = 14.
    np.testing.assert_allclose(vol.index_to_patient([7, 3, 4]), [2.0, 5.2512887, 14.0], atol=1e-6)
    # The affine is exact too (regular, only sheared), and the planes are 2 mm apart.
    assert vol.is_regular
    np.testing.assert_allclose(vol.affine @ [7, 3, 4, 1], [2.0, 5.2512887, 14.0, 1], atol=1e-6)
    assert vol.spacing_mm[0] == pytest.approx(2.0)
    np.testing.assert_allclose(vol.patient_to_index([2.0, 5.2512887, 14.0]), [7, 3, 4], atol=1e-6)


def test_irregular_spacing_uses_true_slice_positions():
    z = [0.0, 3.0, 6.5, 9.0, 12.2]
    vol = make_volume([(0.0, 0.0, v) for v in z])
    assert not vol.is_regular
    for k, v in enumerate(z):
        np.testing.assert_allclose(vol.index_to_patient([k, 0, 0]), [0, 0, v], atol=1e-12)
        assert vol.patient_to_index([0.0, 0.0, v])[0] == pytest.approx(k, abs=1e-12)
    # Half way between slices 2 (6.5 mm) and 3 (9.0 mm) is 7.75 mm.
    np.testing.assert_allclose(vol.index_to_patient([2.5, 0, 0]), [0, 0, 7.75], atol=1e-12)
    assert vol.patient_to_index([0, 0, 7.75])[0] == pytest.approx(2.5)
    # Beyond the last slice the last step (3.2 mm) is used: 12.2 + 3.2 -> index 5.
    assert vol.patient_to_index([0, 0, 15.4])[0] == pytest.approx(5.0)
    # Below the first slice the first step (3 mm): -3 mm -> index -1.
    assert vol.patient_to_index([0, 0, -3.0])[0] == pytest.approx(-1.0)


def test_value_at_finds_marked_voxel_and_none_outside():
    voxels = np.zeros((6, 20, 30), dtype=np.int16)
    voxels[3, 10, 20] = 777
    vol = make_volume([(-100.0, -120.0, 20.0 + 2.5 * k) for k in range(6)], spacing=(0.7, 0.9),
                      voxels=voxels)
    assert vol.value_at(np.array([-82.0, -113.0, 27.5])) == 777
    # 0.3 mm off in x (less than half a 0.9 mm pixel) is still that voxel
    assert vol.value_at(np.array([-81.7, -113.0, 27.5])) == 777
    assert vol.value_at(np.array([-82.0, -113.0, 27.5 + 2.5])) == 0
    assert vol.value_at(np.array([-82.0, -113.0, 20.0 - 2.5])) is None  # below the first slice
    assert vol.value_at(np.array([-200.0, -113.0, 27.5])) is None


def test_corners_are_the_extreme_voxel_centres():
    vol = axial_volume()
    corners = vol.corners_mm()
    # x from -100 to -100 + 29 * 0.9 = -73.9; y from -120 to -120 + 19 * 0.7 = -106.7;
    # z from 20 to 20 + 5 * 2.5 = 32.5
    np.testing.assert_allclose(corners.min(axis=0), [-100.0, -120.0, 20.0], atol=1e-9)
    np.testing.assert_allclose(corners.max(axis=0), [-73.9, -106.7, 32.5], atol=1e-9)


def test_single_slice_maps_off_plane_points_off_the_slice():
    # One 3 mm thick slice at z = 10: a point 6 mm above it is two slice steps away,
    # so it must not be reported as inside the slice.
    vol = make_volume([(0.0, 0.0, 10.0)], thickness=3.0)
    np.testing.assert_allclose(vol.patient_to_index([1.0, 2.0, 16.0]), [2.0, 2.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(vol.index_to_patient([2.0, 2.0, 1.0]), [1.0, 2.0, 16.0], atol=1e-12)
    assert vol.value_at(np.array([1.0, 2.0, 16.0])) is None
    assert vol.value_at(np.array([1.0, 2.0, 10.0])) == 0


def test_voxels_are_read_only():
    vol = axial_volume()
    with pytest.raises(ValueError, match="read-only"):
        vol.voxels[0, 0, 0] = 1


def test_constructor_names_the_mismatch():
    with pytest.raises(ValueError, match="3 rows for 2 slices"):
        make_volume([(0, 0, 0), (0, 0, 1), (0, 0, 2)], voxels=np.zeros((2, 4, 4), np.int16))
    with pytest.raises(ValueError, match="has no length"):
        make_volume([(0, 0, 0)], row_dir=(0, 0, 0))


def test_a_series_title_names_the_modality_once():
    assert SeriesInfo("1", modality=Modality.CT, description="CT 3.0 mm soft tissue").title == "CT 3.0 mm soft tissue"
    assert SeriesInfo("1", modality=Modality.CT, description="Thorax").title == "CT Thorax"
    assert SeriesInfo("1", modality=Modality.PT, description="").title == "PT"
    assert SeriesInfo("1", modality=Modality.CT, description="ct").title == "ct"

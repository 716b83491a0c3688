"""Measurements against analytic shapes at several voxel spacings."""

import numpy as np
import pytest

from core.lesions import Lesion, LesionMask
from core.measure import measure_lesion, surface_distance_mm
from tests.core.grids import ellipsoid, make_grid

SPACINGS = [(1.0, 1.0, 1.0), (3.0, 0.8, 0.8), (2.5, 1.5, 1.0), (2.0, 0.7, 1.2)]


def lesion_from(mask, grid, lesion_id="L1"):
    return Lesion(lesion_id, lesion_id, mask=LesionMask.from_full(mask, grid.info.series_uid))


@pytest.mark.parametrize("spacing", SPACINGS)
def test_sphere_diameters_within_one_voxel_and_volume_within_5_percent(spacing):
    grid = make_grid(tuple(int(70 / s) for s in spacing), spacing)
    centre, radius = (35.3, 34.6, 35.1), 10.0
    m = measure_lesion(lesion_from(ellipsoid(grid, centre, (radius,) * 3), grid), grid)
    voxel = max(spacing[1:])
    assert m.volume_cc == pytest.approx(4 / 3 * np.pi * radius**3 / 1000, rel=0.05)
    assert abs(m.longest_axial_diameter_mm - 2 * radius) <= voxel
    assert abs(m.short_axis_mm - 2 * radius) <= voxel
    assert abs(m.longest_3d_diameter_mm - 2 * radius) <= max(spacing)
    assert np.allclose(m.centroid_mm, centre, atol=0.5 * max(spacing))


@pytest.mark.parametrize("spacing", SPACINGS)
def test_ellipsoid_long_and_short_axis(spacing):
    grid = make_grid(tuple(int(80 / s) for s in spacing), spacing)
    a, b, c = 14.0, 8.0, 10.0  # semi-axes along x, y, z
    m = measure_lesion(lesion_from(ellipsoid(grid, (40.2, 39.7, 40.1), (a, b, c)), grid), grid)
    voxel = max(spacing[1:])
    assert m.volume_cc == pytest.approx(4 / 3 * np.pi * a * b * c / 1000, rel=0.05)
    assert abs(m.longest_axial_diameter_mm - 2 * a) <= voxel
    assert abs(m.short_axis_mm - 2 * b) <= voxel
    assert abs(m.longest_3d_diameter_mm - 2 * a) <= max(spacing)
    # the long axis lies along x: its endpoints differ in x by about the diameter
    p, q = np.array(m.axial_diameter_endpoints_mm)
    assert abs(abs(p[0] - q[0]) - 2 * a) <= 2 * voxel


def test_irregular_slice_spacing_uses_true_positions():
    # slices every 2 mm, but every other gap is 4 mm: the volume must follow the true positions
    zs = np.cumsum([0] + [2.0, 4.0] * 20)[:40]
    grid = make_grid((40, 60, 60), (3.0, 1.0, 1.0), z_positions=list(zs))
    centre = (30.0, 30.0, float(zs[20]))
    m = measure_lesion(lesion_from(ellipsoid(grid, centre, (12.0, 12.0, 12.0)), grid), grid)
    assert m.volume_cc == pytest.approx(4 / 3 * np.pi * 12**3 / 1000, rel=0.07)
    assert abs(m.longest_3d_diameter_mm - 24.0) <= 4.0


def test_hu_statistics_use_the_ct_under_the_mask():
    grid = make_grid((20, 40, 40), (2.0, 1.0, 1.0))
    mask = ellipsoid(grid, (20, 20, 20), (6, 6, 6))
    voxels = np.where(mask, 50, -100).astype(np.int16)
    voxels[10, 20, 20] = 120
    ct = make_grid((20, 40, 40), (2.0, 1.0, 1.0), voxels=voxels)
    m = measure_lesion(lesion_from(mask, ct), ct, ct=ct)
    assert m.hu_max == 120
    assert 50 < m.hu_mean < 51


def test_suv_on_a_coarser_pet_grid():
    ct = make_grid((40, 100, 100), (2.0, 1.0, 1.0))
    mask = ellipsoid(ct, (50, 50, 40), (10, 10, 10))
    pet_grid = make_grid((20, 25, 25), (4.0, 4.0, 4.0), voxels=np.zeros((20, 25, 25), np.float32),
                         uid="1.2.3.4", unit="SUVbw")
    inside = ellipsoid(pet_grid, (50, 50, 40), (10, 10, 10))
    suv = np.where(inside, 8.0, 1.0).astype(np.float32)
    x, y, z = np.indices(suv.shape)
    suv[inside] += 0.01 * x[inside]  # a gradient, so max differs from mean
    pet = make_grid((20, 25, 25), (4.0, 4.0, 4.0), voxels=suv, uid="1.2.3.4", unit="SUVbw")
    m = measure_lesion(lesion_from(mask, ct), ct, ct=ct, pet=pet)
    assert m.suv_max == pytest.approx(float(suv[inside].max()), rel=1e-5)
    assert 7.9 < m.suv_mean < m.suv_max
    # SUVpeak is a 1 cm3 mean: at most SUVmax, above the background
    assert 1.0 < m.suv_peak <= m.suv_max


def test_point_only_lesion_has_a_centroid_and_no_size():
    ct = make_grid((10, 20, 20), (2.0, 1.0, 1.0))
    m = measure_lesion(Lesion("L1", "marker", point_mm=(5.0, 5.0, 4.0)), None, ct=ct)
    assert m.centroid_mm == (5.0, 5.0, 4.0)
    assert m.volume_cc is None and m.longest_axial_diameter_mm is None
    assert m.hu_mean == 0


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), (2.5, 0.8, 0.8), (3.0, 1.2, 1.0)])
def test_surface_to_surface_distance_between_spheres(spacing):
    grid = make_grid(tuple(int(90 / s) for s in spacing), spacing)
    a = lesion_from(ellipsoid(grid, (30, 45, 45), (8, 8, 8)), grid, "A")
    b = lesion_from(ellipsoid(grid, (60, 45, 45), (6, 6, 6)), grid, "B")
    # centres 30 mm apart, radii 8 and 6: 16 mm between surfaces
    assert surface_distance_mm(a, grid, b, grid) == pytest.approx(16.0, abs=max(spacing))
    c = lesion_from(ellipsoid(grid, (40, 45, 45), (6, 6, 6)), grid, "C")  # overlaps A
    assert surface_distance_mm(a, grid, c, grid) == 0.0
    marker = Lesion("P", "point", point_mm=(30.0, 45.0, 65.0))  # 20 mm above A's centre
    assert surface_distance_mm(a, grid, marker, None) == pytest.approx(12.0, abs=max(spacing))

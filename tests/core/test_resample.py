"""core.resample: PET-like volumes sampled on CT-like grids by patient position."""

from __future__ import annotations

import numpy as np
import pytest

from core.resample import (
    PlaneResampler,
    plane_points_mm,
    plane_shape,
    resample_plane,
    resample_points,
)
from core.volume import Modality, SeriesInfo, Volume

SPHERE_CENTRE_MM = np.array([12.0, -20.0, 35.0])  # LPS x, y, z
SPHERE_RADIUS_MM = 10.0


def make_volume(
    shape_zyx,
    spacing_zyx,
    origin_xyz,
    *,
    modality=Modality.CT,
    row_dir=(1, 0, 0),
    col_dir=(0, 1, 0),
    z_positions=None,
    shear_xyz=(0.0, 0.0, 0.0),
    fill=None,
    dtype=np.float32,
):
    """A volume whose voxel value is given by ``fill(xyz_mm)`` at each voxel centre."""
    nz, ny, nx = shape_zyx
    dz, dy, dx = spacing_zyx
    row_dir = np.asarray(row_dir, float)
    col_dir = np.asarray(col_dir, float)
    normal = np.cross(row_dir, col_dir)
    if z_positions is None:
        z_positions = np.arange(nz) * dz
    positions = np.array(
        [np.asarray(origin_xyz) + z * normal + k * np.asarray(shear_xyz) for k, z in enumerate(z_positions)]
    )
    voxels = np.zeros(shape_zyx, dtype=dtype)
    vol = Volume(
        voxels=voxels,
        positions_mm=positions,
        row_dir=row_dir,
        col_dir=col_dir,
        pixel_spacing_mm=(dy, dx),
        info=SeriesInfo(series_uid="1.2.3", modality=modality),
    )
    if fill is not None:
        zz, yy, xx = np.meshgrid(*(np.arange(n) for n in shape_zyx), indexing="ij")
        xyz = vol.index_to_patient(np.stack([zz, yy, xx], -1))
        data = fill(xyz).astype(dtype)
        vol = Volume(
            voxels=data,
            positions_mm=positions,
            row_dir=row_dir,
            col_dir=col_dir,
            pixel_spacing_mm=(dy, dx),
            info=vol.info,
        )
    return vol


def hot_sphere(xyz):
    d = np.linalg.norm(xyz - SPHERE_CENTRE_MM, axis=-1)
    return np.where(d <= SPHERE_RADIUS_MM, 8.0, 1.0)


def linear_field(xyz):
    return 0.5 * xyz[..., 0] - 0.25 * xyz[..., 1] + 0.75 * xyz[..., 2] + 100.0


@pytest.fixture
def pet():
    # 4 mm isotropic PET, origin not aligned with the CT grid.
    return make_volume((30, 40, 40), (4.0, 4.0, 4.0), (-70.0, -90.0, -11.0),
                       modality=Modality.PT, fill=hot_sphere)


@pytest.fixture
def ct():
    # 1.25 mm slices, 0.9 mm pixels, another origin.
    return make_volume((80, 150, 160), (1.25, 0.9, 0.9), (-60.3, -80.7, -5.2), dtype=np.int16)


def test_hot_sphere_lands_at_its_mm_position_on_the_ct_grid(pet, ct):
    centre_idx = ct.patient_to_index(SPHERE_CENTRE_MM)
    k = int(round(centre_idx[0]))
    plane = resample_plane(pet, ct, axis=0, index=k)
    assert plane.shape == (150, 160)
    assert plane.dtype == np.float32

    hot = plane > 4.0
    assert hot.any()
    rows, cols = np.nonzero(hot)
    # Centroid of the hot region, converted back to mm through the CT grid.
    centroid_idx = np.array([k, rows.mean(), cols.mean()])
    centroid_mm = ct.index_to_patient(centroid_idx)
    assert np.allclose(centroid_mm[:2], SPHERE_CENTRE_MM[:2], atol=1.5)
    # Its radius in this plane is close to the sphere's radius (10 mm).
    dz = ct.index_to_patient(np.array([k, 0, 0]))[2] - SPHERE_CENTRE_MM[2]
    expected_r = np.sqrt(SPHERE_RADIUS_MM**2 - dz**2)
    area_mm2 = hot.sum() * 0.9 * 0.9
    assert np.sqrt(area_mm2 / np.pi) == pytest.approx(expected_r, abs=2.0)
    # Far from the sphere: background 1.0; the CT corner is outside the PET: NaN.
    far = ct.patient_to_index(SPHERE_CENTRE_MM + [40.0, 0, 0])
    assert plane[int(round(far[1])), int(round(far[2]))] == pytest.approx(1.0)


def test_outside_the_moving_volume_is_nan(pet, ct):
    # CT x extends to -60.3 + 159*0.9 = 82.8 mm; PET to -70 + 39*4 = 86: inside.
    # CT's last slice at z = -5.2 + 79*1.25 = 93.55; PET z ends at 105: inside.
    # CT's first rows: y = -80.7 > -90: inside. Move the CT so part falls outside.
    shifted = make_volume((10, 20, 20), (1.0, 1.0, 1.0), (80.0, 0.0, 0.0), dtype=np.int16)
    plane = resample_plane(pet, shifted, axis=0, index=0)
    assert np.isnan(plane[:, -1]).all()  # x = 99 mm, beyond the PET's 86 mm
    assert np.isfinite(plane[:, 0]).all()  # x = 80 mm, inside


def test_every_axis_and_the_general_path_agree_with_point_sampling(pet, ct):
    for axis in (0, 1, 2):
        index = ct.shape[axis] // 2
        plane = resample_plane(pet, ct, axis, index)
        assert plane.shape == plane_shape(ct, axis)
        expected = resample_points(pet, plane_points_mm(ct, axis, index))
        np.testing.assert_allclose(plane, expected, atol=1e-4, equal_nan=True)


def test_trilinear_reproduces_a_linear_field_exactly():
    moving = make_volume((20, 30, 30), (3.0, 2.0, 2.0), (-30.0, -30.0, -30.0), fill=linear_field)
    fixed = make_volume((15, 25, 25), (1.7, 1.3, 1.1), (-10.3, -12.1, -8.9))
    for axis in (0, 1, 2):
        plane = resample_plane(moving, fixed, axis, 5)
        truth = linear_field(plane_points_mm(fixed, axis, 5))
        np.testing.assert_allclose(plane, truth, rtol=1e-5)


def test_irregular_slice_spacing_of_the_moving_volume_is_honoured():
    z = np.array([0.0, 2.0, 4.0, 9.0, 11.0, 13.0, 20.0, 22.0, 24.0, 26.0])
    moving = make_volume((10, 20, 20), (2.0, 2.0, 2.0), (-20.0, -20.0, 0.0), z_positions=z,
                         fill=linear_field)
    assert not moving.is_regular
    fixed = make_volume((20, 15, 15), (1.0, 1.5, 1.5), (-10.0, -10.0, 1.0))
    plane = resample_plane(moving, fixed, axis=1, index=7)
    truth = linear_field(plane_points_mm(fixed, 1, 7))
    np.testing.assert_allclose(plane, truth, rtol=1e-5)


def test_gantry_tilt_of_the_moving_volume_is_honoured():
    # Each slice origin shifted 0.5 mm in y per slice: a tilted acquisition.
    moving = make_volume((20, 30, 30), (2.0, 2.0, 2.0), (-30.0, -30.0, 0.0),
                         shear_xyz=(0.0, 0.5, 0.0), fill=linear_field)
    fixed = make_volume((12, 12, 12), (1.5, 1.5, 1.5), (-10.0, -10.0, 5.0))
    for axis in (0, 2):
        plane = resample_plane(moving, fixed, axis, 4)
        truth = linear_field(plane_points_mm(fixed, axis, 4))
        np.testing.assert_allclose(plane, truth, rtol=1e-5)


def test_oblique_fixed_grid():
    c, s = np.cos(np.radians(30)), np.sin(np.radians(30))
    fixed = make_volume((10, 16, 16), (2.0, 1.5, 1.5), (-5.0, -8.0, 10.0),
                        row_dir=(c, s, 0), col_dir=(0, 0, -1))
    moving = make_volume((20, 30, 30), (3.0, 2.0, 2.0), (-30.0, -30.0, -30.0), fill=linear_field)
    plane = resample_plane(moving, fixed, 0, 3)
    truth = linear_field(plane_points_mm(fixed, 0, 3))
    np.testing.assert_allclose(plane, truth, rtol=1e-5)


def test_integer_moving_voxels_use_zero_outside():
    moving = make_volume((4, 4, 4), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), dtype=np.int16)
    fixed = make_volume((2, 3, 3), (1.0, 1.0, 1.0), (10.0, 10.0, 10.0))
    plane = resample_plane(moving, fixed, 0, 0)
    assert np.all(plane == 0)


def test_bad_axis_and_index_name_the_argument(pet, ct):
    with pytest.raises(ValueError, match="axis must be 0"):
        resample_plane(pet, ct, 3, 0)
    with pytest.raises(ValueError, match="index 80 is outside"):
        resample_plane(pet, ct, 0, 80)
    with pytest.raises(ValueError, match=r"points_mm must have shape \(\.\.\., 3\)"):
        resample_points(pet, np.zeros((4, 2)))


def test_plane_resampler_caches_the_last_planes(pet, ct, monkeypatch):
    import core.resample as mod

    calls = []
    real = mod.resample_plane

    def counting(*args, **kwargs):
        calls.append(args[2:4])
        return real(*args, **kwargs)

    monkeypatch.setattr(mod, "resample_plane", counting)
    sampler = PlaneResampler(pet, ct, cache_size=2)
    a = sampler.plane(0, 10)
    b = sampler.plane(0, 10)
    assert a is b and len(calls) == 1
    assert not a.flags.writeable
    sampler.plane(1, 5)
    sampler.plane(2, 5)  # evicts (0, 10)
    assert len(sampler) == 2
    sampler.plane(0, 10)
    assert len(calls) == 4
    with pytest.raises(ValueError, match="cache_size must be at least 1"):
        PlaneResampler(pet, ct, cache_size=0)

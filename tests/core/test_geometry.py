"""Slice geometry: sorting along the normal, tilt, gaps, irregular spacing, duplicates.

Part one feeds positions to core.dicom.geometry.analyse_stack; part two writes
synthetic series (tests/core/dicom_factory.py) and loads them as a user would,
checking that every voxel sits at the millimetre position written in its file.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.dicom import load_series, scan_folder
from core.dicom.geometry import analyse_stack
from tests.core import dicom_factory as factory

AXIAL = factory.AXIAL


def z_stack(z):
    return np.array([(0.0, 0.0, v) for v in z])


# ------------------------------------------------------------ analyse_stack
def test_regular_stack_has_no_warnings():
    geometry = analyse_stack(z_stack(np.arange(10) * 2.0), AXIAL, 2.0)
    assert geometry.warnings == ()
    assert geometry.median_step_mm == pytest.approx(2.0)


def test_sorts_along_the_normal_not_by_z():
    # Coronal slices (rows along x, columns down in z): the normal is (0, 1, 0),
    # so the stack goes along y; every slice has the same z.
    coronal = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)
    y = [12.0, 3.0, 9.0, 0.0, 6.0]
    geometry = analyse_stack(np.array([(0.0, v, 50.0) for v in y]), coronal)
    assert [y[i] for i in geometry.order] == [0.0, 3.0, 6.0, 9.0, 12.0]
    assert geometry.warnings == ()


@pytest.mark.parametrize(
    "gap_mm, warned",
    [(2.0 * 1.4, False), (2.0 * 1.5, False), (2.0 * 1.6, True)],
    ids=["1.4 steps", "1.5 steps (limit)", "1.6 steps"],
)
def test_gap_warning_boundary(gap_mm, warned):
    z = [0.0, 2.0, 4.0, 4.0 + gap_mm, 6.0 + gap_mm, 8.0 + gap_mm]
    geometry = analyse_stack(z_stack(z), AXIAL)
    assert any("missing slices" in w for w in geometry.warnings) is warned


def test_gap_warning_counts_missing_slices():
    # 2 mm steps with slices at 6 and 8 mm missing: one 6 mm step, about 2 slices absent.
    geometry = analyse_stack(z_stack([0, 2, 4, 10, 12, 14]), AXIAL)
    (warning,) = [w for w in geometry.warnings if "missing" in w]
    assert "1 gap(s), about 2 slice(s) absent" in warning
    assert "after slice 3" in warning


@pytest.mark.parametrize(
    "jitter_mm, warned", [(0.01, False), (0.05, True)], ids=["0.5% of step", "2.5% of step"]
)
def test_irregular_spacing_boundary(jitter_mm, warned):
    z = [0.0, 2.0, 4.0 + jitter_mm, 6.0, 8.0]
    geometry = analyse_stack(z_stack(z), AXIAL)
    assert any("irregular slice spacing" in w for w in geometry.warnings) is warned


@pytest.mark.parametrize(
    "degrees, warned", [(0.0, False), (0.03, False), (0.2, True), (20.0, True)]
)
def test_tilt_warning_boundary_and_angle(degrees, warned):
    tan = math.tan(math.radians(degrees))
    positions = [(0.0, tan * 5.0 * k, 5.0 * k) for k in range(10)]
    geometry = analyse_stack(np.array(positions), AXIAL)
    assert geometry.tilt_degrees == pytest.approx(degrees, abs=1e-4)
    assert any(f"gantry tilt of {degrees:.1f} degrees" in w for w in geometry.warnings) is warned


@pytest.mark.parametrize(
    "thickness, warned", [(5.0, False), (4.8, False), (4.0, True)], ids=["equal", "within 5%", "4 vs 5"]
)
def test_spacing_versus_thickness_boundary(thickness, warned):
    geometry = analyse_stack(z_stack(np.arange(6) * 5.0), AXIAL, thickness)
    assert any("differs from slice thickness" in w for w in geometry.warnings) is warned


def test_duplicates_are_counted_and_left_out():
    geometry = analyse_stack(z_stack([0, 2, 2, 4, 4, 4, 6]), AXIAL)
    assert len(geometry.kept) == 4
    assert "3 slice(s) at duplicate positions were left out" in geometry.warnings[0]


# ------------------------------------------------------ through DICOM files
def marker_stack(n, rows=12, columns=16):
    """Slice k holds 100 * k everywhere except a 1000 + k marker at (row 2 + k % 5, column 3)."""
    stored = np.repeat((100 * np.arange(n, dtype=np.int16))[:, None, None], rows, 1)
    stored = np.repeat(stored, columns, 2)
    for k in range(n):
        stored[k, 2 + k % 5, 3] = 1000 + k
    return stored


def load_only_series(folder):
    result = scan_folder(folder)
    assert len(result.series) == 1, [s.reason for s in result.skipped]
    return load_series(result.series[0])


def test_shuffled_files_and_instance_numbers_load_sorted_by_position(tmp_path):
    n = 9
    z = -40.0 + 2.5 * np.arange(n)
    # stored value of slice k encodes its z position: (z + 100) * 10
    stored = np.repeat(((z + 100) * 10).astype(np.int16)[:, None, None], 8, 1).repeat(8, 2)
    rng = np.random.default_rng(7)
    names = [f"IMG{v:04d}.dcm" for v in rng.permutation(n)]
    instance_numbers = list(rng.permutation(n) + 1)  # unrelated to position
    factory.write_series(tmp_path, stored, z_stack(z), file_names=names,
                         instance_numbers=instance_numbers, modality="MR")
    vol = load_only_series(tmp_path)
    np.testing.assert_allclose(vol.positions_mm[:, 2], z)
    # each slice's values say where it was written: (z + 100) * 10
    np.testing.assert_array_equal(vol.voxels[:, 4, 4], ((z + 100) * 10).astype(np.int16))


def test_descending_table_positions_still_ascend_along_the_normal(tmp_path):
    # Feet-first style: files numbered from the top down.
    z = 50.0 - 3.0 * np.arange(6)
    stored = marker_stack(6)
    factory.write_series(tmp_path, stored, z_stack(z), instance_numbers=list(range(1, 7)))
    vol = load_only_series(tmp_path)
    np.testing.assert_allclose(vol.positions_mm[:, 2], np.sort(z))
    # the slice written last (lowest z, value 500) is now first
    assert vol.voxels[0, 0, 0] == 500


@pytest.mark.parametrize("kind", ["sheared positions", "tilted orientation"])
def test_gantry_tilt_warns_with_angle_and_places_every_voxel(tmp_path, kind):
    n, rows, columns, dz = 7, 12, 16, 3.0
    spacing = (0.8, 0.6)  # row spacing (y step), column spacing (x step)
    tilt = math.radians(12.0)
    origin = np.array([-30.0, -40.0, 100.0])
    if kind == "sheared positions":
        # axial planes, each slice shifted tan(tilt) * z in +y
        orientation = AXIAL
        positions = np.array([origin + [0.0, math.tan(tilt) * dz * k, dz * k] for k in range(n)])
    else:
        # the real scanner case: planes tilted about x, table steps straight along z
        orientation = (1.0, 0.0, 0.0, 0.0, math.cos(tilt), math.sin(tilt))
        positions = np.array([origin + [0.0, 0.0, dz * k] for k in range(n)])
    stored = marker_stack(n, rows, columns)
    factory.write_series(tmp_path, stored, positions, orientation=orientation,
                         pixel_spacing=spacing)
    vol = load_only_series(tmp_path)
    assert any("gantry tilt of 12.0 degrees" in w for w in vol.warnings), vol.warnings

    row_dir = np.array(orientation[:3])
    col_dir = np.array(orientation[3:6])
    k, j, i = np.meshgrid(np.arange(n), np.arange(rows), np.arange(columns), indexing="ij")
    truth = (positions[k] + j[..., None] * spacing[0] * col_dir + i[..., None] * spacing[1] * row_dir)
    zyx = np.stack([k, j, i], axis=-1)
    np.testing.assert_allclose(vol.index_to_patient(zyx), truth, atol=1e-6)
    np.testing.assert_allclose(vol.patient_to_index(truth), zyx, atol=1e-6)
    # the marker of slice 4 (at row 2 + 4, column 3) is found at its mm position
    assert vol.value_at(positions[4] + 6 * 0.8 * col_dir + 3 * 0.6 * row_dir) == 1004


def test_irregular_spacing_warns_and_keeps_exact_positions(tmp_path):
    z = np.array([0.0, 3.27, 6.50, 9.79, 13.02, 16.29])
    factory.write_series(tmp_path, marker_stack(len(z)), z_stack(z), modality="PT")
    vol = load_only_series(tmp_path)
    assert any("irregular slice spacing" in w for w in vol.warnings), vol.warnings
    np.testing.assert_allclose(vol.positions_mm[:, 2], z, atol=1e-9)
    for k, v in enumerate(z):
        assert vol.patient_to_index([0.0, 0.0, v])[0] == pytest.approx(k, abs=1e-9)
        assert vol.value_at(np.array([3.0, 2.0 + k % 5, v])) == 1000 + k


def test_missing_slices_warn_with_count_and_distances_stay_exact(tmp_path):
    z = np.array([0.0, 2.0, 4.0, 12.0, 14.0])  # 6, 8, 10 missing
    factory.write_series(tmp_path, marker_stack(len(z)), z_stack(z), modality="CT")
    vol = load_only_series(tmp_path)
    assert any("about 3 slice(s) absent" in w for w in vol.warnings), vol.warnings
    # slice 3 sits at 12 mm, not at 3 * mean step
    np.testing.assert_allclose(vol.index_to_patient([3, 0, 0]), [0.0, 0.0, 12.0])
    assert vol.value_at(np.array([3.0, 2.0 + 3, 12.0])) == 1003


def test_duplicate_positions_warn_and_keep_one_slice_each(tmp_path):
    z = np.array([0.0, 2.0, 2.0, 4.0, 6.0, 6.0, 8.0])
    factory.write_series(tmp_path, marker_stack(len(z)), z_stack(z), modality="CT")
    vol = load_only_series(tmp_path)
    assert vol.shape[0] == 5
    assert any("2 slice(s) at duplicate positions were left out" in w for w in vol.warnings)
    np.testing.assert_allclose(vol.positions_mm[:, 2], [0.0, 2.0, 4.0, 6.0, 8.0])


def test_synthetic_oblique_non_square_stack_places_marker(tmp_path):
    # Rows along (cos 20, sin 20, 0), columns along (0, 0, -1); normal = (-sin 20, cos 20, 0).
    a = math.radians(20.0)
    row_dir = np.array([math.cos(a), math.sin(a), 0.0])
    col_dir = np.array([0.0, 0.0, -1.0])
    normal = np.array([-math.sin(a), math.cos(a), 0.0])
    origin = np.array([5.0, -7.0, 40.0])
    positions = np.array([origin + 4.5 * k * normal for k in (3, 0, 2, 1)])  # written unsorted
    stored = marker_stack(4, rows=10, columns=20)
    factory.write_series(tmp_path, stored, positions, orientation=(*row_dir, *col_dir),
                         pixel_spacing=(3.5, 2.5), modality="CT")
    vol = load_only_series(tmp_path)
    assert vol.warnings == ()
    assert vol.spacing_mm == pytest.approx((4.5, 3.5, 2.5))
    # Slice written first lies 3 steps out, so it is slice 3 after sorting; its marker
    # is at row 2, column 3: origin + 3 * 4.5 * normal + 2 * 3.5 * col + 3 * 2.5 * row
    #   = (5, -7, 40) + (-4.6172, 12.6858, 0) + (0, 0, -7) + (7.0477, 2.5652, 0)
    #   = (7.4305, 8.2510, 33.0)
    point = np.array([7.4305, 8.2510, 33.0])
    np.testing.assert_allclose(vol.index_to_patient([3, 2, 3]), point, atol=1e-3)
    assert vol.value_at(point) == 1000  # written as stored[0]

"""Click-to-segment on synthetic CT and PET with known lesions."""

import numpy as np
import pytest
from scipy import ndimage

from core.errors import SegmentationError
from core.lesions import Lesion, LesionMask
from core.measure import measure_lesion
from core.segment import PetMethod, SegmentParams, segment_at
from core.volume import Modality
from tests.core.grids import make_grid, patient_coords


def sphere_fraction(grid, centre, radius, supersample=3):
    """Fraction of each voxel inside the sphere (partial volume), by supersampling."""
    x, y, z = patient_coords(grid)
    dz, dy, dx = grid.spacing_mm
    frac = np.zeros(grid.shape, np.float32)
    offs = (np.arange(supersample) + 0.5) / supersample - 0.5
    for oz in offs:
        for oy in offs:
            for ox in offs:
                d2 = (x + ox * dx - centre[0]) ** 2 + (y + oy * dy - centre[1]) ** 2 + (z + oz * dz - centre[2]) ** 2
                frac += d2 <= radius**2
    return frac / supersample**3


@pytest.fixture(scope="module")
def liver_ct():
    grid = make_grid((40, 160, 160), (2.5, 0.8, 0.8))
    x, y, z = patient_coords(grid)
    organ = ((x - 64) / 55) ** 2 + ((y - 64) / 45) ** 2 <= 1
    centre, radius = (60.3, 66.1, 50.2), 10.0
    frac = sphere_fraction(grid, centre, radius)
    rng = np.random.default_rng(0)
    hu = np.where(organ, 60.0, -100.0) * (1 - frac) + 10.0 * frac + rng.normal(0, 10, grid.shape)
    ct = make_grid(grid.shape, grid.spacing_mm, voxels=hu.astype(np.int16))
    return ct, centre, radius


def test_ct_click_gives_the_lesion_volume_and_centroid(liver_ct):
    ct, centre, radius = liver_ct
    mask = segment_at(ct, np.add(centre, (2.0, -1.5, 1.0)))  # a click off-centre
    m = measure_lesion(Lesion("L1", "x", mask=mask), ct)
    assert m.volume_cc == pytest.approx(4 / 3 * np.pi * radius**3 / 1000, rel=0.10)
    assert np.linalg.norm(np.subtract(m.centroid_mm, centre)) < 2.0
    assert mask.series_uid == ct.info.series_uid


def test_ct_click_where_the_lesion_touches_darker_tissue_is_stopped_by_the_guard(liver_ct):
    ct, _, _ = liver_ct
    with pytest.raises(SegmentationError, match="leaks into neighbouring tissue"):
        segment_at(ct, (122.0, 8.0, 50.0))  # fat outside the organ: one huge region


def test_ct_click_on_uniform_tissue_has_no_edge():
    rng = np.random.default_rng(1)
    ct = make_grid((20, 80, 80), (2.0, 1.0, 1.0), voxels=(60 + rng.normal(0, 5, (20, 80, 80))).astype(np.int16))
    with pytest.raises(SegmentationError):
        segment_at(ct, (40.0, 40.0, 20.0))


def test_seed_outside_the_image_is_refused(liver_ct):
    ct, _, _ = liver_ct
    with pytest.raises(SegmentationError, match=r"seed \(0.0, 0.0, 500.0\) mm is outside the image"):
        segment_at(ct, (0.0, 0.0, 500.0))


def hot_sphere_pet():
    grid = make_grid((40, 64, 64), (3.0, 3.0, 3.0), modality=Modality.PT, unit="SUVbw",
                     voxels=np.zeros((40, 64, 64), np.float32))
    centre, radius = (96.0, 90.0, 60.0), 12.0
    suv = 1.0 + 9.0 * sphere_fraction(grid, centre, radius)  # background SUV 1, lesion 10
    suv[5, 5, 5] = 6.0  # a separate hot voxel far away must not join
    pet = make_grid(grid.shape, grid.spacing_mm, voxels=suv.astype(np.float32), modality=Modality.PT,
                    unit="SUVbw")
    return pet, suv, centre, radius


def test_pet_fixed_mode_uses_40_percent_of_the_uptake_above_background():
    pet, suv, centre, radius = hot_sphere_pet()
    fixed = SegmentParams(pet_method=PetMethod.FIXED)
    mask = segment_at(pet, np.add(centre, (3.0, 0.0, -2.0)), fixed)  # off-centre click: peak is searched
    m = measure_lesion(Lesion("L1", "x", mask=mask), pet, pet=pet)
    assert m.suv_max == pytest.approx(10.0, rel=0.01)
    expected = suv >= 1.0 + 0.4 * (suv.max() - 1.0)
    expected[5, 5, 5] = False
    assert np.array_equal(mask.full(), expected)
    assert m.volume_cc == pytest.approx(4 / 3 * np.pi * radius**3 / 1000, rel=0.15)
    assert np.linalg.norm(np.subtract(m.centroid_mm, centre)) < 2.0


def test_pet_plain_40_percent_of_suvmax_when_asked():
    pet, suv, centre, _ = hot_sphere_pet()
    mask = segment_at(pet, centre, SegmentParams(pet_method=PetMethod.FIXED, pet_background_corrected=False))
    expected = suv >= 0.4 * suv.max()
    expected[5, 5, 5] = False
    assert np.array_equal(mask.full(), expected)


def test_pet_contour_on_the_ct_grid_is_finer():
    pet, _, centre, radius = hot_sphere_pet()
    ct = make_grid((90, 128, 128), (1.5, 1.5, 1.5), uid="1.2.9")
    mask = segment_at(pet, centre, grid=ct)
    assert mask.series_uid == "1.2.9" and mask.grid_shape == ct.shape
    m = measure_lesion(Lesion("L1", "x", mask=mask), ct, pet=pet)
    assert m.volume_cc == pytest.approx(4 / 3 * np.pi * radius**3 / 1000, rel=0.15)
    assert np.linalg.norm(np.subtract(m.centroid_mm, centre)) < 1.5


def test_pet_click_on_background_is_refused():
    pet = make_grid((20, 32, 32), (3.0, 3.0, 3.0), modality=Modality.PT, unit="SUVbw",
                    voxels=np.ones((20, 32, 32), np.float32))
    with pytest.raises(SegmentationError, match="no hot lesion"):
        segment_at(pet, (48.0, 48.0, 30.0))


def test_segmentation_fills_holes(liver_ct):
    ct, centre, _ = liver_ct
    mask = segment_at(ct, centre)
    assert np.array_equal(ndimage.binary_fill_holes(mask.array), mask.array)


def test_a_blob_hanging_on_a_one_pixel_bridge_is_dropped_and_small_caps_kept():
    from core.segment import _Roi, _tidy

    grid = make_grid((9, 40, 40), (2.0, 1.0, 1.0))
    x, y, z = patient_coords(grid)
    region = (x - 15) ** 2 + (y - 20) ** 2 + ((z - 8) * 1.0) ** 2 <= 7.5**2  # caps of 1-3 pixels at z = 0, 16
    region[4, 20, 23:27] = True  # a one-pixel spur out of the lesion ...
    region[4, 18:23, 27:32] = True  # ... into a 5 x 5 blob
    roi = _Roi(grid, np.array([4, 20, 15]), 30.0)
    tidy = _tidy(region[roi.slices], roi)
    full = np.zeros_like(region)
    full[roi.slices] = tidy
    assert not full[4, 18:23, 27:32].any()
    lesion = (x - 15) ** 2 + (y - 20) ** 2 + ((z - 8) * 1.0) ** 2 <= 7.5**2
    assert (full & lesion).sum() == lesion.sum()  # nothing of the lesion lost, caps included
    assert (full & ~lesion).sum() <= 2  # at most the spur's first two pixels


def test_edge_smoothing_removes_one_voxel_bumps_and_keeps_the_volume():
    from core.measure import longest_3d_diameter
    from core.segment import _Roi, _smooth_edge

    grid = make_grid((21, 60, 60), (2.0, 1.0, 1.0))
    x, y, z = patient_coords(grid)
    ball = (x - 30) ** 2 + (y - 30) ** 2 + (z - 20) ** 2 <= 10.0**2
    bumpy = ball.copy()
    outside = np.argwhere(ndimage.binary_dilation(ball) & ~ball)
    rng = np.random.default_rng(3)
    for k in rng.choice(len(outside), size=len(outside) // 12, replace=False):
        bumpy[tuple(outside[k])] = True  # noise takes a voxel here and there
    roi = _Roi(grid, np.array([10, 30, 30]), 30.0)
    smooth = np.zeros_like(ball)
    smooth[roi.slices] = _smooth_edge(bumpy[roi.slices], roi, 2.0)

    def diameter(region):
        return longest_3d_diameter(LesionMask.from_full(region, grid.info.series_uid), grid)

    assert smooth.sum() == pytest.approx(bumpy.sum(), rel=0.01)  # volume-preserving
    assert ndimage.binary_erosion(ball, iterations=2).sum() == (smooth & ndimage.binary_erosion(ball, iterations=2)).sum()
    assert diameter(bumpy) > diameter(ball) + 1.0  # the bumps lengthen it ...
    assert diameter(smooth) <= diameter(ball) + 0.5  # ... and are gone


def test_edge_smoothing_can_be_turned_off(liver_ct):
    ct, centre, _ = liver_ct
    smooth = segment_at(ct, centre)
    raw = segment_at(ct, centre, SegmentParams(edge_smoothing_mm=0.0))
    assert smooth != raw
    assert smooth.n_voxels == pytest.approx(raw.n_voxels, rel=0.01)

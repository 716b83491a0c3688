"""The adaptive PET click method on blurred spheres of several sizes and resolutions.

The images are made independently of the method's own model: a sphere drawn
on a 0.5 mm grid, blurred with scipy's Gaussian filter to the scanner's FWHM,
sampled at the PET voxel centres, with 5 % noise.
"""

import numpy as np
import pytest
from scipy import ndimage

from core.blurred_sphere import edge_fraction, fit_blurred_sphere, profile, sigma_from_fwhm
from core.lesions import Lesion
from core.measure import measure_lesion
from core.segment import PetMethod, SegmentParams, segment_at
from core.volume import Modality
from tests.core.grids import make_grid


def blurred_sphere_pet(diameter_mm, fwhm_mm, voxel_mm, uptake=6.0, background=1.0, noise=0.05, seed=0,
                       gradient_per_mm=0.0):
    h = 0.5
    k = int(round(voxel_mm / h))
    n = int(np.ceil((diameter_mm + 6 * fwhm_mm + 40) / voxel_mm))
    centre = np.array([0.5 * n * voxel_mm + 0.37, 0.5 * n * voxel_mm - 0.61, 0.5 * n * voxel_mm + 0.23])
    ax = np.arange(n * k) * h
    frac = np.zeros((n * k,) * 3, np.float32)
    for o in (-0.125, 0.125):
        for p in (-0.125, 0.125):
            for q in (-0.125, 0.125):
                frac += ((ax[:, None, None] + o - centre[2]) ** 2 + (ax[None, :, None] + p - centre[1]) ** 2
                         + (ax[None, None, :] + q - centre[0]) ** 2) <= (diameter_mm / 2) ** 2
    slope = gradient_per_mm * (ax[None, None, :] - centre[0])  # background rising towards +x
    image = background + slope + (uptake - background) * frac / 8
    image = ndimage.gaussian_filter(image, sigma=sigma_from_fwhm(fwhm_mm) / h)[::k, ::k, ::k]
    image *= 1 + noise * np.random.default_rng(seed).standard_normal(image.shape)
    pet = make_grid(image.shape, (voxel_mm,) * 3, voxels=image.astype(np.float32), modality=Modality.PT,
                    unit="SUVbw")
    return pet, centre


def ct_grid_for(pet):
    extent = pet.shape[0] * pet.spacing_mm[0]
    return make_grid((int(extent / 2), int(extent), int(extent)), (2.0, 1.0, 1.0), uid="1.2.826.0.1.3680043.8.498.2")


def sphere_cc(diameter_mm):
    return 4 / 3 * np.pi * (diameter_mm / 2) ** 3 / 1000


def test_profile_matches_a_numerically_blurred_sphere():
    h = 0.25
    n = 121
    c = (n - 1) / 2
    z, y, x = (np.indices((n, n, n)) - c) * h
    blurred = ndimage.gaussian_filter((x**2 + y**2 + z**2 <= 36.0).astype(float), 2.5 / h)
    for r in (0.0, 3.0, 6.0, 8.0):
        assert profile(r, 6.0, 2.5) == pytest.approx(blurred[int(c), int(c), int(c + r / h)], abs=0.005)


def test_edge_fraction_is_a_half_for_large_spheres_and_less_for_small():
    assert edge_fraction(200.0, 2.5) == pytest.approx(0.5, abs=0.01)
    assert edge_fraction(5.0, 2.5) < 0.45


def test_fit_recovers_radius_uptake_and_background_slope():
    rng = np.random.default_rng(3)
    points = rng.uniform(-15, 15, (4000, 3))
    truth = 1.0 + points @ np.array([0.02, -0.01, 0.0]) + 7.0 * profile(np.linalg.norm(points, axis=1), 6.0, 2.3)
    fit = fit_blurred_sphere(truth, points, radius0_mm=5.0, sigma_mm=2.3)
    assert fit.radius_mm == pytest.approx(6.0, abs=0.05)
    assert fit.uptake == pytest.approx(7.0, rel=0.01)
    assert fit.background == pytest.approx(1.0, abs=0.01)
    assert fit.gradient_per_mm == pytest.approx((0.02, -0.01, 0.0), abs=1e-3)


@pytest.mark.parametrize(("fwhm_mm", "voxel_mm", "diameter_mm"), [
    (5.5, 4.0, 12), (5.5, 4.0, 16), (5.5, 4.0, 32),
    (7.0, 4.0, 16), (7.0, 4.0, 24),
    (4.0, 2.0, 10), (4.0, 2.0, 20),
])
def test_pet_on_the_ct_grid_gives_volume_within_10_percent(fwhm_mm, voxel_mm, diameter_mm):
    pet, centre = blurred_sphere_pet(diameter_mm, fwhm_mm, voxel_mm)
    ct = ct_grid_for(pet)
    mask = segment_at(pet, centre + (1.5, -1.0, 2.0), SegmentParams(pet_fwhm_mm=fwhm_mm), grid=ct)
    m = measure_lesion(Lesion("L1", "x", mask=mask), ct)
    assert m.volume_cc == pytest.approx(sphere_cc(diameter_mm), rel=0.10)
    assert np.linalg.norm(np.subtract(m.centroid_mm, centre)) < 2.0


def test_pet_on_its_own_grid_gives_volume_within_10_percent():
    pet, centre = blurred_sphere_pet(20, 4.0, 2.0)
    m = measure_lesion(Lesion("L1", "x", mask=segment_at(pet, centre, SegmentParams(pet_fwhm_mm=4.0))), pet)
    assert m.volume_cc == pytest.approx(sphere_cc(20), rel=0.10)


def test_the_fixed_40_percent_overestimates_a_small_sphere_where_the_adaptive_does_not():
    pet, centre = blurred_sphere_pet(12, 5.5, 4.0)
    ct = ct_grid_for(pet)
    fixed = SegmentParams(pet_method=PetMethod.FIXED)
    v_fixed = measure_lesion(Lesion("a", "a", mask=segment_at(pet, centre, fixed, grid=ct)), ct).volume_cc
    v_adaptive = measure_lesion(Lesion("b", "b", mask=segment_at(pet, centre, SegmentParams(pet_fwhm_mm=5.5),
                                                                 grid=ct)), ct).volume_cc
    assert abs(v_adaptive / sphere_cc(12) - 1) < 0.10 < abs(v_fixed / sphere_cc(12) - 1)


def test_a_sloping_background_is_followed():
    pet, centre = blurred_sphere_pet(16, 5.5, 4.0, gradient_per_mm=0.03)
    ct = ct_grid_for(pet)
    m = measure_lesion(Lesion("L1", "x", mask=segment_at(pet, centre, SegmentParams(pet_fwhm_mm=5.5),
                                                         grid=ct)), ct)
    assert m.volume_cc == pytest.approx(sphere_cc(16), rel=0.10)
    assert np.linalg.norm(np.subtract(m.centroid_mm, centre)) < 2.0


def test_pet_method_parses_strings_and_names_the_choices():
    assert PetMethod.parse("fixed") is PetMethod.FIXED
    with pytest.raises(ValueError, match="expected one of adaptive, fixed"):
        PetMethod.parse("otsu")

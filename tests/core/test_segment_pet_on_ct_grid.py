"""The PET resampled onto the CT's box (click-segment on a PET/CT): the quick affine path for regular grids
gives the values and points of the exact point-by-point path, and irregular slice spacing keeps the exact one."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bench.segment import LESION_CENTRE_MM, synthetic_pet_ct
from core import segment as seg
from core.volume import Volume


@pytest.fixture(scope="module")
def pet_ct():
    return synthetic_pet_ct()


def _exact(monkeypatch):
    """Every grid treated as irregular: the point-by-point path."""
    monkeypatch.setattr(Volume, "is_regular", property(lambda self: False))


def _box(ct):
    seed = np.rint(ct.patient_to_index(np.array(LESION_CENTRE_MM))).astype(int)
    return seg._Roi(ct, seed, 30.0)


def test_the_affine_path_matches_the_exact_one_on_regular_grids(pet_ct, monkeypatch):
    ct, pet = pet_ct
    roi = _box(ct)
    quick_values = seg._resample_box(pet, ct, roi)
    quick_points = seg._patient_points(ct, roi)
    assert quick_values.max() > 5.0  # the hot lesion is in the box (SUV 10 blurred)
    _exact(monkeypatch)
    np.testing.assert_allclose(quick_values, seg._resample_box(pet, ct, roi), atol=1e-4)
    np.testing.assert_allclose(quick_points, seg._patient_points(ct, roi), atol=1e-6)


def test_irregular_slice_spacing_keeps_the_exact_path(pet_ct):
    ct, pet = pet_ct
    positions = pet.positions_mm.copy()
    positions[len(positions) // 2:, 2] += 2.0  # a 2 mm gap half way: no single affine fits
    gappy = dataclasses.replace(pet, positions_mm=positions)
    assert not gappy.is_regular
    roi = _box(ct)
    box = seg._Roi(gappy, np.array([10, 60, 60]), 20.0)
    zz, yy, xx = np.meshgrid(*[np.arange(a, b) for a, b in zip(box.start, box.stop)], indexing="ij")
    exact = gappy.index_to_patient(np.stack([zz, yy, xx], axis=-1).reshape(-1, 3))
    np.testing.assert_allclose(seg._patient_points(gappy, box), exact, atol=1e-9)
    values = seg._resample_box(gappy, ct, roi)
    coords = gappy.patient_to_index(seg._patient_points(ct, roi)).T
    from scipy import ndimage
    expected = ndimage.map_coordinates(gappy.voxels, coords, order=1, mode="constant", cval=0.0, prefilter=False)
    np.testing.assert_allclose(values.reshape(-1), expected, atol=1e-4)

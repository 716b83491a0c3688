"""Orientation of the three views for any acquisition direction (no Qt needed)."""

from __future__ import annotations

import numpy as np
import pytest

from core.volume import SeriesInfo, Volume
from core.orientation import Plane, direction_letters, plane_layout

RIGHT = {Plane.AXIAL: (1, 0, 0), Plane.CORONAL: (1, 0, 0), Plane.SAGITTAL: (0, 1, 0)}  # screen right, LPS
DOWN = {Plane.AXIAL: (0, 1, 0), Plane.CORONAL: (0, 0, -1), Plane.SAGITTAL: (0, 0, -1)}


def volume(row_dir, col_dir, shape=(6, 7, 8), spacing=(3.0, 1.0, 2.0)):
    dz, dy, dx = spacing
    row_dir, col_dir = np.asarray(row_dir, float), np.asarray(col_dir, float)
    normal = np.cross(row_dir, col_dir)
    positions = np.array([10.0, -20.0, 30.0]) + np.arange(shape[0])[:, None] * dz * normal
    voxels = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    return Volume(voxels=voxels, positions_mm=positions, row_dir=row_dir, col_dir=col_dir,
                  pixel_spacing_mm=(dy, dx), info=SeriesInfo(series_uid="1"))


C30, S30 = np.cos(np.radians(30)), np.sin(np.radians(30))
ACQUISITIONS = {
    "axial": ((1, 0, 0), (0, 1, 0)),
    "axial, rows flipped": ((-1, 0, 0), (0, 1, 0)),
    "axial, feet first prone": ((-1, 0, 0), (0, -1, 0)),
    "sagittal": ((0, 1, 0), (0, 0, -1)),
    "coronal": ((1, 0, 0), (0, 0, -1)),
    "oblique 30 degrees": ((C30, S30, 0), (0, 0, -1)),
}


@pytest.mark.parametrize("name", ACQUISITIONS)
@pytest.mark.parametrize("plane", list(Plane))
def test_screen_directions_follow_the_radiological_convention(name, plane):
    vol = volume(*ACQUISITIONS[name])
    lay = plane_layout(vol, plane)
    k = lay.n_slices // 2
    p = vol.index_to_patient(lay.screen_to_index(2, 2, k))
    right = vol.index_to_patient(lay.screen_to_index(2, 3, k)) - p
    down = vol.index_to_patient(lay.screen_to_index(3, 2, k)) - p
    assert right @ np.array(RIGHT[plane]) > 0.5 * np.linalg.norm(right)
    assert down @ np.array(DOWN[plane]) > 0.5 * np.linalg.norm(down)
    # the image the view draws is the voxels at those indices
    image = lay.image_view(vol.voxels, k)
    assert image.shape == (lay.n_v, lay.n_h)
    for r, c in ((0, 0), (1, 3), (lay.n_v - 1, lay.n_h - 1)):
        idx = tuple(int(i) for i in lay.screen_to_index(r, c, k))
        assert image[r, c] == vol.voxels[idx]
        assert lay.index_to_screen(idx) == (r, c)


@pytest.mark.parametrize("name", ["axial", "axial, rows flipped", "axial, feet first prone", "sagittal", "coronal"])
def test_letters_are_the_same_for_every_orthogonal_acquisition(name):
    vol = volume(*ACQUISITIONS[name])
    letters = {p: (lay.left, lay.right, lay.top, lay.bottom)
               for p, lay in ((p, plane_layout(vol, p)) for p in Plane)}
    assert letters[Plane.AXIAL] == ("R", "L", "A", "P")
    assert letters[Plane.CORONAL] == ("R", "L", "S", "I")
    assert letters[Plane.SAGITTAL] == ("A", "P", "S", "I")


def test_oblique_series_gets_combined_letters():
    vol = volume(*ACQUISITIONS["oblique 30 degrees"])
    axial = plane_layout(vol, Plane.AXIAL)
    assert (axial.left, axial.right) == ("RA", "LP")


def test_sagittal_acquisition_shows_its_slices_in_the_sagittal_view():
    vol = volume(*ACQUISITIONS["sagittal"])
    assert plane_layout(vol, Plane.SAGITTAL).slice_axis == 0
    assert plane_layout(vol, Plane.AXIAL).slice_axis == 1


def test_pixel_sizes_follow_the_shown_axes():
    vol = volume(*ACQUISITIONS["axial"], spacing=(3.0, 1.0, 2.0))
    cor = plane_layout(vol, Plane.CORONAL)
    assert (cor.pixel_w_mm, cor.pixel_h_mm) == (2.0, 3.0)  # x columns, z rows
    sag = plane_layout(vol, Plane.SAGITTAL)
    assert (sag.pixel_w_mm, sag.pixel_h_mm) == (1.0, 3.0)


def test_direction_letters():
    assert direction_letters((1, 0, 0)) == "L"
    assert direction_letters((0, -1, 0)) == "A"
    assert direction_letters((0, 0.1, -1)) == "I"
    assert direction_letters((-0.6, 0, 0.8)) == "SR"
    assert direction_letters((0, 0, 0)) == ""

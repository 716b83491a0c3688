"""The summary's coronal MIP and axial key images are oriented as the viewer's views
(core.orientation) whatever the acquisition: axial, flipped, sagittal, coronal."""

from __future__ import annotations

import numpy as np
import pytest

from core.lesions import Lesion, LesionMask
from core.summary.images import axial_key_image, coronal_mip
from core.volume import SeriesInfo, Volume

ACQUISITIONS = {
    "axial": ((1, 0, 0), (0, 1, 0)),
    "axial, feet first prone": ((-1, 0, 0), (0, -1, 0)),
    "sagittal": ((0, 1, 0), (0, 0, -1)),
    "coronal": ((1, 0, 0), (0, 0, -1)),
}


def volume(row_dir, col_dir, weights, shape=(20, 20, 20), spacing_mm=2.0):
    """A volume whose every voxel holds weights . (x, y, z) of its own patient position (mm)."""
    row_dir, col_dir = np.asarray(row_dir, float), np.asarray(col_dir, float)
    normal = np.cross(row_dir, col_dir)
    origin = np.array([-19.0, -19.0, -19.0]) - np.minimum(0, row_dir + col_dir + normal) * 38.0
    positions = origin + np.arange(shape[0])[:, None] * spacing_mm * normal
    empty = Volume(voxels=np.zeros(shape, np.float32), positions_mm=positions, row_dir=row_dir, col_dir=col_dir,
                   pixel_spacing_mm=(spacing_mm, spacing_mm), info=SeriesInfo(series_uid="1"), unit="HU")
    xyz = empty.index_to_patient(np.argwhere(np.ones(shape, bool)))
    voxels = (xyz @ np.asarray(weights, float)).reshape(shape).astype(np.float32)
    return Volume(voxels=voxels, positions_mm=positions, row_dir=row_dir, col_dir=col_dir,
                  pixel_spacing_mm=(spacing_mm, spacing_mm), info=SeriesInfo(series_uid="1"), unit="HU")


def value_at(picture, col, row):
    """The weights . position of pixel (row, col) from the picture's extent (mm)."""
    left, right, bottom, top = picture.extent
    h, w = picture.image.shape
    return left + (col + 0.5) * (right - left) / w, top + (row + 0.5) * (bottom - top) / h


@pytest.mark.parametrize("name", ACQUISITIONS)
def test_the_coronal_mip_has_the_head_up_and_the_patients_right_on_the_left(name):
    vol = volume(*ACQUISITIONS[name], weights=(1.0, 0.0, 1000.0))  # x + 1000 z
    pic = coronal_mip(vol)
    assert np.all(np.diff(pic.image, axis=1) > 0)  # patient left (+x) to the right
    assert np.all(np.diff(pic.image, axis=0) < 0)  # superior (+z) at the top
    for row, col in ((0, 0), (19, 0), (0, 19), (7, 12)):
        x, z = value_at(pic, col, row)
        assert pic.image[row, col] == pytest.approx(x + 1000 * z, abs=1e-3)


@pytest.mark.parametrize("name", ACQUISITIONS)
def test_the_key_image_is_axial_anterior_up_with_the_lesion_on_it(name):
    vol = volume(*ACQUISITIONS[name], weights=(1.0, 1000.0, 0.0))  # x + 1000 y
    centre = np.array([5.0, -3.0, 1.0])
    zyx = np.rint(vol.patient_to_index(centre)).astype(int)
    full = np.zeros(vol.shape, bool)
    full[tuple(zyx)] = True
    lesion = Lesion("L1", "Liver 1", mask=LesionMask.from_full(full, "1"))
    pic = axial_key_image(vol, lesion, vol, centre, half_mm=10.0)
    assert np.all(np.diff(pic.image, axis=1) > 0)  # patient left (+x) to the right
    assert np.all(np.diff(pic.image, axis=0) > 0)  # anterior (-y) at the top
    (row,), (col,) = np.nonzero(pic.mask)  # the lesion's one voxel, where its position says
    x, y = value_at(pic, col, row)
    assert (x, y) == pytest.approx(tuple(vol.index_to_patient(zyx[None])[0][:2]), abs=1e-6)
    assert pic.image[row, col] == pytest.approx(x + 1000 * y, abs=1e-3)


def test_key_images_use_the_viewers_windows_bone_lung_and_soft_tissue():
    """A bone lesion's key image in W1800/L400 (the viewer's bone preset), a lung one in the lung
    window, the others in soft tissue (core.display, one home)."""
    from core.case import Case
    from core.lesions import LesionSet
    from core.summary.export import summary_pictures
    from core.workspace import Workspace

    vol = volume(*ACQUISITIONS["axial"], weights=(1.0, 0.0, 0.0))
    sites = {"L1": "bone", "L2": "lung", "L3": "liver"}
    case = Case(lesions=LesionSet([Lesion(i, i, site=s, point_mm=(0.0, 0.0, 0.0)) for i, s in sites.items()]))
    rows = [{"id": i, "number": n, "site": s, "centroid_mm": (0.0, 0.0, 0.0)}
            for n, (i, s) in enumerate(sites.items(), start=1)]
    _, key = summary_pictures(case, Workspace(folder=None, scan=None, primary=vol), {"lesions": rows})
    assert [(pic.vmin, pic.vmax) for _, pic in key] == [(-500.0, 1300.0), (-1350.0, 150.0), (-160.0, 240.0)]

"""Projections and per-lesion crops of the review overview, and the audit export."""

import csv
import io

import numpy as np
import pytest

from core.audit import AuditTrail, audit_csv
from core.lesion_map import AXIAL, CORONAL, SAGITTAL, lesion_centre_index, lesion_crop, mip, plane_aspect
from core.lesions import Lesion, LesionMask
from tests.core.grids import ellipsoid, make_grid


def test_mip_keeps_the_brightest_voxel_along_each_ray():
    data = np.zeros((10, 20, 30), np.float32)
    data[3, 7, 11] = 5.0
    data[6, 2, 11] = np.nan  # PET may hold NaN outside the field of view
    grid = make_grid(data.shape, (3.0, 1.0, 2.0), voxels=data)
    coronal, sagittal = mip(grid, CORONAL), mip(grid, SAGITTAL)
    assert coronal.shape == (10, 30) and coronal[3, 11] == 5.0 and coronal.sum() == 5.0
    assert sagittal.shape == (10, 20) and sagittal[3, 7] == 5.0
    assert plane_aspect(grid, CORONAL) == pytest.approx(1.5) and plane_aspect(grid, AXIAL) == 0.5
    with pytest.raises(ValueError, match="axis must be 0, 1 or 2"):
        mip(grid, 3)


def test_crop_is_centred_on_the_lesion_and_big_enough_for_it():
    grid = make_grid((30, 80, 80), (2.5, 1.0, 1.0))
    lesion = Lesion("L1", "L1", mask=LesionMask.from_full(ellipsoid(grid, (40, 40, 37.5), (12, 12, 12)), "1.2.826.0.1.3680043.8.498.1"))
    centre = lesion_centre_index(lesion, grid, grid)
    assert np.allclose(centre, (15, 40, 40), atol=0.3)
    crop = lesion_crop(grid, lesion, centre, AXIAL)
    assert crop.index == 15 and crop.a0 < 40 - 12 and crop.a1 > 40 + 12 and crop.shape[0] == crop.shape[1]
    edge = lesion_crop(grid, lesion, (0, 2, 78), CORONAL)  # clipped at the grid's edges
    assert edge.a0 == 0 and edge.b1 == 80 and edge.image(grid).shape == edge.shape
    marker = Lesion("L2", "L2", point_mm=(10.0, 20.0, 5.0))
    assert np.allclose(lesion_centre_index(marker, None, grid), (2, 20, 10))


def test_audit_export_has_one_row_per_entry_with_its_hash():
    trail = AuditTrail()
    trail.append("lesion_added", "added L1 (Liver 1, liver)", who="A, B", role="medical physicist",
                 details={"lesion": "L1"})
    trail.append("signed_off", "Reviewed by A, B", who="A, B", details={"state": "reviewed"})
    rows = list(csv.DictReader(io.StringIO(audit_csv(trail))))
    assert [r["action"] for r in rows] == ["lesion_added", "signed_off"]
    assert rows[0]["who"] == "A, B" and rows[1]["prev"] == rows[0]["hash"] == trail[0].hash

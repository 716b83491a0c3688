"""Synthetic volumes with known geometry, for core tests (no DICOM involved)."""

from __future__ import annotations

import numpy as np

from core.volume import Modality, SeriesInfo, Volume


def make_grid(shape, spacing, origin=(0.0, 0.0, 0.0), voxels=None, modality=Modality.CT,
              uid="1.2.826.0.1.3680043.8.498.1", unit="HU", z_positions=None) -> Volume:
    """An axial grid: spacing (dz, dy, dx) mm, origin (x, y, z) of voxel (0,0,0)."""
    dz, dy, dx = spacing
    zs = z_positions if z_positions is not None else [origin[2] + k * dz for k in range(shape[0])]
    positions = np.array([[origin[0], origin[1], z] for z in zs], dtype=float)
    data = np.zeros(shape, np.int16) if voxels is None else voxels
    return Volume(data, positions, [1, 0, 0], [0, 1, 0], (dy, dx),
                  SeriesInfo(uid, modality=modality, description="synthetic"), unit=unit)


def patient_coords(volume: Volume):
    """X, Y, Z (mm) of every voxel centre, each of the volume's shape (axial grids)."""
    zz, yy, xx = np.indices(volume.shape).astype(np.float64)
    dy, dx = volume.pixel_spacing_mm
    origin = volume.positions_mm[0]
    z = volume.positions_mm[:, 2][zz.astype(int)]
    return origin[0] + xx * dx, origin[1] + yy * dy, z


def ellipsoid(volume: Volume, centre, semi_axes) -> np.ndarray:
    x, y, z = patient_coords(volume)
    a, b, c = semi_axes
    return ((x - centre[0]) / a) ** 2 + ((y - centre[1]) / b) ** 2 + ((z - centre[2]) / c) ** 2 <= 1.0

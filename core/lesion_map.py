"""The lesion map of a case: projections and per-lesion crops (for review overviews).

Index conventions as in core.volume: arrays are (z, y, x). Planes follow
core.contours: the plane normal to array axis ``axis`` has coordinates
(a, b) along the two remaining axes in increasing order (axial (y, x),
coronal (z, x), sagittal (z, y)). Rows of a projection or crop run along
``a``, columns along ``b``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.contours import plane_axes, plane_spacing
from core.lesions import Lesion
from core.volume import Volume

#: array axes normal to each plane for an axial acquisition only; for any series ask
#: core.orientation.plane_layout(volume, plane).slice_axis (as the viewer, the scorecard and the PDF do)
AXIAL, CORONAL, SAGITTAL = 0, 1, 2
#: Half the side of a per-lesion crop: lesion radius plus this margin (mm), at least MIN_HALF_MM.
CROP_MARGIN_MM = 15.0
MIN_HALF_MM = 25.0


def mip(volume: Volume, axis: int) -> np.ndarray:
    """Maximum-intensity projection along array ``axis`` (float32, NaN-safe)."""
    plane_axes(axis)  # validates axis
    data = volume.voxels
    if np.issubdtype(data.dtype, np.floating):
        return np.nan_to_num(np.fmax.reduce(data, axis=axis), nan=0.0).astype(np.float32)
    return data.max(axis=axis).astype(np.float32)


def lesion_centre_index(lesion: Lesion, grid: Volume | None, target: Volume) -> np.ndarray | None:
    """Fractional (z, y, x) on ``target`` of the lesion's centroid (its marker when point-only).

    ``grid`` is the volume the lesion's mask was drawn on (None for a marker).
    """
    if lesion.mask is not None and grid is not None:
        centre_mm = grid.index_to_patient(lesion.mask.indices()).mean(axis=0)
    elif lesion.point_mm is not None:
        centre_mm = np.asarray(lesion.point_mm, dtype=np.float64)
    else:
        return None
    return target.patient_to_index(centre_mm)


@dataclass(frozen=True)
class Crop:
    """A square region of one plane through a lesion: plane ``index`` along ``axis``,
    rows ``a0:a1`` and columns ``b0:b1`` (clipped to the grid)."""

    axis: int
    index: int
    a0: int
    a1: int
    b0: int
    b1: int

    def image(self, volume: Volume) -> np.ndarray:
        plane = np.take(volume.voxels, self.index, axis=self.axis)
        return np.asarray(plane[self.a0:self.a1, self.b0:self.b1], dtype=np.float32)

    @property
    def shape(self) -> tuple[int, int]:
        return self.a1 - self.a0, self.b1 - self.b0


def lesion_crop(grid: Volume, lesion: Lesion, centre_zyx, axis: int, half_mm: float | None = None) -> Crop:
    """The crop through ``centre_zyx`` on ``grid`` normal to ``axis``, big enough for the lesion."""
    centre = np.clip(np.rint(np.asarray(centre_zyx, dtype=np.float64)), 0, np.array(grid.shape) - 1).astype(int)
    if half_mm is None:
        half_mm = MIN_HALF_MM
        if lesion.mask is not None:
            extent = np.array(lesion.mask.array.shape) * np.array(grid.spacing_mm)
            half_mm = max(MIN_HALF_MM, float(extent.max()) / 2 + CROP_MARGIN_MM)
    a, b = plane_axes(axis)
    sa, sb = plane_spacing(grid.spacing_mm, axis)
    ha, hb = int(np.ceil(half_mm / sa)), int(np.ceil(half_mm / sb))
    na, nb = grid.shape[a], grid.shape[b]
    return Crop(axis, int(centre[axis]),
                max(0, centre[a] - ha), min(na, centre[a] + ha + 1),
                max(0, centre[b] - hb), min(nb, centre[b] + hb + 1))


def plane_aspect(volume: Volume, axis: int) -> float:
    """Height / width of one pixel of the plane normal to ``axis`` (for correct display)."""
    sa, sb = plane_spacing(volume.spacing_mm, axis)
    return sa / sb

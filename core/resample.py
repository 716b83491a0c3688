"""Resample one volume onto planes of another volume's grid, by patient position.

Used to show a PET over a CT: the PET (the *moving* volume) is sampled at the
patient coordinates (LPS, mm) of the voxel centres of one plane of the CT (the
*fixed* volume), with trilinear interpolation. Only the planes that are shown
are computed, on demand; :class:`PlaneResampler` keeps the last few.

The mapping always goes fixed index -> patient mm -> moving index through
:meth:`core.volume.Volume.index_to_patient` and
:meth:`core.volume.Volume.patient_to_index`, so gantry tilt and irregular
slice spacing of either volume are honoured. When both grids are regular the
composition is affine and is evaluated with :func:`scipy.ndimage.affine_transform`
(same result, no coordinate arrays); otherwise every point is mapped.

Nothing here registers images: both volumes must already share a frame of
reference (or the caller accepts that they are compared in scanner coordinates).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from scipy import ndimage

from core.volume import Volume

__all__ = [
    "plane_shape",
    "plane_points_mm",
    "resample_points",
    "resample_plane",
    "resample_box",
    "PlaneResampler",
]


def _check_axis_index(fixed: Volume, axis: int, index: int) -> tuple[int, int]:
    if axis not in (0, 1, 2):
        raise ValueError(f"axis must be 0 (z), 1 (y) or 2 (x); got {axis!r}")
    n = fixed.shape[axis]
    index = int(index)
    if not 0 <= index < n:
        raise ValueError(f"index {index} is outside the fixed volume's axis {axis} (0..{n - 1})")
    return axis, index


def plane_shape(fixed: Volume, axis: int) -> tuple[int, int]:
    """Shape of a plane of ``fixed`` normal to array ``axis`` (the other two axes, in order)."""
    return tuple(n for a, n in enumerate(fixed.shape) if a != axis)  # type: ignore[return-value]


def _plane_indices(fixed: Volume, axis: int, index: int) -> np.ndarray:
    """(n1, n2, 3) voxel indices (z, y, x) of the plane, float64."""
    n1, n2 = plane_shape(fixed, axis)
    other = [a for a in range(3) if a != axis]
    idx = np.empty((n1, n2, 3), dtype=np.float64)
    idx[..., axis] = index
    idx[..., other[0]] = np.arange(n1, dtype=np.float64)[:, None]
    idx[..., other[1]] = np.arange(n2, dtype=np.float64)[None, :]
    return idx


def plane_points_mm(fixed: Volume, axis: int, index: int) -> np.ndarray:
    """Patient coordinates (LPS mm) of the voxel centres of one plane of ``fixed``.

    Parameters
    ----------
    fixed
        The volume whose grid defines the plane.
    axis
        Array axis normal to the plane: 0 (z, slice), 1 (y, row) or 2 (x, column).
    index
        Index of the plane along ``axis``.

    Returns
    -------
    ndarray, shape (n1, n2, 3)
        (x, y, z) mm of each voxel centre; n1, n2 are the sizes of the two
        remaining axes in array order.
    """
    axis, index = _check_axis_index(fixed, axis, index)
    return fixed.index_to_patient(_plane_indices(fixed, axis, index))


def _cval_for(moving: Volume, cval: float) -> float:
    if np.isnan(cval) and not np.issubdtype(moving.voxels.dtype, np.floating):
        return 0.0
    return cval


def resample_points(
    moving: Volume, points_mm: np.ndarray, *, order: int = 1, cval: float = np.nan
) -> np.ndarray:
    """Values of ``moving`` at arbitrary patient points (LPS mm).

    Parameters
    ----------
    moving
        The volume to sample.
    points_mm
        (..., 3) patient coordinates (x, y, z) in mm.
    order
        Spline order: 1 = trilinear (default), 0 = nearest voxel.
    cval
        Value outside the moving grid. NaN by default (use 0 for integer
        voxels; NaN is replaced by 0 when the moving voxels are integers).

    Returns
    -------
    ndarray of float32 with shape ``points_mm.shape[:-1]``.
    """
    points_mm = np.asarray(points_mm, dtype=np.float64)
    if points_mm.shape[-1:] != (3,):
        raise ValueError(f"points_mm must have shape (..., 3); got {points_mm.shape}")
    out_shape = points_mm.shape[:-1]
    idx = moving.patient_to_index(points_mm.reshape(-1, 3))
    values = ndimage.map_coordinates(
        moving.voxels,
        idx.T,
        order=order,
        mode="constant",
        cval=_cval_for(moving, cval),
        prefilter=False,
        output=np.float32,
    )
    return values.reshape(out_shape)


def _affine_fixed_to_moving(
    moving: Volume, fixed: Volume, axis: int, index: int
) -> tuple[np.ndarray, np.ndarray]:
    """For regular grids: moving index = origin + r * step1 + c * step2 on the plane.

    Derived from index_to_patient / patient_to_index at three plane points, so
    it agrees with the general path by construction.
    """
    other = [a for a in range(3) if a != axis]
    p = np.zeros((3, 3))
    p[:, axis] = index
    p[1, other[0]] = 1.0
    p[2, other[1]] = 1.0
    m = moving.patient_to_index(fixed.index_to_patient(p))
    return m[0], np.stack([m[1] - m[0], m[2] - m[0]], axis=1)


def resample_plane(
    moving: Volume,
    fixed: Volume,
    axis: int,
    index: int,
    *,
    order: int = 1,
    cval: float = np.nan,
) -> np.ndarray:
    """Values of ``moving`` on one plane of ``fixed``'s grid, matched by patient position.

    Parameters
    ----------
    moving
        Volume to sample (e.g. a PET in SUV).
    fixed
        Volume whose grid defines the plane (e.g. the CT shown).
    axis, index
        The plane: array axis of ``fixed`` normal to it (0 = z, 1 = y, 2 = x)
        and its index along that axis.
    order
        1 = trilinear (default), 0 = nearest voxel.
    cval
        Value where the plane lies outside ``moving`` (NaN by default; 0 for
        integer moving voxels).

    Returns
    -------
    ndarray of float32, shape :func:`plane_shape` ``(fixed, axis)``
        Same layout as ``np.take(fixed.voxels, index, axis)``.
    """
    axis, index = _check_axis_index(fixed, axis, index)
    cval = _cval_for(moving, cval)
    if fixed.is_regular and moving.is_regular:
        origin, steps = _affine_fixed_to_moving(moving, fixed, axis, index)
        # affine_transform keeps the dimensionality: sample an output of shape
        # (1, n1, n2) whose (0, r, c) maps to origin + r*step1 + c*step2.
        matrix = np.zeros((3, 3))
        matrix[:, 1:] = steps
        out = ndimage.affine_transform(
            moving.voxels,
            matrix,
            offset=origin,
            output_shape=(1, *plane_shape(fixed, axis)),
            order=order,
            mode="constant",
            cval=cval,
            prefilter=False,
            output=np.float32,
        )
        return out[0]
    return resample_points(moving, plane_points_mm(fixed, axis, index), order=order, cval=cval)


#: Voxels of the fixed grid resampled at once by :func:`resample_box` (whole slices,
#: at least one): bounds the scratch (float32 values, float64 coordinates when a
#: grid is irregular) whatever the size of the box.
BOX_CHUNK_VOXELS = 1 << 20


def resample_box(
    moving: Volume,
    fixed: Volume,
    lo: tuple[int, int, int],
    hi: tuple[int, int, int],
    *,
    order: int = 1,
    cval: float = np.nan,
    threshold: float | None = None,
) -> np.ndarray:
    """Values of ``moving`` on a box of ``fixed``'s grid, matched by patient position.

    Parameters
    ----------
    moving
        Volume to sample (e.g. a mask rasterised on a grid of its own, as 0/1).
    fixed
        Volume whose grid defines the box.
    lo, hi
        (z, y, x) index bounds of the box on ``fixed`` (``hi`` exclusive).
    order, cval
        As in :func:`resample_plane`.
    threshold
        When given, the result is the boolean ``values >= threshold``; the
        float values exist only a few slices at a time (a mask resampled with
        trilinear interpolation then ``>= 0.5`` keeps its volume best).

    Returns
    -------
    ndarray of shape ``hi - lo``: float32, or bool with ``threshold``.
    """
    lo = tuple(int(v) for v in lo)
    hi = tuple(int(v) for v in hi)
    shape = tuple(max(h - l, 0) for l, h in zip(lo, hi))
    if any(not 0 <= l <= h <= n for l, h, n in zip(lo, hi, fixed.shape)):
        raise ValueError(f"box {lo}..{hi} is not inside the fixed grid {fixed.shape}")
    cval = _cval_for(moving, cval)
    out = np.zeros(shape, dtype=bool if threshold is not None else np.float32)
    if 0 in shape:
        return out
    regular = fixed.is_regular and moving.is_regular
    if regular:
        corner = np.array(lo, dtype=np.float64)
        steps = np.vstack([corner, corner + np.eye(3)])
        m = moving.patient_to_index(fixed.index_to_patient(steps))
        matrix = (m[1:] - m[0]).T  # column a: moving index step per fixed index step along a
    chunk = max(1, BOX_CHUNK_VOXELS // (shape[1] * shape[2]))
    for k0 in range(0, shape[0], chunk):
        k1 = min(k0 + chunk, shape[0])
        if regular:
            values = ndimage.affine_transform(
                moving.voxels, matrix, offset=m[0] + matrix[:, 0] * k0,
                output_shape=(k1 - k0, shape[1], shape[2]), order=order, mode="constant",
                cval=cval, prefilter=False, output=np.float32)
        else:
            idx = np.empty((k1 - k0, shape[1], shape[2], 3), dtype=np.float64)
            idx[..., 0] = np.arange(lo[0] + k0, lo[0] + k1, dtype=np.float64)[:, None, None]
            idx[..., 1] = np.arange(lo[1], hi[1], dtype=np.float64)[None, :, None]
            idx[..., 2] = np.arange(lo[2], hi[2], dtype=np.float64)[None, None, :]
            values = resample_points(moving, fixed.index_to_patient(idx), order=order, cval=cval)
        out[k0:k1] = values >= threshold if threshold is not None else values
    return out


class PlaneResampler:
    """Planes of ``moving`` on ``fixed``'s grid, computed on demand, last few cached.

    Parameters
    ----------
    moving, fixed
        As in :func:`resample_plane`.
    cache_size
        How many planes to keep (a few per displayed view is plenty).
    """

    def __init__(self, moving: Volume, fixed: Volume, *, cache_size: int = 9, order: int = 1):
        if cache_size < 1:
            raise ValueError(f"cache_size must be at least 1; got {cache_size}")
        self.moving = moving
        self.fixed = fixed
        self.order = order
        self.cache_size = int(cache_size)
        self._cache: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()

    def plane(self, axis: int, index: int) -> np.ndarray:
        """The resampled plane (read-only float32, NaN outside ``moving``)."""
        key = (int(axis), int(index))
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        values = resample_plane(self.moving, self.fixed, axis, index, order=self.order)
        values.setflags(write=False)
        self._cache[key] = values
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return values

    def clear(self) -> None:
        self._cache.clear()

    def __len__(self) -> int:
        return len(self._cache)

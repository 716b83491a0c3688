"""Contours not parallel to the image slices, to a voxel mask on that image grid.

A structure set drawn on axial CT slices and shown on a sagittal, coronal or
oblique MR of the same frame of reference has contours that cut across the
slices shown. Drawing each on its nearest slice gives a wrong mask, so
:func:`rasterise_across` does what the planning systems do when they show a
structure on a series of another orientation:

1. An intermediate grid is built parallel to the contour planes: its slices are
   the contour planes themselves, its in-plane spacing about the finest spacing
   of the image grid, and it covers only the structure's bounding box (clipped
   to the image), so its size follows the structure, never the whole series.
2. The contours are rasterised on it with the rules of
   :func:`core.rt.rasterise.rasterise_contours` (even-odd rule per plane, pixel
   centre inside). Each contour plane stands for a slab half-way to its
   neighbours: empty planes one contour step beyond the outermost planes and
   beside gaps (two lesions in one ROI) keep the ends and the gaps where that
   rule puts them.
3. That 0/1 mask is resampled onto the image grid by patient position
   (:func:`core.resample.resample_box`, trilinear) and thresholded at 0.5,
   which keeps the volume and the surface where the contours put them.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from core.contours import polygons_to_mask
from core.lesions import LesionMask
from core.resample import resample_box
from core.volume import SeriesInfo, Volume

#: Contour planes closer than this (mm) along their normal are one plane
#: (DICOM decimal strings round the coordinates of oblique contours).
PLANE_MERGE_MM = 0.1
#: A contour whose points spread more than this (mm) off its plane is not planar.
PLANAR_TOLERANCE_MM = 0.5
#: Contours whose normal is further than this from the others' are reported.
ORIENTATION_TOLERANCE_DEG = 2.0
#: The intermediate grid never holds more voxels than this (its spacing grows).
MAX_INTERMEDIATE_VOXELS = 64 * 1024 * 1024
#: The in-plane spacing of the intermediate grid never goes below this (mm).
MIN_SPACING_MM = 0.25


def contour_normal(points_mm: np.ndarray) -> np.ndarray:
    """Newell's normal of a closed polygon (length = twice its area; zero when degenerate)."""
    p = np.asarray(points_mm, dtype=np.float64)
    q = np.roll(p, -1, axis=0)
    return np.array([
        np.sum((p[:, 1] - q[:, 1]) * (p[:, 2] + q[:, 2])),
        np.sum((p[:, 2] - q[:, 2]) * (p[:, 0] + q[:, 0])),
        np.sum((p[:, 0] - q[:, 0]) * (p[:, 1] + q[:, 1])),
    ])


def common_normal(contours: Sequence[np.ndarray]) -> tuple[np.ndarray | None, np.ndarray]:
    """The contours' plane normal, and which contours lie at another angle.

    The orientation shared by the largest total contour area wins (a stray
    contour drawn on another view does not tilt the others); the normals of
    the contours sharing it are averaged, weighted by area, so rounding of the
    points hardly matters.
    """
    vectors = np.array([contour_normal(c) for c in contours])
    areas = np.linalg.norm(vectors, axis=1)
    if not np.any(areas > 0):
        return None, np.zeros(len(contours), bool)
    units = vectors[areas > 0] / areas[areas > 0, None]
    weights = areas[areas > 0]
    cos_tol = np.cos(np.radians(ORIENTATION_TOLERANCE_DEG))
    agree = np.abs(units @ units.T) >= cos_tol  # (i, j): contour j shares i's orientation
    best = int(np.argmax(agree.astype(float) @ weights))
    signs = np.where(units @ units[best] >= 0, 1.0, -1.0)
    total = ((units * (signs * weights)[:, None])[agree[best]]).sum(axis=0)
    normal = total / np.linalg.norm(total)
    normal = normal if normal[np.argmax(np.abs(normal))] > 0 else -normal  # stable sign
    off = np.zeros(len(contours), bool)  # contours with no area have no angle
    off[areas > 0] = np.abs(units @ normal) < cos_tol
    return normal, off


def in_plane_axes(normal: np.ndarray, volume: Volume) -> tuple[np.ndarray, np.ndarray]:
    """(row_dir, col_dir) spanning the plane of ``normal``, row_dir x col_dir = normal.

    The row direction follows the image's row or column direction projected on
    the plane, so a grid parallel to the image keeps its axes.
    """
    for candidate in (volume.row_dir, volume.col_dir, volume.normal):
        row = candidate - (candidate @ normal) * normal
        if np.linalg.norm(row) > 0.1:
            row = row / np.linalg.norm(row)
            return row, np.cross(normal, row)
    raise AssertionError("three orthonormal directions cannot all be parallel to one normal")


def _merge_planes(offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cluster contour offsets closer than PLANE_MERGE_MM: (plane offsets, plane of each contour)."""
    order = np.argsort(offsets)
    plane_of = np.empty(len(offsets), dtype=int)
    groups: list[list[int]] = []
    for i in order:
        if groups and offsets[i] - offsets[groups[-1][-1]] <= PLANE_MERGE_MM:
            groups[-1].append(int(i))
        else:
            groups.append([int(i)])
    for g, members in enumerate(groups):
        plane_of[members] = g
    return np.array([float(np.mean(offsets[m])) for m in groups]), plane_of


def _grid_offsets(planes: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Slice offsets of the intermediate grid and which of them are contour planes.

    Empty planes go one step beyond the outermost planes and into gaps wider
    than 1.5 steps, so each contour plane covers half a step on a side that has
    no neighbour (trilinear interpolation crosses 0.5 there).
    """
    offsets = [planes[0] - step]
    contour = [False]
    for i, w in enumerate(planes):
        if i:
            prev = planes[i - 1]
            gap = w - prev
            if gap > 1.5 * step:
                if gap > 2 * step + 1e-3:
                    offsets += [prev + step, w - step]
                    contour += [False, False]
                else:
                    offsets.append(0.5 * (prev + w))
                    contour.append(False)
        offsets.append(w)
        contour.append(True)
    offsets.append(planes[-1] + step)
    contour.append(False)
    return np.array(offsets), np.array(contour)


def _voxel_extent(volume: Volume, direction: np.ndarray) -> float:
    """Largest extent of one image voxel along ``direction`` (mm)."""
    dz, dy, dx = volume.spacing_mm
    steps = (volume.normal * dz, volume.col_dir * dy, volume.row_dir * dx)
    return max(abs(float(s @ direction)) for s in steps)


def rasterise_across(contours: Sequence[np.ndarray], volume: Volume, name: str,
                     n_across: int | None = None) -> tuple[LesionMask | None, list[str], int]:
    """Rasterise closed planar contours not parallel to ``volume``'s slices.

    Parameters
    ----------
    contours
        (n, 3) LPS mm points of each CLOSED_PLANAR contour of one ROI (already
        checked: 3 finite points or more).
    volume
        The image grid shown.
    name
        ROI name, for the warnings.
    n_across
        How many of them cut across the slices (all by default), for the warning.

    Returns
    -------
    (mask on ``volume``'s grid or None, warnings, number of contours drawn)
    """
    n_across = len(contours) if n_across is None else n_across
    warnings = [f"{name}: {n_across} of {len(contours)} contour(s) are not parallel to the image slices; "
                "the structure was rasterised on its contour planes and resampled in 3D onto the image grid"]
    normal, off_angle = common_normal(contours)
    if normal is None:
        warnings.append(f"{name}: its contours enclose no area (their points are in a line); not drawn")
        return None, warnings, 0
    if off_angle.any():
        warnings.append(f"{name}: {int(off_angle.sum())} contour(s) lie at another angle than the others "
                        f"(more than {ORIENTATION_TOLERANCE_DEG:g} degrees); each was drawn on its "
                        "projection on the common contour plane")
    row, col = in_plane_axes(normal, volume)
    frame = np.stack([row, col, normal])  # patient mm -> (u, v, w)
    uvw = [c @ frame.T for c in contours]
    offsets = np.array([float(p[:, 2].mean()) for p in uvw])
    not_planar = sum(1 for p, off in zip(uvw, off_angle) if not off and float(np.ptp(p[:, 2])) > PLANAR_TOLERANCE_MM)
    if not_planar:
        warnings.append(f"{name}: {not_planar} contour(s) are not planar (points more than "
                        f"{PLANAR_TOLERANCE_MM:g} mm off their plane); each was drawn on its mean plane")
    planes, plane_of = _merge_planes(offsets)
    step = float(np.min(np.diff(planes))) if len(planes) > 1 else _voxel_extent(volume, normal)

    # the image's extent in the contour frame: planes beyond it are reported, the box clipped to it
    nz, ny, nx = volume.shape
    corners = np.array([[z, y, x] for z in (-0.5, nz - 0.5) for y in (-0.5, ny - 0.5)
                        for x in (-0.5, nx - 0.5)])
    image_uvw = volume.index_to_patient(corners) @ frame.T
    image_lo, image_hi = image_uvw.min(axis=0), image_uvw.max(axis=0)
    inside = (planes >= image_lo[2] - 0.5 * step) & (planes <= image_hi[2] + 0.5 * step)
    if not inside.all():
        outside = planes[~inside]
        warnings.append(
            f"{name}: {len(outside)} contour plane(s) lie outside the image (at "
            f"{', '.join(f'{v:.1f}' for v in outside[:5])}{', ...' if len(outside) > 5 else ''} mm "
            "along the contour normal); not drawn")
    kept = np.flatnonzero(inside)
    if not len(kept):
        return None, warnings, 0
    drawn = [i for i in range(len(contours)) if inside[plane_of[i]]]

    spacing = max(min(volume.spacing_mm) * 1.0, MIN_SPACING_MM)
    points = np.vstack([uvw[i][:, :2] for i in drawn])
    lo_uv = np.maximum(points.min(axis=0), image_lo[:2])
    hi_uv = np.minimum(points.max(axis=0), image_hi[:2])
    if np.any(hi_uv < lo_uv):
        warnings.append(f"{name}: its contours lie beside the image; not drawn")
        return None, warnings, 0
    grid_w, is_contour = _grid_offsets(planes[kept], step)
    while True:
        origin_uv = lo_uv - 2 * spacing
        n_uv = np.ceil((hi_uv - origin_uv) / spacing).astype(int) + 3
        if len(grid_w) * int(n_uv[0]) * int(n_uv[1]) <= MAX_INTERMEDIATE_VOXELS:
            break
        spacing *= 1.25
    if spacing > min(volume.spacing_mm) * 1.01 and spacing > MIN_SPACING_MM * 1.01:
        warnings.append(f"{name}: a structure this large was rasterised at {spacing:.2f} mm in its "
                        "contour planes (coarser than the image) to bound memory")

    voxels = np.zeros((len(grid_w), int(n_uv[1]), int(n_uv[0])), dtype=np.uint8)
    slot = {int(p): s for s, p in zip(np.flatnonzero(is_contour), kept)}
    by_plane: dict[int, list[np.ndarray]] = {}
    for i in drawn:
        p = uvw[i]
        rc = np.stack([(p[:, 1] - origin_uv[1]) / spacing, (p[:, 0] - origin_uv[0]) / spacing], axis=1)
        by_plane.setdefault(slot[int(plane_of[i])], []).append(rc)
    for s, polygons in by_plane.items():
        voxels[s] = polygons_to_mask(polygons, voxels.shape[1:])
    if not voxels.any():
        return None, warnings, len(drawn)
    positions = (origin_uv[0] * row + origin_uv[1] * col)[None, :] + grid_w[:, None] * normal[None, :]
    intermediate = Volume(voxels, positions, row, col, (spacing, spacing),
                          SeriesInfo(volume.info.series_uid, description="contour planes"))

    # the target box: where the intermediate grid lands on the image grid
    n_w, n_v, n_u = voxels.shape
    box_corners = np.array([[z, y, x] for z in (0, n_w - 1) for y in (0, n_v - 1) for x in (0, n_u - 1)],
                           dtype=np.float64)
    idx = volume.patient_to_index(intermediate.index_to_patient(box_corners))
    lo = np.clip(np.floor(idx.min(axis=0)).astype(int), 0, volume.shape)
    hi = np.clip(np.ceil(idx.max(axis=0)).astype(int) + 1, 0, volume.shape)
    box = resample_box(intermediate, volume, tuple(lo), tuple(hi), order=1, cval=0.0, threshold=0.5)
    mask = LesionMask.from_box(box, tuple(lo), volume.shape, volume.info.series_uid)
    return mask, warnings, len(drawn)

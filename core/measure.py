"""Lesion measurements in physical units, from the true geometry.

All distances are in mm in patient coordinates (LPS), volumes in cm3.
Diameters are taken between points a quarter voxel beyond the centres of the
boundary voxels (see ``CORNER``); surface distances between voxel edges.
Slice thickness comes from the real slice positions, so irregular spacing and
missing slices are measured right.

* longest axial diameter: RECIST 1.1, in the acquisition plane, the largest
  over slices;
* short axis: in that same slice, the extent perpendicular to the long axis
  (for lymph nodes);
* longest 3D diameter, centroid, volume;
* CT mean/max HU; PET SUVmax, SUVmean and SUVpeak (mean in a 1 cm3 sphere,
  placed where it is highest within the lesion).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError, cKDTree
from scipy.spatial.distance import pdist, squareform

from core.lesions import Lesion, LesionMask
from core.volume import ValueUnit, Volume

#: Where a boundary voxel's extreme points sit, in voxels from its centre. The
#: voxel edge (0.5) overestimates a smooth lesion's diameter by about one voxel
#: and the centre (0) underestimates it as much; a quarter voxel is unbiased
#: on spheres and ellipsoids at the spacings tested (tests/core/test_measure.py).
CORNER = 0.25

#: Radius of a 1 cm3 sphere (mm), for SUVpeak.
PEAK_SPHERE_RADIUS_MM = (3.0 * 1000.0 / (4.0 * np.pi)) ** (1.0 / 3.0)


@dataclass(frozen=True)
class Measurements:
    volume_cc: float | None = None
    longest_axial_diameter_mm: float | None = None
    axial_diameter_endpoints_mm: tuple[tuple[float, ...], tuple[float, ...]] | None = None
    short_axis_mm: float | None = None
    longest_3d_diameter_mm: float | None = None
    centroid_mm: tuple[float, float, float] | None = None
    hu_mean: float | None = None
    hu_max: float | None = None
    suv_max: float | None = None
    suv_mean: float | None = None
    suv_peak: float | None = None

    def to_json(self) -> dict:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float):
                out[key] = round(value, 3)
            elif key == "centroid_mm" and value is not None:
                out[key] = [round(v, 2) for v in value]
            elif key == "axial_diameter_endpoints_mm" and value is not None:
                out[key] = [[round(v, 2) for v in p] for p in value]
        return out


def measure_lesion(
    lesion: Lesion, grid: Volume | None, ct: Volume | None = None, pet: Volume | None = None
) -> Measurements:
    """Measure one lesion. ``grid`` is the volume its mask was drawn on.

    A point-only lesion gets its centroid (the marker) and, where images are
    given, the values under the marker; sizes stay None.
    """
    if lesion.mask is None or grid is None:
        point = np.array(lesion.point_mm) if lesion.point_mm is not None else None
        if point is None:
            return Measurements()
        hu = ct.value_at(point) if ct is not None else None
        suv = pet.value_at(point) if pet is not None and pet.unit is ValueUnit.SUV_BW else None
        return Measurements(centroid_mm=tuple(point), hu_mean=hu, hu_max=hu, suv_max=suv)
    mask = lesion.mask
    check_grid(mask, grid)
    volume_cc = mask_volume_cc(mask, grid)
    axial, endpoints, short = axial_diameters(mask, grid)
    result = dict(
        volume_cc=volume_cc,
        longest_axial_diameter_mm=axial,
        axial_diameter_endpoints_mm=endpoints,
        short_axis_mm=short,
        longest_3d_diameter_mm=longest_3d_diameter(mask, grid),
        centroid_mm=tuple(float(v) for v in grid.index_to_patient(mask.indices()).mean(axis=0)),
    )
    if ct is not None:
        values = values_in_mask(ct, mask, grid)
        if values.size:
            result.update(hu_mean=float(np.nanmean(values)), hu_max=float(np.nanmax(values)))
    if pet is not None and pet.unit is ValueUnit.SUV_BW:
        result.update(suv_statistics(pet, mask, grid, np.array(result["centroid_mm"])))
    return Measurements(**result)


def check_grid(mask: LesionMask, grid: Volume) -> None:
    if tuple(mask.grid_shape) != grid.shape:
        raise ValueError(
            f"mask was drawn on a grid of shape {mask.grid_shape}, not on series "
            f"{grid.info.series_uid} of shape {grid.shape}"
        )


# ---------------------------------------------------------------- volume
def slab_thickness_mm(grid: Volume) -> np.ndarray:
    """Thickness each slice stands for along the normal (half-way to its neighbours)."""
    offsets = grid.slice_offsets_mm
    if len(offsets) == 1:
        return np.array([grid.slice_thickness_mm or grid.spacing_mm[0] or 1.0])
    steps = np.abs(np.diff(offsets))
    thickness = np.empty(len(offsets))
    thickness[0], thickness[-1] = steps[0], steps[-1]
    thickness[1:-1] = (steps[:-1] + steps[1:]) / 2.0
    return thickness


def mask_volume_cc(mask: LesionMask, grid: Volume) -> float:
    dy, dx = grid.pixel_spacing_mm
    per_slice = mask.array.sum(axis=(1, 2))
    z = np.arange(mask.offset[0], mask.offset[0] + mask.array.shape[0])
    return float((per_slice * slab_thickness_mm(grid)[z]).sum() * dy * dx / 1000.0)


# ------------------------------------------------------------- diameters
def axial_diameters(mask: LesionMask, grid: Volume):
    """(longest axial diameter, its endpoints in LPS mm, short axis) in mm."""
    dy, dx = grid.pixel_spacing_mm
    best = (0.0, None, None, None)  # length, p, q, slice index
    corners_by_slice = {}
    for k in range(mask.array.shape[0]):
        plane = mask.array[k]
        if not plane.any():
            continue
        edge = plane & ~ndimage.binary_erosion(plane)
        jj, ii = np.nonzero(edge)
        corners = _corners_2d(jj, ii, dy, dx)
        corners_by_slice[k] = corners
        length, p, q = _farthest_pair(corners)
        if length > best[0]:
            best = (length, p, q, k)
    length, p, q, k = best
    if p is None:
        return None, None, None
    direction = (q - p) / max(np.linalg.norm(q - p), 1e-12)
    perpendicular = np.array([-direction[1], direction[0]])
    projection = corners_by_slice[k] @ perpendicular
    short = float(projection.max() - projection.min())
    z = mask.offset[0] + k
    ends = tuple(
        tuple(float(v) for v in grid.index_to_patient(
            np.array([z, mask.offset[1] + pt[0] / dy, mask.offset[2] + pt[1] / dx])))
        for pt in (p, q)
    )
    return float(length), ends, short


def longest_3d_diameter(mask: LesionMask, grid: Volume) -> float:
    edge = mask.array & ~ndimage.binary_erosion(mask.array)
    idx = np.argwhere(edge) + np.array(mask.offset)
    offsets = np.array([[a, b, c] for a in (-CORNER, CORNER) for b in (-CORNER, CORNER) for c in (-CORNER, CORNER)])
    corners = grid.index_to_patient((idx[:, None, :] + offsets[None]).reshape(-1, 3))
    return _farthest_pair(corners)[0]


def _corners_2d(jj: np.ndarray, ii: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """In-plane corner points (row mm, column mm) of the given pixels."""
    offsets = CORNER * np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]])
    pts = np.stack([jj, ii], axis=1)[:, None, :] + offsets[None]
    return (pts.reshape(-1, 2) * np.array([dy, dx])).astype(np.float64)


def _farthest_pair(points: np.ndarray) -> tuple[float, np.ndarray | None, np.ndarray | None]:
    points = np.unique(points, axis=0)
    if len(points) < 2:
        return 0.0, None, None
    if len(points) > 64:
        try:
            points = points[ConvexHull(points).vertices]
        except (QhullError, ValueError):
            pass
    d = squareform(pdist(points))
    i, j = np.unravel_index(int(np.argmax(d)), d.shape)
    return float(d[i, j]), points[i], points[j]


# ------------------------------------------------------------- intensities
def values_in_mask(volume: Volume, mask: LesionMask, grid: Volume) -> np.ndarray:
    """Values of ``volume`` at its voxels whose centres fall inside ``mask`` (drawn on ``grid``)."""
    if _same_grid(volume, grid):
        return np.asarray(volume.voxels[mask.slices][mask.array], dtype=np.float64)
    idx = voxels_inside(volume, mask, grid)
    return np.asarray(volume.voxels[tuple(idx.T)], dtype=np.float64) if len(idx) else np.empty(0)


def voxels_inside(volume: Volume, mask: LesionMask, grid: Volume) -> np.ndarray:
    """(n, 3) indices of ``volume`` voxels whose centres are inside the mask on ``grid``."""
    if _same_grid(volume, grid):
        return mask.indices()
    lo = np.array(mask.offset) - 0.5
    hi = lo + np.array(mask.array.shape)
    box = np.array([[z, y, x] for z in (lo[0], hi[0]) for y in (lo[1], hi[1]) for x in (lo[2], hi[2])])
    corners = volume.patient_to_index(grid.index_to_patient(box))
    start = np.maximum(np.floor(corners.min(axis=0)).astype(int), 0)
    stop = np.minimum(np.ceil(corners.max(axis=0)).astype(int) + 1, np.array(volume.shape))
    if np.any(stop <= start):
        return np.empty((0, 3), dtype=int)
    zz, yy, xx = np.meshgrid(*[np.arange(a, b) for a, b in zip(start, stop)], indexing="ij")
    candidates = np.stack([zz.ravel(), yy.ravel(), xx.ravel()], axis=1)
    on_grid = np.rint(grid.patient_to_index(volume.index_to_patient(candidates))).astype(int)
    local = on_grid - np.array(mask.offset)
    ok = np.all((local >= 0) & (local < np.array(mask.array.shape)), axis=1)
    inside = np.zeros(len(candidates), dtype=bool)
    inside[ok] = mask.array[tuple(local[ok].T)]
    return candidates[inside]


def suv_statistics(pet: Volume, mask: LesionMask, grid: Volume, centroid_mm: np.ndarray) -> dict:
    idx = voxels_inside(pet, mask, grid)
    if len(idx) == 0:  # lesion smaller than a PET voxel: the voxel at its centre
        idx = np.rint(pet.patient_to_index(centroid_mm)).astype(int)[None]
        if not pet.contains_index(idx[0]):
            return {}
    values = pet.voxels[tuple(idx.T)].astype(np.float64)
    return {
        "suv_max": float(np.nanmax(values)),
        "suv_mean": float(np.nanmean(values)),
        "suv_peak": suv_peak(pet, idx),
    }


def suv_peak(pet: Volume, idx: np.ndarray) -> float:
    """Highest mean SUV in a 1 cm3 sphere centred on any of the given PET voxels."""
    dz, dy, dx = pet.spacing_mm
    r = PEAK_SPHERE_RADIUS_MM
    half = np.array([int(np.ceil(r / s)) for s in (dz, dy, dx)])
    zz, yy, xx = np.mgrid[-half[0]:half[0] + 1, -half[1]:half[1] + 1, -half[2]:half[2] + 1]
    kernel = ((zz * dz) ** 2 + (yy * dy) ** 2 + (xx * dx) ** 2) <= r * r
    kernel = kernel / kernel.sum()
    start = np.maximum(idx.min(axis=0) - half, 0)
    stop = np.minimum(idx.max(axis=0) + half + 1, np.array(pet.shape))
    region = np.nan_to_num(pet.voxels[tuple(slice(a, b) for a, b in zip(start, stop))].astype(np.float32))
    means = ndimage.correlate(region, kernel.astype(np.float32), mode="nearest")
    return float(means[tuple((idx - start).T)].max())


def _same_grid(a: Volume, b: Volume) -> bool:
    return a is b or (
        a.shape == b.shape
        and a.info.series_uid == b.info.series_uid
        and np.allclose(a.positions_mm, b.positions_mm)
    )


# --------------------------------------------------------------- distances
def boundary_points_mm(mask: LesionMask, grid: Volume) -> np.ndarray:
    edge = mask.array & ~ndimage.binary_erosion(mask.array)
    return grid.index_to_patient(np.argwhere(edge) + np.array(mask.offset))


def _voxel_extent(grid: Volume, direction: np.ndarray) -> float:
    dz, dy, dx = grid.spacing_mm
    return float(abs(direction @ grid.row_dir) * dx + abs(direction @ grid.col_dir) * dy
                 + abs(direction @ grid.normal) * dz)


def surface_distance_mm(
    a: Lesion, grid_a: Volume | None, b: Lesion, grid_b: Volume | None
) -> float:
    """Surface-to-surface distance between two lesions (0 when they touch or overlap).

    Contoured lesions are voxel boxes (edge to edge); a point-only lesion is its marker.
    """
    pa = _surface_points(a, grid_a)
    pb = _surface_points(b, grid_b)
    distance, i = cKDTree(pb).query(pa, k=1)
    n = int(np.argmin(distance))
    d = float(distance[n])
    if d == 0.0:
        return 0.0
    direction = (pb[i[n]] - pa[n]) / d
    margin = 0.0
    if a.mask is not None and grid_a is not None:
        margin += 0.5 * _voxel_extent(grid_a, direction)
        if grid_b is not None and b.mask is not None and _overlaps(a.mask, grid_a, b.mask, grid_b):
            return 0.0
    if b.mask is not None and grid_b is not None:
        margin += 0.5 * _voxel_extent(grid_b, direction)
    return max(0.0, d - margin)


def _surface_points(lesion: Lesion, grid: Volume | None) -> np.ndarray:
    if lesion.mask is not None and grid is not None:
        return boundary_points_mm(lesion.mask, grid)
    if lesion.point_mm is None:
        raise ValueError(f"lesion {lesion.id} has neither a mask nor a marker")
    return np.array([lesion.point_mm])


def _overlaps(ma: LesionMask, ga: Volume, mb: LesionMask, gb: Volume) -> bool:
    if _same_grid(ga, gb):
        lo = np.maximum(ma.offset, mb.offset)
        hi = np.minimum(np.array(ma.offset) + ma.array.shape, np.array(mb.offset) + mb.array.shape)
        if np.any(hi <= lo):
            return False
        sa = tuple(slice(l - o, h - o) for l, h, o in zip(lo, hi, ma.offset))
        sb = tuple(slice(l - o, h - o) for l, h, o in zip(lo, hi, mb.offset))
        return bool((ma.array[sa] & mb.array[sb]).any())
    return len(voxels_inside(ga, mb, gb)) > 0 and bool(
        np.any([ma.contains(i) for i in voxels_inside(ga, mb, gb)])
    )

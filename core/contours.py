"""Slice geometry of lesion masks: polygons, brush strokes, outlines, interpolation.

Everything here works in the index space of the volume a mask is drawn on.
A *plane* is the 2D slice of that grid at index ``index`` along array axis
``axis`` (0 = z, axial; 1 = y, coronal; 2 = x, sagittal); its two coordinates
``(a, b)`` are the indices along the remaining array axes in increasing order
(axial: (y, x); coronal: (z, x); sagittal: (z, y)). Pixel centres sit at
integer coordinates, pixel edges at half-integers. A contour drawn in the
coronal or sagittal view edits that plane of the same grid, so a lesion
always stays one mask on one grid.

Conventions (tested in tests/core/test_contours.py):

* :func:`polygon_to_mask`: a pixel is inside when its centre is inside the
  polygon by the even-odd rule. A centre exactly on an edge counts on the
  top/left edges and not on the bottom/right ones (half-open, as in raster
  graphics), so a polygon with corners on pixel centres of area A covers
  exactly A pixels and two polygons sharing an edge never both claim a pixel.
* :func:`brush_stroke`: pixels whose centre lies within ``radius_mm`` (in mm,
  with the plane's own pixel spacing) of the segment between two points.
* :func:`mask_outlines`: closed loops along pixel edges (the exact boundary
  of the voxels, holes included), inside on the right when walked in
  (row down, column right) screen order.
* :func:`fill_between_slices`: shape-based interpolation: signed distance
  maps of the two nearest contoured slices, blended linearly, inside where
  the blend is not positive.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import ndimage

from core.lesions import LesionMask


# ------------------------------------------------------------------ planes
def plane_axes(axis: int) -> tuple[int, int]:
    """The two array axes (a, b) spanning the plane normal to ``axis``."""
    if axis not in (0, 1, 2):
        raise ValueError(f"axis must be 0, 1 or 2 (z, y, x); got {axis!r}")
    a, b = (k for k in range(3) if k != axis)
    return a, b


def plane_shape(grid_shape: Sequence[int], axis: int) -> tuple[int, int]:
    a, b = plane_axes(axis)
    return int(grid_shape[a]), int(grid_shape[b])


def plane_spacing(spacing_mm: Sequence[float], axis: int) -> tuple[float, float]:
    """Pixel spacing (mm) of the plane from the volume's (dz, dy, dx)."""
    a, b = plane_axes(axis)
    return float(spacing_mm[a]), float(spacing_mm[b])


def _take(array: np.ndarray, axis: int, k: int) -> np.ndarray:
    return np.take(array, k, axis=axis)


def slice_region(mask: LesionMask | None, axis: int, index: int) -> tuple[np.ndarray, tuple[int, int]] | None:
    """The mask's voxels on one plane, as (2D box, (a, b) offset of the box); None when empty."""
    if mask is None:
        return None
    lo = mask.offset[axis]
    if not lo <= index < lo + mask.array.shape[axis]:
        return None
    box = _take(mask.array, axis, index - lo)
    if not box.any():
        return None
    a, b = plane_axes(axis)
    return box, (mask.offset[a], mask.offset[b])


def slice_outlines(mask: LesionMask | None, axis: int, index: int) -> list[np.ndarray]:
    """Outline loops of the mask on one plane, as (n, 2) arrays of plane (a, b) coordinates."""
    region = slice_region(mask, axis, index)
    if region is None:
        return []
    box, (oa, ob) = region
    return [loop + np.array([oa, ob], dtype=np.float64) for loop in mask_outlines(box)]


def paint_slice(
    mask: LesionMask | None,
    axis: int,
    index: int,
    region: np.ndarray,
    *,
    add: bool,
    grid_shape: Sequence[int],
    series_uid: str,
    region_offset: Sequence[int] = (0, 0),
) -> LesionMask | None:
    """A new mask with ``region`` (2D, plane coordinates from ``region_offset``)
    added to (``add=True``) or erased from plane ``index`` of ``mask``.

    ``mask`` may be None (a new lesion). Returns None when nothing is left.
    Works on the boxes only, never on the whole grid.
    """
    grid_shape = tuple(int(n) for n in grid_shape)
    region = np.asarray(region, dtype=bool)
    if region.ndim != 2:
        raise ValueError(f"region must be a 2D boolean array; got shape {region.shape}")
    if not 0 <= index < grid_shape[axis]:
        raise ValueError(f"plane index {index} is outside the grid (0..{grid_shape[axis] - 1} on axis {axis})")
    if mask is not None and (mask.grid_shape != grid_shape or mask.series_uid != series_uid):
        raise ValueError(
            f"mask is on series {mask.series_uid} {list(mask.grid_shape)}, "
            f"not on {series_uid} {list(grid_shape)}"
        )
    a, b = plane_axes(axis)
    # clip the region to the plane
    oa, ob = (int(v) for v in region_offset)
    na, nb = grid_shape[a], grid_shape[b]
    a0, b0 = max(oa, 0), max(ob, 0)
    a1, b1 = min(oa + region.shape[0], na), min(ob + region.shape[1], nb)
    if a1 <= a0 or b1 <= b0:
        return mask
    region = region[a0 - oa:a1 - oa, b0 - ob:b1 - ob]
    lo = [0, 0, 0]
    hi = [0, 0, 0]
    lo[axis], hi[axis] = index, index + 1
    lo[a], hi[a], lo[b], hi[b] = a0, a1, b0, b1
    if not add:
        if mask is None:
            return None
        # intersection of the region's box with the mask's box
        m_lo = np.array(mask.offset)
        m_hi = m_lo + np.array(mask.array.shape)
        i_lo = np.maximum(m_lo, lo)
        i_hi = np.minimum(m_hi, hi)
        if np.any(i_hi <= i_lo):
            return mask
        array = mask.array.copy()
        target = tuple(slice(l - m, h - m) for l, h, m in zip(i_lo, i_hi, m_lo))
        source = _plane_box(region, axis, (i_lo - np.array(lo)), (i_hi - i_lo))
        array[target] &= ~source
        return LesionMask.from_box(array, mask.offset, grid_shape, series_uid)
    if mask is not None:
        u_lo = np.minimum(np.array(mask.offset), lo)
        u_hi = np.maximum(np.array(mask.offset) + np.array(mask.array.shape), hi)
    else:
        u_lo, u_hi = np.array(lo), np.array(hi)
    array = np.zeros(tuple(u_hi - u_lo), dtype=bool)
    if mask is not None:
        array[tuple(slice(o - u, o - u + n) for o, u, n in zip(mask.offset, u_lo, mask.array.shape))] = mask.array
    target = tuple(slice(l - u, h - u) for l, h, u in zip(lo, hi, u_lo))
    array[target] |= np.expand_dims(region, axis)
    return LesionMask.from_box(array, tuple(int(v) for v in u_lo), grid_shape, series_uid)


def _plane_box(region: np.ndarray, axis: int, start: np.ndarray, size: np.ndarray) -> np.ndarray:
    """The part of a 2D region (expanded to 3D along ``axis``) at ``start`` of ``size`` (3D)."""
    a, b = plane_axes(axis)
    part = region[start[a]:start[a] + size[a], start[b]:start[b] + size[b]]
    return np.expand_dims(part, axis)


# ---------------------------------------------------------------- polygons
def polygon_to_mask(vertices, shape: Sequence[int]) -> np.ndarray:
    """Pixels of a plane of ``shape`` whose centres are inside a polygon.

    Parameters
    ----------
    vertices
        (n, 2) polygon corners in plane coordinates (a, b) = (row, column),
        pixel centres at integers; closed implicitly, n >= 3.
    shape
        (rows, columns) of the plane.

    Even-odd rule; centres on an edge: see the module docstring.
    """
    pts = np.asarray(vertices, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"vertices must be an (n, 2) array of (row, column); got shape {pts.shape}")
    if len(pts) < 3:
        raise ValueError(f"a polygon needs at least 3 vertices; got {len(pts)}")
    if not np.all(np.isfinite(pts)):
        raise ValueError("polygon vertices must be finite numbers")
    rows, cols = (int(n) for n in shape)
    out = np.zeros((rows, cols), dtype=bool)
    r0 = max(int(np.floor(pts[:, 0].min())), 0)
    r1 = min(int(np.ceil(pts[:, 0].max())), rows - 1)
    c0 = max(int(np.floor(pts[:, 1].min())), 0)
    c1 = min(int(np.ceil(pts[:, 1].max())), cols - 1)
    if r1 < r0 or c1 < c0:
        return out
    pr = np.arange(r0, r1 + 1, dtype=np.float64)[:, None]
    pc = np.arange(c0, c1 + 1, dtype=np.float64)[None, :]
    inside = np.zeros((len(pr), pc.shape[1]), dtype=bool)
    ends = np.roll(pts, -1, axis=0)
    for (ya, xa), (yb, xb) in zip(pts, ends):
        if ya == yb:
            continue  # a horizontal edge never crosses a horizontal ray
        crosses = (ya > pr) != (yb > pr)  # (rows, 1)
        x_cross = xa + (pr - ya) * (xb - xa) / (yb - ya)
        inside ^= crosses & (pc < x_cross)
    out[r0:r1 + 1, c0:c1 + 1] = inside
    return out


def polygons_to_mask(polygons: Sequence[np.ndarray], shape: Sequence[int]) -> np.ndarray:
    """Pixels of a plane inside an even-odd combination of polygons.

    ``polygons`` are (n, 2) arrays of (row, column) with pixel centres at
    integers, each closed implicitly. Scan-line crossings of every edge are
    counted per row at once (no loop over pixels), so a body outline of
    hundreds of points on a 512 x 512 slice costs about a millisecond.
    """
    rows, cols = (int(n) for n in shape)
    counts = np.zeros((rows, cols + 1), dtype=np.int32)
    for poly in polygons:
        pts = np.asarray(poly, dtype=np.float64)
        if len(pts) < 3:
            continue
        ya, xa = pts[:, 0], pts[:, 1]
        yb, xb = np.roll(ya, -1), np.roll(xa, -1)
        r0 = max(int(np.floor(ya.min())), 0)
        r1 = min(int(np.ceil(ya.max())), rows - 1)
        if r1 < r0:
            continue
        pr = np.arange(r0, r1 + 1, dtype=np.float64)[:, None]  # (r, 1)
        crosses = (ya > pr) != (yb > pr)  # (r, edges); horizontal edges never cross
        with np.errstate(divide="ignore", invalid="ignore"):
            x_cross = xa + (pr - ya) * (xb - xa) / (yb - ya)
        rr, ee = np.nonzero(crosses)
        # pixels c < x_cross are left of the crossing: columns 0 .. ceil(x)-1 toggle
        first_right = np.clip(np.ceil(x_cross[rr, ee]), 0, cols).astype(np.int64)
        np.add.at(counts, (rr + r0, first_right), 1)
    # a pixel is inside when an odd number of crossings lie to its right
    right = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]
    return (right[:, 1:] % 2 == 1)


def polygon_area(vertices) -> float:
    """Area (pixels^2) of a simple polygon given as (n, 2) plane coordinates (shoelace)."""
    pts = np.asarray(vertices, dtype=np.float64)
    a, b = pts[:, 0], pts[:, 1]
    return float(abs(np.dot(a, np.roll(b, -1)) - np.dot(b, np.roll(a, -1))) / 2.0)


# ------------------------------------------------------------------- brush
def brush_stroke(start, end, radius_mm: float, spacing_mm: Sequence[float], shape: Sequence[int]) -> np.ndarray:
    """Pixels within ``radius_mm`` of the segment start-end (a disk when they coincide).

    ``start``/``end`` are plane coordinates (a, b); ``spacing_mm`` the
    plane's (a, b) pixel spacing, so the brush is round in millimetres on
    anisotropic pixels (e.g. 3 mm slices across 0.8 mm pixels in a coronal view).
    """
    radius_mm = float(radius_mm)
    if not np.isfinite(radius_mm) or radius_mm <= 0:
        raise ValueError(f"brush radius must be a positive number of mm; got {radius_mm!r}")
    sa, sb = (float(v) for v in spacing_mm)
    if sa <= 0 or sb <= 0:
        raise ValueError(f"pixel spacing must be positive; got {list(spacing_mm)}")
    rows, cols = (int(n) for n in shape)
    p = np.asarray(start, dtype=np.float64) * (sa, sb)
    q = np.asarray(end, dtype=np.float64) * (sa, sb)
    out = np.zeros((rows, cols), dtype=bool)
    lo = np.minimum(p, q) - radius_mm
    hi = np.maximum(p, q) + radius_mm
    r0, r1 = max(int(np.floor(lo[0] / sa)), 0), min(int(np.ceil(hi[0] / sa)), rows - 1)
    c0, c1 = max(int(np.floor(lo[1] / sb)), 0), min(int(np.ceil(hi[1] / sb)), cols - 1)
    if r1 < r0 or c1 < c0:
        return out
    ya = np.arange(r0, r1 + 1, dtype=np.float64)[:, None] * sa
    xb = np.arange(c0, c1 + 1, dtype=np.float64)[None, :] * sb
    d = q - p
    length2 = float(d @ d)
    if length2 == 0.0:
        t = 0.0
    else:
        t = np.clip(((ya - p[0]) * d[0] + (xb - p[1]) * d[1]) / length2, 0.0, 1.0)
    dist2 = (ya - (p[0] + t * d[0])) ** 2 + (xb - (p[1] + t * d[1])) ** 2
    out[r0:r1 + 1, c0:c1 + 1] = dist2 <= radius_mm**2 * (1 + 1e-9)
    return out


def brush_disk(centre, radius_mm: float, spacing_mm: Sequence[float], shape: Sequence[int]) -> np.ndarray:
    """Pixels whose centre is within ``radius_mm`` of ``centre`` (plane coordinates)."""
    return brush_stroke(centre, centre, radius_mm, spacing_mm, shape)


# ---------------------------------------------------------------- outlines
_RIGHT_TURN = {(1, 0): (0, -1), (0, -1): (-1, 0), (-1, 0): (0, 1), (0, 1): (1, 0)}


def mask_outlines(mask2d: np.ndarray) -> list[np.ndarray]:
    """Closed outlines of a 2D mask along pixel edges.

    Returns a list of (n, 2) float arrays of (row, column) corner
    coordinates (pixel edges at half-integers), one per loop (outer
    boundaries and holes), without the closing repeat of the first point and
    with collinear points removed. Pixels touching only at a corner belong to
    separate loops.
    """
    m = np.asarray(mask2d, dtype=bool)
    if m.ndim != 2:
        raise ValueError(f"mask must be 2D; got shape {m.shape}")
    if not m.any():
        return []
    p = np.pad(m, 1)
    # corner (i, j) of the padded grid = top-left corner of padded pixel (i, j)
    edges: dict[tuple[int, int], list[tuple[int, int]]] = {}

    def add(starts: np.ndarray, dr: int, dc: int) -> None:
        for i, j in starts.tolist():
            edges.setdefault((i, j), []).append((dr, dc))

    inside = p[1:-1, 1:-1]
    up_out = ~p[:-2, 1:-1]
    down_out = ~p[2:, 1:-1]
    left_out = ~p[1:-1, :-2]
    right_out = ~p[1:-1, 2:]
    ij = np.argwhere(inside & up_out) + 1      # top edge: east along row i
    add(ij, 0, 1)
    ij = np.argwhere(inside & down_out) + 1    # bottom edge: west along row i+1
    add(ij + [1, 1], 0, -1)
    ij = np.argwhere(inside & left_out) + 1    # left edge: north along column j
    add(ij + [1, 0], -1, 0)
    ij = np.argwhere(inside & right_out) + 1   # right edge: south along column j+1
    add(ij + [0, 1], 1, 0)

    loops: list[np.ndarray] = []
    while edges:
        # a start with one way out (never a saddle), so the loop closes where it began
        start = next((v for v, outs in edges.items() if len(outs) == 1), next(iter(edges)))
        vertex = start
        heading = None
        points = [start]
        while True:
            outs = edges.get(vertex)
            if not outs:
                break
            if len(outs) == 1 or heading is None:
                step = outs[0]
            else:  # a saddle: turn right, keeping corner-touching pixels apart
                turn = _RIGHT_TURN[heading]
                step = turn if turn in outs else outs[0]
            outs.remove(step)
            if not outs:
                del edges[vertex]
            heading = step
            vertex = (vertex[0] + step[0], vertex[1] + step[1])
            if vertex == start:
                break
            points.append(vertex)
        loops.append(_simplify(np.array(points, dtype=np.float64)) - 1.5)
    return loops


def _simplify(points: np.ndarray) -> np.ndarray:
    """Drop vertices where the loop goes straight on."""
    if len(points) < 4:
        return points
    prev = np.roll(points, 1, axis=0)
    nxt = np.roll(points, -1, axis=0)
    d1 = points - prev
    d2 = nxt - points
    cross = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    return points[cross != 0]


# ----------------------------------------------------------- interpolation
def signed_distance(mask2d: np.ndarray, spacing_mm: Sequence[float] = (1.0, 1.0)) -> np.ndarray:
    """Signed distance (mm) between pixel centres: negative inside, positive outside.

    An inside pixel gets minus its distance to the nearest outside pixel, an
    outside pixel its distance to the nearest inside pixel, so the zero level
    lies half-way between boundary pixels.
    """
    m = np.asarray(mask2d, dtype=bool)
    if not m.any() or m.all():
        raise ValueError("signed distance needs a slice with pixels both inside and outside")
    sampling = tuple(float(v) for v in spacing_mm)
    outside = ndimage.distance_transform_edt(~m, sampling=sampling)
    inside = ndimage.distance_transform_edt(m, sampling=sampling)
    return outside - inside


def interpolate_slices(
    first: np.ndarray, last: np.ndarray, n_between: int, spacing_mm: Sequence[float] = (1.0, 1.0)
) -> np.ndarray:
    """Shape-based interpolation: (n_between, rows, cols) masks between two slice masks.

    Slice ``i`` (0-based) lies at fraction t = (i + 1) / (n_between + 1) from
    ``first`` to ``last``; it is inside where
    (1 - t) * sd(first) + t * sd(last) <= 0 (an exact tie, half-way between
    slices that differ by one pixel, counts as inside). Outlines that do not
    overlap from one slice to the other do not travel across: they shrink
    and vanish half-way, so contour slices close enough for the lesion to
    overlap itself.
    """
    first = np.asarray(first, dtype=bool)
    last = np.asarray(last, dtype=bool)
    if first.shape != last.shape or first.ndim != 2:
        raise ValueError(f"both slices must be 2D of the same shape; got {first.shape} and {last.shape}")
    if n_between < 0:
        raise ValueError(f"n_between must be >= 0; got {n_between}")
    # pad by one pixel so that a slice filling its box still has an outside
    fa = signed_distance(np.pad(first, 1), spacing_mm)
    fb = signed_distance(np.pad(last, 1), spacing_mm)
    out = np.zeros((n_between,) + first.shape, dtype=bool)
    for i in range(n_between):
        t = (i + 1) / (n_between + 1)
        out[i] = ((1.0 - t) * fa + t * fb <= 0)[1:-1, 1:-1]
    return out


def contoured_slices(array: np.ndarray, axis: int) -> list[int]:
    """Indices along ``axis`` of the non-empty slices of a 3D mask box."""
    other = tuple(k for k in range(3) if k != axis)
    return [int(k) for k in np.nonzero(np.asarray(array, bool).any(axis=other))[0]]


def fill_between_slices(array: np.ndarray, axis: int, spacing_mm: Sequence[float] = (1.0, 1.0)) -> np.ndarray:
    """Fill the empty slices between contoured ones of a 3D mask (shape-based).

    Every run of empty slices along ``axis`` that has a contoured slice on
    both sides is filled by :func:`interpolate_slices` of those two; slices
    already contoured are left as they are. ``spacing_mm`` is the in-plane
    (a, b) pixel spacing.
    """
    out = np.array(array, dtype=bool, copy=True)
    done = contoured_slices(out, axis)
    for k0, k1 in zip(done, done[1:]):
        if k1 - k0 < 2:
            continue
        fill = interpolate_slices(_take(out, axis, k0), _take(out, axis, k1), k1 - k0 - 1, spacing_mm)
        for i, k in enumerate(range(k0 + 1, k1)):
            index = [slice(None)] * 3
            index[axis] = k
            out[tuple(index)] = fill[i]
    return out


def interpolate_mask(mask: LesionMask, axis: int, spacing_mm: Sequence[float]) -> LesionMask:
    """The lesion mask with the gaps between its contoured planes (normal to
    ``axis``) filled; ``spacing_mm`` is the volume's (dz, dy, dx)."""
    filled = fill_between_slices(mask.array, axis, plane_spacing(spacing_mm, axis))
    result = LesionMask.from_box(filled, mask.offset, mask.grid_shape, mask.series_uid)
    assert result is not None  # filling never removes voxels
    return result


def gaps(mask: LesionMask | None, axis: int) -> int:
    """How many empty planes lie between contoured planes along ``axis``."""
    if mask is None:
        return 0
    done = contoured_slices(mask.array, axis)
    return sum(k1 - k0 - 1 for k0, k1 in zip(done, done[1:]))

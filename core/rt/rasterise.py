"""Contours (patient mm) to a voxel mask on an image grid, as planning systems do.

Rules (tested in tests/core/test_rt_rasterise.py):

* Only CLOSED_PLANAR contours enclose a region; POINT, OPEN_PLANAR and
  OPEN_NONPLANAR contours are counted and reported, never silently dropped.
* In the plane, a pixel is inside when its centre is inside by the even-odd
  rule over *all* the contours of the ROI on that plane: a contour inside
  another is a hole, one inside a hole an island (the DICOM convention that
  Eclipse, RayStation and SlicerRT follow). A centre exactly on an edge counts
  on the left/top edges only, as :func:`core.contours.polygon_to_mask`.
* Across planes, each contour plane stands for a slab half-way to its
  neighbouring planes. Each image slice takes the contours of the nearest
  contour plane when that plane is within half a step (the larger of the
  image step and the contour step), so contours drawn on planes between the
  image slices, or at another spacing, land on the nearest slices, and slices
  beyond the outermost contour planes stay empty. The contour step is the
  smallest distance between contour planes (a gap in the contours, e.g.
  between two lesions in one ROI, stays a gap). Contours denser than the
  slices (drawn on a 3 mm CT, shown on a 4 mm PET of the same frame of
  reference) are thereby resampled: each slice shows its nearest plane.
* A contour that lies outside the image slices is reported with its position.
* Contours not parallel to the image slices (a CT structure set shown on a
  sagittal or oblique MR of the same frame of reference) are rasterised on a
  grid parallel to their own planes and resampled in 3D onto the image grid
  (:mod:`core.rt.rasterise_oblique`), with a warning saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.contours import polygons_to_mask
from core.dicom.structure_sets import SUPPORTED_CONTOUR_TYPE
from core.lesions import LesionMask
from core.rt.rasterise_oblique import rasterise_across
from core.volume import Volume

#: Contours whose points spread more than this fraction of a slice step along
#: the normal are not parallel to the image slices.
PLANARITY_FRACTION = 0.1


@dataclass(frozen=True)
class Contour:
    """One item of (3006,0040) Contour Sequence.

    ``points_mm`` is (3006,0050) Contour Data as (n, 3) LPS mm; ``kind`` is
    (3006,0042) Contour Geometric Type; ``image_uid`` the (0008,1155)
    Referenced SOP Instance UID of its Contour Image Sequence ("" when absent).
    """

    points_mm: np.ndarray
    kind: str = SUPPORTED_CONTOUR_TYPE
    image_uid: str = ""


@dataclass(frozen=True)
class RasterResult:
    mask: LesionMask | None
    warnings: tuple[str, ...]
    n_drawn: int


def rasterise_contours(contours: Sequence[Contour], volume: Volume, name: str = "ROI") -> RasterResult:
    """Rasterise the contours of one ROI on the grid of ``volume``."""
    warnings: list[str] = []
    skipped: dict[str, int] = {}
    planes: dict[float, list[np.ndarray]] = {}
    normal = volume.normal
    step = float(volume.spacing_mm[0]) or 1.0
    not_parallel = 0
    closed: list[np.ndarray] = []
    for contour in contours:
        kind = (contour.kind or "").strip().upper()
        pts = np.asarray(contour.points_mm, dtype=np.float64).reshape(-1, 3)
        if kind != SUPPORTED_CONTOUR_TYPE:
            skipped[kind or "no type"] = skipped.get(kind or "no type", 0) + 1
            continue
        if len(pts) < 3 or not np.all(np.isfinite(pts)):
            skipped["degenerate CLOSED_PLANAR (fewer than 3 finite points)"] = (
                skipped.get("degenerate CLOSED_PLANAR (fewer than 3 finite points)", 0) + 1)
            continue
        closed.append(pts)
        along = pts @ normal
        if float(along.max() - along.min()) > PLANARITY_FRACTION * step:
            not_parallel += 1
        planes.setdefault(round(float(along.mean()), 2), []).append(pts)
    for kind, n in sorted(skipped.items()):
        warnings.append(f"{name}: {n} {kind} contour(s) not drawn (only {SUPPORTED_CONTOUR_TYPE} "
                        "contours enclose a region)")
    if not_parallel:
        # contours across the slices (axial contours on a sagittal or oblique MR)
        mask, across_warnings, n_drawn = rasterise_across(closed, volume, name, not_parallel)
        return RasterResult(mask, tuple(warnings + across_warnings), n_drawn)
    if not planes:
        return RasterResult(None, tuple(warnings), 0)

    plane_offsets = np.array(sorted(planes))
    contour_step = float(np.min(np.diff(plane_offsets))) if len(plane_offsets) > 1 else step
    tolerance = 0.5 * max(step, contour_step) + 1e-3
    slice_offsets = volume.slice_offsets_mm
    nz, ny, nx = volume.shape

    # which contour plane each image slice takes
    nearest = np.abs(slice_offsets[:, None] - plane_offsets[None, :])
    choice = np.argmin(nearest, axis=1)
    used_planes = set()
    slabs: dict[int, np.ndarray] = {}
    for k in range(nz):
        p = int(choice[k])
        if nearest[k, p] > tolerance:
            continue
        used_planes.add(p)
        polygons = []
        for pts in planes[float(plane_offsets[p])]:
            idx = volume.patient_to_index(pts)
            polygons.append(idx[:, 1:])  # (row, column) = (y, x)
        plane_mask = polygons_to_mask(polygons, (ny, nx))
        if plane_mask.any():
            slabs[k] = plane_mask
    # Planes left unused because a nearer plane took every slice around them are the
    # normal case when the contours are denser than the slices (a structure set drawn on
    # a 3 mm CT shown on a 4 mm PET); planes beyond the slices are reported.
    lo, hi = float(slice_offsets.min()) - tolerance, float(slice_offsets.max()) + tolerance
    sparser_slices = step > contour_step + 1e-3
    outside = [float(plane_offsets[p]) for p in range(len(plane_offsets)) if p not in used_planes
               and (not sparser_slices or not lo <= float(plane_offsets[p]) <= hi)]
    if outside:
        warnings.append(
            f"{name}: {len(outside)} contour plane(s) lie outside the image slices or between "
            f"contour planes already used (at {', '.join(f'{v:.1f}' for v in outside[:5])}"
            f"{', ...' if len(outside) > 5 else ''} mm along the slice normal); not drawn"
        )
    n_drawn = sum(len(planes[float(plane_offsets[p])]) for p in used_planes)
    if not slabs:
        return RasterResult(None, tuple(warnings), n_drawn)
    ks = sorted(slabs)
    box = np.zeros((ks[-1] - ks[0] + 1, ny, nx), dtype=bool)
    for k in ks:
        box[k - ks[0]] = slabs[k]
    mask = LesionMask.from_box(box, (ks[0], 0, 0), volume.shape, volume.info.series_uid)
    return RasterResult(mask, tuple(warnings), n_drawn)


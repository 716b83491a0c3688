"""The PERCIST 1.0 liver reference: a 3 cm sphere in the right lobe of the liver.

Placed, in this order: where the user put it; in the case's liver structure
(the deepest point of its right half); or found on the PET alone. The search
on the PET looks for the largest region of even, moderate uptake on the
patient's right: positions where a 3 cm sphere lies 2 cm inside the body,
reads between 1.3 and 4.5 SUVbw and varies little (SD under a quarter of the
mean), grouped by similar uptake; the liver is the largest such group right
of the midline. Spleen, kidneys and blood pool are smaller; muscle reads
lower; brain and myocardium read higher or are uneven. Not tuned to any one
scan; the user sees where it went and can move it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from core.detect.body import BodyOutline

SPHERE_DIAMETER_MM = 30.0
#: plausible liver uptake, SUVbw, and the largest relative SD of an even region
LIVER_SUV_RANGE = (1.3, 4.5)
MAX_CV = 0.25
#: how deep in the body (mm) the sphere's centre must lie
MIN_DEPTH_MM = 20.0
#: coarse search step (mm)
SEARCH_STEP_MM = 8.0


@dataclass(frozen=True)
class Placement:
    centre_mm: tuple[float, float, float]
    method: str  # "user", "structure:NAME" or "automatic"


@dataclass(frozen=True)
class SphereStats:
    mean: float  # SUVbw
    sd: float
    n_voxels: int


def sphere_stats(pet, suv: np.ndarray, centre_mm, diameter_mm: float = SPHERE_DIAMETER_MM) -> SphereStats | None:
    """Mean and SD (SUVbw) of the voxels whose centres lie in the sphere; None when none do."""
    from core.samples import sphere_mask

    mask = sphere_mask(pet, centre_mm, diameter_mm)
    if mask is None:
        return None
    values = suv[mask.slices][mask.array]
    if values.size == 0:
        return None
    return SphereStats(float(values.mean()), float(values.std(ddof=1)) if values.size > 1 else 0.0, int(values.size))


def place_reference(pet, suv: np.ndarray, outline: BodyOutline, *, user_centre_mm=None,
                    liver: tuple[str, np.ndarray] | None = None) -> Placement | None:
    """Where the reference sphere goes; None when no liver-like region is found."""
    if user_centre_mm is not None:
        return Placement(tuple(float(v) for v in user_centre_mm), "user")
    factors = np.maximum(1, np.rint(SEARCH_STEP_MM / np.asarray(pet.spacing_mm, float))).astype(int)
    coarse = _block_sample(suv, factors, tuple(int(n) // int(f) for n, f in zip(suv.shape, factors)), np.float32)
    body = _block_sample(outline.mask, factors, coarse.shape)
    step_mm = np.asarray(pet.spacing_mm, float) * factors
    if liver is not None:
        name, mask = liver
        organ = _block_sample(mask, factors, coarse.shape)
        depth = ndimage.distance_transform_edt(organ, sampling=step_mm)
        inside = depth >= 0.5 * SPHERE_DIAMETER_MM
        if not inside.any():  # a small or thin structure: its deepest point
            inside = depth >= depth.max() * 0.999 if depth.max() > 0 else organ
        centre = _right_deepest(pet, inside, factors, step_mm, outline)
        return Placement(centre, f"structure:{name}") if centre is not None else None
    size = np.maximum(1, np.rint(0.806 * SPHERE_DIAMETER_MM / step_mm)).astype(int)  # a cube of the sphere's volume
    mean = ndimage.uniform_filter(coarse, size=tuple(size), mode="nearest")
    square = ndimage.uniform_filter(coarse * coarse, size=tuple(size), mode="nearest")
    sd = np.sqrt(np.maximum(square - mean * mean, 0.0))
    depth = ndimage.distance_transform_edt(body, sampling=step_mm)
    low, high = LIVER_SUV_RANGE
    valid = (depth >= MIN_DEPTH_MM) & (mean >= low) & (mean <= high) & (sd <= MAX_CV * mean)
    valid &= _right_of_midline(pet, valid.shape, factors, outline)
    if not valid.any():
        return None
    log_mean = np.log(np.where(valid, mean, 1.0))
    best, best_size = None, 0
    for centre in np.arange(np.log(low), np.log(high), 0.08):
        band = valid & (np.abs(log_mean - centre) <= 0.12)
        labels, n = ndimage.label(band, structure=np.ones((3, 3, 3), bool))
        if n == 0:
            continue
        sizes = np.bincount(labels.ravel())[1:]
        biggest = int(np.argmax(sizes))
        if sizes[biggest] > best_size:
            best, best_size = labels == biggest + 1, int(sizes[biggest])
    if best is None:
        return None
    centre = _right_deepest(pet, best, factors, step_mm, outline)
    return Placement(centre, "automatic") if centre is not None else None


def _block_sample(mask: np.ndarray, factors, shape, dtype=bool) -> np.ndarray:
    """The centre voxel of each block (a block mean would cost a float copy of the whole PET; the search
    averages over the sphere's cube anyway)."""
    fz, fy, fx = (int(f) for f in factors)
    out = np.zeros(shape, dtype)
    sub = mask[fz // 2::fz, fy // 2::fy, fx // 2::fx][:shape[0], :shape[1], :shape[2]]
    out[:sub.shape[0], :sub.shape[1], :sub.shape[2]] = sub
    return out


def _coarse_to_patient(pet, idx: np.ndarray, factors) -> np.ndarray:
    fine = idx * np.asarray(factors) + (np.asarray(factors) - 1) / 2.0
    return pet.index_to_patient(fine.astype(np.float64))


def _right_of_midline(pet, shape, factors, outline: BodyOutline) -> np.ndarray:
    """Coarse positions on the patient's right of their slice's midline (LPS: right is -x)."""
    nz, ny, nx = shape
    out = np.zeros(shape, bool)
    for k in range(nz):
        fine_k = int(min(k * factors[0] + factors[0] // 2, outline.centre_zyx.shape[0] - 1))
        c = outline.centre_zyx[fine_k]
        if not np.isfinite(c[1]):
            continue
        cols = np.arange(nx)
        pts = np.stack([np.full(nx, c[0]), np.full(nx, c[1]), cols * factors[2] + (factors[2] - 1) / 2.0], axis=1)
        x = pet.index_to_patient(pts)[:, 0]
        mid = pet.index_to_patient(c[None, :])[0, 0]
        out[k, :, :] = (x < mid)[None, :]
    return out


def _right_deepest(pet, region: np.ndarray, factors, step_mm, outline: BodyOutline):
    """The deepest point of the right half of ``region`` (PERCIST: the right lobe), LPS mm."""
    idx = np.argwhere(region)
    if idx.size == 0:
        return None
    xyz = _coarse_to_patient(pet, idx.astype(np.float64), factors)
    right = xyz[:, 0] <= np.median(xyz[:, 0])
    depth = ndimage.distance_transform_edt(np.pad(region, 1), sampling=step_mm)[1:-1, 1:-1, 1:-1]
    scores = np.where(right, depth[tuple(idx.T)], -1.0)
    best = int(np.argmax(scores))
    return tuple(float(v) for v in xyz[best])

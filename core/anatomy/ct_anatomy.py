"""Coarse anatomy from a CT (and a body outline from a PET), computed once per volume.

Not a segmentation for planning: just enough to propose a lesion's organ and
side, on any patient (nothing here knows the phantoms). Everything is done on
a copy of the CT block-averaged to about 4 mm voxels:

* body: voxels above -500 HU, opened, the largest 3D component, holes filled
  slice by slice (so the lungs and bowel gas are inside it, the table is not);
* lungs: air (< -400 HU) inside the body, in 3D components of at least 20 cm3
  whose median is above -960 HU (lung parenchyma, not pure bowel gas); their
  slice-by-slice filled hull holds the nodules inside them;
* bone: voxels above 150 HU (4 mm average) or holding one above 450 HU (a rib),
  connected to cortex (a voxel above 650 HU at full resolution),
  plus the small holes they enclose in a slice (a vertebral body with a lytic
  metastasis, the spinal canal, the marrow of long bones);
* brain: soft tissue enclosed by bone in slices whose body is small (a head),
  above the lungs when there are lungs;
* liver: the largest soft-tissue region on the patient's right, in front of
  the spine, once thin connections are eroded away (10 mm), grown back and
  with its holes (hypodense metastases) filled;
* the midline of every slice: the centre of the body outline there (not x = 0).

:func:`ct_anatomy` and :func:`pet_outline` cache their result per volume, so
a proposal for one more lesion only samples these masks.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from core.volume import Volume

#: Target voxel size of the coarse maps (mm).
COARSE_MM = 4.0
BODY_HU, AIR_HU, LUNG_MEDIAN_MIN_HU = -500.0, -400.0, -960.0
#: Bone: coarse voxels above BONE_HU connected to a voxel whose finest value exceeds CORTEX_HU.
BONE_HU, CORTEX_HU = 150.0, 650.0
#: A coarse voxel holding a full-resolution voxel above this is bone too (ribs are thinner than 4 mm voxels).
THIN_BONE_HU = 450.0
SOFT_LOW_HU, SOFT_HIGH_HU = -30.0, 250.0
LUNG_MIN_CC = 20.0
LIVER_ERODE_MM, LIVER_MIN_CC = 10.0, 300.0
#: Liver voxels lie within this many HU of the liver's commonest CT number: 2.5 robust SDs of the
#: sample under the right lung, kept between these limits (tight enough to leave out muscle and heart,
#: about 20 HU below the liver on an unenhanced CT).
LIVER_HU_WINDOW = (12.0, 25.0)
#: Enclosed by bone in one slice: below this area a hole is bone (canal, marrow);
#: between it and the head limit it may be the brain.
BONE_HOLE_MAX_MM2, BRAIN_HOLE_MAX_MM2 = 2500.0, 30000.0
HEAD_BODY_MAX_MM2 = 45000.0

_PLANE = np.zeros((3, 3, 3), bool)
_PLANE[1] = ndimage.generate_binary_structure(2, 1)


@dataclass(frozen=True, eq=False)
class AnatomyMap:
    """Boolean masks on a coarse grid over ``volume`` (index = fine index // step).

    ``midline_x_mm[k]`` is the body outline's centre (LPS x, mm) on coarse slice
    ``k`` (NaN where the slice holds no body). Masks other than ``body`` are
    None for a PET outline (it knows the body and the midline only).
    """

    volume: Volume
    step: tuple[int, int, int]
    body: np.ndarray
    midline_x_mm: np.ndarray
    lung_air: np.ndarray | None = None
    lung_hull: np.ndarray | None = None
    bone: np.ndarray | None = None
    brain: np.ndarray | None = None
    liver: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.body.shape  # type: ignore[return-value]

    @property
    def coarse_spacing_mm(self) -> np.ndarray:
        return np.array(self.volume.spacing_mm) * np.array(self.step)

    def coarse_index(self, xyz_mm: np.ndarray) -> np.ndarray:
        """(n, 3) patient points -> (n, 3) coarse (z, y, x) indices (may fall outside)."""
        fine = np.rint(self.volume.patient_to_index(np.atleast_2d(xyz_mm))).astype(int)
        return fine // np.array(self.step)


_CACHE: "weakref.WeakKeyDictionary[Volume, AnatomyMap]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
_BUILD_LOCK = threading.Lock()


def ct_anatomy(ct: Volume) -> AnatomyMap:
    """The coarse anatomy of ``ct`` (HU), computed on first use and cached per volume
    (thread-safe: a second caller waits for the first build, e.g. the gui's warm-up)."""
    return _cached(ct, _build_ct)


def pet_outline(pet: Volume) -> AnatomyMap:
    """The body outline and midline of a PET (no organs), cached per volume."""
    return _cached(pet, _build_pet)


def is_cached(volume: Volume) -> bool:
    """Whether the anatomy of ``volume`` is built already (a proposal then only samples it)."""
    with _LOCK:
        return volume in _CACHE


def _cached(volume: Volume, build) -> AnatomyMap:
    with _BUILD_LOCK:
        found = _CACHE.get(volume)
        if found is None:
            found = build(volume)
            with _LOCK:
                _CACHE[volume] = found
    return found


# ----------------------------------------------------------------- building
def _coarse(volume: Volume, how: str = "mean") -> tuple[np.ndarray, tuple[int, int, int]]:
    """``volume`` block-averaged (or block maximum, ``how="max"``) to about COARSE_MM voxels."""
    step = tuple(max(1, int(round(COARSE_MM / s))) for s in volume.spacing_mm)
    v = np.asarray(volume.voxels)
    shape = tuple(max(1, n // s) for n, s in zip(v.shape, step))
    if any(n < s for n, s in zip(v.shape, step)):  # tiny volume: as it is
        return v.astype(np.float32), (1, 1, 1)
    v = v[:shape[0] * step[0], :shape[1] * step[1], :shape[2] * step[2]]
    blocks = v.reshape(shape[0], step[0], shape[1], step[1], shape[2], step[2])
    out = blocks.max(axis=(1, 3, 5)) if how == "max" else blocks.mean(axis=(1, 3, 5), dtype=np.float32)
    return out.astype(np.float32), step  # type: ignore[return-value]


def _largest(mask: np.ndarray, structure=None) -> np.ndarray:
    labels, n = ndimage.label(mask, structure=structure)
    if n == 0:
        return mask
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(np.argmax(sizes))


def _body(values: np.ndarray, threshold: float) -> np.ndarray:
    body = values > threshold
    opened = ndimage.binary_opening(body, structure=_PLANE)
    body = _largest(opened if opened.any() else body)
    return ndimage.binary_fill_holes(body, structure=_PLANE)


def _midline(volume: Volume, body: np.ndarray, step) -> np.ndarray:
    out = np.full(body.shape[0], np.nan)
    for k in range(body.shape[0]):
        jj, ii = np.nonzero(body[k])
        if len(jj) == 0:
            continue
        centre = np.array([[(k + 0.5) * step[0] - 0.5, (jj.mean() + 0.5) * step[1] - 0.5,
                            (ii.mean() + 0.5) * step[2] - 0.5]])
        out[k] = float(volume.index_to_patient(centre)[0][0])
    return out


def _build_pet(pet: Volume) -> AnatomyMap:
    values, step = _coarse(pet)
    positive = values[values > 0]
    top = float(np.percentile(positive, 99)) if positive.size else 0.0
    body = _body(values, 0.03 * top) if top > 0 else np.zeros(values.shape, bool)
    return AnatomyMap(pet, step, body, _midline(pet, body, step))


def _build_ct(ct: Volume) -> AnatomyMap:
    hu, step = _coarse(ct)
    voxel_cc = float(np.prod(np.array(ct.spacing_mm) * np.array(step))) / 1000.0
    pixel_mm2 = float(np.prod((np.array(ct.spacing_mm) * np.array(step))[1:]))
    body = _body(hu, BODY_HU)
    midline = _midline(ct, body, step)

    # lungs: parenchyma-like air components inside the body
    air = (hu < AIR_HU) & body
    labels, n = ndimage.label(air)
    lung_air = np.zeros_like(air)
    if n:
        sizes = np.bincount(labels.ravel())
        medians = ndimage.median(hu, labels, index=np.arange(1, n + 1))
        keep = [i + 1 for i in range(n) if sizes[i + 1] * voxel_cc >= LUNG_MIN_CC
                and medians[i] > LUNG_MEDIAN_MIN_HU]
        lung_air = np.isin(labels, keep)
    lung_hull = ndimage.binary_fill_holes(lung_air, structure=_PLANE)

    # bone: connected to cortex, plus the small holes it encloses in a slice
    peak, _ = _coarse(ct, "max")
    dense = ((hu > BONE_HU) | (peak > THIN_BONE_HU)) & body  # thin bone (a rib) averages low
    labels, n = ndimage.label(dense)
    bone = np.zeros_like(dense)
    if n:
        seeds = np.unique(labels[(peak > CORTEX_HU) & dense])
        bone = np.isin(labels, seeds[seeds > 0])
    holes = ndimage.binary_fill_holes(bone, structure=_PLANE) & ~bone
    hole_labels, n_holes = ndimage.label(holes, structure=_PLANE)
    brain = np.zeros_like(bone)
    if n_holes:
        areas = np.bincount(hole_labels.ravel()) * pixel_mm2
        small = np.nonzero(areas <= BONE_HOLE_MAX_MM2)[0]
        small = small[small > 0]
        bone = bone | np.isin(hole_labels, small)
        lung_top = np.nonzero(lung_air.any(axis=(1, 2)))[0]
        body_area = body.sum(axis=(1, 2)) * pixel_mm2
        big = [i for i in range(1, n_holes + 1) if BONE_HOLE_MAX_MM2 < areas[i] <= BRAIN_HOLE_MAX_MM2]
        if big:
            slices = ndimage.find_objects(hole_labels)
            for i in big:
                k = slices[i - 1][0].start
                above_lungs = not len(lung_top) or k > lung_top[-1]
                if above_lungs and body_area[k] <= HEAD_BODY_MAX_MM2:
                    brain |= hole_labels == i
        brain &= (hu > SOFT_LOW_HU) & (hu < 120)
    liver = _liver(ct, hu, body, lung_hull, bone | brain, midline, step, voxel_cc)
    return AnatomyMap(ct, step, body, midline, lung_air, lung_hull, bone, brain, liver)


def _liver(ct, hu, body, lung_hull, bone, midline, step, voxel_cc) -> np.ndarray:
    """The liver: its CT number is read under the right lung's base (or, without lungs, from the
    largest soft-tissue region on the right); then the voxels near that number, eroded 10 mm to cut
    the organs touching it, the right-sided anterior region grown back and its holes filled."""
    soft = body & ~lung_hull & ~bone & (hu > SOFT_LOW_HU) & (hu < SOFT_HIGH_HU)
    spacing = np.array(ct.spacing_mm) * np.array(step)
    sample = _below_right_lung(ct, hu, soft, lung_hull, midline, step, spacing)
    if sample is None:
        seed = _right_anterior_region(ct, soft, body, midline, step, spacing, voxel_cc)
        if seed is None:
            return np.zeros_like(body)
        sample = hu[seed]
    typical = _mode(sample)
    near = sample[np.abs(sample - typical) < 50.0]
    spread = 1.4826 * float(np.median(np.abs(near - typical))) if near.size else 0.0
    window = float(np.clip(2.5 * spread, *LIVER_HU_WINDOW))
    similar = soft & (np.abs(hu - typical) < window)
    seed = _right_anterior_region(ct, similar, body, midline, step, spacing, voxel_cc)
    if seed is None:
        return np.zeros_like(body)
    near = ndimage.distance_transform_edt(~seed, sampling=spacing) <= LIVER_ERODE_MM + spacing.max()
    grown = _largest(near & similar)
    if grown.sum() * voxel_cc < LIVER_MIN_CC:
        return np.zeros_like(body)
    return ndimage.binary_fill_holes(grown, structure=_PLANE)


def _mode(values: np.ndarray) -> float:
    counts, edges = np.histogram(values, bins=np.arange(SOFT_LOW_HU, SOFT_HIGH_HU + 5.0, 5.0))
    i = int(np.argmax(counts))
    return float(edges[i] + 2.5)


def _below_right_lung(ct, hu, soft, lung_hull, midline, step, spacing) -> np.ndarray | None:
    """The soft-tissue CT numbers 15 to 40 mm below the right lung's base (the liver, on most patients)."""
    if not lung_hull.any():
        return None
    nz = hu.shape[0]
    x_mm = _x_mm_grid(ct, hu.shape, step)
    right = lung_hull & (x_mm < midline[:, None, None])
    if not right.any():
        return None
    below = np.zeros_like(soft)
    lowest = np.where(right.any(axis=0), np.argmax(right, axis=0), -1)  # first (lowest) lung slice per column
    lo, hi = int(round(15.0 / spacing[0])), max(int(round(40.0 / spacing[0])), 1)
    for d in range(lo, hi + 1):
        k = lowest - d
        ok = (lowest >= 0) & (k >= 0) & (k < nz)
        jj, ii = np.nonzero(ok)
        below[k[ok], jj, ii] = True
    values = hu[below & soft]
    return values if values.size >= 20 else None


def _x_mm_grid(ct, shape, step) -> np.ndarray:
    """LPS x (mm) of every coarse voxel's centre, broadcastable over (z, y, x)."""
    kk, jj, ii = [(np.arange(n) + 0.5) * s - 0.5 for n, s in zip(shape, step)]
    origin = ct.index_to_patient(np.array([[kk[0], 0.0, 0.0]]))[0]
    dy, dx = ct.pixel_spacing_mm
    x = origin[0] + ct.slice_step_mm[0] * (kk - kk[0])[:, None, None] \
        + ct.col_dir[0] * dy * jj[None, :, None] + ct.row_dir[0] * dx * ii[None, None, :]
    return x


def _right_anterior_region(ct, mask, body, midline, step, spacing, voxel_cc) -> np.ndarray | None:
    """The largest region of ``mask``, eroded by LIVER_ERODE_MM, whose centre lies on the patient's
    right of the midline and ahead of the back muscles."""
    core = ndimage.distance_transform_edt(mask, sampling=spacing) > LIVER_ERODE_MM
    labels, n = ndimage.label(core)
    if n == 0:
        return None
    idx = np.arange(1, n + 1)
    sizes = ndimage.sum(core, labels, idx)
    centres = ndimage.center_of_mass(core, labels, idx)
    body_y = np.nonzero(body)[1]
    y_front, y_back = (np.percentile(body_y, 5), np.percentile(body_y, 95)) if body_y.size else (0, 0)
    best, best_size = 0, 0.0
    for i, (size, c) in enumerate(zip(sizes, centres)):
        if size * voxel_cc < LIVER_MIN_CC / 4:  # the eroded core of a 300 cm3 organ
            continue
        k = int(round(c[0]))
        mid = midline[min(max(k, 0), len(midline) - 1)]
        fine = np.array([[c[0] * step[0], c[1] * step[1], c[2] * step[2]]])
        x_mm = float(ct.index_to_patient(fine)[0][0])
        anterior = c[1] < y_front + 0.7 * (y_back - y_front)
        if np.isfinite(mid) and x_mm < mid - 15.0 and anterior and size > best_size:
            best, best_size = i + 1, size
    return labels == best if best else None

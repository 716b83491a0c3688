"""One-click semi-automatic 3D segmentation of a lesion from a seed point.

CT (and MR): adaptive region growing. The lesion's level is the median near
the seed, the surroundings' level the median of a shell around a first
tolerance-based region; the region is then grown from the seed with the
threshold near half-way between the two (the edge of a blurred step), which
is what a reader sees as the boundary. Iterated twice.

PET (default, ``PetMethod.ADAPTIVE``): grown from the local SUVmax (found
within a few millimetres of the click) at the level a sphere blurred by the
scanner's resolution has on its surface, the sphere being fitted to the
lesion and the fit iterated (core.blurred_sphere; docs/segmentation.md).
``PetMethod.FIXED``: a fraction (default 40%) of the local SUVmax, by default
of the uptake above the surroundings (threshold = background + 40% x
(SUVmax - background)), because a fixed 40% of SUVmax swallows half the
liver around a liver metastasis (liver SUV ~2.5).

Both are confined to a guard sphere around the seed; a region that reaches
the guard has leaked into a neighbouring organ: a morphological opening cuts
thin bridges, and if it still leaks the click is refused with a message.
All work is done on a small region of interest, never on the whole volume.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

import numpy as np
from scipy import ndimage

from core.blurred_sphere import SphereFit, fit_blurred_sphere, sigma_from_fwhm
from core.choices import parse_choice
from core.errors import SegmentationError
from core.lesions import LesionMask
from core.segment_record import SegmentMethod, SegmentRecord
from core.volume import Modality, Volume


class PetMethod(str, Enum):
    """How the click tool draws a PET lesion's edge (docs/segmentation.md)."""

    #: iterative threshold at the surface of a sphere blurred by the scanner (default)
    ADAPTIVE = "adaptive"
    #: a fixed percentage of the local SUVmax (``pet_fraction``, 40 % by default)
    FIXED = "fixed"

    @classmethod
    def parse(cls, value: "PetMethod | str") -> "PetMethod":
        return parse_choice(cls, value, "PET method")


@dataclass(frozen=True)
class SegmentParams:
    """Settings of the click tool (the gui's preferences hold one of these)."""

    guard_radius_mm: float = 40.0
    pet_method: PetMethod = PetMethod.ADAPTIVE
    #: reconstructed resolution of the PET images, FWHM in mm (adaptive method)
    pet_fwhm_mm: float = 5.5
    pet_max_iterations: int = 10
    #: the fixed method's fraction of the local SUVmax (also the adaptive method's start)
    pet_fraction: float = 0.40
    pet_background_corrected: bool = True
    pet_peak_search_mm: float = 8.0
    smoothing_mm: float = 0.8
    #: where the CT edge is drawn, as a fraction of the lesion-to-surroundings
    #: contrast counted from the surroundings. Half would be the edge of a blurred
    #: step; the half-contrast surface of a small blurred sphere lies inside its
    #: true surface (by about sigma^2 / r), and 0.45 keeps 8-25 mm lesions within
    #: 10% of their volume on the sample phantoms (tests/core/test_segment_phantoms.py).
    ct_edge_fraction: float = 0.45
    min_contrast_hu: float = 25.0
    min_pet_contrast: float = 1.5  # SUVmax / surroundings
    #: Gaussian (standard deviation, mm) of the volume-preserving smoothing of the
    #: region's edge; 0 turns it off. Boundary voxels decided by noise make the
    #: edge ragged by a voxel here and there, which adds up to several mm on the
    #: longest diameter (docs/segmentation.md, "After either method").
    edge_smoothing_mm: float = 2.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "pet_method", PetMethod.parse(self.pet_method))
        if not 0.0 < float(self.pet_fwhm_mm) <= 20.0:
            raise ValueError(f"PET FWHM {self.pet_fwhm_mm:g} mm is out of range; expected more than 0 "
                             "and at most 20 mm (the scanner's reconstructed resolution, typically 4-7 mm)")
        if not 0.0 < float(self.pet_fraction) < 1.0:
            raise ValueError(f"PET threshold {100 * self.pet_fraction:g}% of SUVmax is out of range; "
                             "expected more than 0 and less than 100%")


@dataclass(frozen=True)
class Segmentation:
    """A click's result: the mask and how it was made (method, threshold used)."""

    mask: LesionMask
    record: SegmentRecord


def segment_at(
    volume: Volume,
    seed_mm,
    params: SegmentParams = SegmentParams(),
    grid: Volume | None = None,
) -> LesionMask:
    """The mask of :func:`segment_lesion` (same arguments, same errors)."""
    return segment_lesion(volume, seed_mm, params, grid).mask


def segment_lesion(
    volume: Volume,
    seed_mm,
    params: SegmentParams = SegmentParams(),
    grid: Volume | None = None,
) -> Segmentation:
    """Segment the lesion under ``seed_mm`` (LPS mm) on ``volume``.

    Uses the PET method on a PET volume, region growing otherwise. With
    ``grid`` (e.g. the CT of a PET/CT), the values of ``volume`` are
    interpolated (trilinear, by patient coordinates) onto that grid around the
    seed and the mask is made there: a finer PET contour, on the grid the
    planning system uses.

    Raises
    ------
    SegmentationError
        The seed is outside the image, or nothing with a clear edge is there.
    """
    seed_mm = np.asarray(seed_mm, dtype=np.float64).reshape(3)
    target = grid if grid is not None else volume
    for image in {id(volume): volume, id(target): target}.values():
        if not image.contains_index(np.rint(image.patient_to_index(seed_mm)).astype(int)):
            raise SegmentationError(
                f"seed ({', '.join(f'{v:.1f}' for v in seed_mm)}) mm is outside the image "
                f"'{image.info.description or image.info.series_uid}'"
            )
    seed = np.rint(target.patient_to_index(seed_mm)).astype(int)
    roi = _Roi(target, seed, params.guard_radius_mm)
    if target is not volume:
        roi.values = _resample_box(volume, target, roi)
    if volume.modality is Modality.PT:
        region, record = _pet_region(volume, target, roi, params)
    else:
        region, record = _ct_region(volume, roi, params)
    region = _tidy(_check_leak(region, roi, volume), roi)
    region = _smooth_edge(region, roi, params.edge_smoothing_mm)
    mask = LesionMask.from_box(region, roi.start, target.shape, target.info.series_uid)
    if mask is None:
        raise SegmentationError(
            f"nothing segmentable at ({', '.join(f'{v:.1f}' for v in seed_mm)}) mm on "
            f"'{volume.info.description or volume.info.series_uid}'"
        )
    return Segmentation(mask, record)


def _resample_box(source: Volume, target: Volume, roi: "_Roi") -> np.ndarray:
    """``source`` values at the centres of the target voxels in the ROI box (float32).

    Both grids regular (the usual PET/CT): one affine map from box index to source index, evaluated by
    :func:`scipy.ndimage.affine_transform` (the point-by-point mapping below took 180 ms of a click on a
    512 x 512 CT, ``oligoplan bench segment --gui``). Irregular slice spacing: exact, point by point.
    """
    if source.is_regular and target.is_regular:
        to_source = np.linalg.inv(source.affine) @ target.affine  # target (z, y, x, 1) -> source (z, y, x, 1)
        shape = tuple(b - a for a, b in zip(roi.start, roi.stop))
        values = ndimage.affine_transform(
            np.asarray(source.voxels), to_source[:3, :3], offset=to_source[:3, :3] @ np.array(roi.start, float)
            + to_source[:3, 3], output_shape=shape, order=1, mode="constant", cval=0.0, prefilter=False)
        return values.astype(np.float32)
    axes = [np.arange(a, b) for a, b in zip(roi.start, roi.stop)]
    zz, yy, xx = np.meshgrid(*axes, indexing="ij")
    points = target.index_to_patient(np.stack([zz, yy, xx], axis=-1).reshape(-1, 3))
    coords = source.patient_to_index(points).T
    values = ndimage.map_coordinates(
        np.asarray(source.voxels), coords, order=1, mode="constant", cval=0.0, prefilter=False
    )
    return values.reshape(zz.shape).astype(np.float32)


class _Roi:
    """A box around the seed holding the guard sphere, with distances in mm."""

    def __init__(self, volume: Volume, seed: np.ndarray, radius_mm: float) -> None:
        spacing = np.array(volume.spacing_mm)
        half = np.ceil(radius_mm / spacing).astype(int)
        self.start = tuple(int(v) for v in np.maximum(seed - half, 0))
        self.stop = tuple(int(v) for v in np.minimum(seed + half + 1, np.array(volume.shape)))
        self.slices = tuple(slice(a, b) for a, b in zip(self.start, self.stop))
        self.seed = tuple(int(v) for v in seed - np.array(self.start))
        self.spacing = spacing
        grids = np.ogrid[tuple(slice(0, b - a) for a, b in zip(self.start, self.stop))]
        d2 = sum(((g - s) * sp) ** 2 for g, s, sp in zip(grids, self.seed, spacing))
        self.distance_mm = np.sqrt(d2)
        self.radius_mm = radius_mm
        self.inside = self.distance_mm <= radius_mm
        # the guard shell: voxels within one voxel of the sphere surface
        self.rim = self.inside & (self.distance_mm > radius_mm - spacing.max())
        # where the box was clipped by the image edge, the edge is no leak
        self.values = volume.voxels[self.slices]


def _ct_region(volume: Volume, roi: _Roi, params: SegmentParams) -> tuple[np.ndarray, SegmentRecord]:
    sigma = params.smoothing_mm / roi.spacing
    smooth = ndimage.gaussian_filter(roi.values.astype(np.float32), sigma=sigma)
    near_seed = roi.distance_mm <= max(2.0, roi.spacing.min())
    level = float(np.median(roi.values[near_seed]))  # raw: smoothing would pull small lesions towards the background
    raw_near = roi.values[roi.distance_mm <= max(3.0, roi.spacing.min())].astype(np.float32)
    noise = 1.4826 * float(np.median(np.abs(raw_near - np.median(raw_near))))
    tolerance = max(3.0 * noise, 20.0)
    region = _component(np.abs(smooth - level) <= tolerance, roi)
    for _ in range(2):
        background = _shell_median(smooth, region, roi)
        if background is None or abs(background - level) < params.min_contrast_hu:
            raise SegmentationError(
                f"no lesion edge at the seed: the surroundings differ by only "
                f"{abs((background or level) - level):.0f} {volume.unit or 'units'} "
                f"(at least {params.min_contrast_hu:.0f} needed); contour it by hand"
            )
        threshold = background + params.ct_edge_fraction * (level - background)
        candidate = smooth < threshold if level < background else smooth > threshold
        region = _component(candidate, roi)
    return region, SegmentRecord(SegmentMethod.CT_REGION_GROWING, threshold, volume.unit.value, background=background)


def _pet_region(volume: Volume, target: Volume, roi: _Roi,
                params: SegmentParams) -> tuple[np.ndarray, SegmentRecord]:
    values = np.nan_to_num(roi.values.astype(np.float32))
    search = roi.distance_mm <= max(params.pet_peak_search_mm, roi.spacing.max())
    local = np.where(search, values, -np.inf)
    peak = np.unravel_index(int(np.argmax(local)), local.shape)
    suv_max = float(values[peak])
    surroundings = float(np.median(values[roi.inside]))
    if suv_max <= 0 or suv_max < params.min_pet_contrast * max(surroundings, 1e-6):
        raise SegmentationError(
            f"no hot lesion at the seed: local maximum {suv_max:.2f} {volume.unit} against "
            f"{surroundings:.2f} around it; contour it by hand"
        )
    roi.seed = tuple(int(v) for v in peak)
    threshold = params.pet_fraction * suv_max
    fixed = params.pet_method is PetMethod.FIXED  # SegmentParams holds the Enum (__post_init__)
    record = SegmentRecord(SegmentMethod.PET_FIXED if fixed else SegmentMethod.PET_ADAPTIVE, threshold,
                           volume.unit.value, reference_max=suv_max,
                           fwhm_mm=None if fixed else float(params.pet_fwhm_mm),
                           fraction_percent=100.0 * params.pet_fraction if fixed else None,
                           background_corrected=bool(params.pet_background_corrected) if fixed else None)
    region = _component(values >= threshold, roi)
    if fixed and not params.pet_background_corrected:
        return region, record
    # the fraction applies to the lesion's uptake above its surroundings
    background = None
    for _ in range(2):
        # far enough out that the blurred tail of the lesion is not counted as background
        level = _shell_median(values, region, roi, near_mm=8.0, far_mm=16.0)
        if level is None:
            break
        background = level
        threshold = background + params.pet_fraction * (suv_max - background)
        region = _component(values >= threshold, roi)
    if not fixed and region.any():
        region, fitted = _pet_adaptive(volume, target, values, region, roi, params)
        if fitted is not None:  # else the fit failed: the 40 % contour above the background stays
            threshold, background = fitted
    return region, replace(record, threshold=threshold, background=background)


def _pet_adaptive(pet: Volume, target: Volume, values: np.ndarray, region: np.ndarray, roi: _Roi,
                  params: SegmentParams) -> tuple[np.ndarray, tuple[float, float] | None]:
    """Contour at the surface value of the blurred sphere that best fits the lesion.

    The sphere (uniform uptake on a sloping background, blurred by the scanner's
    resolution: core.blurred_sphere) is fitted on the PET's own voxels around
    the current region's centroid. The contour level is the value the fitted
    model takes on its surface after the same resampling onto ``target``'s grid
    as the image (so the interpolation's extra blur at this lesion's position
    is accounted for); the background's slope is followed. The fit is repeated
    around the new region's centroid until the level settles.

    Returns the region and (contour level, background) at the lesion's centre,
    or None for them when no fit was made.
    """
    sigma = sigma_from_fwhm(params.pet_fwhm_mm)
    peak_mm = target.index_to_patient(np.add(roi.start, roi.seed))
    native = _Roi(pet, np.rint(pet.patient_to_index(peak_mm)).astype(int), roi.radius_mm)
    native_mm = _patient_points(pet, native)
    native_values = np.nan_to_num(np.asarray(native.values, dtype=np.float32)).reshape(-1)
    inside = native.inside.reshape(-1)
    target_mm = _patient_points(target, roi)
    voxel_mm3 = float(np.prod(roi.spacing))
    previous_level, used = None, None
    for _ in range(params.pet_max_iterations):
        centre_mm = target.index_to_patient(np.add(roi.start, [np.mean(i) for i in np.nonzero(region)]))
        radius0 = (3.0 * region.sum() * voxel_mm3 / (4.0 * np.pi)) ** (1.0 / 3.0)
        fit = fit_blurred_sphere(native_values[inside], native_mm[inside] - centre_mm, radius0, sigma)
        if fit is None:
            break
        offsets = target_mm - centre_mm
        level = _surface_level(fit, pet, native, native_mm, target, centre_mm, offsets)
        above = values.reshape(-1) - offsets @ np.asarray(fit.gradient_per_mm) >= level
        new = _component(above.reshape(values.shape), roi)
        if not new.any():
            break
        region, used = new, (float(level), float(fit.background))
        # settled: the level moves by less than 0.5 % of the uptake (far below the noise)
        if previous_level is not None and abs(level - previous_level) <= 0.005 * fit.uptake:
            break
        previous_level = level
    return region, used


def _patient_points(volume: Volume, roi: _Roi) -> np.ndarray:
    """(n, 3) patient mm of every voxel centre of the ROI box, in C order."""
    axes = [np.arange(a, b, dtype=np.float64) for a, b in zip(roi.start, roi.stop)]
    if volume.is_regular:  # the affine is exact: a sum of three steps (point by point took 40 ms of a click)
        affine = volume.affine
        z, y, x = (axis[:, None] * affine[:3, k] for k, axis in enumerate(axes))
        points = affine[:3, 3] + z[:, None, None] + y[None, :, None] + x[None, None, :]
        return points.reshape(-1, 3)
    zz, yy, xx = np.meshgrid(*axes, indexing="ij")
    return volume.index_to_patient(np.stack([zz, yy, xx], axis=-1).reshape(-1, 3))


def _surface_level(fit: SphereFit, pet: Volume, native: _Roi, native_mm: np.ndarray, target: Volume,
                   centre_mm: np.ndarray, offsets_mm: np.ndarray) -> float:
    """The fitted sphere's mean value on its surface as the click tool sees it on ``target``.

    On the PET's own grid that is the model's surface value; on another grid the
    model (without the background's slope) is sampled at the PET voxels and
    interpolated like the image was, at the target voxels on the sphere's surface.
    """
    if target is pet:
        return fit.surface_value
    near = np.abs(np.linalg.norm(offsets_mm, axis=1) - fit.radius_mm) <= 0.5 * float(np.min(target.spacing_mm))
    if not near.any():
        return fit.surface_value
    flat = SphereFit(fit.radius_mm, fit.background, fit.uptake, fit.sigma_mm)
    model = flat.model(native_mm - centre_mm).reshape(native.values.shape).astype(np.float32)
    coords = (pet.patient_to_index(centre_mm + offsets_mm[near]) - np.array(native.start)).T
    sampled = ndimage.map_coordinates(model, coords, order=1, mode="nearest", prefilter=False)
    return float(np.mean(sampled))


#: in-plane 4-neighbour cross: an opening with it cuts one-pixel bridges
_IN_PLANE_CROSS = np.zeros((3, 3, 3), bool)
_IN_PLANE_CROSS[1] = ndimage.generate_binary_structure(2, 1)


def _tidy(region: np.ndarray, roi: _Roi) -> np.ndarray:
    """The seed's connected region without noise spurs and blobs on thin bridges, holes filled.

    Noise at a lesion's edge can join it through a pixel or a one-pixel spur
    and would lengthen its longest axial diameter. An in-plane opening with a
    4-neighbour cross (the smallest there is) cuts such bridges; the part
    connected to the seed is the core. The region's own pixels touching the
    core in its slice are given back (the opening's loss at a smooth edge), and
    so are the slices the core does not reach (the thin top and bottom caps of
    a small lesion); whatever hung beyond a bridge is dropped. Where the
    opening would remove the seed itself (a lesion a few pixels across), the
    region is kept as it was.
    """
    if not region.any():
        return region
    opened = ndimage.binary_opening(region, structure=_IN_PLANE_CROSS)
    if opened[roi.seed]:
        labels, _ = ndimage.label(opened)
        core = labels == labels[roi.seed]
        kept = region & ndimage.binary_dilation(core, structure=_IN_PLANE_CROSS)
        caps = region & ~core.any(axis=(1, 2))[:, None, None]
        labels, _ = ndimage.label(kept | caps)
        region = labels == labels[roi.seed]
    return ndimage.binary_fill_holes(region)


def _smooth_edge(region: np.ndarray, roi: _Roi, sigma_mm: float) -> np.ndarray:
    """The region with a smooth edge and the same number of voxels.

    Near the edge a voxel's value is part lesion, part surroundings and part
    noise, so the threshold takes or leaves single voxels at random: one-voxel
    bumps on both sides of a lesion lengthen its longest diameter by a voxel or
    two although its volume is right. The mask is blurred by a Gaussian of
    ``sigma_mm`` and cut at the level that keeps exactly as many voxels as
    before (a volume-preserving smoothing): bumps and notches narrower than
    the Gaussian go, voxels deeper than about two sigma from the edge cannot
    change, and volume and centroid stay. Holes are filled and the part
    connected to the seed is kept; when the seed would fall outside (a lesion
    a few voxels across) the region is returned unchanged.
    """
    n = int(region.sum())
    if sigma_mm <= 0 or n == 0:
        return region
    # only the region's bounding box and a 3-sigma margin can change: work there
    sigma = sigma_mm / roi.spacing
    nz = [np.flatnonzero(region.any(axis=tuple(a for a in range(3) if a != axis))) for axis in range(3)]
    margin = np.ceil(3.0 * sigma).astype(int) + 1
    box = tuple(slice(max(int(i[0]) - m, 0), min(int(i[-1]) + m + 1, size))
                for i, m, size in zip(nz, margin, region.shape))
    blurred = ndimage.gaussian_filter(region[box].astype(np.float32), sigma=sigma, mode="constant")
    blurred[~roi.inside[box]] = 0.0
    level = np.partition(blurred.reshape(-1), blurred.size - n)[blurred.size - n]
    seed = tuple(int(s) - int(b.start) for s, b in zip(roi.seed, box))
    if not all(0 <= s < b.stop - b.start for s, b in zip(seed, box)):
        return region
    smooth = blurred >= max(float(level), 1e-3)
    if not smooth[seed]:
        return region
    labels, _ = ndimage.label(smooth)
    out = np.zeros_like(region)
    out[box] = ndimage.binary_fill_holes(labels == labels[seed])
    return out


def _component(candidate: np.ndarray, roi: _Roi) -> np.ndarray:
    candidate = candidate & roi.inside
    if not candidate[roi.seed]:
        return np.zeros_like(candidate)
    labels, _ = ndimage.label(candidate)
    return labels == labels[roi.seed]


def _shell_median(values: np.ndarray, region: np.ndarray, roi: _Roi,
                  near_mm: float = 1.5, far_mm: float = 4.0) -> float | None:
    """Median of the values between near_mm and far_mm outside the region."""
    if not region.any():
        return None
    dist = ndimage.distance_transform_edt(~region, sampling=roi.spacing)
    shell = (dist > near_mm) & (dist <= far_mm) & roi.inside
    if not shell.any():
        return None
    return float(np.median(values[shell]))


def _check_leak(region: np.ndarray, roi: _Roi, volume: Volume) -> np.ndarray:
    if not region.any():
        return region
    if not (region & roi.rim).any():
        return region
    for radius in (1, 2):
        structure = ndimage.iterate_structure(ndimage.generate_binary_structure(3, 1), radius)
        opened = ndimage.binary_opening(region, structure=structure)
        if opened[roi.seed]:
            labels, _ = ndimage.label(opened)
            opened = labels == labels[roi.seed]
            if not (opened & roi.rim).any():
                return opened
    raise SegmentationError(
        f"the region grown from the seed reaches {roi.radius_mm:.0f} mm from it: it leaks into "
        "neighbouring tissue. Click nearer the lesion centre, or contour it by hand"
    )

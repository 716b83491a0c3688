"""Pictures for the summary, as arrays with their extent in patient mm (no plotting here).

* :func:`coronal_mip`: maximum-intensity projection along the patient's
  anterior-posterior axis (PET in SUV when there is one, else CT), oriented
  as a radiologist reads a coronal image: patient's right on the left,
  head at the top.
* :func:`axial_key_image`: the axial slice through a lesion's centre,
  cropped around it, with the lesion's mask on that slice.
* :func:`prior_key_image`: the prior scan resampled onto the pixels of that
  key image through the registration (the summary's side-by-side images).

Both are oriented as the viewer's views (core.orientation), for any acquisition (axial,
sagittal, coronal or oblique).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.display import CT_MIP_RANGE, SOFT_TISSUE_WINDOW, is_suv_unit, picture_range, window_range
from core.lesions import Lesion
from core.orientation import Plane, plane_layout, screen_patient_axes
from core.volume import ValueUnit, Volume


@dataclass
class Picture:
    image: np.ndarray  # 2D, rows top to bottom as shown
    extent: tuple[float, float, float, float]  # (left, right, bottom, top) in mm, for imshow
    vmin: float
    vmax: float
    cmap: str
    mask: np.ndarray | None = None  # same shape as image, the lesion on this slice
    label: str = ""


def _screen_mm(volume: Volume, at, axis: int, flip: bool, patient_axis: int, lo: int, hi: int):
    """Patient coordinate (mm, component ``patient_axis``) of the pixel centres ``lo``..``hi - 1``
    along array ``axis`` through index ``at``, in screen order, and the signed step between two."""
    idx = np.tile(np.asarray(at, dtype=float), (hi - lo + 1, 1))
    idx[:, axis] = np.arange(lo, hi + 1)  # one index more, for the step of a single pixel
    mm = volume.index_to_patient(idx)[:, patient_axis]
    coords, step = mm[:-1], float(mm[1] - mm[0])
    if flip:
        coords, step = coords[::-1], -step
    return coords, step


def _extent(layout, volume: Volume, at, h: tuple[int, int], v: tuple[int, int]):
    """The imshow extent (left, right, bottom, top) in patient mm of the screen-ordered pixels
    ``h`` (columns) x ``v`` (rows) of ``layout``."""
    right, down = screen_patient_axes(layout.plane)
    hs, dh = _screen_mm(volume, at, layout.h_axis, layout.h_flip, right, *h)
    vs, dv = _screen_mm(volume, at, layout.v_axis, layout.v_flip, down, *v)
    return (float(hs[0] - dh / 2), float(hs[-1] + dh / 2), float(vs[-1] + dv / 2), float(vs[0] - dv / 2))


def coronal_mip(volume: Volume) -> Picture:
    """MIP over the anterior-posterior axis, as the coronal view shows it (core.orientation):
    head at the top, the patient's right on the left."""
    layout = plane_layout(volume, Plane.CORONAL)
    voxels = np.asarray(volume.voxels)
    mip = np.ascontiguousarray(layout.plane_to_screen(voxels.max(axis=layout.slice_axis))).astype(np.float32)
    if volume.unit is ValueUnit.SUV_BW:
        vmin, vmax, cmap = 0.0, float(max(2.0, min(10.0, np.nanpercentile(mip, 99.9)))), "gray_r"
    elif volume.unit is ValueUnit.HU:
        (vmin, vmax), cmap = CT_MIP_RANGE, "gray"
    else:
        vmin, vmax, cmap = float(np.nanmin(mip)), float(np.nanpercentile(mip, 99.5)), "gray"
    centre = np.array(volume.shape, dtype=float) / 2
    extent = _extent(layout, volume, centre, (0, layout.n_h), (0, layout.n_v))
    label = "PET MIP (SUV)" if volume.unit is ValueUnit.SUV_BW else f"{volume.modality.value} MIP"
    return Picture(mip, extent, vmin, vmax, cmap, label=label)


def axial_key_image(ct: Volume, lesion: Lesion, grid: Volume | None, centre_mm, half_mm: float = 40.0,
                    window: tuple[float, float] | None = None, site: str = "") -> Picture | None:
    """The axial slice (core.orientation, as the axial view shows it) through ``centre_mm`` (LPS),
    cropped to ±half_mm, with the lesion's mask on it; shown in ``window`` (low, high), by default
    as core.display.picture_range shows the image's unit (a CT in the window of ``site``, a PET
    in SUV 0-10 in inverted grey as its MIP, an MR by its own pixels)."""
    found = _axial_crop(ct, centre_mm, half_mm)
    if found is None:
        return None
    layout, at, k, bounds = found
    crop = [slice(None)] * 3
    crop[layout.slice_axis] = k
    for axis, (lo, hi) in bounds.items():
        crop[axis] = slice(lo, hi)
    plane = np.asarray(ct.voxels[tuple(crop)], dtype=np.float32)  # the remaining axes, in array order
    image = np.ascontiguousarray(layout.plane_to_screen(plane))
    mask = None
    same_grid = (lesion.mask is not None and grid is not None and grid.info.series_uid == ct.info.series_uid
                 and grid.shape == ct.shape)
    if same_grid:
        inside = np.zeros(plane.shape, dtype=bool)
        first, second = [axis for axis in range(3) if axis != layout.slice_axis]
        points = lesion.mask.indices()
        points = points[points[:, layout.slice_axis] == k]
        a, b = points[:, first] - bounds[first][0], points[:, second] - bounds[second][0]
        ok = (a >= 0) & (a < inside.shape[0]) & (b >= 0) & (b < inside.shape[1])
        inside[a[ok], b[ok]] = True
        mask = np.ascontiguousarray(layout.plane_to_screen(inside))
    extent = _extent(layout, ct, at, bounds[layout.h_axis], bounds[layout.v_axis])
    if window is None:
        window = picture_range(ct.unit, site, image)
    return Picture(image, extent, window[0], window[1], "gray_r" if is_suv_unit(ct.unit) else "gray", mask=mask)


def _axial_crop(ct: Volume, centre_mm, half_mm: float):
    """(layout, index of the centre, slice index, {array axis: (lo, hi)}) of the axial crop of ``ct``
    around ``centre_mm``; None when the centre is not on the volume."""
    if centre_mm is None:
        return None
    layout = plane_layout(ct, Plane.AXIAL)
    at = np.rint(ct.patient_to_index(np.asarray(centre_mm, dtype=float))).astype(int)
    k = int(at[layout.slice_axis])
    if not (0 <= k < ct.shape[layout.slice_axis]):
        return None
    spacing = ct.spacing_mm
    bounds = {}
    for axis in (layout.v_axis, layout.h_axis):
        r = int(np.ceil(half_mm / spacing[axis]))
        bounds[axis] = (max(int(at[axis]) - r, 0), min(int(at[axis]) + r + 1, ct.shape[axis]))
        if bounds[axis][1] <= bounds[axis][0]:
            return None
    return layout, at, k, bounds


def prior_key_image(ct: Volume, centre_mm, prior_ct: Volume, current_to_prior, prior_lesion: Lesion | None = None,
                    prior_grid: Volume | None = None, half_mm: float = 40.0,
                    window: tuple[float, float] = window_range(SOFT_TISSUE_WINDOW)) -> Picture | None:
    """The prior CT resampled onto the pixels of the current axial key image (:func:`axial_key_image`
    of ``ct`` at ``centre_mm``) through ``current_to_prior`` (a map of current LPS mm to prior LPS
    mm, core.registration.transform), so both sides show the same anatomy in the same layout; the
    prior lesion's mask (on ``prior_grid``) resampled the same way (nearest voxel). Outside the
    prior scan: air (-1000 HU)."""
    found = _axial_crop(ct, centre_mm, half_mm)
    if found is None:
        return None
    layout, at, k, bounds = found
    first, second = [axis for axis in range(3) if axis != layout.slice_axis]
    a, b = np.meshgrid(np.arange(*bounds[first]), np.arange(*bounds[second]), indexing="ij")
    index = np.empty(a.shape + (3,), dtype=float)
    index[..., layout.slice_axis], index[..., first], index[..., second] = k, a, b
    prior_mm = current_to_prior.apply(ct.index_to_patient(index.reshape(-1, 3)))
    from core.resample import resample_points

    values = resample_points(prior_ct, prior_mm, order=1, cval=-1000.0).reshape(a.shape)
    image = np.ascontiguousarray(layout.plane_to_screen(values))
    mask = None
    if prior_lesion is not None and prior_lesion.mask is not None and prior_grid is not None \
            and prior_grid.info.series_uid == prior_lesion.mask.series_uid:
        box = prior_lesion.mask  # looked up in the mask's own box (never a whole-grid array)
        rel = np.rint(prior_grid.patient_to_index(prior_mm)).astype(int) - np.array(box.offset)
        ok = np.all((rel >= 0) & (rel < np.array(box.array.shape)), axis=1)
        inside = np.zeros(len(rel), dtype=bool)
        inside[ok] = box.array[rel[ok, 0], rel[ok, 1], rel[ok, 2]]
        mask = np.ascontiguousarray(layout.plane_to_screen(inside.reshape(a.shape)))
    extent = _extent(layout, ct, at, bounds[layout.h_axis], bounds[layout.v_axis])
    return Picture(image, extent, window[0], window[1], "gray", mask=mask)

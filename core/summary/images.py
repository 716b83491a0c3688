"""Pictures for the summary, as arrays with their extent in patient mm (no plotting here).

* :func:`coronal_mip`: maximum-intensity projection along the patient's
  anterior-posterior axis (PET in SUV when there is one, else CT), oriented
  as a radiologist reads a coronal image: patient's right on the left,
  head at the top.
* :func:`axial_key_image`: the axial slice through a lesion's centre,
  cropped around it, with the lesion's mask on that slice.

Assumes axial acquisitions (rows along x, columns along y), as the viewer does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.display import CT_MIP_RANGE, SOFT_TISSUE_WINDOW, window_range
from core.lesions import Lesion
from core.volume import Volume


@dataclass
class Picture:
    image: np.ndarray  # 2D, rows top to bottom as shown
    extent: tuple[float, float, float, float]  # (left, right, bottom, top) in mm, for imshow
    vmin: float
    vmax: float
    cmap: str
    mask: np.ndarray | None = None  # same shape as image, the lesion on this slice
    label: str = ""


def _axis_mm(volume: Volume, axis: int) -> np.ndarray:
    """Patient coordinate (mm) of each index along ``axis`` (0: z, 1: y, 2: x), on the central line."""
    n = volume.shape[axis]
    centre = np.array(volume.shape, dtype=float) / 2
    idx = np.tile(centre, (n, 1))
    idx[:, axis] = np.arange(n)
    xyz = volume.index_to_patient(idx)
    return xyz[:, {0: 2, 1: 1, 2: 0}[axis]]


def coronal_mip(volume: Volume) -> Picture:
    """MIP over y (anterior-posterior): rows are z (head up), columns x (patient's right on the left)."""
    voxels = np.asarray(volume.voxels)
    mip = voxels.max(axis=1).astype(np.float32)  # (z, x)
    z = _axis_mm(volume, 0)
    x = _axis_mm(volume, 2)
    if z[0] < z[-1]:  # make row 0 the most superior
        mip, z = mip[::-1], z[::-1]
    if x[0] > x[-1]:  # LPS: x grows to the patient's left, shown on the right
        mip, x = mip[:, ::-1], x[::-1]
    if volume.unit == "SUVbw":
        vmin, vmax, cmap = 0.0, float(max(2.0, min(10.0, np.nanpercentile(mip, 99.9)))), "gray_r"
    elif volume.unit == "HU":
        (vmin, vmax), cmap = CT_MIP_RANGE, "gray"
    else:
        vmin, vmax, cmap = float(np.nanmin(mip)), float(np.nanpercentile(mip, 99.5)), "gray"
    dz, dx = abs(z[1] - z[0]) if len(z) > 1 else 1.0, abs(x[1] - x[0]) if len(x) > 1 else 1.0
    extent = (x[0] - dx / 2, x[-1] + dx / 2, z[-1] - dz / 2, z[0] + dz / 2)
    label = "PET MIP (SUV)" if volume.unit == "SUVbw" else f"{volume.modality.value} MIP"
    return Picture(mip, extent, vmin, vmax, cmap, label=label)


def axial_key_image(ct: Volume, lesion: Lesion, grid: Volume | None, centre_mm, half_mm: float = 40.0,
                    window: tuple[float, float] = window_range(SOFT_TISSUE_WINDOW)) -> Picture | None:
    """The CT slice through ``centre_mm`` (LPS), cropped to ±half_mm, with the lesion's mask on it."""
    if centre_mm is None:
        return None
    k, j, i = np.rint(ct.patient_to_index(np.asarray(centre_mm, dtype=float))).astype(int)
    if not (0 <= k < ct.shape[0]):
        return None
    dy, dx = ct.pixel_spacing_mm
    rj, ri = int(np.ceil(half_mm / dy)), int(np.ceil(half_mm / dx))
    j0, j1 = max(j - rj, 0), min(j + rj + 1, ct.shape[1])
    i0, i1 = max(i - ri, 0), min(i + ri + 1, ct.shape[2])
    if j1 <= j0 or i1 <= i0:
        return None
    image = np.asarray(ct.voxels[k, j0:j1, i0:i1], dtype=np.float32)
    mask = None
    same_grid = (lesion.mask is not None and grid is not None and grid.info.series_uid == ct.info.series_uid
                 and grid.shape == ct.shape)
    if same_grid:
        full_rows = np.zeros((j1 - j0, i1 - i0), dtype=bool)
        m = lesion.mask
        if m.offset[0] <= k < m.offset[0] + m.array.shape[0]:
            plane = m.array[k - m.offset[0]]
            a0, b0 = m.offset[1], m.offset[2]
            ys, xs = np.nonzero(plane)
            ys, xs = ys + a0 - j0, xs + b0 - i0
            ok = (ys >= 0) & (ys < full_rows.shape[0]) & (xs >= 0) & (xs < full_rows.shape[1])
            full_rows[ys[ok], xs[ok]] = True
        mask = full_rows
    x = ct.index_to_patient(np.array([[k, j, i0], [k, j, i1 - 1]], dtype=float))[:, 0]
    y = ct.index_to_patient(np.array([[k, j0, i], [k, j1 - 1, i]], dtype=float))[:, 1]
    if x[0] > x[1]:
        image = image[:, ::-1]
        mask = mask[:, ::-1] if mask is not None else None
        x = x[::-1]
    if y[0] > y[1]:  # anterior (small y) at the top
        image = image[::-1]
        mask = mask[::-1] if mask is not None else None
        y = y[::-1]
    extent = (x[0] - dx / 2, x[1] + dx / 2, y[1] + dy / 2, y[0] - dy / 2)
    return Picture(image, extent, window[0], window[1], "gray", mask=mask)

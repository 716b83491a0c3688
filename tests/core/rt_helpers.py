"""Helpers for the DICOM-RT tests: spheres on real grids, surface distances,
and an independent RTSTRUCT reader (pydicom + matplotlib, none of our importer)."""

from __future__ import annotations

import numpy as np
import pydicom
from matplotlib.path import Path as MplPath
from scipy import ndimage

from core import samples
from core.lesions import LesionMask
from core.volume import Volume


def sphere_mask(volume: Volume, centre_mm, radius_mm: float) -> LesionMask:
    """Voxels whose centre lies within ``radius_mm`` of ``centre_mm`` (core.samples' ball)."""
    mask = samples.sphere_mask(volume, centre_mm, 2.0 * radius_mm)
    assert mask is not None, "sphere outside the grid"
    return mask


def surface_distance_mm(a: np.ndarray, b: np.ndarray, spacing_mm) -> float:
    """Symmetric mean surface distance between two full-grid boolean masks (mm)."""
    def surface(m):
        return m & ~ndimage.binary_erosion(m)

    sa, sb = surface(a), surface(b)
    da = ndimage.distance_transform_edt(~sb, sampling=spacing_mm)[sa]
    db = ndimage.distance_transform_edt(~sa, sampling=spacing_mm)[sb]
    return float(np.concatenate([da, db]).mean())


def independent_read(rtstruct_path, volume: Volume) -> dict[str, np.ndarray]:
    """ROI name -> full-grid mask, found by each contour's referenced SOP instance and
    rasterised with matplotlib's point-in-polygon on the image's own header geometry."""
    ds = pydicom.dcmread(rtstruct_path)
    headers = {}
    for path in volume.source_files:
        h = pydicom.dcmread(path, stop_before_pixels=True)
        headers[str(h.SOPInstanceUID)] = h
    slice_of = {uid: k for k, uid in enumerate(volume.sop_instance_uids)}
    names = {int(r.ROINumber): str(r.ROIName) for r in ds.StructureSetROISequence}
    out = {}
    for rc in ds.ROIContourSequence:
        mask = np.zeros(volume.shape, bool)
        for contour in rc.ContourSequence:
            if contour.ContourGeometricType != "CLOSED_PLANAR":
                continue
            uid = str(contour.ContourImageSequence[0].ReferencedSOPInstanceUID)
            h = headers[uid]
            origin = np.array(h.ImagePositionPatient, float)
            row_dir, col_dir = np.array(h.ImageOrientationPatient[:3], float), np.array(h.ImageOrientationPatient[3:], float)
            dr, dc = (float(v) for v in h.PixelSpacing)
            pts = np.array(contour.ContourData, float).reshape(-1, 3) - origin
            poly = np.column_stack([pts @ row_dir / dc, pts @ col_dir / dr])  # (column, row)
            c0, r0 = np.maximum(np.floor(poly.min(axis=0)).astype(int), 0)
            c1, r1 = np.minimum(np.ceil(poly.max(axis=0)).astype(int) + 1, [int(h.Columns), int(h.Rows)])
            cols, rows = np.meshgrid(np.arange(c0, c1), np.arange(r0, r1))
            inside = MplPath(poly).contains_points(np.column_stack([cols.ravel(), rows.ravel()]))
            mask[slice_of[uid], r0:r1, c0:c1] ^= inside.reshape(rows.shape)
        out[names[int(rc.ReferencedROINumber)]] = mask
    return out


def every_value(ds):
    """Every element of a dataset, nested sequences included, with its value as text."""
    for elem in ds.iterall():
        if elem.VR != "SQ":
            yield elem, str(elem.value)

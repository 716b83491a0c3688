"""The body outline on a PET and the patient's midline (for the side of a finding).

The outline is every voxel above a low uptake (air reads about 0; the lungs,
the lowest-uptake tissue, about 0.3 SUV). The midline of a slice is the centre
of the outline there (not x = 0: patients lie off the table's centre).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: SUVbw above which a voxel is inside the body
BODY_SUV = 0.1
#: a finding this close (mm) to the midline is "midline", neither left nor right
MIDLINE_BAND_MM = 5.0


@dataclass(frozen=True)
class BodyOutline:
    mask: np.ndarray  # bool, the PET grid
    centre_zyx: np.ndarray  # (nz, 3) index of each slice's outline centre; nan where the slice is empty
    area_cm2: np.ndarray  # (nz,) the outline's cross-section per slice

    def slice_of(self, pet, point_mm) -> int:
        k = int(round(float(pet.patient_to_index(np.asarray(point_mm, float))[0])))
        return int(np.clip(k, 0, len(self.area_cm2) - 1))

    def centre_mm(self, pet, point_mm) -> np.ndarray | None:
        """The outline's centre (LPS mm) on the slice of ``point_mm`` (the nearest non-empty slice)."""
        k = self.slice_of(pet, point_mm)
        filled = np.flatnonzero(np.isfinite(self.centre_zyx[:, 1]))
        if filled.size == 0:
            return None
        k = int(filled[np.argmin(np.abs(filled - k))])
        return pet.index_to_patient(self.centre_zyx[k][None, :])[0]

    def side(self, pet, point_mm) -> str:
        """"left", "right" or "midline" of the patient (LPS: +x is the patient's left); "unknown"
        without an outline."""
        centre = self.centre_mm(pet, point_mm)
        if centre is None:
            return "unknown"
        dx = float(point_mm[0]) - float(centre[0])
        if abs(dx) <= MIDLINE_BAND_MM:
            return "midline"
        return "left" if dx > 0 else "right"


def body_outline(pet, suv: np.ndarray) -> BodyOutline:
    mask = suv > BODY_SUV
    nz, ny, nx = mask.shape
    counts = mask.sum(axis=(1, 2)).astype(np.float64)
    rows = mask.sum(axis=2) @ np.arange(ny, dtype=np.float64)
    cols = mask.sum(axis=1) @ np.arange(nx, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.stack([np.arange(nz, dtype=np.float64), rows / counts, cols / counts], axis=1)
    centre[counts == 0, 1:] = np.nan
    dy, dx = pet.pixel_spacing_mm
    return BodyOutline(mask, centre, counts * dy * dx / 100.0)

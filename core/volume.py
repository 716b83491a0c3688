"""Volume: voxels on a 3D grid placed in patient coordinates (DICOM LPS, mm).

Index convention, used everywhere in OligoPlan: a voxel index is given in
numpy array order ``(z, y, x)`` = (slice ``k``, row ``j``, column ``i``).
Patient coordinates are DICOM patient coordinates (LPS: +x towards the
patient's left, +y posterior, +z superior), in millimetres, as ``(x, y, z)``.

The geometry is kept exactly as the files give it:

* ``row_dir`` is (0020,0037) Image Orientation (Patient)[0:3]: the direction
  of increasing column index ``x``; ``col_dir`` is [3:6]: increasing row ``y``.
* ``pixel_spacing_mm`` is (0028,0030) Pixel Spacing: (row spacing = step in
  ``y``, column spacing = step in ``x``).
* ``positions_mm`` holds (0020,0032) Image Position (Patient) of every slice,
  sorted along the slice normal. With a gantry tilt the positions are sheared
  against the normal; with irregular spacing the steps differ. Every
  voxel-to-patient mapping goes through these positions, so each voxel lands
  at its true millimetre position in both cases; ``affine`` is the uniform
  approximation (exact when the spacing is regular).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum

import numpy as np


class ValueUnit(StrEnum):
    """What a voxel's value is in (strings only in JSON and messages: ``.value``)."""

    HU = "HU"  # CT, Hounsfield units
    SUV_BW = "SUVbw"  # PET, standardised uptake value (body weight)
    SUL = "SUL"  # PET, SUV normalised to lean body mass (the hot-spot finder's reference)
    BQML = "BQML"  # PET, activity concentration: SUV unavailable (Volume.suv_unavailable says why)
    AS_STORED = ""  # MR and others: the values as stored, no physical unit (falsy, like "")


class Modality(str, Enum):
    CT = "CT"
    PT = "PT"
    MR = "MR"
    OTHER = "OT"

    @classmethod
    def from_dicom(cls, value: str | None) -> "Modality":
        try:
            return cls(str(value or "").strip().upper())
        except ValueError:
            return cls.OTHER


@dataclass(frozen=True)
class SeriesInfo:
    """What the series browser and reports show about a series.

    Patient name and ID are kept for display and reports only; they are never
    written to logs.
    """

    series_uid: str
    study_uid: str = ""
    frame_of_reference_uid: str = ""
    modality: Modality = Modality.OTHER
    description: str = ""
    patient_name: str = ""
    patient_id: str = ""
    study_date: str = ""
    study_description: str = ""
    series_number: int | None = None
    #: a PET's (0054,0016) > (0018,0031) Radiopharmaceutical, else the code meaning of its
    #: (0054,0016) > (0054,0304) Radiopharmaceutical Code Sequence ("" when neither is there)
    tracer: str = ""

    @property
    def title(self) -> str:
        """'CT 3.0 mm soft tissue' for a CT described 'CT 3.0 mm soft tissue' (not 'CT CT 3.0 mm ...'),
        'CT Thorax' for one described 'Thorax', the modality alone without a description: the
        window's title, loading messages, matching messages and the summary's image list."""
        modality, description = self.modality.value, (self.description or "").strip()
        if description.upper().startswith(modality.upper() + " ") or description.upper() == modality.upper():
            return description
        return f"{modality} {description}".rstrip()


@dataclass(frozen=True, eq=False)
class Volume:
    """A loaded image series. Immutable by convention: never write ``voxels``.

    Parameters
    ----------
    voxels
        Array of shape (z, y, x): int16 for CT in HU when the rescale allows
        it, otherwise float32 (PET in SUV body weight, MR as stored).
    positions_mm
        (nz, 3) Image Position (Patient) of each slice, LPS mm, sorted.
    row_dir, col_dir
        Unit vectors of increasing ``x`` and ``y`` index, LPS.
    pixel_spacing_mm
        (dy, dx) in mm.
    unit
        :class:`ValueUnit`: HU, SUVbw, BQML or AS_STORED (MR and others); its value is accepted too.
    """

    voxels: np.ndarray
    positions_mm: np.ndarray
    row_dir: np.ndarray
    col_dir: np.ndarray
    pixel_spacing_mm: tuple[float, float]
    info: SeriesInfo
    unit: ValueUnit = ValueUnit.AS_STORED
    sop_instance_uids: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    suv_unavailable: str = ""
    slice_thickness_mm: float | None = None
    source_files: tuple[str, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if self.voxels.ndim != 3:
            raise ValueError(f"voxels must be 3D (z, y, x); got shape {self.voxels.shape}")
        nz = self.voxels.shape[0]
        positions = np.asarray(self.positions_mm, dtype=np.float64).reshape(-1, 3)
        if positions.shape[0] != nz:
            raise ValueError(
                f"positions_mm needs one row per slice: {positions.shape[0]} rows for {nz} slices"
            )
        object.__setattr__(self, "positions_mm", positions)
        object.__setattr__(self, "unit", ValueUnit(self.unit))
        object.__setattr__(self, "row_dir", _unit(self.row_dir))
        object.__setattr__(self, "col_dir", _unit(self.col_dir))
        self.voxels.setflags(write=False)

    # ------------------------------------------------------------------ shape
    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(n) for n in self.voxels.shape)  # type: ignore[return-value]

    @property
    def modality(self) -> Modality:
        return self.info.modality

    @property
    def normal(self) -> np.ndarray:
        """Slice normal, row_dir x col_dir (the direction of increasing z index
        when the positions are sorted ascending along it)."""
        return np.cross(self.row_dir, self.col_dir)

    @property
    def slice_offsets_mm(self) -> np.ndarray:
        """Position of each slice along the normal, mm (ascending)."""
        return self.positions_mm @ self.normal

    @property
    def slice_step_mm(self) -> np.ndarray:
        """(3,) mean vector from one slice position to the next (sheared with tilt)."""
        if self.shape[0] < 2:
            thickness = self.slice_thickness_mm or 1.0
            return self.normal * thickness
        return (self.positions_mm[-1] - self.positions_mm[0]) / (self.shape[0] - 1)

    @property
    def spacing_mm(self) -> tuple[float, float, float]:
        """(dz, dy, dx): mean distance between slice planes, row and column spacing."""
        dz = float(abs(self.slice_step_mm @ self.normal))
        return (dz, float(self.pixel_spacing_mm[0]), float(self.pixel_spacing_mm[1]))

    @property
    def affine(self) -> np.ndarray:
        """4x4 matrix mapping homogeneous (z, y, x, 1) indices to (x, y, z, 1) LPS mm.

        Exact for regular spacing (tilt included); for irregular spacing it is
        the mean-step approximation; use :meth:`index_to_patient` for exact work.
        """
        dy, dx = self.pixel_spacing_mm
        m = np.eye(4)
        m[:3, 0] = self.slice_step_mm
        m[:3, 1] = self.col_dir * dy
        m[:3, 2] = self.row_dir * dx
        m[:3, 3] = self.positions_mm[0]
        return m

    @property
    def is_regular(self) -> bool:
        """True when every slice sits where the affine says (to 1% of a step)."""
        if self.shape[0] < 3:
            return True
        k = np.arange(self.shape[0])[:, None]
        predicted = self.positions_mm[0] + k * self.slice_step_mm
        tol = 0.01 * max(self.spacing_mm[0], 1e-6)
        return bool(np.all(np.abs(predicted - self.positions_mm) <= tol))

    # -------------------------------------------------------------- mapping
    def index_to_patient(self, zyx: np.ndarray) -> np.ndarray:
        """Map (..., 3) voxel indices (z, y, x), fractional allowed, to LPS mm.

        Exact with irregular spacing and tilt: the slice origin is interpolated
        between the two neighbouring slice positions.
        """
        zyx = np.asarray(zyx, dtype=np.float64)
        z, y, x = zyx[..., 0], zyx[..., 1], zyx[..., 2]
        origin = self._origin_at(z)
        dy, dx = self.pixel_spacing_mm
        return origin + y[..., None] * dy * self.col_dir + x[..., None] * dx * self.row_dir

    def patient_to_index(self, xyz: np.ndarray) -> np.ndarray:
        """Map (..., 3) LPS mm to fractional voxel indices (z, y, x).

        Points outside the grid get indices outside [0, n-1]; beyond the first
        and last slice the slice index is extrapolated with the end steps.
        """
        xyz = np.asarray(xyz, dtype=np.float64)
        offsets = self.slice_offsets_mm
        along = xyz @ self.normal
        if len(offsets) == 1:  # one slice: distance from its plane in slice steps
            z = (along - offsets[0]) / float(self.slice_step_mm @ self.normal)
        else:
            z = _interp_extrapolate(along, offsets, np.arange(len(offsets), dtype=np.float64))
        rel = xyz - self._origin_at(z)
        dy, dx = self.pixel_spacing_mm
        y = rel @ self.col_dir / dy
        x = rel @ self.row_dir / dx
        return np.stack([z, y, x], axis=-1)

    def contains_index(self, zyx: np.ndarray) -> np.ndarray:
        """Boolean: is the (rounded) index inside the grid?"""
        idx = np.rint(np.asarray(zyx, dtype=np.float64))
        upper = np.array(self.shape) - 1
        return np.all((idx >= 0) & (idx <= upper), axis=-1)

    def value_at(self, xyz: np.ndarray) -> float | None:
        """Nearest-voxel value at a patient point, or None outside the grid."""
        idx = np.rint(self.patient_to_index(xyz)).astype(int)
        if not self.contains_index(idx):
            return None
        return float(self.voxels[tuple(idx)])

    def _origin_at(self, z: np.ndarray) -> np.ndarray:
        """Interpolated slice origin (Image Position) at fractional slice index z."""
        z = np.asarray(z, dtype=np.float64)
        n = self.shape[0]
        if n == 1:
            return self.positions_mm[0] + z[..., None] * self.slice_step_mm
        k0 = np.clip(np.floor(z), 0, n - 2).astype(int)
        t = (z - k0)[..., None]
        return self.positions_mm[k0] * (1 - t) + self.positions_mm[k0 + 1] * t

    # --------------------------------------------------------------- bounds
    def corners_mm(self) -> np.ndarray:
        """(8, 3) patient coordinates of the grid's corner voxel centres."""
        nz, ny, nx = self.shape
        corners = np.array(
            [[z, y, x] for z in (0, nz - 1) for y in (0, ny - 1) for x in (0, nx - 1)], float
        )
        return self.index_to_patient(corners)

    @property
    def voxel_bytes(self) -> int:
        return int(self.voxels.nbytes)


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64).reshape(3)
    norm = np.linalg.norm(v)
    if not np.isfinite(norm) or norm == 0:
        raise ValueError(f"direction vector {v.tolist()} has no length")
    return v / norm


def _interp_extrapolate(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """np.interp with linear extrapolation at both ends (xp ascending)."""
    x = np.asarray(x, dtype=np.float64)
    if len(xp) == 1:
        return np.zeros_like(x) + fp[0]
    out = np.interp(x, xp, fp)
    lo = x < xp[0]
    hi = x > xp[-1]
    if np.any(lo):
        out = np.where(lo, fp[0] + (x - xp[0]) * (fp[1] - fp[0]) / (xp[1] - xp[0]), out)
    if np.any(hi):
        out = np.where(hi, fp[-1] + (x - xp[-1]) * (fp[-1] - fp[-2]) / (xp[-1] - xp[-2]), out)
    return out

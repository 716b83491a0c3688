"""Slice geometry of a series: sort along the normal, detect tilt, gaps, duplicates.

Pure functions on positions and orientations (LPS mm), used by the scanner to
split and check series before any pixel is read.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import numpy as np

#: Two slices closer than this along the normal sit at the same position (mm).
SAME_POSITION_MM = 0.01
#: Steps differing from the median by more than this fraction are irregular.
IRREGULAR_FRACTION = 0.01
#: A step this many times the median step means slices are missing.
GAP_FACTOR = 1.5
#: Angle between slice step and normal above which the stack is tilted (degrees).
TILT_DEGREES = 0.05


@dataclass(frozen=True)
class StackGeometry:
    """The result of :func:`analyse_stack`.

    ``order`` sorts the input slices along the normal (ascending); ``kept``
    is the subset of ``order`` without duplicate positions.
    """

    row_dir: np.ndarray
    col_dir: np.ndarray
    normal: np.ndarray
    order: np.ndarray
    kept: np.ndarray
    offsets_mm: np.ndarray  # of the kept slices, along the normal
    warnings: tuple[str, ...]
    tilt_degrees: float
    median_step_mm: float


def orientation_key(orientation: tuple[float, ...], decimals: int = 3) -> tuple[float, ...]:
    """Rounded orientation, to group slices of one stack (localisers split off)."""
    return tuple(round(float(v), decimals) + 0.0 for v in orientation)


def analyse_stack(
    positions_mm: np.ndarray, orientation: tuple[float, ...], slice_thickness_mm: float | None = None
) -> StackGeometry:
    """Sort slices by Image Position (Patient) along the normal and check the stack.

    Parameters
    ----------
    positions_mm
        (n, 3) Image Position (Patient) of each slice, LPS mm, in any order.
    orientation
        (0020,0037) Image Orientation (Patient), six direction cosines.
    slice_thickness_mm
        (0018,0050) Slice Thickness, only to report when spacing differs from it.
    """
    positions = np.asarray(positions_mm, dtype=np.float64).reshape(-1, 3)
    row_dir = _unit(orientation[:3])
    col_dir = _unit(orientation[3:6])
    normal = np.cross(row_dir, col_dir)
    normal /= np.linalg.norm(normal)
    along = positions @ normal
    order = np.argsort(along, kind="stable")
    warnings: list[str] = []
    if abs(float(row_dir @ col_dir)) > 1e-3:
        warnings.append("image orientation vectors are not perpendicular; geometry approximated")

    sorted_along = along[order]
    duplicate = np.zeros(len(order), dtype=bool)
    duplicate[1:] = np.diff(sorted_along) < SAME_POSITION_MM
    if duplicate.any():
        warnings.append(
            f"{int(duplicate.sum())} slice(s) at duplicate positions were left out "
            "(the first slice at each position is shown)"
        )
    kept = order[~duplicate]
    offsets = along[kept]
    steps = np.diff(offsets)
    # statistics.median, not np.median: the same value, without numpy importing numpy.ma
    # (15 ms) the first time a process loads a series
    median_step = float(statistics.median(steps.tolist())) if len(steps) else float(slice_thickness_mm or 0.0)

    tilt = 0.0
    if len(kept) >= 2:
        span = positions[kept[-1]] - positions[kept[0]]
        cos = abs(float(span @ normal)) / max(float(np.linalg.norm(span)), 1e-12)
        tilt = float(np.degrees(np.arccos(min(1.0, cos))))
        if tilt > TILT_DEGREES:
            warnings.append(
                f"gantry tilt of {tilt:.1f} degrees: slices are sheared; positions are kept exact"
            )
    if len(steps) >= 2 and median_step > 0:
        gaps = steps > GAP_FACTOR * median_step
        if gaps.any():
            missing = int(np.sum(np.round(steps[gaps] / median_step) - 1))
            first = int(np.argmax(gaps))
            warnings.append(
                f"missing slices: {int(gaps.sum())} gap(s), about {missing} slice(s) absent "
                f"(first gap {steps[first]:.1f} mm after slice {first + 1}); distances stay exact"
            )
        regular = steps[~gaps]
        if len(regular) and np.max(np.abs(regular - median_step)) > max(
            IRREGULAR_FRACTION * median_step, SAME_POSITION_MM
        ):
            warnings.append(
                f"irregular slice spacing: steps from {regular.min():.2f} to "
                f"{regular.max():.2f} mm; measurements use the true positions"
            )
    if (
        slice_thickness_mm
        and median_step > 0
        and abs(median_step - slice_thickness_mm) > max(0.05 * slice_thickness_mm, 0.1)
    ):
        warnings.append(
            f"slice spacing {median_step:.2f} mm differs from slice thickness "
            f"{slice_thickness_mm:.2f} mm"
        )
    return StackGeometry(
        row_dir=row_dir,
        col_dir=col_dir,
        normal=normal,
        order=order,
        kept=kept,
        offsets_mm=offsets,
        warnings=tuple(warnings),
        tilt_degrees=tilt,
        median_step_mm=median_step,
    )


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    n = np.linalg.norm(v)
    if not np.isfinite(n) or n == 0:
        raise ValueError(f"orientation vector {v.tolist()} has no length")
    return v / n

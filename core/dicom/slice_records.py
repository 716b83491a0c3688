"""The records a DICOM image header gives, and the checks on its values, shared by both readers.

:mod:`core.dicom.headers` (pydicom, every file) and :mod:`core.dicom.fast_header` (plain
uncompressed single-frame images, without pydicom) build the same :class:`SliceRecord` through
the same :func:`single_slice` and :func:`check_pixel_format`, so the two paths agree on every
value and every error message (tests/core/test_fast_header.py).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
from pydicom.datadict import tag_for_keyword

from core.errors import BrokenDicomError, UnsupportedDicomError

DEFER_BYTES = 2048  # element values larger than this are read only when used


@dataclass(frozen=True)
class PixelFormat:
    """How stored values are laid out: (0028,xxxx) Image Pixel module."""

    rows: int
    columns: int
    bits_allocated: int
    bits_stored: int
    signed: bool
    samples_per_pixel: int
    transfer_syntax: str

    @property
    def stored_dtype(self) -> np.dtype:
        kind = "i" if self.signed else "u"
        return np.dtype(f"<{kind}{self.bits_allocated // 8}")


@dataclass(frozen=True)
class SliceRecord:
    """One 2D image plane: a single-frame file, or one frame of a multi-frame file.

    Positions and directions are LPS mm; ``pixel_spacing_mm`` is (row, column).
    ``pixel_offset`` is the byte offset of the Pixel Data value in the file
    when it can be read raw (uncompressed little endian, single frame), else None.
    """

    path: str
    frame: int | None
    sop_instance_uid: str
    position_mm: tuple[float, float, float]
    orientation: tuple[float, float, float, float, float, float]
    pixel_spacing_mm: tuple[float, float]
    pixel_format: PixelFormat
    slope: float
    intercept: float
    instance_number: int | None
    pixel_offset: int | None
    acquisition_time: str
    # grouping
    series_uid: str
    frame_of_reference_uid: str
    split_key: str  # echo / temporal position / acquisition, used to split duplicates


def check_pixel_format(name: str, fmt: PixelFormat) -> None:
    """Reject colour, implausible sizes and bit depths OligoPlan does not read."""
    if fmt.samples_per_pixel != 1:
        raise UnsupportedDicomError(
            f"{name}: colour image ({fmt.samples_per_pixel} samples per pixel); "
            "OligoPlan shows greyscale CT, PET and MR only"
        )
    if fmt.rows <= 0 or fmt.columns <= 0 or fmt.rows > 16384 or fmt.columns > 16384:
        raise BrokenDicomError(f"{name}: implausible image size {fmt.rows}x{fmt.columns}")
    if fmt.bits_allocated not in (8, 16, 32):
        raise UnsupportedDicomError(f"{name}: {fmt.bits_allocated} bits allocated is not supported")
    if not 1 <= fmt.bits_stored <= fmt.bits_allocated:
        raise BrokenDicomError(
            f"{name}: (0028,0101) Bits Stored is {fmt.bits_stored}, expected 1 to "
            f"{fmt.bits_allocated} (Bits Allocated)"
        )


def raw_text(value: bytes):
    """The text of a raw element value: a str, or a list of str when multi-valued."""
    text = value.decode("ascii", "replace").strip("\x00 ")
    parts = [p.strip() for p in text.split("\\")]
    return parts if len(parts) > 1 else parts[0]


SLICE_TAGS = {
    k: tag_for_keyword(k)
    for k in (
        "ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "ImagerPixelSpacing",
        "RescaleSlope", "RescaleIntercept", "InstanceNumber", "AcquisitionTime", "SOPInstanceUID",
        "SeriesInstanceUID", "FrameOfReferenceUID", "EchoNumbers", "TemporalPositionIdentifier",
    )
}


def single_slice(path: str, text, fmt: PixelFormat, pixel_offset: int | None) -> SliceRecord:
    """The SliceRecord of a single-frame image.

    ``text(keyword)`` returns an element's value as :func:`raw_text` gives it
    (or as pydicom converts it), None when absent; the keywords asked for are
    those of ``SLICE_TAGS``.
    """
    name = os.path.basename(path)
    position = parse_floats(text("ImagePositionPatient"), 3)
    orientation = parse_floats(text("ImageOrientationPatient"), 6)
    if position is None or orientation is None:
        raise UnsupportedDicomError(
            f"{name}: no Image Position/Orientation (Patient); it cannot be placed in 3D "
            "(secondary capture or projection image)"
        )
    spacing = parse_floats(text("PixelSpacing"), 2) or parse_floats(text("ImagerPixelSpacing"), 2)
    if spacing is None:
        raise UnsupportedDicomError(f"{name}: no Pixel Spacing; distances would be wrong")
    check_plane(name, orientation, spacing)
    check_position(name, position)
    return SliceRecord(
        path=path,
        frame=None,
        sop_instance_uid=str(text("SOPInstanceUID") or ""),
        position_mm=position,  # type: ignore[arg-type]
        orientation=orientation,  # type: ignore[arg-type]
        pixel_spacing_mm=spacing,  # type: ignore[arg-type]
        pixel_format=fmt,
        slope=parse_rescale(text("RescaleSlope"), 1.0, name, "(0028,1053) Rescale Slope"),
        intercept=parse_rescale(text("RescaleIntercept"), 0.0, name, "(0028,1052) Rescale Intercept"),
        instance_number=parse_int(text("InstanceNumber"), None),
        pixel_offset=pixel_offset,
        acquisition_time=str(text("AcquisitionTime") or ""),
        series_uid=str(text("SeriesInstanceUID") or ""),
        frame_of_reference_uid=str(text("FrameOfReferenceUID") or ""),
        split_key="/".join(
            str(text(k) or "") for k in ("EchoNumbers", "TemporalPositionIdentifier")
        ),
    )


def check_plane(name: str, orientation, spacing) -> None:
    """Reject an image plane that cannot be placed: zero or parallel direction
    cosines, or a pixel spacing that is not positive."""
    # plain floats, not numpy: this runs once per file of every series
    rx, ry, rz = (float(v) for v in orientation[:3])
    cx, cy, cz = (float(v) for v in orientation[3:6])
    row_len, col_len = math.sqrt(rx * rx + ry * ry + rz * rz), math.sqrt(cx * cx + cy * cy + cz * cz)
    if row_len < 1e-6 or col_len < 1e-6 or _cross_norm(
        (rx / row_len, ry / row_len, rz / row_len), (cx / col_len, cy / col_len, cz / col_len)
    ) < 1e-3:
        raise BrokenDicomError(
            f"{name}: (0020,0037) Image Orientation (Patient) {list(orientation)} does not "
            "define a plane (zero or parallel direction vectors)"
        )
    if min(spacing) <= 0:
        raise BrokenDicomError(
            f"{name}: (0028,0030) Pixel Spacing {list(spacing)} must be positive"
        )
    low, high = PIXEL_SPACING_RANGE_MM
    if not all(low <= float(v) <= high for v in spacing):
        raise BrokenDicomError(
            f"{name}: (0028,0030) Pixel Spacing {_values(spacing)} mm is outside {low:g} to {high:g} mm; "
            "distances, volumes and doses would be wrong. Check the file's source"
        )


#: Plausible values of the geometry and the rescale: beyond them a header is damaged (or
#: hostile), and the arithmetic on them overflows or loses all precision.
PIXEL_SPACING_RANGE_MM = (0.001, 100.0)
MAX_POSITION_MM = 1e5  # 100 m from the scanner's origin
MAX_RESCALE = 1e6  # |slope| and |intercept|: stored values times the slope stay exact in float32


def check_position(name: str, position) -> None:
    if not all(abs(float(v)) <= MAX_POSITION_MM for v in position):
        raise BrokenDicomError(
            f"{name}: (0020,0032) Image Position (Patient) {_values(position)} mm is more than "
            f"{MAX_POSITION_MM:g} mm from the origin; the image cannot be placed. Check the file's source"
        )


def _values(values) -> str:
    """'[1e-300, 1e-300]': the values as the header gives them, shortest form."""
    return "[" + ", ".join(f"{float(v):g}" for v in values) + "]"


def _cross_norm(a, b) -> float:
    x = a[1] * b[2] - a[2] * b[1]
    y = a[2] * b[0] - a[0] * b[2]
    z = a[0] * b[1] - a[1] * b[0]
    return math.sqrt(x * x + y * y + z * z)


def parse_floats(value, n: int) -> tuple[float, ...] | None:
    if value is None:
        return None
    try:
        values = tuple(float(v) for v in (value if _is_multi(value) else [value]))
    except (TypeError, ValueError):
        return None
    if len(values) != n or not all(map(math.isfinite, values)):
        return None
    return values


def _is_multi(value) -> bool:
    return not isinstance(value, (str, bytes)) and hasattr(value, "__len__")


def _float(value, default: float) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return default
    return out if np.isfinite(out) else default


def parse_rescale(value, default: float, name: str, label: str) -> float:
    """A rescale value: ``default`` when absent; an unreadable one is an error, since
    guessing it would silently give wrong HU or SUV."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    number = _float(value, None)
    if number is None:
        raise BrokenDicomError(
            f"{name}: {label} is '{value}', expected one finite number; the stored values "
            "cannot be converted"
        )
    if abs(number) > MAX_RESCALE:
        raise BrokenDicomError(
            f"{name}: {label} is {number:g}, more than {MAX_RESCALE:g} in magnitude; the stored values "
            "cannot be converted to meaningful HU or SUV. Check the file's source"
        )
    return number


def parse_int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default

"""Read the pixels of one series entry into a :class:`~core.volume.Volume`.

One pass, each file read once: uncompressed little-endian slices are read raw
from the Pixel Data offset found by the header pass straight into a slice-sized
buffer; everything else (compressed, big endian, multi-frame) is decoded by
pydicom. The modality LUT is applied per slice ((0028,1053) Rescale Slope and
(0028,1052) Rescale Intercept can differ on every slice, as in real PET):

* CT: Hounsfield units, kept as int16 when the rescale allows it.
* PT: SUV body weight (float32); Bq/ml with a reason when SUV cannot be had.
* MR and others: as stored (float32 when a rescale is present).

No float64 copy of the volume is ever made: the output array is allocated
once and filled slice by slice.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pydicom.pixels

from core.dicom.headers import read_dataset, safe_get
from core.dicom.memory import SIZE_ADVICE, check_series_fits
from core.dicom.raw_slices import mask_bits, read_at, read_int16_slices
from core.dicom.scan import CancelCheck, Progress, SeriesEntry
from core.dicom.slice_records import SliceRecord
from core.dicom.suv import suv_factor
from core.errors import Cancelled, DicomError
from core.volume import Modality, ValueUnit, Volume


def load_series(
    entry: SeriesEntry,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
) -> Volume:
    """Load every slice of ``entry``; raises DicomError when no slice can be read."""
    slices = entry.slices
    modality = entry.info.modality
    nz, ny, nx = entry.shape
    warnings = list(entry.warnings)

    factor, unit, suv_reason = 1.0, ValueUnit.AS_STORED, ""
    if modality is Modality.CT:
        unit = ValueUnit.HU
    elif modality is Modality.PT:
        suv = suv_factor(entry.header, [s.acquisition_time for s in slices])
        factor, unit, suv_reason = (suv.factor or 1.0), suv.unit, suv.reason
        if suv_reason:
            warnings.append(suv_reason)

    out_dtype = _output_dtype(slices, modality)
    voxels = _allocate(entry, out_dtype)
    reader = _SliceReader()
    failed: list[str] = []
    todo = range(nz)
    if out_dtype == np.int16:  # most CT: raw reads straight into the volume
        todo = read_int16_slices(slices, voxels, progress, cancel)
    n_done = nz - len(todo)
    for k in todo:
        record = slices[k]
        n_done += 1
        if cancel is not None and cancel():
            raise Cancelled("loading cancelled")
        try:
            stored = reader.read(record)
        except Exception as exc:  # noqa: BLE001 - pydicom and the codecs raise many types on bad data
            failed.append(f"{Path(record.path).name}: {exc}")
            stored = None
        if stored is None:
            voxels[k] = _blank_value(out_dtype)
        elif out_dtype == np.int16 and not _fits_int16(stored, record.intercept):
            voxels = voxels.astype(np.float32)  # rare: values outside int16 after rescale
            out_dtype = np.dtype(np.float32)
            _rescale_into(voxels[k], stored, record.slope, record.intercept, factor)
        else:
            _rescale_into(voxels[k], stored, record.slope, record.intercept, factor)
        if progress is not None and (n_done % 8 == 1 or n_done == nz):
            progress(n_done, nz, f"Loading slice {n_done}/{nz}")
    reader.close()
    if len(failed) == nz:
        raise DicomError(
            f"series '{entry.info.description or entry.info.series_uid}': no slice could be decoded "
            f"({failed[0]}). If the files are compressed, install pylibjpeg, "
            "pylibjpeg-libjpeg and pylibjpeg-openjpeg."
        )
    if failed:
        warnings.append(
            f"{len(failed)} slice(s) could not be decoded and are shown blank: {failed[0]}"
            + (" ..." if len(failed) > 1 else "")
        )
    first = slices[0]
    return Volume(
        voxels=voxels,
        positions_mm=np.array([s.position_mm for s in slices]),
        row_dir=np.array(first.orientation[:3]),
        col_dir=np.array(first.orientation[3:6]),
        pixel_spacing_mm=tuple(float(v) for v in first.pixel_spacing_mm),
        info=entry.info,
        unit=unit,
        sop_instance_uids=tuple(s.sop_instance_uid for s in slices),
        warnings=tuple(warnings),
        suv_unavailable=suv_reason,
        slice_thickness_mm=_float_or_none(safe_get(entry.header, "SliceThickness")),
        source_files=tuple(s.path for s in slices),
    )


def _allocate(entry: SeriesEntry, dtype: np.dtype) -> np.ndarray:
    """The empty volume, or a DicomError with the numbers when the series cannot be loaded here
    (core.dicom.memory: a header declaring absurd Rows/Columns must not take the machine down,
    and nothing is decoded before this check)."""
    name = entry.info.description or entry.info.series_uid
    decoded = {(s.pixel_format.rows, s.pixel_format.columns) for s in entry.slices
               if s.pixel_offset is None or s.frame is not None}
    check_series_fits(name, entry.shape, np.dtype(dtype).itemsize, decoded)
    try:
        return np.empty(entry.shape, dtype=dtype)
    except MemoryError as exc:
        nz, ny, nx = entry.shape
        raise DicomError(f"series '{name}': {nz} x {ny} x {nx} voxels need more memory than is free; "
                         f"{SIZE_ADVICE}, or close other programs") from exc


class _SliceReader:
    """Reads stored values of one slice; caches the open multi-frame dataset."""

    def __init__(self) -> None:
        self._path: str | None = None
        self._ds = None

    def read(self, record: SliceRecord) -> np.ndarray:
        fmt = record.pixel_format
        if record.pixel_offset is not None and record.frame is None:
            return self._read_raw(record)
        if record.frame is None:
            ds = read_dataset(record.path)
            array = ds.pixel_array
        else:
            if self._path != record.path:
                self._ds = read_dataset(record.path)
                self._path = record.path
            array = pydicom.pixels.pixel_array(self._ds, index=record.frame)
        array = np.asarray(array)
        if array.shape != (fmt.rows, fmt.columns):
            raise DicomError(f"decoded shape {array.shape}, expected {(fmt.rows, fmt.columns)}")
        return array

    def _read_raw(self, record: SliceRecord) -> np.ndarray:
        fmt = record.pixel_format
        dtype = fmt.stored_dtype
        buffer = np.empty(fmt.rows * fmt.columns, dtype=dtype)
        n = read_at(record.path, record.pixel_offset, buffer)
        if n != buffer.nbytes:
            raise DicomError(f"pixel data truncated ({n} of {buffer.nbytes} bytes)")
        buffer = buffer.reshape(fmt.rows, fmt.columns)
        if fmt.bits_stored < fmt.bits_allocated:
            buffer = mask_bits(buffer, fmt.bits_stored, fmt.signed)
        return buffer

    def close(self) -> None:
        self._ds = None
        self._path = None


def _output_dtype(slices: list[SliceRecord], modality: Modality) -> np.dtype:
    identity = all(s.slope == 1.0 and s.intercept == 0.0 for s in slices)
    integral = all(s.slope == 1.0 and float(s.intercept).is_integer() for s in slices)
    fmt = slices[0].pixel_format
    if modality is Modality.PT:
        return np.dtype(np.float32)
    if modality is Modality.CT and integral and fmt.bits_allocated <= 16:
        return np.dtype(np.int16)
    same_storage = len({s.pixel_format.stored_dtype for s in slices}) == 1
    if identity and same_storage and fmt.bits_allocated <= 16:
        return fmt.stored_dtype.newbyteorder("=")
    return np.dtype(np.float32)


def _fits_int16(stored: np.ndarray, intercept: float) -> bool:
    if stored.dtype == np.int16 and intercept == 0:
        return True
    lo, hi = int(stored.min()) + intercept, int(stored.max()) + intercept
    return -32768 <= lo and hi <= 32767


def _rescale_into(target: np.ndarray, stored: np.ndarray, slope: float, intercept: float,
                  factor: float) -> None:
    """target[...] = (stored * slope + intercept) * factor, without float64 temporaries."""
    if target.dtype == np.float32:
        np.multiply(stored, np.float32(slope * factor), out=target, casting="unsafe")
        if intercept:
            target += np.float32(intercept * factor)
    elif slope == 1.0 and factor == 1.0:
        if intercept:
            np.add(stored, int(intercept), out=target, casting="unsafe",
                   dtype=np.int32 if stored.dtype.itemsize >= 2 else None)
        else:
            target[...] = stored
    else:
        target[...] = stored * slope + intercept


def _blank_value(dtype: np.dtype):
    return np.nan if np.issubdtype(dtype, np.floating) else np.iinfo(dtype).min


def _float_or_none(value) -> float | None:
    """A positive finite number (e.g. a slice thickness), else None."""
    try:
        out = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return out if np.isfinite(out) and out > 0 else None

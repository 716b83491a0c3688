"""Write small synthetic DICOM series for the loader tests.

Everything is explicit: the caller gives the stored values, the positions, the
rescale of every slice. That is what lets a test compare what the loader
returns with a value computed by hand.

Conventions follow :mod:`core.volume`: stored arrays are (z, y, x) = (slice,
row, column); positions are (0020,0032) Image Position (Patient) in LPS mm;
``pixel_spacing`` is (0028,0030) (row spacing, column spacing).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Sequence

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
ENHANCED_CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2.1"
MR_STORAGE = "1.2.840.10008.5.1.4.1.1.4"
PET_STORAGE = "1.2.840.10008.5.1.4.1.1.128"
SOP_CLASS = {"CT": CT_STORAGE, "MR": MR_STORAGE, "PT": PET_STORAGE}

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def axial_positions(n: int, step_mm: float, origin=(-100.0, -120.0, 20.0)) -> np.ndarray:
    """(n, 3) positions of an axial stack going up in z by ``step_mm``."""
    origin = np.asarray(origin, dtype=float)
    return np.array([origin + [0.0, 0.0, k * step_mm] for k in range(n)])


def slice_dataset(
    stored: np.ndarray,
    position: Sequence[float],
    *,
    modality: str = "CT",
    orientation: Sequence[float] = AXIAL,
    pixel_spacing: Sequence[float] = (1.0, 1.0),
    slope: float | None = None,
    intercept: float | None = None,
    bits_stored: int | None = None,
    signed: bool | None = None,
    instance_number: int | None = None,
    series_uid: str = "",
    study_uid: str = "",
    frame_uid: str = "",
    slice_thickness: float | None = None,
    description: str = "synthetic",
    raw_pixel_bytes: bytes | None = None,
    study_date: str = "20240102",
) -> Dataset:
    """One single-frame image (CT, MR or PT) holding ``stored`` (rows, columns).

    ``raw_pixel_bytes`` replaces the pixel data verbatim (e.g. stored values
    with garbage above BitsStored).
    """
    stored = np.asarray(stored)
    if signed is None:
        signed = stored.dtype.kind == "i"
    bits_allocated = stored.dtype.itemsize * 8
    sop_uid = generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SOP_CLASS[modality]
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SOP_CLASS[modality]
    ds.SOPInstanceUID = sop_uid
    ds.Modality = modality
    ds.PatientName = "SYNTHETIC^TEST"
    ds.PatientID = "SYN001"
    ds.StudyDate = study_date
    ds.SeriesDate = study_date
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.FrameOfReferenceUID = frame_uid or generate_uid()
    ds.SeriesDescription = description
    ds.SeriesNumber = 1
    if instance_number is not None:
        ds.InstanceNumber = int(instance_number)
    ds.ImagePositionPatient = [float(v) for v in position]
    ds.ImageOrientationPatient = [float(v) for v in orientation]
    ds.PixelSpacing = [float(v) for v in pixel_spacing]
    if slice_thickness is not None:
        ds.SliceThickness = slice_thickness
    ds.Rows, ds.Columns = int(stored.shape[0]), int(stored.shape[1])
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored or bits_allocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if signed else 0
    if slope is not None:
        ds.RescaleSlope = repr(float(slope))[:16]
    if intercept is not None:
        ds.RescaleIntercept = repr(float(intercept))[:16]
    dtype = f"<{'i' if signed else 'u'}{bits_allocated // 8}"
    ds.PixelData = raw_pixel_bytes if raw_pixel_bytes is not None else stored.astype(dtype).tobytes()
    return ds


def write_series(
    folder: Path,
    stored: np.ndarray,
    positions: np.ndarray,
    *,
    file_names: Sequence[str] | None = None,
    instance_numbers: Sequence[int] | None = None,
    slopes: Sequence[float] | None = None,
    intercepts: Sequence[float] | None = None,
    raw_pixel_bytes: Sequence[bytes] | None = None,
    pet: dict | None = None,
    **tags,
) -> list[Path]:
    """Write ``stored`` (z, y, x) as one single-frame file per slice, same series.

    ``positions[k]`` is the position of ``stored[k]``; file names and instance
    numbers may be given in any order to test sorting. ``pet`` holds the
    keyword arguments of :func:`add_pet_tags`. Other keywords go to
    :func:`slice_dataset`.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    n = len(stored)
    tags.setdefault("series_uid", generate_uid())
    tags.setdefault("study_uid", generate_uid())
    tags.setdefault("frame_uid", generate_uid())
    paths = []
    for k in range(n):
        ds = slice_dataset(
            stored[k],
            positions[k],
            slope=None if slopes is None else slopes[k],
            intercept=None if intercepts is None else intercepts[k],
            instance_number=None if instance_numbers is None else instance_numbers[k],
            raw_pixel_bytes=None if raw_pixel_bytes is None else raw_pixel_bytes[k],
            **tags,
        )
        if pet is not None:
            add_pet_tags(ds, **pet)
        path = folder / (file_names[k] if file_names is not None else f"slice{k:03d}.dcm")
        write(ds, path)
        paths.append(path)
    return paths


def add_pet_tags(
    ds: Dataset,
    *,
    weight_kg: float | None,
    dose_bq: float,
    half_life_s: float,
    injection_time: str,
    series_time: str,
    decay_correction: str = "START",
    units: str = "BQML",
    acquisition_time: str | None = None,
) -> Dataset:
    """The PET Image and Patient module tags SUVbw needs (on one slice)."""
    if weight_kg is not None:
        ds.PatientWeight = weight_kg
    ds.Units = units
    ds.DecayCorrection = decay_correction
    ds.SeriesTime = series_time
    if acquisition_time is not None:
        ds.AcquisitionTime = acquisition_time
    info = Dataset()
    info.Radiopharmaceutical = "Fluorodeoxyglucose"
    info.RadiopharmaceuticalStartTime = injection_time
    info.RadionuclideTotalDose = dose_bq
    info.RadionuclideHalfLife = half_life_s
    ds.RadiopharmaceuticalInformationSequence = DicomSequence([info])
    return ds


def write(ds: Dataset, path: Path, transfer_syntax: str | None = None) -> Path:
    """Write ``ds`` as a DICOM file (with preamble and file meta)."""
    if transfer_syntax is not None:
        ds.file_meta.TransferSyntaxUID = transfer_syntax
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
    return Path(path)


def to_bytes(ds: Dataset) -> bytes:
    """``ds`` as the bytes of a DICOM file."""
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def enhanced_ct(
    stored: np.ndarray,
    positions: np.ndarray,
    *,
    slopes: Sequence[float],
    intercepts: Sequence[float],
    orientation: Sequence[float] = AXIAL,
    pixel_spacing: Sequence[float] = (0.8, 0.6),
    slice_thickness: float = 2.0,
) -> Dataset:
    """An Enhanced CT Image (multi-frame): frame k holds ``stored[k]`` at ``positions[k]``.

    Plane Position and Pixel Value Transformation are per frame; Plane
    Orientation and Pixel Measures are shared, as scanners write them.
    """
    stored = np.asarray(stored, dtype=np.int16)
    n, rows, columns = stored.shape
    sop_uid = generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ENHANCED_CT_STORAGE
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = ENHANCED_CT_STORAGE
    ds.SOPInstanceUID = sop_uid
    ds.Modality = "CT"
    ds.PatientName = "SYNTHETIC^ENHANCED"
    ds.PatientID = "SYN002"
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.FrameOfReferenceUID = generate_uid()
    ds.SeriesDescription = "enhanced CT"
    ds.NumberOfFrames = n
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1

    orientation_item = Dataset()
    orientation_item.ImageOrientationPatient = [float(v) for v in orientation]
    measures = Dataset()
    measures.PixelSpacing = [float(v) for v in pixel_spacing]
    measures.SliceThickness = slice_thickness
    shared = Dataset()
    shared.PlaneOrientationSequence = DicomSequence([orientation_item])
    shared.PixelMeasuresSequence = DicomSequence([measures])
    ds.SharedFunctionalGroupsSequence = DicomSequence([shared])

    frames = []
    for k in range(n):
        position = Dataset()
        position.ImagePositionPatient = [float(v) for v in positions[k]]
        transform = Dataset()
        transform.RescaleSlope = repr(float(slopes[k]))[:16]
        transform.RescaleIntercept = repr(float(intercepts[k]))[:16]
        transform.RescaleType = "HU"
        content = Dataset()
        content.InStackPositionNumber = k + 1
        item = Dataset()
        item.PlanePositionSequence = DicomSequence([position])
        item.PixelValueTransformationSequence = DicomSequence([transform])
        item.FrameContentSequence = DicomSequence([content])
        frames.append(item)
    ds.PerFrameFunctionalGroupsSequence = DicomSequence(frames)
    ds.PixelData = stored.astype("<i2").tobytes()
    return ds

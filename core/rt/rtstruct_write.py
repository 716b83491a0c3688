"""Write masks as an RT Structure Set that planning systems accept.

The matching pair of :mod:`core.rt.rtstruct_read`. Each mask becomes closed
planar contours on the axial slices of the image series it was drawn on,
traced along the voxel edges (:func:`core.contours.mask_outlines`), so every
voxel centre inside a contour is a voxel of the mask and nothing else: an
even-odd reader (Eclipse, RayStation, SlicerRT, ours) gets the same voxels
back, holes included. Each contour references its image ((3006,0016)
Contour Image Sequence); the structure set references the series in
(3006,0010) Referenced Frame of Reference Sequence.

The object is validated (:func:`core.rt.validate.validate_dataset`) before
anything is written, and written atomically.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Sequence

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

import core
from core.codes import UID_PREFIX, Code
from core.contours import mask_outlines
from core.dicom.headers import RTSTRUCT_SOP_CLASS
from core.atomic_file import atomic_open, writing_file
from core.errors import ExportError
from core.lesions import LesionMask
from core.rt.validate import Validation, validate_dataset
from core.volume import Volume

#: (0008,1150) for RT Referenced Study: the (retired) Detached Study Management
#: SOP class, what planning systems write and expect there.
STUDY_REFERENCE_CLASS = "1.2.840.10008.3.1.2.3.1"
#: LO: at most 64 characters ((3006,0026) ROI Name).
MAX_NAME = 64
#: Patient, study and equipment attributes copied from the images.
COPIED = (
    "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyInstanceUID", "StudyDate",
    "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber", "StudyDescription",
)


@dataclass(frozen=True)
class RoiSpec:
    """One ROI to write.

    ``interpreted_type`` is (3006,00A4) RT ROI Interpreted Type ("GTV",
    "ORGAN", ...); ``code``, when given, goes to (3006,0086) RT ROI
    Identification Code Sequence; ``algorithm`` to (3006,0036) ROI Generation
    Algorithm (AUTOMATIC, SEMIAUTOMATIC or MANUAL).
    """

    name: str
    mask: LesionMask
    color: tuple[int, int, int]
    interpreted_type: str = "GTV"
    code: Code | None = None
    algorithm: str = "SEMIAUTOMATIC"
    description: str = ""


def unique_names(names: Sequence[str]) -> list[str]:
    """ROI names within 64 characters, unique (case-insensitive), never empty."""
    out: list[str] = []
    seen: set[str] = set()
    for n, raw in enumerate(names):
        base = " ".join(str(raw or "").split())[:MAX_NAME] or f"ROI {n + 1}"
        name, k = base, 2
        while name.lower() in seen:
            suffix = f" ({k})"
            name = base[: MAX_NAME - len(suffix)] + suffix
            k += 1
        seen.add(name.lower())
        out.append(name)
    return out


def mask_contours(mask: LesionMask, volume: Volume) -> list[tuple[int, np.ndarray]]:
    """The closed contours of a mask: (slice index, (n, 3) LPS mm points) per loop."""
    if mask.grid_shape != volume.shape or mask.series_uid != volume.info.series_uid:
        raise ExportError(
            f"a mask drawn on series {mask.series_uid} {list(mask.grid_shape)} cannot be written "
            f"on series {volume.info.series_uid} {list(volume.shape)}"
        )
    out = []
    oz, oy, ox = mask.offset
    for dz in range(mask.array.shape[0]):
        plane = mask.array[dz]
        if not plane.any():
            continue
        k = oz + dz
        for loop in mask_outlines(plane):
            idx = np.column_stack([np.full(len(loop), float(k)), loop[:, 0] + oy, loop[:, 1] + ox])
            out.append((k, volume.index_to_patient(idx)))
    return out


def _ds_text(values: np.ndarray) -> list[str]:
    """DS strings within 16 characters (0.1 micrometre is far below any voxel)."""
    return [f"{v:.4f}".rstrip("0").rstrip(".") if abs(v) < 1e9 else f"{v:.6e}" for v in values]


def _image_class(volume: Volume, header: Dataset | None) -> str:
    value = str(header.get("SOPClassUID", "")) if header is not None else ""
    return value or "1.2.840.10008.5.1.4.1.1.2"


def build_rtstruct(
    rois: Sequence[RoiSpec],
    volume: Volume,
    image_header: Dataset | None,
    label: str = "OLIGOPLAN",
    description: str = "OligoPlan lesions",
    series_number: int = 901,
) -> Dataset:
    """An RT Structure Set dataset of ``rois`` on ``volume`` (nothing written).

    ``image_header`` is one image of the series (patient, study and SOP class
    are copied from it); without it they are left empty (type 2).
    """
    if not rois:
        raise ExportError("nothing to export: the case has no lesion with a contour")
    if not volume.sop_instance_uids or len(volume.sop_instance_uids) != volume.shape[0]:
        raise ExportError(
            f"series {volume.info.series_uid} has no SOP Instance UID per slice; a structure set "
            "must reference its images"
        )
    now = datetime.now()
    image_class = _image_class(volume, image_header)
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = RTSTRUCT_SOP_CLASS
    ds.SOPInstanceUID = generate_uid(UID_PREFIX)
    ds.InstanceCreationDate = now.strftime("%Y%m%d")
    ds.InstanceCreationTime = now.strftime("%H%M%S")
    for key in COPIED:
        setattr(ds, key, (image_header.get(key, "") if image_header is not None else "") or "")
    ds.StudyInstanceUID = ds.StudyInstanceUID or volume.info.study_uid or generate_uid(UID_PREFIX)
    ds.Modality = "RTSTRUCT"
    ds.SeriesInstanceUID = generate_uid(UID_PREFIX)
    ds.SeriesNumber = series_number
    ds.SeriesDescription = description
    ds.OperatorsName = ""
    ds.Manufacturer = "OligoPlan"
    ds.ManufacturerModelName = "OligoPlan"
    ds.SoftwareVersions = core.__version__
    ds.StructureSetLabel = label[:16]
    ds.StructureSetName = description[:64]
    ds.StructureSetDate = now.strftime("%Y%m%d")
    ds.StructureSetTime = now.strftime("%H%M%S")

    frame_uid = volume.info.frame_of_reference_uid
    if not frame_uid:
        raise ExportError(f"series {volume.info.series_uid} has no Frame of Reference UID; "
                          "a structure set cannot be placed without one")
    # Frame of Reference module (part of the RT Structure Set IOD since 2019)
    ds.FrameOfReferenceUID = frame_uid
    ds.PositionReferenceIndicator = (image_header.get("PositionReferenceIndicator", "")
                                     if image_header is not None else "") or ""
    contour_images = DicomSequence()
    for uid in dict.fromkeys(volume.sop_instance_uids):
        item = Dataset()
        item.ReferencedSOPClassUID = image_class
        item.ReferencedSOPInstanceUID = uid
        contour_images.append(item)
    series = Dataset()
    series.SeriesInstanceUID = volume.info.series_uid
    series.ContourImageSequence = contour_images
    study = Dataset()
    study.ReferencedSOPClassUID = STUDY_REFERENCE_CLASS
    study.ReferencedSOPInstanceUID = ds.StudyInstanceUID
    study.RTReferencedSeriesSequence = DicomSequence([series])
    frame = Dataset()
    frame.FrameOfReferenceUID = frame_uid
    frame.RTReferencedStudySequence = DicomSequence([study])
    ds.ReferencedFrameOfReferenceSequence = DicomSequence([frame])

    names = unique_names([r.name for r in rois])
    roi_items, contour_items, observation_items = DicomSequence(), DicomSequence(), DicomSequence()
    for number, (roi, name) in enumerate(zip(rois, names), start=1):
        item = Dataset()
        item.ROINumber = number
        item.ReferencedFrameOfReferenceUID = frame_uid
        item.ROIName = name
        if roi.description:
            item.ROIDescription = roi.description[:64]
        item.ROIGenerationAlgorithm = roi.algorithm
        roi_items.append(item)

        rc = Dataset()
        rc.ROIDisplayColor = [int(c) for c in roi.color]
        rc.ReferencedROINumber = number
        contours = DicomSequence()
        for n, (k, points) in enumerate(mask_contours(roi.mask, volume), start=1):
            c = Dataset()
            image = Dataset()
            image.ReferencedSOPClassUID = image_class
            image.ReferencedSOPInstanceUID = volume.sop_instance_uids[k]
            c.ContourImageSequence = DicomSequence([image])
            c.ContourGeometricType = "CLOSED_PLANAR"
            c.NumberOfContourPoints = len(points)
            c.ContourNumber = n
            c.ContourData = _ds_text(points.ravel())
            contours.append(c)
        rc.ContourSequence = contours
        contour_items.append(rc)

        obs = Dataset()
        obs.ObservationNumber = number
        obs.ReferencedROINumber = number
        obs.ROIObservationLabel = name[:16]
        obs.RTROIInterpretedType = roi.interpreted_type
        obs.ROIInterpreter = ""
        if roi.code is not None:
            code = Dataset()
            code.CodeValue = roi.code.value
            code.CodingSchemeDesignator = roi.code.scheme
            code.CodeMeaning = roi.code.meaning
            obs.RTROIIdentificationCodeSequence = DicomSequence([code])
        observation_items.append(obs)
    ds.StructureSetROISequence = roi_items
    ds.ROIContourSequence = contour_items
    ds.RTROIObservationsSequence = observation_items
    ds.ApprovalStatus = "UNAPPROVED"
    _add_file_meta(ds)
    return ds


def _add_file_meta(ds: Dataset) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = UID_PREFIX + "1"
    meta.ImplementationVersionName = f"OLIGOPLAN_{core.__version__}"[:16]
    ds.file_meta = meta


def write_validated(ds: Dataset, path: str | os.PathLike, what: str) -> Validation:
    """Validate ``ds``, then write it atomically to ``path`` (nothing written on errors)."""
    if getattr(ds, "file_meta", None) is None or "TransferSyntaxUID" not in ds.file_meta:
        _add_file_meta(ds)
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    validation = validate_dataset(ds, what)
    path = Path(path)
    noun = what[4:] if what.startswith("the ") else what
    with writing_file(path, noun), atomic_open(path, "wb") as fh:  # fsynced; a failure names the file
        ds.save_as(fh, enforce_file_format=True)
    return validation


def read_image_header(volume: Volume) -> Dataset | None:
    """The header of the volume's first image (no pixels), or None when unreadable."""
    for path in volume.source_files[:1]:
        try:
            return pydicom.dcmread(path, stop_before_pixels=True, force=True)
        except Exception:  # noqa: BLE001 - the structure set is still written, with empty patient fields
            return None
    return None

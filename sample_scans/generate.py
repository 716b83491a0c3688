"""Write the bundled synthetic sample cases (CT, FDG PET, RTSTRUCT, ground truth).

Usage::

    python sample_scans/generate.py [--out sample_scans] [--case phantom-oligo]

Two cases are written, each in its own folder: ``phantom-oligo`` (5
metastases) and ``phantom-poly`` (8 metastases). Both share one analytic
torso (``phantom_model.py``); the lesions are data. The output is
deterministic: fixed random seeds, UIDs derived from the case name, fixed
dates, so running the generator twice gives byte-identical files.

PET values and SUV
------------------
Pixel values are activity concentration in Bq/ml ((0054,1001) Units BQML),
decay corrected to the acquisition start ((0054,1102) Decay Correction
START = (0008,0031) Series Time). The body-weight SUV of a voxel is then::

    SUVbw = C * W / (A0 * 2 ** (-dt / T))

with ``C`` the rescaled pixel value (stored * (0028,1053) Rescale Slope +
(0028,1052) Rescale Intercept, Bq/ml), ``W`` (0010,1030) Patient Weight in
grams, ``A0`` (0018,1074) Radionuclide Total Dose (Bq, at (0018,1072)
Radiopharmaceutical Start Time), ``T`` (0018,1075) Radionuclide Half Life
(s) and ``dt`` the time from injection to Series Time (s). The generator
writes ``C = SUV * A0 * 2 ** (-dt / T) / W``; the density is taken as 1 g/ml.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage

from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.tag import Tag
from pydicom.sequence import Sequence
from pydicom.uid import UID, ExplicitVRLittleEndian, JPEG2000Lossless, generate_uid

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:  # when imported from elsewhere (the tests)
    sys.path.append(str(_HERE))
import phantom_model as pm  # noqa: E402  (sibling module of this script)
from phantom_model import Lesion, Tissue  # noqa: E402

#: Root of every UID written here (the OligoPlan sample-data root).
UID_ROOT = "1.2.826.0.1.3680043.10.1311."
IMPLEMENTATION_UID = UID_ROOT + "0.1"
CT_IMAGE_STORAGE = UID("1.2.840.10008.5.1.4.1.1.2")
PET_IMAGE_STORAGE = UID("1.2.840.10008.5.1.4.1.1.128")
RT_STRUCTURE_SET_STORAGE = UID("1.2.840.10008.5.1.4.1.1.481.3")
DETACHED_STUDY_MANAGEMENT = UID("1.2.840.10008.3.1.2.3.1")
CONTOUR_DATA_TAG = 0x30060050

CT_GRID = pm.Grid.centred(256, 420.0 / 256, -150.0, 3.0, 96)  # z -150 .. +135 mm
PET_GRID = pm.Grid.centred(128, 4.0, -150.0, 4.0, 72)  # z -150 .. +134 mm
CT_NOISE_HU = 10.0
#: PET resolution (Gaussian sigma, mm) including the 4 mm voxel.
PET_SIGMA_MM = 2.0
PET_NOISE_FRACTION = 0.08
F18_HALF_LIFE_S = 6586.2
INJECTION_TIME = "093000"
CT_TIME, PET_TIME = "102500", "103000"
UPTAKE_S = 3600.0  # injection to PET Series Time
DATE = "20240315"
OAR_COLOURS = {
    "BODY": (0, 255, 0), "LUNG_L": (0, 160, 255), "LUNG_R": (255, 160, 0),
    "LIVER": (160, 80, 40), "SPINALCORD": (255, 255, 0),
    "BRONCHUS_PROX": (0, 255, 255), "HEART": (255, 0, 80),
}


@dataclass(frozen=True)
class CaseSpec:
    """Patient facts and lesions of one sample case.

    ``seed`` drives the image noise; ``pet_compressed`` stores the PET as
    JPEG 2000 lossless instead of uncompressed (both cases together cover
    both encodings a loader meets).
    """

    name: str
    patient_name: str
    patient_id: str
    sex: str
    birth_date: str
    weight_kg: float
    height_m: float
    dose_bq: float
    seed: int
    pet_compressed: bool
    lesions: tuple[Lesion, ...]


def _liver(i, c, d, suv):
    """Hypodense liver metastasis (+10 HU in liver of +60 HU)."""
    return Lesion(i, c, d, "liver", None, Tissue.LIVER, 10.0, suv)


def _lung(i, c, d, side, suv):
    """Solid lung metastasis (+30 HU in lung of -850 HU)."""
    host = Tissue.LUNG_R if side == "right" else Tissue.LUNG_L
    return Lesion(i, c, d, "lung", side, host, 30.0, suv)


def _bone(i, c, d, suv):
    """Lytic vertebral metastasis (+80 HU in cancellous bone of +300 HU)."""
    return Lesion(i, c, d, "bone", None, Tissue.BONE_CANCELLOUS, 80.0, suv)


# Lesions: id, centre (x, y, z) LPS mm, diameter mm, [side], nominal SUV.
CASES = (
    CaseSpec(
        name="phantom-oligo", patient_name="PHANTOM^OLIGO", patient_id="PHANTOM-OLIGO", sex="M",
        birth_date="19580412", weight_kg=72.0, height_m=1.76, dose_bq=3.5e8, seed=1311, pet_compressed=False,
        lesions=(
            _liver("L1", (-80.0, -10.0, -70.0), 20.0, 10.0),
            _liver("L2", (-35.0, -40.0, -95.0), 15.0, 12.0),
            _liver("L3", (-100.0, 20.0, -110.0), 10.0, 14.0),
            _lung("L4", (-70.0, 24.0, 33.0), 12.0, "right", 11.0),  # 11.5 mm from BRONCHUS_PROX
            _bone("L5", (0.0, 62.0, 15.0), 15.0, 8.0),  # 13 mm from the spinal cord
        ),
    ),
    CaseSpec(
        name="phantom-poly", patient_name="PHANTOM^POLY", patient_id="PHANTOM-POLY", sex="F",
        birth_date="19630907", weight_kg=64.0, height_m=1.65, dose_bq=3.1e8, seed=1312, pet_compressed=True,
        lesions=(
            _liver("L1", (-75.0, -15.0, -65.0), 25.0, 10.0),
            _liver("L2", (-30.0, -45.0, -100.0), 18.0, 11.0),
            _liver("L3", (-110.0, 25.0, -92.0), 12.0, 12.0),
            _liver("L4", (-40.0, -20.0, -125.0), 10.0, 14.0),
            _lung("L5", (-100.0, 40.0, 70.0), 8.0, "right", 16.0),
            _lung("L6", (85.0, -20.0, 85.0), 16.0, "left", 10.0),
            _bone("L7", (0.0, 60.0, -75.0), 14.0, 9.0),
            # left adrenal metastasis in the fat above the kidney (-95 HU)
            Lesion("L8", (52.0, 54.0, -66.0), 18.0, "adrenal", "left", Tissue.VISCERAL_FAT, 35.0, 9.0),
        ),
    ),
)


def uid(case: str, *parts: object) -> UID:
    """Deterministic UID under :data:`UID_ROOT` for one object of one case."""
    return generate_uid(prefix=UID_ROOT, entropy_srcs=[case, *map(str, parts)])


def ds_str(value: float) -> str:
    """A decimal string (VR DS, at most 16 characters) for ``value``."""
    for digits in range(12, 3, -1):
        text = f"{value:.{digits}g}"
        if len(text) <= 16:
            return text
    raise ValueError(f"cannot write {value!r} as a DS of 16 characters")


def _lookup(table: dict) -> np.ndarray:
    out = np.zeros(max(Tissue) + 1, np.float32)
    for tissue, value in table.items():
        out[tissue] = value
    return out


# --------------------------------------------------------------------- images


def make_ct_hu(spec: CaseSpec, labels: np.ndarray) -> np.ndarray:
    """CT numbers (HU, int16) on :data:`CT_GRID`: anatomy, lesions, noise."""
    hu = _lookup(pm.TISSUE_HU)[labels]
    hu = ndimage.gaussian_filter(hu, sigma=(0.4, 0.6, 0.6))  # scanner resolution
    for les in spec.lesions:
        idx, frac = pm.sphere_fraction(CT_GRID, les.centre_mm, les.radius_mm)
        hu[idx] = hu[idx] * (1.0 - frac) + les.hu * frac
    rng = np.random.default_rng(spec.seed)
    noise = ndimage.gaussian_filter(rng.standard_normal(hu.shape, np.float32), sigma=(0, 0.7, 0.7))
    hu += noise * np.float32(CT_NOISE_HU / noise.std())
    x, y = CT_GRID.x_mm[None, None, :], CT_GRID.y_mm[None, :, None]
    hu = np.where(x**2 + y**2 < 210.0**2, hu, -1024.0)  # outside the reconstruction circle
    return np.clip(np.rint(hu), -1024, 3071).astype(np.int16)


def make_pet_suv(spec: CaseSpec, labels: np.ndarray) -> np.ndarray:
    """FDG uptake (SUVbw, float32) on :data:`PET_GRID`.

    The SUV map is built on the fine CT grid (lesions with partial volume),
    blurred to PET resolution, sampled at the PET voxel centres, and given
    blurred multiplicative noise.
    """
    suv = _lookup(pm.TISSUE_SUV)[labels]
    for les in spec.lesions:
        idx, frac = pm.sphere_fraction(CT_GRID, les.centre_mm, les.radius_mm)
        suv[idx] = suv[idx] * (1.0 - frac) + les.suv * frac
    in_plane = PET_SIGMA_MM / CT_GRID.spacing_mm
    sigma = (PET_SIGMA_MM / CT_GRID.slice_step_mm, in_plane, in_plane)
    suv = ndimage.gaussian_filter(suv, sigma=sigma)
    kk, jj, ii = np.meshgrid(
        (np.asarray(PET_GRID.z_mm) - CT_GRID.z_mm[0]) / CT_GRID.slice_step_mm,
        (PET_GRID.y_mm - CT_GRID.y0_mm) / CT_GRID.spacing_mm,
        (PET_GRID.x_mm - CT_GRID.x0_mm) / CT_GRID.spacing_mm,
        indexing="ij",
    )
    pet = ndimage.map_coordinates(suv, [kk, jj, ii], order=1, mode="constant", cval=0.0)
    rng = np.random.default_rng(spec.seed + 1000)
    noise = ndimage.gaussian_filter(rng.standard_normal(pet.shape, np.float32), sigma=0.7)
    pet *= 1.0 + noise * np.float32(PET_NOISE_FRACTION / noise.std())
    return np.clip(pet, 0.0, None).astype(np.float32)


def suv_to_bqml_factor(spec: CaseSpec) -> float:
    """Bq/ml per SUV unit: decayed dose at Series Time over body weight in grams."""
    return spec.dose_bq * 2.0 ** (-UPTAKE_S / F18_HALF_LIFE_S) / (spec.weight_kg * 1000.0)


# --------------------------------------------------------------------- DICOM


def _file_meta(sop_class: UID, sop_instance: UID, syntax: UID) -> FileMetaDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = syntax
    meta.ImplementationClassUID = UID(IMPLEMENTATION_UID)
    meta.ImplementationVersionName = "OLIGOPLAN_SYN1"
    return meta


def _common(spec: CaseSpec, modality: str, series: str, number: int, description: str, time: str) -> Dataset:
    """Patient, study, series and equipment modules shared by every object."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.InstanceCreationDate, ds.InstanceCreationTime = DATE, time
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = DATE
    ds.StudyTime, ds.SeriesTime, ds.ContentTime = CT_TIME, time, time
    ds.AccessionNumber = f"SYN{spec.seed}"
    ds.Modality = modality
    ds.Manufacturer = "OligoPlan synthetic phantom"
    ds.InstitutionName = "OligoPlan sample data"
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "FDG PET/CT synthetic phantom"
    ds.SeriesDescription = description
    ds.ManufacturerModelName = "generate.py"
    ds.PatientName = spec.patient_name
    ds.PatientID = spec.patient_id
    ds.PatientBirthDate = spec.birth_date
    ds.PatientSex = spec.sex
    ds.StudyInstanceUID = uid(spec.name, "study")
    ds.SeriesInstanceUID = uid(spec.name, series)
    ds.StudyID = "1"
    ds.SeriesNumber = number
    return ds


def _image_plane(ds: Dataset, grid: pm.Grid, k: int, thickness_mm: float) -> None:
    ds.ImagePositionPatient = [ds_str(grid.x0_mm), ds_str(grid.y0_mm), ds_str(grid.z_mm[k])]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.SliceLocation = ds_str(grid.z_mm[k])
    ds.PixelSpacing = [ds_str(grid.spacing_mm), ds_str(grid.spacing_mm)]
    ds.SliceThickness = ds_str(thickness_mm)
    ds.PositionReferenceIndicator = ""
    ds.Rows, ds.Columns = grid.ny, grid.nx
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16


def _compress_checked(ds: Dataset, stored: np.ndarray) -> None:
    """JPEG 2000 lossless compression, verified by decoding the result."""
    ds.compress(JPEG2000Lossless, stored, encoding_plugin="pylibjpeg", generate_instance_uid=False)
    decoded = ds.pixel_array
    if decoded.dtype != stored.dtype or not np.array_equal(decoded, stored):
        raise RuntimeError(f"JPEG 2000 round trip changed the pixels of {ds.SOPInstanceUID}")


def _instance_number(grid: pm.Grid, k: int) -> int:
    """Instances are numbered head first: 1 is the most superior slice."""
    return len(grid.z_mm) - k


def write_ct(spec: CaseSpec, hu: np.ndarray, folder: Path) -> list[UID]:
    """Write the CT series (JPEG 2000 lossless) and return its SOP Instance UIDs by slice."""
    folder.mkdir(parents=True, exist_ok=True)
    sop_uids = []
    for k in range(len(CT_GRID.z_mm)):
        ds = _common(spec, "CT", "ct-series", 2, "CT 3.0 mm soft tissue", CT_TIME)
        ds.SOPClassUID = CT_IMAGE_STORAGE
        ds.SOPInstanceUID = uid(spec.name, "ct", k)
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.AcquisitionDate, ds.AcquisitionTime = DATE, CT_TIME
        ds.BodyPartExamined = "CHEST"
        ds.KVP = "120"
        ds.ConvolutionKernel = "STANDARD"
        ds.PatientPosition = "HFS"
        ds.FrameOfReferenceUID = uid(spec.name, "frame-of-reference")
        ds.InstanceNumber = _instance_number(CT_GRID, k)
        _image_plane(ds, CT_GRID, k, CT_GRID.slice_step_mm)
        ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 12, 11, 0
        ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = "-1024", "1", "HU"
        ds.WindowCenter, ds.WindowWidth = "40", "400"
        ds.LossyImageCompression = "00"
        ds.ImageComments = "Synthetic phantom, not patient data"
        stored = (hu[k].astype(np.int32) + 1024).astype(np.uint16)
        ds.file_meta = _file_meta(CT_IMAGE_STORAGE, ds.SOPInstanceUID, ExplicitVRLittleEndian)
        _compress_checked(ds, stored)
        ds.save_as(folder / f"CT_{ds.InstanceNumber:04d}.dcm", enforce_file_format=True)
        sop_uids.append(ds.SOPInstanceUID)
    return sop_uids


def _radiopharmaceutical(spec: CaseSpec) -> Dataset:
    item = Dataset()
    item.Radiopharmaceutical = "Fluorodeoxyglucose"
    item.RadiopharmaceuticalStartTime = INJECTION_TIME
    item.RadiopharmaceuticalStartDateTime = DATE + INJECTION_TIME
    item.RadionuclideTotalDose = ds_str(spec.dose_bq)
    item.RadionuclideHalfLife = ds_str(F18_HALF_LIFE_S)
    item.RadionuclidePositronFraction = "0.9673"
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "C-111A1", "SRT", "^18^Fluorine"
    item.RadionuclideCodeSequence = Sequence([code])
    drug = Dataset()
    drug.CodeValue, drug.CodingSchemeDesignator = "C-B1031", "SRT"
    drug.CodeMeaning = "Fluorodeoxyglucose F^18^"
    item.RadiopharmaceuticalCodeSequence = Sequence([drug])
    return item


def write_pet(spec: CaseSpec, suv: np.ndarray, folder: Path) -> None:
    """Write the PET series (Bq/ml, one Rescale Slope per slice).

    Stored uncompressed, or JPEG 2000 lossless when ``spec.pet_compressed``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    bqml = suv.astype(np.float64) * suv_to_bqml_factor(spec)
    n = len(PET_GRID.z_mm)
    for k in range(n):
        ds = _common(spec, "PT", "pt-series", 3, "PET WB AC 4 mm", PET_TIME)
        ds.SOPClassUID = PET_IMAGE_STORAGE
        ds.SOPInstanceUID = uid(spec.name, "pt", k)
        ds.ImageType = ["ORIGINAL", "PRIMARY"]
        ds.AcquisitionDate, ds.AcquisitionTime = DATE, PET_TIME
        ds.PatientWeight = ds_str(spec.weight_kg)
        ds.PatientSize = ds_str(spec.height_m)
        ds.PatientPosition = "HFS"
        ds.FrameOfReferenceUID = uid(spec.name, "frame-of-reference")
        ds.InstanceNumber = _instance_number(PET_GRID, k)
        _image_plane(ds, PET_GRID, k, PET_GRID.slice_step_mm)
        ds.SeriesType = ["WHOLE BODY", "IMAGE"]
        ds.Units = "BQML"
        ds.CountsSource = "EMISSION"
        ds.CorrectedImage = ["NORM", "DTIM", "ATTN", "SCAT", "DECY", "RAN"]
        ds.DecayCorrection = "START"
        ds.RandomsCorrectionMethod = "DLYD"
        ds.ReconstructionMethod = "OSEM 3i21s"
        ds.DecayFactor = "1"
        ds.FrameReferenceTime = "0"
        ds.ActualFrameDuration = 180000
        ds.ImageIndex = ds.InstanceNumber
        ds.NumberOfSlices = n
        ds.RadiopharmaceuticalInformationSequence = Sequence([_radiopharmaceutical(spec)])
        ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 15, 1
        peak = float(bqml[k].max())
        slope = ds_str(peak / 32767.0 if peak > 0 else 1.0)
        ds.RescaleIntercept, ds.RescaleSlope = "0", slope
        stored = np.clip(np.rint(bqml[k] / float(slope)), 0, 32767).astype(np.int16)
        ds.WindowCenter = ds_str(2.5 * suv_to_bqml_factor(spec))
        ds.WindowWidth = ds_str(5.0 * suv_to_bqml_factor(spec))
        ds.file_meta = _file_meta(PET_IMAGE_STORAGE, ds.SOPInstanceUID, ExplicitVRLittleEndian)
        if spec.pet_compressed:
            _compress_checked(ds, stored)
        else:
            ds.PixelData = stored.tobytes()
        ds.save_as(folder / f"PT_{ds.InstanceNumber:04d}.dcm", enforce_file_format=True)


def _image_ref(sop_uid: UID) -> Dataset:
    ref = Dataset()
    ref.ReferencedSOPClassUID = CT_IMAGE_STORAGE
    ref.ReferencedSOPInstanceUID = sop_uid
    return ref


def _raw_ds(values: np.ndarray) -> RawDataElement:
    """(3006,0050) Contour Data as encoded text (0.1 mm), skipping per-value DS objects."""
    text = "\\".join(f"{round(float(v), 1) + 0.0:.1f}".removesuffix(".0") for v in values)
    data = (text + " " * (len(text) % 2)).encode("ascii")
    return RawDataElement(Tag(CONTOUR_DATA_TAG), "DS", len(data), data, 0, False, True)


def mask_outlines(mask: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Outlines of a mask on :data:`CT_GRID`: (slice index, (n, 3) points in LPS mm)."""
    out = []
    for k in np.nonzero(mask.any(axis=(1, 2)))[0]:
        for pts in pm.mask_contours(mask[k]):
            out.append((int(k), np.column_stack([
                CT_GRID.x0_mm + CT_GRID.spacing_mm * pts[:, 0],
                CT_GRID.y0_mm + CT_GRID.spacing_mm * pts[:, 1],
                np.full(len(pts), CT_GRID.z_mm[k]),
            ])))
    return out


def _contour_items(outlines: list[tuple[int, np.ndarray]], ct_uids: list[UID]) -> list[Dataset]:
    """CLOSED_PLANAR contour items, each referencing the CT slice it lies on."""
    items = []
    for k, xyz in outlines:
        item = Dataset()
        item.ContourImageSequence = Sequence([_image_ref(ct_uids[k])])
        item.ContourGeometricType = "CLOSED_PLANAR"
        item.NumberOfContourPoints = len(xyz)
        item.ContourNumber = len(items) + 1
        item[CONTOUR_DATA_TAG] = _raw_ds(xyz.ravel())
        item.set_original_encoding(False, True, "iso8859")  # so the raw text is written as is
        items.append(item)
    return items


def write_rtstruct(spec: CaseSpec, outlines: dict[str, list], ct_uids: list[UID], path: Path) -> None:
    """Write the organs at risk as an RT Structure Set referencing the CT."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = _common(spec, "RTSTRUCT", "rtstruct-series", 4, "Organs at risk (synthetic)", CT_TIME)
    ds.SOPClassUID = RT_STRUCTURE_SET_STORAGE
    ds.SOPInstanceUID = uid(spec.name, "rtstruct")
    ds.InstanceNumber = 1
    ds.StructureSetLabel = "OAR"
    ds.StructureSetName = "Organs at risk"
    ds.StructureSetDate, ds.StructureSetTime = DATE, CT_TIME
    for_uid = uid(spec.name, "frame-of-reference")
    series = Dataset()
    series.SeriesInstanceUID = uid(spec.name, "ct-series")
    series.ContourImageSequence = Sequence([_image_ref(u) for u in ct_uids])
    study = Dataset()
    study.ReferencedSOPClassUID = DETACHED_STUDY_MANAGEMENT
    study.ReferencedSOPInstanceUID = ds.StudyInstanceUID
    study.RTReferencedSeriesSequence = Sequence([series])
    frame = Dataset()
    frame.FrameOfReferenceUID = for_uid
    frame.RTReferencedStudySequence = Sequence([study])
    ds.ReferencedFrameOfReferenceSequence = Sequence([frame])
    rois, contours, observations = [], [], []
    for number, (name, rings) in enumerate(outlines.items(), start=1):
        roi = Dataset()
        roi.ROINumber = number
        roi.ReferencedFrameOfReferenceUID = for_uid
        roi.ROIName = name
        roi.ROIGenerationAlgorithm = "AUTOMATIC"
        rois.append(roi)
        contour = Dataset()
        contour.ROIDisplayColor = list(OAR_COLOURS[name])
        contour.ReferencedROINumber = number
        contour.ContourSequence = Sequence(_contour_items(rings, ct_uids))
        contours.append(contour)
        obs = Dataset()
        obs.ObservationNumber = number
        obs.ReferencedROINumber = number
        obs.RTROIInterpretedType = "EXTERNAL" if name == "BODY" else "ORGAN"
        obs.ROIInterpreter = ""
        observations.append(obs)
    ds.StructureSetROISequence = Sequence(rois)
    ds.ROIContourSequence = Sequence(contours)
    ds.RTROIObservationsSequence = Sequence(observations)
    ds.ApprovalStatus = "UNAPPROVED"
    ds.OperatorsName = ""
    ds.file_meta = _file_meta(RT_STRUCTURE_SET_STORAGE, ds.SOPInstanceUID, ExplicitVRLittleEndian)
    ds.save_as(path, enforce_file_format=True)


# --------------------------------------------------------------------- case


def ground_truth(spec: CaseSpec, masks: dict[str, np.ndarray]) -> dict:
    """The ground-truth record written to ``ground_truth.json``."""
    lesions = []
    for les in spec.lesions:
        entry = {
            "id": les.lesion_id, "centre_mm": [float(v) for v in les.centre_mm],
            "diameter_mm": les.diameter_mm, "volume_cc": round(les.volume_cc, 4),
            "organ": les.organ, "laterality": les.laterality, "kind": "metastasis",
            "hu": les.hu, "suv_max_nominal": les.suv,
        }
        if les.organ == "lung":
            gap = pm.surface_distance_mm(les, masks["BRONCHUS_PROX"], CT_GRID)
            entry["distance_to_bronchus_prox_mm"] = round(gap, 1)
        lesions.append(entry)
    return {
        "case": spec.name,
        "patient_id": spec.patient_id,
        "study_instance_uid": str(uid(spec.name, "study")),
        "frame_of_reference_uid": str(uid(spec.name, "frame-of-reference")),
        "series": {m: str(uid(spec.name, s)) for m, s in
                   (("CT", "ct-series"), ("PT", "pt-series"), ("RTSTRUCT", "rtstruct-series"))},
        "coordinates": "DICOM patient LPS, mm; centre_mm is (x, y, z)",
        "suv_formula": "SUVbw = Bq/ml * PatientWeight_g / (RadionuclideTotalDose * 2**(-(SeriesTime - "
                       "RadiopharmaceuticalStartTime) / RadionuclideHalfLife))",
        "lesions": lesions,
        "organs_at_risk": list(masks),
    }


@dataclass(frozen=True)
class Anatomy:
    """The phantom on :data:`CT_GRID`, shared by every case (read only)."""

    labels: np.ndarray  # Tissue label per voxel, (z, y, x)
    masks: dict[str, np.ndarray]  # organ-at-risk masks by ROI name
    outlines: dict[str, list[tuple[int, np.ndarray]]]  # ROI name -> (slice, (n, 3) mm)


@functools.cache
def anatomy() -> Anatomy:
    """Build the shared anatomy once per process."""
    labels = pm.label_map(CT_GRID.x_mm, CT_GRID.y_mm, CT_GRID.z_mm)
    masks = pm.organ_masks(labels, CT_GRID)
    for array in (labels, *masks.values()):
        array.flags.writeable = False
    return Anatomy(labels, masks, {name: mask_outlines(mask) for name, mask in masks.items()})


def build_case(spec: CaseSpec, out: Path, log=print) -> None:
    """Generate one case into ``out / spec.name``."""
    body = anatomy()
    pm.check_lesions(spec.lesions, body.labels, CT_GRID)
    folder = out / spec.name
    hu = make_ct_hu(spec, body.labels)
    ct_uids = write_ct(spec, hu, folder / "CT")
    suv = make_pet_suv(spec, body.labels)
    write_pet(spec, suv, folder / "PT")
    write_rtstruct(spec, body.outlines, ct_uids, folder / "RTSTRUCT" / "rtstruct.dcm")
    truth = ground_truth(spec, body.masks)
    (folder / "ground_truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(readme(spec, truth), encoding="utf-8")
    log(f"{spec.name}: {len(spec.lesions)} lesions written to {folder}")


def readme(spec: CaseSpec, truth: dict) -> str:
    """Short description of one generated case folder (Markdown)."""
    rows = "\n".join(
        f"| {les['id']} | {les['organ']}{' ' + les['laterality'] if les['laterality'] else ''} | "
        f"({', '.join(f'{v:g}' for v in les['centre_mm'])}) | {les['diameter_mm']:g} | "
        f"{les['volume_cc']:.2f} | {les['hu']:g} | {les['suv_max_nominal']:g} |"
        for les in truth["lesions"]
    )
    pet_storage = "JPEG 2000 lossless" if spec.pet_compressed else "uncompressed (Explicit VR Little Endian)"
    return f"""# {spec.name}: synthetic FDG PET/CT phantom

Generated by `python sample_scans/generate.py`; do not edit by hand (change
the generator and re-run it: the output is byte-for-byte reproducible).
Synthetic data, no patient information. Patient {spec.patient_id},
{spec.weight_kg:g} kg, {spec.dose_bq:.3g} Bq FDG injected at {INJECTION_TIME[:2]}:{INJECTION_TIME[2:4]},
PET started {UPTAKE_S / 60:g} min later.

- `CT/`: {len(CT_GRID.z_mm)} axial slices of {CT_GRID.nx}x{CT_GRID.ny} pixels,
  {CT_GRID.spacing_mm!r} mm pixels, {CT_GRID.slice_step_mm:g} mm apart
  (z {CT_GRID.z_mm[0]:g} to {CT_GRID.z_mm[-1]:g} mm), JPEG 2000 lossless;
  HU = stored - 1024. Noise about {CT_NOISE_HU:g} HU.
- `PT/`: FDG PET, {len(PET_GRID.z_mm)} slices of {PET_GRID.nx}x{PET_GRID.ny} pixels
  of {PET_GRID.spacing_mm:g} mm, {PET_GRID.slice_step_mm:g} mm apart, {pet_storage}.
  Bq/ml with one Rescale Slope per slice, decay corrected to the acquisition
  start (Decay Correction START):
  `{truth['suv_formula']}`.
- `RTSTRUCT/rtstruct.dcm`: organs at risk {', '.join(truth['organs_at_risk'])},
  drawn from the phantom's own label map on the CT slices.
- `ground_truth.json`: the lesions below (centres in LPS mm: +x patient left,
  +y posterior, +z superior).

Each lesion is a sphere lying wholly in its organ, at least 5 mm from the
others, with partial volume at its edge: thresholding the CT halfway between
lesion and organ gives its volume within a few per cent (about 10 % for the
smallest). "SUV nominal" is the uptake before the PET blur (Gaussian sigma
{PET_SIGMA_MM:g} mm) and noise; small lesions read lower. In the liver
(background SUV 2.5) a 40 %-of-SUVmax region is larger than the sphere; in
lung and fat it matches it within about 10 % from 12 mm diameter up.

| id | organ | centre (x, y, z) mm | diameter mm | volume cc | HU | SUV nominal |
|----|-------|---------------------|-------------|-----------|----|-------------|
{rows}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=_HERE, help="output folder (default: this folder)")
    parser.add_argument("--case", choices=[c.name for c in CASES], action="append",
                        help="generate only this case (repeatable)")
    args = parser.parse_args(argv)
    for spec in CASES:
        if args.case is None or spec.name in args.case:
            build_case(spec, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

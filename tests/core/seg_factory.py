"""DICOM SEG made the way another tool would (highdicom directly, not OligoPlan's export):
binary or fractional, one or many segments, frames shuffled, empty frames left out,
segments on part of the series."""

from __future__ import annotations

from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

from tests.core.dicom_factory import axial_positions, write_series

N_SLICES, SIZE = 8, 20


def write_ct(folder: Path, **tags) -> list[Path]:
    """An 8-slice 20x20 CT (1 mm pixels, 2 mm slices), one file per slice."""
    stored = np.zeros((N_SLICES, SIZE, SIZE), dtype=np.int16)
    return write_series(folder, stored, axial_positions(N_SLICES, 2.0),
                        slopes=[1.0] * N_SLICES, intercepts=[0.0] * N_SLICES, slice_thickness=2.0, **tags)


def _coded(value: str, scheme: str, meaning: str) -> hd.sr.CodedConcept:
    return hd.sr.CodedConcept(value, scheme, meaning)


METASTASIS = _coded("128462008", "SCT", "Metastasis")
LIVER = _coded("10200004", "SCT", "Liver")
LUNG = _coded("39607008", "SCT", "Lung")


def description(number: int, label: str, *, kind=METASTASIS, region=None,
                category=None) -> hd.seg.SegmentDescription:
    return hd.seg.SegmentDescription(
        segment_number=number, segment_label=label,
        segmented_property_category=category or codes.SCT.MorphologicallyAbnormalStructure,
        segmented_property_type=kind, algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
        anatomic_regions=[region] if region is not None else None)


def make_seg(ct_files: list[Path], masks: np.ndarray, descriptions: list, *, fractional: bool = False,
             labelmap: bool = False, shuffle: bool = False, label: str = "OTHER TOOL", slices: slice | None = None,
             seed: int = 3) -> hd.seg.Segmentation:
    """A SEG of ``masks`` (z, y, x, segments; float in 0..1 when ``fractional``) on ``ct_files``.

    ``slices`` keeps only part of the series as source images (the masks then cover that part);
    ``shuffle`` writes the frames in a random order (their functional groups follow them).
    """
    sources = [pydicom.dcmread(p) for p in ct_files]
    sources.sort(key=lambda d: float(d.ImagePositionPatient[2]))
    for n, ds in enumerate(sources, start=1):  # what highdicom copies into the SEG
        ds.PatientBirthDate, ds.PatientSex, ds.AccessionNumber, ds.ReferringPhysicianName = "", "", "", ""
        ds.StudyTime, ds.StudyID, ds.InstanceNumber = "120000", "1", n
    if slices is not None:
        sources = sources[slices]
    seg = hd.seg.Segmentation(
        source_images=sources, pixel_array=masks,
        segmentation_type=(hd.seg.SegmentationTypeValues.FRACTIONAL if fractional
                           else hd.seg.SegmentationTypeValues.LABELMAP if labelmap
                           else hd.seg.SegmentationTypeValues.BINARY),
        segment_descriptions=descriptions, series_instance_uid=generate_uid(), series_number=40,
        sop_instance_uid=generate_uid(), instance_number=1, manufacturer="Other Tool",
        manufacturer_model_name="Tool", software_versions="1", device_serial_number="1",
        content_label=label, **({"max_fractional_value": 100} if fractional else {}))
    if shuffle:
        _shuffle_frames(seg, np.random.default_rng(seed))
    return seg


def _shuffle_frames(seg, rng) -> None:
    frames = seg.pixel_array.reshape(int(seg.NumberOfFrames), seg.Rows, seg.Columns)
    order = rng.permutation(len(frames))
    if len(frames) > 1 and np.all(order == np.arange(len(frames))):
        order = order[::-1]
    groups = list(seg.PerFrameFunctionalGroupsSequence)
    seg.PerFrameFunctionalGroupsSequence = [groups[i] for i in order]
    frames = frames[order]
    if seg.BitsAllocated == 1:
        seg.PixelData = pydicom.pixels.pack_bits(frames.astype(np.uint8))
    else:
        seg.PixelData = frames.astype(np.uint8).tobytes()
    # the dimension index says nothing of the order any more
    if "DimensionOrganizationType" in seg:
        del seg.DimensionOrganizationType


def save(seg, path: Path) -> Path:
    seg.save_as(path, enforce_file_format=True)
    return path

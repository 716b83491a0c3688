"""DICOM Segmentation (SEG) of a case's lesions, with highdicom: what the SR's regions point at.

One binary segment per contoured lesion on the lesions' image series, in case
order, labelled with the lesion label and coded as a morphologically abnormal
structure of the lesion's kind (SNOMED CT metastasis / primary malignant
neoplasm) at its finding site, in the colour the views show it in
(Recommended Display CIELab Value). Empty frames are left out. The SR of the same
export references each lesion's segment (TID 1411 row 7, "Referenced Segment"):
see :mod:`core.rt.sr` for why a SEG rather than the RTSTRUCT ROI.
"""

from __future__ import annotations

from dataclasses import dataclass

import highdicom as hd
import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

import core
from core.case import Case
from core.codes import UID_PREFIX
from core.errors import ExportError
from core.lesion_colours import lesion_colour
from core.rt.quiet import no_names_in_warnings
from core.rt.sr_case import with_type_2


@dataclass
class CaseSeg:
    """The SEG dataset and the segment number of each lesion id in it."""

    dataset: Dataset
    segments: dict[str, int]


def _coded(code) -> hd.sr.CodedConcept:
    return hd.sr.CodedConcept(code.value, code.scheme, code.meaning)


def case_seg(case: Case, workspace, notes: list[str] | None = None) -> CaseSeg | None:
    """The SEG of the case's contoured lesions on the workspace's primary series, or None
    when no lesion is contoured there (lesions on another series are named in ``notes``)."""
    notes = notes if notes is not None else []
    volume = workspace.primary
    lesions = []
    for lesion in case.lesions:
        if lesion.mask is None:
            continue
        if lesion.mask.series_uid != volume.info.series_uid:
            notes.append(f"{lesion.id} ({lesion.label}) is drawn on another series; it is not in the SEG")
            continue
        lesions.append(lesion)
    if not lesions:
        return None
    files = list(dict.fromkeys(volume.source_files))  # a multi-frame image names its one file per slice
    if len(files) != volume.shape[0]:
        raise ExportError(f"series {volume.info.series_uid}: {len(files)} image file(s) for "
                          f"{volume.shape[0]} slices; a segmentation needs one file per slice")
    try:
        sources = [with_type_2(pydicom.dcmread(path, stop_before_pixels=True)) for path in files]
    except (OSError, pydicom.errors.InvalidDicomError) as exc:
        raise ExportError(f"the images of series {volume.info.series_uid} cannot be read ({exc}); "
                          "the segmentation must reference them") from exc
    pixels = np.zeros(volume.shape + (len(lesions),), dtype=bool)
    descriptions = []
    for n, lesion in enumerate(lesions, start=1):
        pixels[..., n - 1] = lesion.mask.full()
        descriptions.append(hd.seg.SegmentDescription(
            segment_number=n, segment_label=(lesion.label or lesion.id)[:64],
            segmented_property_category=codes.SCT.MorphologicallyAbnormalStructure,
            segmented_property_type=_coded(lesion.kind.code),
            algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL,
            anatomic_regions=[_coded(lesion.site.code)],
            display_color=hd.color.CIELabColor.from_rgb(*lesion_colour(lesion.id)),
            tracking_uid=None, tracking_id=None))
    try:
        seg = _segmentation(sources, pixels, descriptions)
    except (ValueError, TypeError, AttributeError) as exc:  # highdicom's checks of the source images
        raise ExportError(f"the lesion segmentation (SEG) on series {volume.info.series_uid} cannot be made "
                          f"({exc})") from exc
    seg.SeriesDescription = "OligoPlan lesion segmentation"
    return CaseSeg(seg, {lesion.id: n for n, lesion in enumerate(lesions, start=1)})


def _segmentation(sources: list[Dataset], pixels: np.ndarray, descriptions: list) -> hd.seg.Segmentation:
    with no_names_in_warnings():  # highdicom would quote a one-part Patient's Name on the console
        return _build_segmentation(sources, pixels, descriptions)


def _build_segmentation(sources: list[Dataset], pixels: np.ndarray, descriptions: list) -> hd.seg.Segmentation:
    return hd.seg.Segmentation(
        source_images=sources, pixel_array=pixels, segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions, series_instance_uid=generate_uid(UID_PREFIX), series_number=903,
        sop_instance_uid=generate_uid(UID_PREFIX), instance_number=1, manufacturer="OligoPlan",
        manufacturer_model_name="OligoPlan", software_versions=core.__version__, device_serial_number="0",
        content_label="LESIONS", content_description="OligoPlan lesions")

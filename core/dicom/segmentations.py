"""What a DICOM Segmentation (SEG) holds, as listed by the scanner (no pixels read).

Read with highdicom (its parser checks the SEG modules); the masks are placed on
images by :mod:`core.rt.seg_read`. A SEG is listed beside the structure sets and
matched to its series the same way (:mod:`core.rt.matching`): it is never an
image series.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset

from core.dicom.headers import SEG_SOP_CLASS, SEG_SOP_CLASSES  # noqa: F401 - re-exported
from core.errors import BrokenDicomError


@dataclass(frozen=True)
class SegmentSummary:
    number: int
    label: str
    category: str  # code meaning of (0062,0003) Segmented Property Category
    type: str  # code meaning of (0062,000F) Segmented Property Type
    n_frames: int  # frames the file holds for this segment
    #: (code value, scheme) of the type and of the first anatomic region, for site and kind
    type_code: tuple[str, str] = ("", "")
    region_code: tuple[str, str] = ("", "")
    region_modifier: str = ""  # code meaning of the region's modifier (Left, Right), "" when absent


@dataclass
class SegmentationSummary:
    path: str
    sop_uid: str
    label: str  # (0070,0080) Content Label
    referenced_series_uid: str
    frame_of_reference_uid: str
    patient_id: str
    fractional: bool
    labelmap: bool = False  # a label map SEG: each frame holds every segment, by its number
    segments: list[SegmentSummary] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    referenced_sop_uids: frozenset[str] = frozenset()
    frame_of_reference_uids: tuple[str, ...] = ()
    #: how messages name it (shared with structure sets in core.rt.matching)
    object_name: str = "segmentation"

    def to_json(self) -> dict:
        """The `oligoplan inspect` shape (patient ID left out)."""
        return {
            "sop_uid": self.sop_uid,
            "label": self.label,
            "referenced_series_uid": self.referenced_series_uid,
            "segments": [
                {"number": s.number, "label": s.label, "category": s.category, "type": s.type,
                 "n_frames": s.n_frames}
                for s in self.segments
            ],
            "warnings": list(self.warnings),
        }


def parse_segmentation(path: str, ds: Dataset):
    """The highdicom Segmentation of ``ds``; BrokenDicomError naming the file when it is not one."""
    import highdicom as hd

    try:
        return hd.seg.Segmentation.from_dataset(ds, copy=False)
    except Exception as exc:  # noqa: BLE001 - highdicom raises many types on malformed SEGs
        raise BrokenDicomError(
            f"{Path(path).name}: malformed DICOM Segmentation ({type(exc).__name__}: {exc}); "
            "export it again from the tool that made it"
        ) from exc


def summarise_segmentation(path: str, ds: Dataset) -> SegmentationSummary:
    """List the segments of a SEG header; raises BrokenDicomError when unusable."""
    seg = parse_segmentation(path, ds)
    try:
        return summarise_parsed(path, seg)
    except BrokenDicomError:
        raise
    except Exception as exc:  # noqa: BLE001 - pydicom raises many types on malformed values
        raise BrokenDicomError(f"{Path(path).name}: malformed DICOM Segmentation ({exc})") from exc


def frame_segment_numbers(seg) -> list[int]:
    """(0062,000B) Referenced Segment Number of each frame, in file order (per frame, else in the
    shared functional groups, as a SEG of one frame or one segment may put it); -1 when absent."""
    shared = (seg.get("SharedFunctionalGroupsSequence", None) or [None])[0]
    shared_ident = shared.get("SegmentIdentificationSequence", None) if shared is not None else None
    default = int(shared_ident[0].ReferencedSegmentNumber) if shared_ident else -1
    per_frame = list(seg.get("PerFrameFunctionalGroupsSequence", []) or [])
    n_frames = int(seg.get("NumberOfFrames", 1) or 1)
    numbers = []
    for k in range(n_frames):
        group = per_frame[k] if k < len(per_frame) else None
        ident = group.get("SegmentIdentificationSequence", None) if group is not None else None
        numbers.append(int(ident[0].ReferencedSegmentNumber) if ident else default)
    return numbers


def _code(concept) -> tuple[str, str]:
    return (str(concept.value), str(concept.scheme_designator)) if concept is not None else ("", "")


def summarise_parsed(path: str, seg) -> SegmentationSummary:
    """The summary of a highdicom Segmentation already parsed."""
    warnings: list[str] = []
    per_frame = frame_segment_numbers(seg)
    labelmap = str(seg.get("SegmentationType", "")).upper() == "LABELMAP"
    if labelmap:  # which segments each frame holds is in its pixels
        present = [set(np.unique(np.asarray(seg.get_stored_frame(k + 1))).tolist())
                   for k in range(int(seg.get("NumberOfFrames", 1) or 1))]
    segments = []
    for number in seg.segment_numbers:
        desc = seg.get_segment_description(number)
        regions = list(desc.anatomic_regions or [])
        items = desc.get("AnatomicRegionSequence", None) or []
        mods = (items[0].get("AnatomicRegionModifierSequence", None) or []) if items else []
        modifier = str(mods[0].get("CodeMeaning", "") or "") if mods else ""
        segments.append(SegmentSummary(
            number=int(number), label=str(desc.segment_label or f"segment {number}"),
            category=str(desc.segmented_property_category.meaning),
            type=str(desc.segmented_property_type.meaning),
            n_frames=(sum(1 for values in present if number in values) if labelmap
                      else sum(1 for n in per_frame if n == number)),
            type_code=_code(desc.segmented_property_type),
            region_code=_code(regions[0]) if regions else ("", ""),
            region_modifier=modifier))
    for s in segments:
        if s.n_frames == 0:
            warnings.append(f"segment {s.number} '{s.label}': no frame in the file (an empty segment)")
    series_uid = ""
    sop_uids: set[str] = set()
    for series in seg.get("ReferencedSeriesSequence", []) or []:
        series_uid = series_uid or str(series.get("SeriesInstanceUID", "") or "")
        for inst in series.get("ReferencedInstanceSequence", []) or []:
            sop_uids.add(str(inst.get("ReferencedSOPInstanceUID", "") or ""))
    for group in seg.get("PerFrameFunctionalGroupsSequence", []) or []:
        for derivation in group.get("DerivationImageSequence", []) or []:
            for source in derivation.get("SourceImageSequence", []) or []:
                sop_uids.add(str(source.get("ReferencedSOPInstanceUID", "") or ""))
    frame = str(seg.get("FrameOfReferenceUID", "") or "")
    if not series_uid:
        warnings.append("no referenced image series: it will be matched by frame of reference")
    if not segments:
        warnings.append("no segments in this segmentation")
    return SegmentationSummary(
        path=path, sop_uid=str(seg.get("SOPInstanceUID", "")), label=str(seg.get("ContentLabel", "") or ""),
        referenced_series_uid=series_uid, frame_of_reference_uid=frame,
        patient_id=str(seg.get("PatientID", "") or ""),
        fractional=str(seg.get("SegmentationType", "")).upper() == "FRACTIONAL", labelmap=labelmap,
        segments=segments, warnings=warnings, referenced_sop_uids=frozenset(u for u in sop_uids if u),
        frame_of_reference_uids=(frame,) if frame else ())

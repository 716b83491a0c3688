"""What an RT Structure Set holds, as listed by the scanner (no contours read).

The full import (contours to masks, matching to images) builds on this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset

from core.errors import BrokenDicomError

#: The only contour type that encloses a region (C.8.8.6.1 Contour Geometric Type).
SUPPORTED_CONTOUR_TYPE = "CLOSED_PLANAR"


@dataclass(frozen=True)
class RoiSummary:
    number: int
    name: str
    type: str  # (3006,00A4) RT ROI Interpreted Type, "" when absent
    n_contours: int


@dataclass
class StructureSetSummary:
    path: str
    sop_uid: str
    label: str
    referenced_series_uid: str
    frame_of_reference_uid: str
    patient_id: str
    rois: list[RoiSummary] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: every image SOP Instance UID a contour or the referenced series names
    referenced_sop_uids: frozenset[str] = frozenset()
    #: every Frame of Reference UID the structure set names (file level and per ROI)
    frame_of_reference_uids: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """The `oligoplan inspect` shape (patient ID left out)."""
        return {
            "sop_uid": self.sop_uid,
            "label": self.label,
            "referenced_series_uid": self.referenced_series_uid,
            "rois": [
                {"number": r.number, "name": r.name, "type": r.type, "n_contours": r.n_contours}
                for r in self.rois
            ],
            "warnings": list(self.warnings),
        }


def summarise_structure_set(path: str, ds: Dataset) -> StructureSetSummary:
    """List the ROIs of an RTSTRUCT header; raises BrokenDicomError when unusable."""
    try:
        return _summarise(path, ds)
    except Exception as exc:  # noqa: BLE001 - pydicom raises many types on malformed values
        raise BrokenDicomError(f"{Path(path).name}: malformed RT Structure Set ({exc})") from exc


def _summarise(path: str, ds: Dataset) -> StructureSetSummary:
    warnings: list[str] = []
    types = {}
    for obs in ds.get("RTROIObservationsSequence", []) or []:
        types[int(obs.get("ReferencedROINumber", -1))] = str(obs.get("RTROIInterpretedType", "") or "")
    counts = {}
    unsupported: dict[int, dict[str, int]] = {}
    sop_uids: set[str] = set()
    for roi_contour in ds.get("ROIContourSequence", []) or []:
        number = int(roi_contour.get("ReferencedROINumber", -1))
        contours = roi_contour.get("ContourSequence", []) or []
        counts[number] = len(contours)
        for contour in contours:
            kind = str(contour.get("ContourGeometricType", "") or "").strip().upper()
            if kind != SUPPORTED_CONTOUR_TYPE:
                per_roi = unsupported.setdefault(number, {})
                per_roi[kind or "no type"] = per_roi.get(kind or "no type", 0) + 1
            for image in contour.get("ContourImageSequence", []) or []:
                sop_uids.add(str(image.get("ReferencedSOPInstanceUID", "") or ""))
    rois = []
    for roi in ds.get("StructureSetROISequence", []) or []:
        number = int(roi.get("ROINumber", -1))
        rois.append(
            RoiSummary(
                number=number,
                name=str(roi.get("ROIName", "") or f"ROI {number}"),
                type=types.get(number, ""),
                n_contours=counts.get(number, 0),
            )
        )
    series_uid, frame_uid = "", ""
    frames: list[str] = []
    for ref_frame in ds.get("ReferencedFrameOfReferenceSequence", []) or []:
        frame_uid = frame_uid or str(ref_frame.get("FrameOfReferenceUID", "") or "")
        frames.append(str(ref_frame.get("FrameOfReferenceUID", "") or ""))
        for study in ref_frame.get("RTReferencedStudySequence", []) or []:
            for series in study.get("RTReferencedSeriesSequence", []) or []:
                series_uid = series_uid or str(series.get("SeriesInstanceUID", "") or "")
                for image in series.get("ContourImageSequence", []) or []:
                    sop_uids.add(str(image.get("ReferencedSOPInstanceUID", "") or ""))
    for roi in ds.get("StructureSetROISequence", []) or []:
        frames.append(str(roi.get("ReferencedFrameOfReferenceUID", "") or ""))
    names = {r.number: r.name for r in rois}
    for number, kinds in sorted(unsupported.items()):
        listed = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        warnings.append(
            f"ROI '{names.get(number, number)}': {listed} contour(s) not supported "
            f"(only {SUPPORTED_CONTOUR_TYPE} contours are drawn); they are listed, not shown"
        )
    if not series_uid:
        warnings.append("no referenced image series: it will be matched by frame of reference")
    if not rois:
        warnings.append("no ROIs in this structure set")
    return StructureSetSummary(
        path=path,
        sop_uid=str(ds.get("SOPInstanceUID", "")),
        label=str(ds.get("StructureSetLabel", "") or ""),
        referenced_series_uid=series_uid,
        frame_of_reference_uid=frame_uid,
        patient_id=str(ds.get("PatientID", "") or ""),
        rois=rois,
        warnings=warnings,
        referenced_sop_uids=frozenset(u for u in sop_uids if u),
        frame_of_reference_uids=tuple(dict.fromkeys(f for f in frames if f)),
    )

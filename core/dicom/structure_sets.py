"""What an RT Structure Set holds, as listed by the scanner (no contours read).

The full import (contours to masks, matching to images) builds on this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset

from core.errors import BrokenDicomError


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
    for roi_contour in ds.get("ROIContourSequence", []) or []:
        counts[int(roi_contour.get("ReferencedROINumber", -1))] = len(
            roi_contour.get("ContourSequence", []) or []
        )
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
    for ref_frame in ds.get("ReferencedFrameOfReferenceSequence", []) or []:
        frame_uid = frame_uid or str(ref_frame.get("FrameOfReferenceUID", "") or "")
        for study in ref_frame.get("RTReferencedStudySequence", []) or []:
            for series in study.get("RTReferencedSeriesSequence", []) or []:
                series_uid = series_uid or str(series.get("SeriesInstanceUID", "") or "")
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
    )

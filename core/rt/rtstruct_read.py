"""Read an RT Structure Set onto an image grid: match, rasterise, classify.

Entry points, a matching pair with :mod:`core.rt.rtstruct_write`:

* :func:`read_rtstruct` - one file onto one loaded volume.
* :func:`import_structure_sets` - every structure set a folder scan found,
  placed on the volume shown; the others are reported with the reason
  (another patient, another frame of reference).

A structure set drawn on another series of the shown volume's frame of
reference (on the CT while the PET is shown, on a re-sampled CT) is
rasterised onto the shown grid: contours are in patient mm, so this is
resampling by rasterisation; its warnings say "drawn on series X, shown on
series Y".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset

from core.dicom.headers import RTSTRUCT_SOP_CLASS, cut_short_reason, read_dataset, safe_get
from core.dicom.structure_sets import StructureSetSummary, summarise_structure_set
from core.errors import BrokenDicomError, DicomError, StructureSetError
from core.rt.matching import (
    ImageStack,
    StructureSetMatch,
    check_patient,
    match_structure_set,
    summary_name,
)
from core.rt.rasterise import Contour, rasterise_contours
from core.rt.structures import ImportedStructureSet, Structure, classify
from core.volume import Volume

#: Colours for ROIs without (3006,002A) ROI Display Color.
PALETTE = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
           (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212)]


#: (3006,0050) Contour Data
CONTOUR_DATA = 0x30060050


def contour_values(item: Dataset) -> np.ndarray:
    """(3006,0050) Contour Data of one contour item: x, y, z, x, y, z... in mm (float64).

    The element's raw bytes (a DS string ``x\\y\\z...``, ASCII) are split and converted by
    numpy (Python's float parsing, so the same numbers): pydicom makes one validated DSfloat
    object per value, about ten times slower, holding the GIL all along (200 ms for the
    1.2 MB tcia-sts-001 structure set, a frozen GUI; ``python -m bench.rtstruct``).
    Anything odd (the value already converted, empty, another VR, a value numpy cannot
    parse, not finite) falls back to pydicom's values, so the numbers are the same either
    way; a malformed value then raises ValueError as pydicom does.
    """
    try:
        raw = item.get_item(CONTOUR_DATA)
    except Exception:  # noqa: BLE001 - a damaged item: let pydicom's path report it
        raw = None
    if isinstance(raw, RawDataElement) and isinstance(raw.value, bytes) and raw.value \
            and raw.VR in (None, "DS"):
        try:
            values = np.array(raw.value.decode("ascii").split("\\"), dtype=np.float64)
        except (ValueError, TypeError):  # UnicodeDecodeError is a ValueError
            values = None
        if values is not None and values.ndim == 1 and np.isfinite(values).all():
            return values
    data = item.get("ContourData", None)
    return np.asarray([float(v) for v in (data or [])], dtype=np.float64)


def read_contours(ds: Dataset) -> dict[int, list[Contour]]:
    """(3006,0039) ROI Contour Sequence as contours per referenced ROI number."""
    out: dict[int, list[Contour]] = {}
    for roi_contour in ds.get("ROIContourSequence", []) or []:
        number = int(roi_contour.get("ReferencedROINumber", -1))
        contours = out.setdefault(number, [])
        for item in roi_contour.get("ContourSequence", []) or []:
            values = contour_values(item)
            points = values[: len(values) // 3 * 3].reshape(-1, 3)
            images = item.get("ContourImageSequence", []) or []
            image_uid = str(images[0].get("ReferencedSOPInstanceUID", "")) if images else ""
            kind = str(item.get("ContourGeometricType", "") or "")
            contours.append(Contour(points, kind, image_uid))
    return out


def _incomplete_rois(ds: Dataset) -> str:
    """Which ROIs of a structure set cut short may have lost contours (for the message).

    An item of (3006,0039) ROI Contour Sequence whose (3006,0084) Referenced ROI Number was
    read is whole: that element comes after the item's contours. Every other ROI of (3006,0020)
    Structure Set ROI Sequence may be incomplete or missing.
    """
    names: dict[int, str] = {}
    whole: set[int] = set()
    try:
        for item in ds.get("StructureSetROISequence", []) or []:
            number = item.get("ROINumber", None)
            if number is not None:
                names[int(number)] = str(safe_get(item, "ROIName", "") or f"ROI {int(number)}").strip()
        for item in ds.get("ROIContourSequence", []) or []:
            number = item.get("ReferencedROINumber", None)
            if number is not None:
                whole.add(int(number))
    except Exception:  # noqa: BLE001 - what is left of a cut file may not convert
        pass
    if not names:
        return "its list of ROIs was cut too, so any of them may be incomplete"
    short = [name for number, name in names.items() if number not in whole]
    if not short:
        return f"the contours of all {len(names)} ROI(s) were read, what follows them is missing"
    read = [name for number, name in names.items() if number in whole]
    return (f"ROI(s) that may be incomplete or missing: {', '.join(short)}"
            + (f" (read in full: {', '.join(read)})" if read else ""))


def _colors(ds: Dataset) -> dict[int, tuple[int, int, int]]:
    colors = {}
    for roi_contour in ds.get("ROIContourSequence", []) or []:
        value = safe_get(roi_contour, "ROIDisplayColor")
        try:
            rgb = tuple(int(max(0, min(255, int(v)))) for v in value)
        except (TypeError, ValueError):
            continue
        if len(rgb) == 3:
            colors[int(roi_contour.get("ReferencedROINumber", -1))] = rgb
    return colors


def _descriptions(ds: Dataset) -> dict[int, str]:
    """(3006,0028) ROI Description per ROI number, else (3006,0088) ROI Observation Description
    (malformed items skipped)."""
    found: dict[int, str] = {}
    for seq, number_key, text_key in (("StructureSetROISequence", "ROINumber", "ROIDescription"),
                                      ("RTROIObservationsSequence", "ReferencedROINumber",
                                       "ROIObservationDescription")):
        for item in ds.get(seq, []) or []:
            text = safe_get(item, text_key)
            try:
                number = int(item.get(number_key, -1))
            except (TypeError, ValueError):
                continue
            if text and number not in found:
                found[number] = str(text)
    return found


def _first_points(contours: dict[int, list[Contour]]) -> np.ndarray:
    pts = [c.points_mm[0] for cs in contours.values() for c in cs if len(c.points_mm)]
    return np.array(pts, dtype=np.float64).reshape(-1, 3)


def read_rtstruct(
    path: str | Path,
    volume: Volume,
    stacks: Sequence[ImageStack] | None = None,
    dataset: Dataset | None = None,
) -> ImportedStructureSet:
    """Place the structure set in ``path`` on ``volume``.

    ``stacks`` are all the series it could belong to (default: ``volume``
    alone). When it was drawn on another of ``stacks`` with the frame of
    reference of ``volume``, it is rasterised onto ``volume`` with a warning.
    Raises StructureSetError when it belongs to another patient or another
    frame of reference; DicomError when the file is not a readable RT
    Structure Set.
    """
    path = str(path)
    ds = dataset if dataset is not None else read_dataset(path)
    cut_short = cut_short_reason(path, ds)  # before any value is read: it checks the raw elements
    if str(safe_get(ds, "SOPClassUID", "")) != RTSTRUCT_SOP_CLASS:
        if cut_short:
            raise BrokenDicomError(cut_short)
        raise DicomError(f"{Path(path).name}: not an RT Structure Set (SOP class {safe_get(ds, 'SOPClassUID', 'none')})")
    if cut_short:  # pydicom gives the contours before the cut, silently: load nothing, say what is short
        raise BrokenDicomError(f"{cut_short}; {_incomplete_rois(ds)}; nothing was loaded from it")
    summary = summarise_structure_set(path, ds)
    try:
        contours = read_contours(ds)
    except (TypeError, ValueError) as exc:
        raise DicomError(f"{Path(path).name}: malformed (3006,0050) Contour Data ({exc})") from exc
    own = ImageStack.from_volume(volume)
    candidates = list(stacks) if stacks else [own]
    if not any(s.series_uid == own.series_uid for s in candidates):
        candidates.append(own)
    match = match_structure_set(summary, candidates, _first_points(contours))
    if match.series_uid != volume.info.series_uid:
        match = _onto_other_series(summary, match, candidates, own, volume)
    return _place(summary, ds, contours, volume, match)


def _onto_other_series(summary: StructureSetSummary, match: StructureSetMatch,
                       candidates: Sequence[ImageStack], own: ImageStack, volume: Volume) -> StructureSetMatch:
    """A structure set drawn on another series of the shown images' frame of reference.

    Its contours are in patient mm, so they are rasterised onto the grid shown
    (the PET of a PET/CT, a re-sampled CT) and the warnings say so; a series of
    another frame of reference (or patient) is refused: nothing is loaded.
    """
    drawn = next((s for s in candidates if s.series_uid == match.series_uid), None)
    drawn_label = (drawn.label if drawn is not None else "") or match.series_uid
    shown_label = own.label or volume.info.modality.value
    frame = own.frame_of_reference_uid
    if not frame or drawn is None or drawn.frame_of_reference_uid != frame:
        raise StructureSetError(
            f"{summary_name(summary)} was drawn on another series ({drawn_label}) of another frame of "
            f"reference, not on the {volume.info.modality.value} shown; nothing was loaded from it. "
            "Show that series to see it"
        )
    check_patient(summary, own, summary_name(summary))
    note = (f"drawn on series {drawn_label}, shown on series {shown_label}: same frame of reference, "
            "its contours were rasterised onto the grid shown")
    return StructureSetMatch(volume.info.series_uid, f"{match.how}, resampled onto {shown_label}",
                             (note,) + tuple(match.warnings))


def _place(summary: StructureSetSummary, ds: Dataset, contours, volume: Volume, match) -> ImportedStructureSet:
    colors = _colors(ds)
    descriptions = _descriptions(ds)
    result = ImportedStructureSet(
        path=summary.path, sop_uid=summary.sop_uid, label=summary.label,
        series_uid=volume.info.series_uid, frame_of_reference_uid=volume.info.frame_of_reference_uid,
        how=match.how, warnings=list(match.warnings),
    )
    for n, roi in enumerate(summary.rois):
        roi_contours = contours.get(roi.number, [])
        raster = rasterise_contours(roi_contours, volume, roi.name)
        result.structures.append(Structure(
            number=roi.number, name=roi.name, color=colors.get(roi.number, PALETTE[n % len(PALETTE)]),
            interpreted_type=roi.type, kind=classify(roi.type, roi.name), mask=raster.mask,
            n_contours=len(roi_contours), warnings=raster.warnings,
            description=descriptions.get(roi.number, ""),
        ))
        result.warnings.extend(raster.warnings)
        if roi_contours and raster.mask is None and not raster.warnings:
            result.warnings.append(f"{roi.name}: its contours enclose no voxel centre of these images")
    return result


@dataclass
class FolderImport:
    """What :func:`import_structure_sets` placed, and what it could not, with reasons."""

    placed: list[ImportedStructureSet] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)


def import_structure_sets(scan, volume: Volume) -> FolderImport:
    """Every structure set of a folder scan that belongs on ``volume``.

    Structure sets drawn on another series of the same frame of reference are
    rasterised onto ``volume`` (with a warning); those of another patient or
    frame of reference are refused with the reason.
    """
    stacks = [ImageStack.from_entry(e) for e in scan.series]
    out = FolderImport()
    for summary in scan.structure_sets:
        try:
            out.placed.append(read_rtstruct(summary.path, volume, stacks))
        except DicomError as exc:
            out.refused.append((summary.path, str(exc)))
    return out


def match_scan_structure_sets(scan) -> None:
    """Add to each structure set summary of a scan where it will be placed, or why not
    (for `oligoplan inspect` and the series browser); reads only the headers."""
    match_scan_summaries(scan, scan.structure_sets)


def match_scan_summaries(scan, summaries) -> None:
    """Add to each summary (structure set or SEG) of ``scan`` where it will be placed, or why not."""
    stacks = [ImageStack.from_entry(e) for e in scan.series]
    for summary in summaries:
        try:
            match = match_structure_set(summary, stacks, None)
        except StructureSetError as exc:
            summary.warnings.append(str(exc))
            continue
        if match.how != "referenced images" or match.warnings:
            summary.warnings.extend(match.warnings)

"""Read a DICOM Segmentation (SEG) onto an image grid, as structures beside the RT structure sets.

Entry points, matching :mod:`core.rt.rtstruct_read`:

* :func:`read_seg` - one file onto one loaded volume: an :class:`ImportedStructureSet`
  whose structures are the segments (``Structure.from_segmentation``).
* :func:`import_segmentations` - every SEG a folder scan found, placed on the volume shown;
  the others are reported with the reason (another patient, images that are not here).
* :func:`match_scan_segmentations` - where each SEG of a scan will be placed (inspect).

Frames are placed by their own plane position and orientation (per-frame functional
groups), so their order in the file, frames left out (sparse) and segments on part of
the series do not matter, and a SEG of another orientation or grid of the same frame of
reference lands on the voxels its pixels cover (nearest voxel; sub-sampled when its
pixels are larger). A fractional segment's pixel is inside at a fraction of at least 0.5.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np

from core.codes import Laterality, LesionKind, Site
from core.dicom.headers import cut_short_reason, read_dataset, safe_get
from core.dicom.segmentations import (
    SEG_SOP_CLASSES,
    SegmentationSummary,
    SegmentSummary,
    frame_segment_numbers,
    parse_segmentation,
    summarise_parsed,
)
from core.errors import BrokenDicomError, DicomError, StructureSetError
from core.lesions import LesionMask
from core.rt.matching import ImageStack, match_structure_set
from core.rt.rtstruct_read import PALETTE, FolderImport, _onto_other_series
from core.rt.structures import ImportedStructureSet, Structure, StructureKind
from core.volume import Volume

#: a fractional pixel is inside the segment at this fraction of (0062,000E) Maximum Fractional Value
FRACTION_INSIDE = 0.5
#: SNOMED CT codes of the segmented property category
_ABNORMAL = "49755003"  # Morphologically abnormal structure
_ANATOMY = {"91723000", "123037004"}  # Anatomical structure
#: SNOMED CT code value -> what OligoPlan calls it (the coded type of a segment, the finding type of an SR)
KIND_BY_CODE = {kind.code.value: kind for kind in LesionKind}
SITE_BY_CODE = {site.code.value: site for site in Site}
_LATERALITY_BY_MEANING = {"left": Laterality.LEFT, "right": Laterality.RIGHT, "bilateral": Laterality.BILATERAL}


def coded_lesion_fields(segment: SegmentSummary) -> dict:
    """Site, laterality and kind a segment codes (its anatomic region and property type), {} where not."""
    out: dict = {}
    if segment.region_code[1] in ("SCT", "SRT") and segment.region_code[0] in SITE_BY_CODE:
        out["site"] = SITE_BY_CODE[segment.region_code[0]]
        lat = _LATERALITY_BY_MEANING.get(segment.region_modifier.strip().lower())
        if lat is not None:
            out["laterality"] = lat
    if segment.type_code[1] in ("SCT", "SRT") and segment.type_code[0] in KIND_BY_CODE:
        out["kind"] = KIND_BY_CODE[segment.type_code[0]]
    return out


def _structure_kind(segment: SegmentSummary, category_code: str) -> StructureKind:
    if category_code == _ABNORMAL or segment.type_code[0] in KIND_BY_CODE:
        return StructureKind.TARGET
    if category_code in _ANATOMY:
        return StructureKind.ORGAN_AT_RISK
    return StructureKind.OTHER


def read_seg(path: str | Path, volume: Volume, stacks: Sequence[ImageStack] | None = None,
             ) -> ImportedStructureSet:
    """Place the SEG in ``path`` on ``volume``.

    Raises StructureSetError when it belongs to another patient or frame of reference (nothing
    is loaded from it); DicomError when the file is not a readable SEG.
    """
    path = str(path)
    ds = read_dataset(path)
    cut_short = cut_short_reason(path, ds)
    if str(safe_get(ds, "SOPClassUID", "")) not in SEG_SOP_CLASSES:
        raise DicomError(cut_short or f"{Path(path).name}: not a DICOM Segmentation "
                                      f"(SOP class {safe_get(ds, 'SOPClassUID', 'none')})")
    if cut_short:
        raise BrokenDicomError(f"{cut_short}; nothing was loaded from it")
    seg = parse_segmentation(path, ds)
    summary = summarise_parsed(path, seg)
    try:
        frames = _frames(seg)
    except Exception as exc:  # noqa: BLE001 - pydicom/highdicom raise many types on bad pixel data
        raise BrokenDicomError(f"{Path(path).name}: its segment pixels cannot be read ({exc})") from exc
    own = ImageStack.from_volume(volume)
    candidates = list(stacks) if stacks else [own]
    if not any(s.series_uid == own.series_uid for s in candidates):
        candidates.append(own)
    points = np.array([f[1] for f in frames], dtype=np.float64).reshape(-1, 3)
    match = match_structure_set(summary, candidates, points)
    if match.series_uid != volume.info.series_uid:
        match = _onto_other_series(summary, match, candidates, own, volume)
    return _place(summary, seg, frames, volume, match)


def _frames(seg) -> list[tuple[int, np.ndarray, np.ndarray, np.ndarray, tuple[float, float], int]]:
    """(segment number, position, row direction, column direction, (dy, dx), frame index) of every
    frame, in file order (its pixels are decoded when its segment is placed)."""
    n = int(seg.get("NumberOfFrames", 1) or 1)
    numbers = frame_segment_numbers(seg)
    shared = (seg.get("SharedFunctionalGroupsSequence", None) or [None])[0]
    per_frame = list(seg.get("PerFrameFunctionalGroupsSequence", []) or [])
    out = []
    for k in range(n):
        group = per_frame[k] if k < len(per_frame) else None

        def item(keyword: str):
            for source in (group, shared):
                if source is not None and keyword in source and source[keyword].value:
                    return source[keyword].value[0]
            raise ValueError(f"frame {k + 1}: no {keyword}")

        position = np.array([float(v) for v in item("PlanePositionSequence").ImagePositionPatient])
        orient = [float(v) for v in item("PlaneOrientationSequence").ImageOrientationPatient]
        spacing = [float(v) for v in item("PixelMeasuresSequence").PixelSpacing]
        out.append((numbers[k] if k < len(numbers) else -1, position, np.array(orient[:3]),
                    np.array(orient[3:]), (spacing[0], spacing[1]), k))
    return out


def _inside(seg, k: int, number: int) -> np.ndarray:
    """The inside pixels of frame ``k`` (0-based), decoded alone: a SEG of many segments on a long
    series is never unpacked whole. Fractional: at least FRACTION_INSIDE of the maximum value."""
    stored = np.asarray(seg.get_stored_frame(k + 1))
    kind = str(seg.get("SegmentationType", "")).upper()
    if kind == "LABELMAP":  # every segment in every frame, by its number
        return stored == number
    if kind == "FRACTIONAL":
        top = float(seg.get("MaximumFractionalValue", 255) or 255)
        return stored.astype(np.float64) >= FRACTION_INSIDE * top
    return stored > 0


def _segment_mask(seg, frames, number: int, volume: Volume) -> tuple[LesionMask | None, int]:
    """The voxels of ``volume`` the segment's inside pixels fall on (as a box: never a full grid per
    segment), and how many of its pixels fell outside the images."""
    vy, vx = volume.pixel_spacing_mm
    outside = 0
    hits = []
    labelmap = str(seg.get("SegmentationType", "")).upper() == "LABELMAP"
    for seg_number, position, row_dir, col_dir, (dy, dx), k in frames:
        if seg_number != number and not labelmap:
            continue
        inside = _inside(seg, k, number)
        if not inside.any():
            continue
        rows, cols = np.nonzero(inside)
        # pixels larger than the voxels shown are sub-sampled so that they leave no holes
        ny, nx = min(4, max(1, math.ceil(dy / vy))), min(4, max(1, math.ceil(dx / vx)))
        sub_r = (np.arange(ny) + 0.5) / ny - 0.5
        sub_c = (np.arange(nx) + 0.5) / nx - 0.5
        r = (rows[:, None, None] + sub_r[None, :, None]).ravel()
        c = (cols[:, None, None] + sub_c[None, None, :]).ravel()
        xyz = position + (r * dy)[:, None] * col_dir + (c * dx)[:, None] * row_dir
        index = np.rint(volume.patient_to_index(xyz)).astype(np.int64)
        ok = np.all((index >= 0) & (index < np.array(volume.shape)), axis=1)
        outside += int(np.sum(~ok) // (ny * nx))
        hits.append(index[ok])
    found = np.concatenate(hits) if hits else np.zeros((0, 3), dtype=np.int64)
    if not len(found):
        return None, outside
    lo, hi = found.min(axis=0), found.max(axis=0) + 1
    box = np.zeros(tuple(hi - lo), dtype=bool)
    rel = found - lo
    box[rel[:, 0], rel[:, 1], rel[:, 2]] = True
    return LesionMask.from_box(box, tuple(int(v) for v in lo), volume.shape, volume.info.series_uid), outside


def _colour(seg, number: int, n: int) -> tuple[int, int, int]:
    import highdicom as hd

    try:
        value = seg.get_segment_description(number).get("RecommendedDisplayCIELabValue", None)
        if value is not None:
            return tuple(int(v) for v in hd.color.CIELabColor.from_dicom_value(list(value)).to_rgb())
    except Exception:  # noqa: BLE001 - a malformed colour falls back to the palette
        pass
    return PALETTE[n % len(PALETTE)]


def _place(summary: SegmentationSummary, seg, frames, volume: Volume, match) -> ImportedStructureSet:
    result = ImportedStructureSet(
        path=summary.path, sop_uid=summary.sop_uid, label=summary.label,
        series_uid=volume.info.series_uid, frame_of_reference_uid=volume.info.frame_of_reference_uid,
        how=match.how, warnings=list(match.warnings) + list(summary.warnings),
    )
    for n, segment in enumerate(summary.segments):
        try:
            mask, outside = _segment_mask(seg, frames, segment.number, volume)
        except Exception as exc:  # noqa: BLE001 - pydicom/highdicom raise many types on bad pixel data
            raise BrokenDicomError(f"{Path(summary.path).name}: the pixels of segment {segment.number} "
                                   f"cannot be read ({exc}); nothing was loaded from it") from exc
        warnings = []
        if outside:
            warnings.append(f"{segment.label}: {outside} of its pixels lie outside these images; "
                            "they are left out")
        if segment.n_frames and mask is None and not outside:
            warnings.append(f"{segment.label}: no pixel of it is inside (fraction >= {FRACTION_INSIDE})")
        category = seg.get_segment_description(segment.number).segmented_property_category
        coded = coded_lesion_fields(segment)
        result.structures.append(Structure(
            number=segment.number, name=segment.label, color=_colour(seg, segment.number, n),
            interpreted_type=segment.type, kind=_structure_kind(segment, str(category.value)),
            mask=mask,
            n_contours=segment.n_frames, warnings=tuple(warnings),
            from_segmentation=True, coded=tuple(coded.items()),
        ))
        result.warnings.extend(warnings)
    return result


def import_segmentations(scan, volume: Volume) -> FolderImport:
    """Every SEG of a folder scan that belongs on ``volume``; the others refused with the reason."""
    stacks = [ImageStack.from_entry(e) for e in scan.series]
    out = FolderImport()
    for summary in getattr(scan, "segmentations", []):
        try:
            out.placed.append(read_seg(summary.path, volume, stacks))
        except DicomError as exc:
            out.refused.append((summary.path, str(exc)))
        except StructureSetError as exc:
            out.refused.append((summary.path, str(exc)))
    return out


def match_scan_segmentations(scan) -> None:
    """Add to each SEG summary of a scan where it will be placed, or why not (headers only)."""
    stacks = [ImageStack.from_entry(e) for e in scan.series]
    for summary in scan.segmentations:
        try:
            match = match_structure_set(summary, stacks, None)
        except StructureSetError as exc:
            summary.warnings.append(str(exc))
            continue
        if match.how != "referenced images" or match.warnings:
            summary.warnings.extend(match.warnings)


def read_structure_file(path: str | Path, volume: Volume, stacks: Sequence[ImageStack] | None = None,
                        ) -> ImportedStructureSet:
    """An RT Structure Set or a DICOM SEG file placed on ``volume``: the one reader the case's
    recorded structure sets, File > Import and `oligoplan score` go through."""
    import pydicom

    from core.rt.rtstruct_read import read_rtstruct

    try:  # only the SOP class: the reader chosen parses the file (and reports what is wrong with it)
        sop_class = str(pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SOPClassUID"],
                                        force=True).get("SOPClassUID", ""))
    except Exception:  # noqa: BLE001 - unreadable: read_rtstruct says why, as before
        sop_class = ""
    if sop_class in SEG_SOP_CLASSES:
        return read_seg(path, volume, stacks)
    return read_rtstruct(path, volume, stacks)


def import_folder_objects(scan, volume: Volume) -> FolderImport:
    """Every structure set and SEG of a folder scan that belongs on ``volume`` (the folder import)."""
    from core.rt.rtstruct_read import import_structure_sets

    out = import_structure_sets(scan, volume) if scan.structure_sets else FolderImport()
    if getattr(scan, "segmentations", None):
        segs = import_segmentations(scan, volume)
        out.placed.extend(segs.placed)
        out.refused.extend(segs.refused)
    return out

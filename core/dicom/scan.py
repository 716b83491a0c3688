"""Find DICOM files in a folder and group them into studies and series.

A series entry is one geometry: same (0020,000E) Series Instance UID, frame of
reference, orientation and matrix size. A series that mixes sizes or
orientations (localisers) is split into several entries. Files that cannot be
used are listed in :attr:`ScanResult.skipped` with the reason; nothing stops
the rest of the folder from loading.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from pydicom.dataset import Dataset

from core.dicom.geometry import StackGeometry, analyse_stack, orientation_key
from core.dicom.headers import (
    RTSTRUCT_SOP_CLASS,
    SEG_SOP_CLASSES,
    FileHeader,
    cut_short_reason,
    read_header,
    safe_get,
    series_uid_text,
)
from core.dicom.segmentations import SegmentationSummary, summarise_segmentation
from core.dicom.slice_records import SliceRecord
from core.dicom.structure_sets import StructureSetSummary, summarise_structure_set
from core.errors import BrokenDicomError, Cancelled, DicomError, NotDicomError
from core.volume import Modality, SeriesInfo

Progress = Callable[[int, int, str], None]
CancelCheck = Callable[[], bool]

#: Files that are never DICOM; skipped quietly rather than listed one by one.
IGNORED_NAMES = {"LICENSE", "README", "README.md", "README.txt", "DICOMDIR", ".DS_Store"}
IGNORED_SUFFIXES = {".txt", ".md", ".json", ".py", ".png", ".jpg", ".pdf", ".csv"}
#: Archives may hold a whole study: they are listed as skipped, not passed over quietly.
ARCHIVE_SUFFIXES = {".zip", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz"}


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclass
class SeriesEntry:
    """One loadable image stack, its slices sorted along the normal."""

    key: str
    info: SeriesInfo
    slices: list[SliceRecord]
    geometry: StackGeometry
    header: Dataset = field(repr=False)  # a representative header (SUV tags, thickness)
    warnings: list[str] = field(default_factory=list)

    @property
    def n_slices(self) -> int:
        return len(self.slices)

    @property
    def shape(self) -> tuple[int, int, int]:
        fmt = self.slices[0].pixel_format
        return (len(self.slices), fmt.rows, fmt.columns)

    @property
    def spacing_mm(self) -> tuple[float, float, float]:
        dy, dx = self.slices[0].pixel_spacing_mm
        return (float(self.geometry.median_step_mm), float(dy), float(dx))


@dataclass
class ScanResult:
    root: str
    series: list[SeriesEntry] = field(default_factory=list)
    structure_sets: list[StructureSetSummary] = field(default_factory=list)
    segmentations: list[SegmentationSummary] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)

    def find(self, series_uid: str) -> SeriesEntry | None:
        return next((s for s in self.series if s.info.series_uid == series_uid), None)


def list_files(root: str | os.PathLike, not_read: list[SkippedFile] | None = None) -> list[str]:
    """Every candidate file below ``root`` (recursively, sorted, hidden skipped).

    Linked folders are followed (each real folder once, so a link back up
    cannot loop). Folders that cannot be listed and archives (which may hold
    a whole study) are added to ``not_read`` with the reason, when given.
    """
    root = Path(root)
    if root.is_file():
        return [str(root)]
    if not root.is_dir():
        raise NotDicomError(f"{root}: no such folder or file")
    problems = not_read if not_read is not None else []

    def folder_error(exc: OSError) -> None:
        problems.append(SkippedFile(
            str(exc.filename or root),
            f"folder cannot be read ({exc.strerror or exc}); its files were not scanned: "
            "check its permissions or copy it again",
        ))

    found: list[str] = []
    visited: set[tuple[int, int]] = set()
    stack = [str(root)]  # depth first, each folder's files before its subfolders (as os.walk)
    while stack:
        folder = stack.pop()
        try:
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in visited:  # a link to a folder already scanned
                continue
            visited.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            folder_error(exc)
            continue
        subfolders = []
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            try:
                # the directory entry's type, without a stat call (links are followed)
                is_folder = entry.is_dir()
                is_file = not is_folder and entry.is_file()
            except OSError:
                is_folder = is_file = False
            if is_folder:
                subfolders.append(entry.path)
                continue
            suffix = os.path.splitext(name)[1].lower()
            if name in IGNORED_NAMES or suffix in IGNORED_SUFFIXES:
                continue
            reason = None
            if suffix in ARCHIVE_SUFFIXES:
                reason = (f"{name}: an archive; OligoPlan does not open archives: extract it, then "
                          "open the extracted folder")
            elif not is_file:  # opening a named pipe would wait for a writer forever
                try:
                    os.stat(entry.path)
                    reason = f"{name}: not a regular file (a pipe, socket or device)"
                except OSError as exc:  # a broken link, or a file removed meanwhile
                    reason = f"{name}: cannot read file ({exc.strerror or exc})"
            if reason:
                problems.append(SkippedFile(entry.path, reason))
            else:
                found.append(entry.path)
        stack.extend(reversed(subfolders))
    return found


def scan_folder(
    root: str | os.PathLike,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
) -> ScanResult:
    """Read every file's header once and group the images into series entries."""
    result = ScanResult(root=str(root))
    files = list_files(root, result.skipped)
    groups: dict[tuple, list[SliceRecord]] = defaultdict(list)
    headers: dict[tuple, list[FileHeader]] = defaultdict(list)  # the files of each group, in order
    for n, path in enumerate(files):
        if cancel is not None and cancel():
            raise Cancelled("scan cancelled")
        if progress is not None and (n % 16 == 0 or n == len(files) - 1):
            progress(n + 1, len(files), f"Reading headers {n + 1}/{len(files)}")
        try:
            header = read_header(path)
        except DicomError as exc:
            result.skipped.append(SkippedFile(path, str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - one bad file never stops the folder
            result.skipped.append(SkippedFile(path, f"unexpected error: {type(exc).__name__}: {exc}"))
            continue
        if header.sop_class_uid == RTSTRUCT_SOP_CLASS:
            try:
                cut_short = cut_short_reason(path, header.dataset)
                if cut_short:  # pydicom would give the contours before the cut, silently
                    raise BrokenDicomError(cut_short)
                result.structure_sets.append(summarise_structure_set(path, header.dataset))
            except DicomError as exc:
                result.skipped.append(SkippedFile(path, str(exc)))
            continue
        if header.sop_class_uid in SEG_SOP_CLASSES:
            try:
                cut_short = cut_short_reason(path, header.dataset)
                if cut_short:
                    raise BrokenDicomError(cut_short)
                result.segmentations.append(summarise_segmentation(path, header.dataset))
            except DicomError as exc:
                result.skipped.append(SkippedFile(path, str(exc)))
            continue
        if not header.slices:
            result.skipped.append(SkippedFile(path, _not_image_reason(path, header.dataset)))
            continue
        for record in header.slices:
            fmt = record.pixel_format
            key = (
                record.series_uid,
                record.frame_of_reference_uid,
                orientation_key(record.orientation),
                fmt.rows,
                fmt.columns,
            )
            groups[key].append(record)
            if not headers[key] or headers[key][-1] is not header:
                headers[key].append(header)
    for key, records in groups.items():
        dataset, records = _group_dataset(headers[key], records, result.skipped)
        if dataset is not None:
            result.series.extend(_entries_for_group(records, dataset))
    result.series.sort(key=lambda e: (e.info.study_date, e.info.study_uid, e.info.series_number or 0,
                                      e.info.series_uid, -e.n_slices))
    _number_keys(result.series)
    if result.structure_sets:
        from core.rt.rtstruct_read import match_scan_structure_sets

        match_scan_structure_sets(result)
    if result.segmentations:
        from core.rt.seg_read import match_scan_segmentations

        match_scan_segmentations(result)
    return result


def _group_dataset(
    group_headers: list[FileHeader], records: list[SliceRecord], skipped: list[SkippedFile]
) -> tuple[Dataset | None, list[SliceRecord]]:
    """The pydicom dataset of a group's first file that parses, and the group's records
    without those of the files that failed.

    The fast header reader does not build a dataset: it is parsed here, once per
    group. A file that fails now (it changed or was cut short since its header
    was read) is listed in ``skipped`` with its reason, and the next file of the
    group is tried; the series loads with the remaining slices (a gap they leave
    is reported by the stack geometry as missing slices).
    """
    broken: set[str] = set()
    dataset = None
    for header in group_headers:
        try:
            candidate = header.dataset
            reason = cut_short_reason(header.path, candidate)
            if not reason and series_uid_text(candidate) != header.slices[0].series_uid:
                reason = (f"{Path(header.path).name}: the file changed while the folder was read "
                          "(another Series Instance UID); scan the folder again")
            if not reason:
                dataset = candidate
                break
        except DicomError as exc:
            reason = str(exc)
        except Exception as exc:  # noqa: BLE001 - one bad file never stops the folder
            reason = f"unexpected error: {type(exc).__name__}: {exc}"
        broken.add(header.path)
        skipped.append(SkippedFile(header.path, reason))
    if dataset is None:
        return None, []
    return dataset, [r for r in records if r.path not in broken]


def _entries_for_group(records: list[SliceRecord], header: Dataset) -> list[SeriesEntry]:
    """Split duplicate positions by echo/temporal index when that resolves them."""
    positions = np.array([r.position_mm for r in records])
    thickness = _thickness(header)
    geometry = analyse_stack(positions, records[0].orientation, thickness)
    split_keys = {r.split_key for r in records}
    if len(geometry.kept) < len(records) and len(split_keys) > 1:
        entries = []
        for split in sorted(split_keys):
            subset = [r for r in records if r.split_key == split]
            entries.extend(_entries_for_group_single(subset, header, thickness, split))
        return entries
    return _entries_for_group_single(records, header, thickness, "", geometry)


def _entries_for_group_single(
    records: list[SliceRecord],
    header: Dataset,
    thickness: float | None,
    split: str,
    geometry: StackGeometry | None = None,
) -> list[SeriesEntry]:
    if geometry is None:
        positions = np.array([r.position_mm for r in records])
        geometry = analyse_stack(positions, records[0].orientation, thickness)
    kept = [records[i] for i in geometry.kept]
    info = series_info(header)
    if split:
        info = SeriesInfo(**{**info.__dict__, "description": f"{info.description} [{split}]".strip()})
    warnings = list(geometry.warnings)
    if not info.frame_of_reference_uid:
        warnings.append("no Frame of Reference UID: cannot be fused or matched to structures")
    return [SeriesEntry(key="", info=info, slices=kept, geometry=geometry, header=header,
                        warnings=warnings)]


def _number_keys(entries: list[SeriesEntry]) -> None:
    seen: dict[str, int] = defaultdict(int)
    for entry in entries:
        uid = entry.info.series_uid or "no-series-uid"
        seen[uid] += 1
        entry.key = uid if seen[uid] == 1 else f"{uid}#{seen[uid]}"
    for entry in entries:
        if seen[entry.info.series_uid or "no-series-uid"] > 1:
            entry.warnings.append(
                "this series was split: its slices differ in size, orientation or position set"
            )


def series_info(ds: Dataset) -> SeriesInfo:
    """Display fields of a series from one of its headers."""

    def text(keyword: str) -> str:
        value = safe_get(ds, keyword, "")
        return str(value).strip() if value is not None else ""

    number = safe_get(ds, "SeriesNumber")
    try:
        number = int(number) if number not in (None, "") else None
    except (TypeError, ValueError, OverflowError):
        number = None
    return SeriesInfo(
        series_uid=text("SeriesInstanceUID"),
        study_uid=text("StudyInstanceUID"),
        frame_of_reference_uid=text("FrameOfReferenceUID"),
        modality=Modality.from_dicom(text("Modality")),
        description=text("SeriesDescription"),
        patient_name=text("PatientName"),
        patient_id=text("PatientID"),
        study_date=text("StudyDate"),
        study_description=text("StudyDescription"),
        series_number=number,
        tracer=_tracer(ds),
    )


def _tracer(ds: Dataset) -> str:
    """(0054,0016) > (0018,0031) Radiopharmaceutical, else (0054,0304) > (0008,0104) Code Meaning."""
    try:
        items = safe_get(ds, "RadiopharmaceuticalInformationSequence") or []
        for item in items:
            name = str(safe_get(item, "Radiopharmaceutical", "") or "").strip()
            if name:
                return name
            for code in safe_get(item, "RadiopharmaceuticalCodeSequence") or []:
                meaning = str(safe_get(code, "CodeMeaning", "") or "").strip()
                if meaning:
                    return meaning
    except (TypeError, AttributeError, ValueError):  # a malformed sequence: no tracer, never a failed scan
        return ""
    return ""


def _thickness(ds: Dataset) -> float | None:
    try:
        value = float(safe_get(ds, "SliceThickness"))
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) and value > 0 else None


def _not_image_reason(path: str, ds: Dataset) -> str:
    modality = str(safe_get(ds, "Modality", "") or "").strip() or "unknown modality"
    sop = safe_get(ds, "SOPClassUID")
    name = getattr(sop, "name", str(sop or "no SOP class"))
    if not sop or "Image" in name:  # an image cut short before its pixel data: say so
        cut_short = cut_short_reason(path, ds)
        if cut_short:
            return cut_short
    if "Image" in name and "PixelData" not in ds:
        return f"no (7FE0,0010) Pixel Data: the file holds only the header ({modality}, {name})"
    return f"not an image series ({modality}, {name})"

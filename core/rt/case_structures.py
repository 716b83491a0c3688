"""The structure sets a case records: find their files again and place them on its images.

A case file names each RT Structure Set shown with it (core.case.StructureSetRef:
path relative to the case, (0008,0018) SOP Instance UID, label, hidden ROIs).

* :func:`locate_structure_set` - the file of a reference: at its path when that
  file still holds the same SOP Instance UID, otherwise the structure set of the
  case's image folder with that UID (the file was moved or renamed), otherwise
  :class:`~core.errors.StructureSetError` saying what was looked for and where.
* :func:`case_structure_sets` - every recorded structure set placed on a volume
  (the one place `oligoplan check` and `oligoplan export --include-oars` read
  organs at risk from); a case that records none falls back to the structure
  sets found with its images (case files written before the field existed).
* :func:`read_recorded_structure_sets` - the same for the recorded ones only, with
  progress and cancel, skipping those already shown (the gui's worker).
* :func:`structure_set_ref` - the reference of an imported structure set.
* :func:`search_scope` - where they are looked for (shared with the gui's case opening).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Collection, Iterable, Sequence

import pydicom
from pydicom.errors import InvalidDicomError

from core.case import Case, StructureSetRef
from core.errors import Cancelled, DicomError, StructureSetError
from core.rt.matching import ImageStack
from core.rt.rtstruct_read import FolderImport
from core.rt.seg_read import import_folder_objects, read_structure_file
from core.rt.structures import ImportedStructureSet
from core.volume import Volume

Progress = Callable[[int, int, str], None]
CancelCheck = Callable[[], bool]


@dataclass(frozen=True)
class Located:
    """Where a recorded structure set was found; ``note`` says when it was not at its path."""

    path: Path
    note: str = ""


def ref_name(ref: StructureSetRef) -> str:
    return f"structure set '{ref.label}'" if ref.label else f"structure set {Path(ref.path).name}"


def _sop_uid_of(path: Path) -> str | None:
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["SOPInstanceUID"], force=True)
    except (InvalidDicomError, OSError, ValueError, TypeError, AttributeError, EOFError):
        return None
    uid = ds.get("SOPInstanceUID", None)
    return str(uid) if uid else None


def locate_structure_set(ref: StructureSetRef, case_dir: Path, scan=None,
                         search_folders: Iterable[Path] = ()) -> Located:
    """The file of ``ref``: its path, else a file with its SOP Instance UID.

    ``scan`` is a folder scan of the case's images (its structure sets are
    matched by UID without reading anything); ``search_folders`` are searched
    recursively, header by header, when there is no scan. Raises
    StructureSetError naming the path and the folders looked in.
    """
    path = ref.resolve(Path(case_dir))
    found_elsewhere = ""
    if path.is_file():
        if _sop_uid_of(path) == ref.sop_uid:
            return Located(path)
        found_elsewhere = f"{path.name} now holds another structure set"
    else:
        found_elsewhere = f"{path} does not exist"
    looked = []
    if scan is not None:
        looked.append(str(scan.root))
        for summary in [*scan.structure_sets, *getattr(scan, "segmentations", [])]:
            if summary.sop_uid == ref.sop_uid:
                return Located(Path(summary.path), f"{ref_name(ref)}: {found_elsewhere}; found by its SOP "
                                                   f"Instance UID at {summary.path}")
    for folder in search_folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        looked.append(str(folder))
        for candidate in sorted(p for p in folder.rglob("*") if p.is_file()):
            if _sop_uid_of(candidate) == ref.sop_uid:
                return Located(candidate, f"{ref_name(ref)}: {found_elsewhere}; found by its SOP Instance "
                                          f"UID at {candidate}")
    where = f" nor in {', '.join(looked)}" if looked else ""
    raise StructureSetError(
        f"{ref_name(ref)} recorded in the case is not found: {found_elsewhere}, and no file with its SOP "
        f"Instance UID {ref.sop_uid} is next to the images{where}. Import it again (File > Import RTSTRUCT…) "
        "and save the case; the lesions are not affected"
    )


@dataclass
class CaseStructureSets(FolderImport):
    """:class:`FolderImport` plus where they came from and what was hidden."""

    recorded: bool = False
    #: (SOP Instance UID, ROI number) of the structures the user turned off
    hidden: set = field(default_factory=set)
    #: structure sets found away from their recorded path
    notes: list[str] = field(default_factory=list)


def search_scope(case: Case, scan) -> tuple[Path, list[Path], list[ImageStack] | None]:
    """Where the case's recorded structure sets are looked for and placed: the folder its
    paths start from (the working folder for an unsaved case), the image folders to search
    when there is no folder ``scan``, and the image stacks of ``scan`` they may be drawn on."""
    case_dir = case.path.resolve().parent if case.path is not None else Path.cwd()
    folders = [] if scan is not None else [ref.resolve(case_dir) for ref in case.images]
    stacks = [ImageStack.from_entry(e) for e in scan.series] if scan is not None else None
    return case_dir, folders, stacks


def case_structure_sets(case: Case, scan, volume: Volume) -> CaseStructureSets:
    """The case's recorded structure sets placed on ``volume`` (or, when it records
    none, those of ``scan`` that belong on it); refusals with the reason, never raised."""
    if not case.structure_sets:
        out = CaseStructureSets(recorded=False)
        found = import_folder_objects(scan, volume) if scan is not None else FolderImport()
        out.placed, out.refused = found.placed, found.refused
        return out
    return read_recorded_structure_sets(case, scan, volume)


def read_recorded_structure_sets(case: Case, scan, volume: Volume, *, skip: Collection[str] = (),
                                 locate_only: Collection[str] = (), progress: Progress | None = None,
                                 cancel: CancelCheck | None = None) -> CaseStructureSets:
    """Locate and place on ``volume`` each structure set ``case`` records (slow: a
    pydicom parse and a rasterisation each; the gui runs it in a worker).

    ``skip`` are SOP Instance UIDs already shown (neither located nor read);
    ``locate_only`` those placed by another route (the folder import of ``scan``):
    located for the note saying they moved, not read. ``progress(done, total,
    message)`` is called per structure set; ``cancel()`` is checked between
    them and raises :class:`~core.errors.Cancelled`. A structure set that is not
    found or does not belong on ``volume`` is in ``refused`` with the reason.
    """
    out = CaseStructureSets(recorded=bool(case.structure_sets))
    case_dir, folders, stacks = search_scope(case, scan)
    refs = list(case.structure_sets)
    for i, ref in enumerate(refs):
        out.hidden.update((ref.sop_uid, int(n)) for n in ref.hidden_rois)
        if cancel is not None and cancel():
            raise Cancelled("reading the case's structure sets was cancelled")
        if progress is not None:
            progress(i, len(refs), f"Reading {ref_name(ref)}")
        if ref.sop_uid in skip:
            continue
        try:
            located = locate_structure_set(ref, case_dir, scan, folders)
            if located.note:
                out.notes.append(located.note)
            if ref.sop_uid in locate_only:
                continue
            placed = read_structure_file(located.path, volume, stacks)  # an RTSTRUCT or a SEG
        except DicomError as exc:
            out.refused.append((ref.path, str(exc)))
            continue
        if located.note:
            placed.warnings.insert(0, located.note)
        out.placed.append(placed)
    if progress is not None:
        progress(len(refs), len(refs), "")
    return out


def structure_set_ref(structure_set: ImportedStructureSet, hidden_rois: Sequence[int] = ()) -> StructureSetRef:
    """The case-file reference of an imported structure set (absolute path; the case
    file writes it relative to itself)."""
    return StructureSetRef(path=str(Path(structure_set.path).resolve()), sop_uid=structure_set.sop_uid,
                           label=structure_set.label, hidden_rois=tuple(sorted(int(n) for n in hidden_rois)))

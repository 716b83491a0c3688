"""Case files: human-readable JSON holding images, lesions, facts and the audit trail.

The schema is documented in docs/case-file.md. Every write is atomic
(temporary file in the same folder, flush + fsync, rename, fsync of the
folder): a crash at any moment leaves the old file or the new one, never a
broken one. A bad case file raises CaseFileError naming the file and the
problem; it is never overwritten by a failed load.

Every field is checked before anything is built from it (core.case_schema);
fields a newer OligoPlan wrote are kept and written back. Writing goes
through the case file's lock (core.case_lock): :func:`save_case` refuses when
another writer changed the file since it was read, and :func:`update_case`
is the read-modify-write for writers that add to a case on disk.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import core
from core.atomic_file import atomic_write_text  # noqa: F401 - also imported from here (gui)
from core.audit import AuditTrail
from core.case_lock import CaseChangedError, CaseLock, file_digest
from core.case_schema import (
    KNOWN_IMAGE,
    MAX_CASE_BYTES,
    KNOWN_LESION,
    KNOWN_STRUCTURE_SET,
    KNOWN_TOP,
    parse_case_text,
    validate_case_doc,
)
from core.errors import CaseFileError
from core.lesion_json import lesion_from_json, lesion_to_json
from core.lesions import LesionSet
from core.mask_json import decode_runs, encode_runs, mask_to_json  # noqa: F401 - also imported from here
from core.review import CaseReview, integrity_warnings

if TYPE_CHECKING:
    from core.tracking.record import TrackingRecord

SCHEMA = "oligoplan.case"
SCHEMA_VERSION = 3
#: Versions this OligoPlan reads (1: before the audit trail and review state; 2: a lesion's
#: "treatable" was true/false, true being only the default, read as not assessed).
READABLE_VERSIONS = (1, 2, 3)


class ImagesMissingError(CaseFileError):
    """The case's image folder is not where the case says: ask the user to locate it."""

    def __init__(self, message: str, ref: "ImageRef") -> None:
        super().__init__(message)
        self.ref = ref


@dataclass(frozen=True)
class ImageRef:
    """An image series the case refers to: by folder and by UIDs."""

    folder: str  # relative to the case file's folder when possible
    series_uid: str
    frame_of_reference_uid: str = ""
    modality: str = ""

    def resolve(self, case_dir: Path) -> Path:
        return _resolve(self.folder, case_dir)


def new_case_uid() -> str:
    """A case's identity: a UID under the UUID root 2.25 (a DICOM UID, unique without a registry)."""
    import uuid

    return f"2.25.{uuid.uuid4().int}"


def _resolve(path: str, case_dir: Path) -> Path:
    """A path the case file records: absolute as written, else relative to the case file's folder."""
    found = Path(path)
    return found if found.is_absolute() else (case_dir / found).resolve()


@dataclass(frozen=True)
class StructureSetRef:
    """An RT Structure Set shown with the case: by file and by (0008,0018) SOP Instance UID.

    ``path`` is relative to the case file's folder when possible; when the file
    has moved, core.rt.case_structures finds it again by ``sop_uid`` among the
    case's images. ``hidden_rois`` are the (3006,0022) ROI Numbers whose
    outlines the user turned off.
    """

    path: str
    sop_uid: str
    label: str = ""
    hidden_rois: tuple[int, ...] = ()

    def resolve(self, case_dir: Path) -> Path:
        return _resolve(self.path, case_dir)


@dataclass
class Case:
    images: list[ImageRef] = field(default_factory=list)
    lesions: LesionSet = field(default_factory=LesionSet)
    facts: dict = field(default_factory=dict)
    path: Path | None = None
    audit: AuditTrail = field(default_factory=AuditTrail)
    #: problems found in the audit trail when the file was read (core.review.integrity_warnings)
    integrity_warnings: list[str] = field(default_factory=list)
    #: the RT Structure Sets shown with the case (organs at risk for the OAR flags and exports)
    structure_sets: list[StructureSetRef] = field(default_factory=list)
    #: SHA-256 of the file as last read or written at ``path`` (None: not read from a file); a save
    #: to ``path`` refuses when the file on disk no longer has it (another writer changed it)
    file_digest: str | None = None
    #: top-level fields of the file this OligoPlan does not know (a newer version): written back as found
    extra: dict = field(default_factory=dict)
    #: per lesion id, the lesion fields this OligoPlan does not know: written back with the lesion
    lesion_extra: dict[str, dict] = field(default_factory=dict)
    #: unknown fields of the image references (by series UID), structure sets (by SOP UID) and
    #: the review object: written back with them
    part_extra: dict[str, dict] = field(default_factory=dict)
    #: the ``history`` list of a file an earlier OligoPlan wrote (who changed what, kept beside the
    #: audit trail until the trail became the one record): kept as found and written back, never
    #: added to; core.review reads it only to find audit entries removed from such a file
    legacy_history: list[dict] = field(default_factory=list)
    #: this case's identity, kept in its file and in the SR it exports (core.rt.sr_compare tells
    #: the SRs of this case from those of another case on the same images by it)
    case_uid: str = field(default_factory=lambda: new_case_uid())
    #: the file's schema_version when it was read (None: a new case)
    read_version: int | None = None
    #: PET hot-spot candidates waiting for (or after) review (core.candidates)
    candidates: "CandidateSet" = field(default_factory=lambda: _candidate_set())
    #: the comparison with the prior scan (`oligoplan track`; core.tracking.record), None when there was none
    tracking: "TrackingRecord | None" = None
    #: how warnings and errors name the case file (None: by its file name); an anonymised export
    #: sets "the case file", as the user may have named the file after the patient
    shown_as: str | None = None

    def name_in_messages(self, unsaved: str = "the case") -> str:
        """The case file as warnings and errors name it: ``shown_as``, else its file name,
        else ``unsaved`` (a case not read from a file)."""
        if self.shown_as:
            return self.shown_as
        return self.path.name if self.path is not None else unsaved

    def __post_init__(self) -> None:
        self.review = CaseReview(self)  # review records this case's changes from now on

    def image_for(self, series_uid: str) -> ImageRef | None:
        return next((i for i in self.images if i.series_uid == series_uid), None)


def _candidate_set(doc=None):
    from core.candidates import CandidateSet

    return CandidateSet.from_json(doc)


# ------------------------------------------------------------------ write
def case_to_json(case: Case, case_path: Path | None = None) -> dict:
    base = Path(case_path).resolve().parent if case_path else None
    return {
        **case.extra,
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "app_version": core.__version__,
        "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "images": [
            {
                **case.part_extra.get(f"images/{ref.series_uid}", {}),
                "folder": _relative(ref.folder, base),
                "series_uid": ref.series_uid,
                "frame_of_reference_uid": ref.frame_of_reference_uid,
                "modality": ref.modality,
            }
            for ref in case.images
        ],
        "structure_sets": [
            {**case.part_extra.get(f"structure_sets/{ref.sop_uid}", {}),
             "path": _relative(ref.path, base), "sop_uid": ref.sop_uid, "label": ref.label,
             "hidden_rois": [int(n) for n in ref.hidden_rois]}
            for ref in case.structure_sets
        ],
        "next_lesion_number": case.lesions.next_number,
        "lesions": [{**case.lesion_extra.get(lesion.id, {}), **lesion_to_json(lesion)} for lesion in case.lesions],
        "facts": dict(case.facts),
        **({"history": case.legacy_history} if case.legacy_history else {}),
        "case_uid": case.case_uid,
        "review": {**case.part_extra.get("review", {}), "state": case.review.state.value,
                   "signoffs": [s.to_json() for s in case.review.signoffs]},
        "audit": case.audit.to_json(),
        **({"pet_candidates": case.candidates.to_json()} if len(case.candidates) or case.candidates.reference else {}),
        **({"tracking": case.tracking.to_json()} if case.tracking is not None else {}),
    }


def save_case(case: Case, path: str | os.PathLike, *, wait_s: float | None = None) -> Path:
    """Write the case atomically to ``path`` under its lock, and remember the path.

    Raises
    ------
    CaseChangedError
        ``path`` is the file the case was read from (or last saved to) and another writer
        changed it since: nothing is written (saving elsewhere keeps the work).
    core.case_lock.CaseBusyError
        Another writer held the lock for ``wait_s`` seconds.
    """
    path = Path(path)
    with CaseLock(path, wait_s=wait_s):
        _refuse_if_changed(case, path)
        return _write(case, path)


def update_case(path: str | os.PathLike, change: Callable[[Case], None], *,
                new: Callable[[], Case] | None = None, wait_s: float | None = None) -> Case:
    """Read-modify-write of the case file ``path`` under its lock; returns the case as saved.

    ``change(case)`` edits the case read from ``path`` (or ``new()`` when there is no file yet);
    another writer's lesions saved meanwhile are in it, so nothing of theirs is lost.
    """
    path = Path(path)
    with CaseLock(path, wait_s=wait_s):
        if path.exists() or new is None:
            case = load_case(path)
        else:
            case = new()
        change(case)
        _write(case, path)
        return case


def _write(case: Case, path: Path) -> Path:
    case.review.sync()  # facts changed since the last record go into the audit trail first
    text = json.dumps(case_to_json(case, path), indent=1)
    atomic_write_text(path, text)
    case.path, case.file_digest = path, hashlib.sha256(text.encode("utf-8")).hexdigest()
    return path


def _refuse_if_changed(case: Case, path: Path) -> None:
    if case.path is None or case.file_digest is None or not _same_file(case.path, path):
        return
    now = file_digest(path)
    if now is None or now == case.file_digest:
        return
    raise CaseChangedError(
        f"{path.name} was changed by another writer since you opened or saved it ({_last_change(path)}); "
        "your changes were NOT saved there. Save them as another file (File > Save case as…) and "
        "compare the two, or reopen the case")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def _last_change(path: Path) -> str:
    """What the other writer's file says (when saved, how many lesions), for the message.

    No label or name: the message is logged, and labels are free text that may identify a patient."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        saved = str(doc.get("saved_at", ""))[:16].replace("T", " ")
        return f"it was saved {saved} UTC and now holds {len(doc['lesions'])} lesion(s)"
    except Exception:  # noqa: BLE001 - only the message's detail depends on it
        return "it no longer matches what was read"


# ------------------------------------------------------------------- read
def load_case(path: str | os.PathLike) -> Case:
    """Read a case file; CaseFileError names the file and what is wrong."""
    path = Path(path)
    try:
        if path.exists() and not path.is_file() and not path.is_dir():
            raise CaseFileError(f"{path}: not a regular file (a device or pipe); give the case's .json file")
        size = path.stat().st_size if path.is_file() else 0
        if size > MAX_CASE_BYTES:
            raise CaseFileError(f"{path.name}: {size:,} bytes, more than a case file holds ({MAX_CASE_BYTES:,}); "
                                "it was not read: give the case's .json file")
        data = path.read_bytes()
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise CaseFileError(f"{path}: no such case file") from None
    except IsADirectoryError:
        raise CaseFileError(f"{path}: is a folder, not a case file; give the case's .json file") from None
    except UnicodeDecodeError:
        raise CaseFileError(f"{path}: not a case file (a case file is JSON text; this is binary, "
                            "e.g. DICOM or PDF); give the case's .json file") from None
    except OSError as exc:
        raise CaseFileError(f"{path}: cannot be read ({exc})") from exc
    doc = parse_case_text(text, path.name)
    case = case_from_json(doc, path)
    case.file_digest = hashlib.sha256(data).hexdigest()
    return case


def case_from_json(doc, path: Path) -> Case:
    name = Path(path).name
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise CaseFileError(f"{name}: not an OligoPlan case file (no \"schema\": \"{SCHEMA}\")")
    version = doc.get("schema_version")
    if version not in READABLE_VERSIONS:
        raise CaseFileError(
            f"{name}: schema_version {version!r} is not supported (this OligoPlan reads "
            f"versions {', '.join(map(str, READABLE_VERSIONS))}); open it with the OligoPlan version that wrote it"
        )
    validate_case_doc(doc, name)
    try:
        images = [
            ImageRef(
                folder=str(i["folder"]),
                series_uid=str(i["series_uid"]),
                frame_of_reference_uid=str(i.get("frame_of_reference_uid", "")),
                modality=str(i.get("modality", "")),
            )
            for i in _list(doc, "images", name)
        ]
    except (KeyError, TypeError) as exc:
        raise CaseFileError(f"{name}: images: each entry needs folder and series_uid ({exc})") from exc
    lesions = []
    for n, item in enumerate(_list(doc, "lesions", name)):
        lesions.append(lesion_from_json(item, f"{name}: lesions[{n}]"))
    ids = [lesion.id for lesion in lesions]
    if len(set(ids)) != len(ids):
        raise CaseFileError(f"{name}: lesions: duplicate lesion ids {sorted({i for i in ids if ids.count(i) > 1})}")
    lesion_set = LesionSet(lesions, next_number=_int(doc.get("next_lesion_number", 1), name))
    # an earlier OligoPlan's edit list (the audit trail is the record): kept as found
    legacy_history = [{"when": str(h.get("when", "")), "who": str(h.get("who", "")), "what": str(h.get("what", ""))}
                      for h in _list(doc, "history", name) if isinstance(h, dict)]
    facts = doc.get("facts", {})
    if not isinstance(facts, dict):
        raise CaseFileError(f"{name}: facts must be an object, found {type(facts).__name__}")
    case = Case(images=images, lesions=lesion_set, facts=facts, path=Path(path),
                audit=AuditTrail.from_json(doc.get("audit")),
                structure_sets=_structure_sets_from_json(doc, Path(path)),
                extra={k: v for k, v in doc.items() if k not in KNOWN_TOP},
                lesion_extra={str(item["id"]): extra for item in _list(doc, "lesions", name)
                              if (extra := {k: v for k, v in item.items() if k not in KNOWN_LESION})},
                part_extra=_part_extra(doc),
                read_version=version, legacy_history=legacy_history,
                **({"case_uid": doc["case_uid"]} if doc.get("case_uid") else {}))
    if doc.get("tracking") is not None:
        from core.tracking.record import TrackingRecord

        case.tracking = TrackingRecord.from_json(doc["tracking"])
    try:
        case.candidates = _candidate_set(doc.get("pet_candidates"))
    except (KeyError, TypeError, ValueError) as exc:
        raise CaseFileError(f"{name}: pet_candidates: {exc}") from None
    _check_review(case, doc)
    return case


def _part_extra(doc: dict) -> dict[str, dict]:
    """Unknown fields of image references, structure sets and the review object, to write back."""
    found: dict[str, dict] = {}
    parts = (("images", "series_uid", KNOWN_IMAGE), ("structure_sets", "sop_uid", KNOWN_STRUCTURE_SET))
    for key, ident, known in parts:
        for item in doc.get(key) or []:
            if extra := {k: v for k, v in item.items() if k not in known}:
                found[f"{key}/{item[ident]}"] = extra
    review = doc.get("review")
    if isinstance(review, dict) and (extra := {k: v for k, v in review.items() if k not in ("state", "signoffs")}):
        found["review"] = extra
    return found


def _structure_sets_from_json(doc: dict, path: Path) -> list[StructureSetRef]:
    """``structure_sets`` (absent in files written before it existed: none recorded), their
    paths made absolute from the case file's folder (so that "save as" elsewhere keeps them)."""
    name, case_dir = path.name, path.resolve().parent
    try:
        return [StructureSetRef(path=str(_resolve(str(s["path"]), case_dir)),
                                sop_uid=str(s["sop_uid"]), label=str(s.get("label", "")),
                                hidden_rois=tuple(int(n) for n in s.get("hidden_rois", [])))
                for s in _list(doc, "structure_sets", name)]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CaseFileError(f"{name}: structure_sets: each entry needs path and sop_uid, and hidden_rois "
                            f"must be ROI numbers ({exc})") from exc


def _check_review(case: Case, doc: dict) -> None:
    """Tampering and hand edits of the audit trail become warnings (the case still opens)."""
    review = doc.get("review")
    written = review.get("state") if isinstance(review, dict) else None
    case.integrity_warnings = integrity_warnings(case, None if written is None else str(written), doc)


def _list(doc: dict, key: str, name: str) -> list:
    value = doc.get(key, [])
    if not isinstance(value, list):
        raise CaseFileError(f"{name}: {key} must be a list, found {type(value).__name__}; the file was left "
                            "as it is; restore it from a backup or the recovery file")
    return value


def _int(value, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CaseFileError(f"{name}: next_lesion_number must be an integer, found {value!r}") from None


def _relative(folder: str, base: Path | None) -> str:
    path = Path(folder)
    if base is None or not path.is_absolute():
        return str(folder)
    try:
        return os.path.relpath(path, base)
    except ValueError:  # another drive on Windows
        return str(path)


# ------------------------------------------------------------- recovery
def recovery_dir() -> Path:
    """Where autosaved recovery files go (platform data directory)."""
    from core.appdirs import data_dir

    return data_dir() / "recovery"


def recovery_path_for(case: Case) -> Path:
    stem = case.path.stem if case.path else "untitled"
    return recovery_dir() / f"{stem}.recovery.json"


def write_recovery(case: Case) -> Path:
    """Autosave: the case plus where it belongs, atomically, in the recovery folder."""
    path = recovery_path_for(case)
    doc = case_to_json(case, None)
    doc["images"] = [
        {**img, "folder": str(ref.resolve(case.path.parent) if case.path else ref.folder)}
        for img, ref in zip(doc["images"], case.images)
    ]
    doc["structure_sets"] = [
        {**item, "path": str(ref.resolve(case.path.parent) if case.path else ref.path)}
        for item, ref in zip(doc["structure_sets"], case.structure_sets)
    ]
    doc["recovery_of"] = str(case.path) if case.path else None
    doc["recovery_base_digest"] = case.file_digest  # a save of the restored work still sees other writers
    atomic_write_text(path, json.dumps(doc, indent=1))
    return path


def load_recovery(path: str | os.PathLike) -> Case:
    """The case of a recovery file, as unsaved work of the case file it belongs to."""
    path = Path(path)
    case = load_case(path)  # validated: recovery_of and recovery_base_digest are text or null
    doc = json.loads(path.read_text(encoding="utf-8"))
    case.path = Path(doc["recovery_of"]) if doc.get("recovery_of") else None
    case.file_digest = doc.get("recovery_base_digest")
    return case


def pending_recoveries() -> list[Path]:
    folder = recovery_dir()
    return sorted(folder.glob("*.recovery.json")) if folder.is_dir() else []


def discard_recovery(case: Case) -> None:
    path = recovery_path_for(case)
    if path.exists():
        path.unlink()

"""The files of one export go into their folder together, or not at all.

An export writes several files that refer to each other (the SR references the SEG
and the RTSTRUCT by UID); one cut short between two files left a new RTSTRUCT and
SEG beside an old SR that references neither. :func:`write_as_set` runs the export's
writers into a hidden staging folder inside the destination, then moves the files
into place and records them in ``oligoplan-export.json``:

1. every file is written (and fsynced) in ``.oligoplan-export-<host>-<pid>-<token>.partial/``;
2. the previous manifest is removed: from now until step 4 the folder has none;
3. each file is renamed into the folder (a rename is atomic on one file system);
4. the manifest is written atomically: its name, size and SHA-256 of every file of the set.

A folder whose manifest is missing, or whose files do not match it, holds an
interrupted or mixed export: :func:`check_export_set` says which file is wrong. A failed
or cancelled export leaves the folder as it was. Staging folders left by a killed export
are removed by the next export into the same folder (:func:`remove_leftovers`) and, wherever
they are, at the next start of the GUI or of `oligoplan export`: each staging folder is
recorded in the user data folder (``export-staging/``) while its export runs
(:func:`clean_recorded_leftovers`).

The manifest holds no patient data and no dates: file names, sizes and digests only.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import socket
import time
import uuid
from pathlib import Path
from typing import Callable, TypeVar

from core.appdirs import data_dir
from core.atomic_file import atomic_write_text, fsync_folder
from core.errors import ExportError

MANIFEST_NAME = "oligoplan-export.json"
MANIFEST_FORMAT = "oligoplan-export-set"
STAGING_PREFIX = ".oligoplan-export-"
STAGING_SUFFIX = ".partial"
#: A staging folder of another computer (shared folder) is removed once this old.
STALE_AFTER_S = 24 * 3600

#: the folder, under the user data folder, recording the staging folders of exports in progress
REGISTRY_DIR = "export-staging"

T = TypeVar("T")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:32] or "host"


def staging_folder(out_dir: Path) -> Path:
    return out_dir / f"{STAGING_PREFIX}{_host()}-{os.getpid()}-{uuid.uuid4().hex[:8]}{STAGING_SUFFIX}"


def remove_leftovers(out_dir: str | os.PathLike) -> list[str]:
    """Remove the staging folders a killed export left in ``out_dir``; their names.

    A staging folder is left over when its process (on this computer) is gone, or,
    made on another computer, when it is older than a day."""
    out_dir = Path(out_dir)
    removed = []
    try:
        candidates = [p for p in out_dir.iterdir()
                      if p.name.startswith(STAGING_PREFIX) and p.name.endswith(STAGING_SUFFIX) and p.is_dir()]
    except OSError:
        return removed
    for folder in candidates:
        if _in_use(folder):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder.name)
    return removed


def _registry() -> Path:
    return data_dir() / REGISTRY_DIR


def _record(staging: Path) -> Path | None:
    """Record ``staging`` as the staging folder of an export in progress; the record's path
    (None when the data folder cannot be written: the next export into the folder still cleans up)."""
    entry = _registry() / f"{staging.name}.json"
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(entry, json.dumps({"staging_folder": str(staging.resolve())}) + "\n")
    except OSError:
        return None
    return entry


def _forget(entry: Path | None) -> None:
    if entry is not None:
        try:
            entry.unlink()
        except OSError:
            pass


def clean_recorded_leftovers() -> list[str]:
    """At start-up: remove the staging folders that exports killed before they landed or failed
    left behind (recorded by :func:`write_as_set`); their folder names (no paths: a folder may be
    named after the patient).

    The staging rules of :func:`remove_leftovers` hold: a staging folder of a live process, or a
    recent one of another computer, is kept (and its record). A record whose folder is gone is
    dropped, unless the folder's parent is unreachable too (a network share not mounted now)."""
    removed = []
    try:
        entries = sorted(_registry().glob(f"{STAGING_PREFIX}*{STAGING_SUFFIX}.json"))
    except OSError:
        return removed
    for entry in entries:
        try:
            folder = Path(json.loads(entry.read_text(encoding="utf-8"))["staging_folder"])
        except (OSError, ValueError, KeyError, TypeError):
            _forget(entry)  # a torn or foreign record: nothing to go by
            continue
        if not (folder.name.startswith(STAGING_PREFIX) and folder.name.endswith(STAGING_SUFFIX)):
            _forget(entry)  # never remove a folder that is not a staging folder
            continue
        if not folder.exists():
            if folder.parent.is_dir():
                _forget(entry)
            continue
        if _in_use(folder):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder.name)
            _forget(entry)
    return removed


def leftovers_message(removed: list[str]) -> str:
    """One line saying which staging folders :func:`clean_recorded_leftovers` removed."""
    return (f"removed {', '.join(removed)}: the staging folder(s) of {len(removed)} export(s) that were "
            "interrupted (none of their files had been moved into place)")


def _in_use(folder: Path) -> bool:
    parts = folder.name[len(STAGING_PREFIX):-len(STAGING_SUFFIX)].split("-")
    if len(parts) == 3 and parts[0] == _host() and parts[1].isdigit():
        pid = int(parts[1])
        if pid == os.getpid():
            return True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except OSError:
            return True  # it exists, owned by someone else
        return True
    try:
        return time.time() - folder.stat().st_mtime < STALE_AFTER_S
    except OSError:
        return False


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(out_dir: str | os.PathLike) -> dict | None:
    """The folder's manifest, or None when it has none (or an unreadable one)."""
    try:
        data = json.loads((Path(out_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or not isinstance(data.get("files"), list):
        return None
    return data


def check_export_set(out_dir: str | os.PathLike) -> list[str]:
    """What is wrong with the export set in ``out_dir`` ([] when its files are the last export's,
    whole): no manifest, a listed file missing or changed."""
    out_dir = Path(out_dir)
    manifest = read_manifest(out_dir)
    if manifest is None:
        return [f"{out_dir}: no {MANIFEST_NAME}: the export into this folder was interrupted, or the files "
                "were not written by OligoPlan as one export; export again"]
    problems = []
    for entry in manifest["files"]:
        name = str(entry.get("name", "")) if isinstance(entry, dict) else ""
        path = out_dir / name
        if not name or Path(name).name != name:
            problems.append(f"{MANIFEST_NAME}: a file entry without a plain file name")
        elif not path.is_file():
            problems.append(f"{name}: listed in {MANIFEST_NAME} but missing")
        elif _digest(path) != entry.get("sha256"):
            problems.append(f"{name}: not the file of the last export (its content differs from {MANIFEST_NAME}); "
                            "the set is mixed: export again")
    return problems


def write_as_set(job, write: Callable[[], T]) -> T:
    """Run ``write()``, whose writers write into ``job.out_dir``, as one export set.

    ``job`` is a :class:`core.export_job.ExportJob`: during ``write()`` its ``out_dir`` is
    the staging folder; afterwards it is the destination again, and ``job.written``,
    ``job.seg_path`` and the paths ``write()`` returned name the files in the destination.
    On any error (Cancelled included) the staging folder is removed, ``job.written`` is
    emptied (``job.discarded`` names what was staged) and the destination is as it was. A note names files of an earlier export
    that stay beside the new set (they do not reference it).
    """
    out_dir = Path(job.out_dir)
    remove_leftovers(out_dir)
    staging = staging_folder(out_dir)
    try:
        staging.mkdir()
    except OSError as exc:
        raise _cannot_write(out_dir, exc) from None
    record = _record(staging)
    job.out_dir = staging
    try:
        result = write()
        staged = list(dict.fromkeys(job.written + _paths(result)))
        try:
            moved = _commit(out_dir, staging, staged, job.notes)
        except OSError as exc:
            raise _cannot_write(out_dir, exc) from None
    except BaseException:
        job.discarded = [p.name for p in job.written]
        job.written.clear()
        if getattr(job, "seg_path", None) is not None:
            job.seg_path = None
        raise
    finally:
        job.out_dir = out_dir
        shutil.rmtree(staging, ignore_errors=True)
        if not staging.exists():
            _forget(record)
    job.written[:] = [moved.get(p, p) for p in job.written]
    if getattr(job, "seg_path", None) is not None:
        job.seg_path = moved.get(job.seg_path, job.seg_path)
    return _remap(result, moved)


def _cannot_write(out_dir: Path, exc: OSError) -> ExportError:
    target = exc.filename2 or exc.filename
    reason = (exc.strerror or str(exc)) + (f": {Path(target).name}" if target else "")
    return ExportError(f"cannot write into {out_dir} ({reason}); nothing was written; free the space, or "
                       "choose another folder")


def _paths(result) -> list[Path]:
    if isinstance(result, Path):
        return [result]
    if isinstance(result, (list, tuple)):
        return [p for p in result if isinstance(p, Path)]
    return []


def _remap(result, moved: dict[Path, Path]):
    if isinstance(result, Path):
        return moved.get(result, result)
    if isinstance(result, list):
        return [moved.get(p, p) if isinstance(p, Path) else p for p in result]
    return result


def _commit(out_dir: Path, staging: Path, staged: list[Path], notes: list[str]) -> dict[Path, Path]:
    """Steps 2 to 4 of the module docstring; the staged path -> its final path."""
    files = [p for p in staged if p.parent == staging and p.is_file()]
    entries = [{"name": p.name, "bytes": p.stat().st_size, "sha256": _digest(p)} for p in files]
    previous = read_manifest(out_dir)
    for p in files:  # what would stop a move, found before anything is moved
        if (out_dir / p.name).is_dir():
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(out_dir / p.name))
    fsync_folder(staging)
    try:
        (out_dir / MANIFEST_NAME).unlink()
    except FileNotFoundError:
        pass
    moved = {}
    for p in files:
        target = out_dir / p.name
        os.replace(p, target)
        moved[p] = target
    fsync_folder(out_dir)
    manifest = {"format": MANIFEST_FORMAT, "version": 1, "export_id": uuid.uuid4().hex, "files": entries}
    atomic_write_text(out_dir / MANIFEST_NAME, json.dumps(manifest, indent=2) + "\n")
    names = {p.name for p in files}
    earlier = sorted(str(e.get("name")) for e in (previous or {}).get("files", [])
                     if isinstance(e, dict) and e.get("name") not in names and (out_dir / str(e.get("name"))).is_file())
    if earlier:
        notes.append(f"{', '.join(earlier)} in {out_dir} are from an earlier export and do not belong to this "
                     f"one ({MANIFEST_NAME} lists the files of this export)")
    return moved

"""The local cache of retrieved studies, and the writer that fills it safely.

One folder per study, ``<cache root>/<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm``,
under the platform data directory. A received instance is written under a
hidden temporary name (``.<uid>.part``, which the folder scan never opens),
parsed with the loader's own header reader, checked against what was asked for
(study, SOP Instance UID, well-formed UIDs), and only then renamed into place:
a file with a final name is always complete and readable. What is already
there is never fetched or written again.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from core.appdirs import data_dir
from core.errors import GeometryError, PacsConfigError, UnsupportedDicomError
from core.pacs.query import is_uid

SUFFIX = ".dcm"
PART_SUFFIX = ".part"
CACHE_NAME = "pacs-cache"

# (0000,0900) statuses a C-STORE SCP returns
STORE_OK = 0x0000
STORE_CANNOT_UNDERSTAND = 0xC000
STORE_MISMATCH = 0xA900
STORE_OUT_OF_RESOURCES = 0xA700


def cache_root() -> Path:
    return data_dir() / CACHE_NAME


def study_folder(study_uid: str, root: str | Path | None = None) -> Path:
    """Where a study is cached (the folder to open in the viewer)."""
    if not is_uid(study_uid):
        raise PacsConfigError(f"study UID {study_uid!r}: not a DICOM UID")
    return (Path(root) if root is not None else cache_root()) / study_uid


def cached_instances(folder: str | Path) -> dict[str, set[str]]:
    """SOP Instance UIDs already in a study folder, by series (complete files only)."""
    folder = Path(folder)
    found: dict[str, set[str]] = {}
    if not folder.is_dir():
        return found
    for series_dir in folder.iterdir():
        if not series_dir.is_dir() or not is_uid(series_dir.name):
            continue
        uids = {p.name[: -len(SUFFIX)] for p in series_dir.iterdir()
                if p.name.endswith(SUFFIX) and not p.name.startswith(".")}
        if uids:
            found[series_dir.name] = uids
    return found


def remove_partial_files(folder: str | Path) -> int:
    """Delete temporary files a killed retrieve left behind; returns how many."""
    folder = Path(folder)
    n = 0
    if folder.is_dir():
        for path in folder.rglob(f".*{PART_SUFFIX}"):
            try:
                path.unlink()
                n += 1
            except OSError:
                pass
    return n


@dataclass
class ReceivedLog:
    """What the writer did, shared with the retrieve that reads it (thread-safe counters)."""

    written: dict[str, set[str]] = field(default_factory=dict)  # series -> SOP UIDs
    already: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (SOP UID or '?', reason)
    #: calling AE titles our C-MOVE storage SCP turned away (not the node's)
    refused_callers: set[str] = field(default_factory=set)

    @property
    def n_written(self) -> int:
        return sum(len(v) for v in self.written.values())

    @property
    def n_seen(self) -> int:
        """C-STORE requests handled so far (written, already there or refused)."""
        return self.n_written + self.already + len(self.failed)


class InstanceWriter:
    """The C-STORE handler of a retrieve: checks each instance and writes it atomically.

    Parameters
    ----------
    folder
        The study folder.
    study_uid
        The study being retrieved: instances of any other study are refused.
    on_written
        Called (from the network thread) after each instance is in place, with
        the number written so far.
    """

    def __init__(self, folder: str | Path, study_uid: str, on_written: Callable[[int], None] | None = None):
        self.folder = Path(folder)
        self.study_uid = study_uid
        self.on_written = on_written
        self.log = ReceivedLog()
        self._lock = threading.Lock()

    def handle_store(self, event) -> int:
        """pynetdicom ``evt.EVT_C_STORE`` handler; returns the C-STORE status."""
        try:
            sop_uid = str(event.request.AffectedSOPInstanceUID or "")
        except Exception:  # noqa: BLE001 - untrusted peer
            sop_uid = ""
        if not is_uid(sop_uid):
            return self._fail("?", f"malformed SOP Instance UID {sop_uid[:70]!r}", STORE_CANNOT_UNDERSTAND)
        try:
            data = event.encoded_dataset()
        except Exception as exc:  # noqa: BLE001
            return self._fail(sop_uid, f"unreadable data set ({type(exc).__name__})", STORE_CANNOT_UNDERSTAND)
        return self.write(sop_uid, data)

    def write(self, sop_uid: str, data: bytes) -> int:
        """Write one encoded DICOM file (preamble and meta included) for ``sop_uid``."""
        from pydicom import dcmread

        from core.dicom.headers import read_header

        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{sop_uid}.{threading.get_ident()}{PART_SUFFIX}"
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
            try:
                try:
                    ds = read_header(tmp, fast=False).dataset  # the dataset is wanted: one pydicom parse
                except (UnsupportedDicomError, GeometryError):  # valid DICOM the viewer cannot show
                    ds = dcmread(tmp, stop_before_pixels=True)
                series_uid = str(ds.get("SeriesInstanceUID", "") or "")
                study_uid = str(ds.get("StudyInstanceUID", "") or "")
                found_sop = str(ds.get("SOPInstanceUID", "") or "")
            except Exception as exc:  # noqa: BLE001 - garbage from the peer
                return self._fail(sop_uid, f"does not parse as DICOM ({_short(exc)})", STORE_CANNOT_UNDERSTAND)
            if found_sop != sop_uid:
                return self._fail(sop_uid, f"data set holds SOP Instance UID {found_sop[:70]!r}", STORE_MISMATCH)
            if study_uid != self.study_uid:
                return self._fail(sop_uid, "belongs to another study than the one asked for", STORE_MISMATCH)
            if not is_uid(series_uid):
                return self._fail(sop_uid, f"malformed Series Instance UID {series_uid[:70]!r}", STORE_MISMATCH)
            final = self.folder / series_uid / f"{sop_uid}{SUFFIX}"
            with self._lock:
                if final.exists():
                    self.log.already += 1
                    return STORE_OK
                final.parent.mkdir(exist_ok=True)
                os.replace(tmp, final)
                self.log.written.setdefault(series_uid, set()).add(sop_uid)
                n = self.log.n_written
            if self.on_written is not None:
                self.on_written(n)
            return STORE_OK
        except OSError as exc:
            return self._fail(sop_uid, f"cannot write to {self.folder} ({exc.strerror or exc})", STORE_OUT_OF_RESOURCES)
        finally:
            if tmp.exists():
                try:
                    tmp.unlink()
                except OSError:
                    pass

    def _fail(self, sop_uid: str, reason: str, status: int) -> int:
        with self._lock:
            self.log.failed.append((sop_uid, reason))
        return status


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."

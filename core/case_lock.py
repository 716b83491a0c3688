"""One writer at a time per case file: a lock file beside the case, and a check that nobody wrote in between.

Two writers of one case (two `oligoplan segment --out SAME.json`, the window's
save and a script, two workstations on a shared folder) each read the file,
change it and replace it; without care the second replace loses the first
writer's lesion while both say "saved". So every read-modify-write of a case
file holds :class:`CaseLock`:

* the lock is a file ``NAME.json.lock`` beside the case, created with
  ``O_CREAT | O_EXCL`` (atomic on local disks and on NFS v3+/SMB shares: only one
  creator succeeds). It holds who took it: host, process id, program and UTC
  time, and a random token (no user name: the lock must not say who the patient's
  clinician is, and the host is enough to find the process);
* a writer that finds the lock waits (polls) up to ``wait_s`` seconds, then
  gives up with :class:`CaseBusyError` naming the holder;
* a lock is *stale* when its process is gone (same host, pid no longer alive)
  or it is older than :data:`STALE_AFTER_S` (a crashed workstation: a write
  holds the lock for well under a second). A stale lock is moved aside
  (rename: only one waiter wins) and removed;
* releasing removes the lock only when it still holds our token.

A writer that keeps a case in memory (the window) also remembers the digest of
the file it read or last wrote (``Case.file_digest``); saving under the lock
first compares it with the file on disk, and refuses with
:class:`CaseChangedError` when another writer changed the file in between:
"saved" is never reported for a write that would overwrite someone else's.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import socket
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from core.errors import CaseFileError

#: a lock older than this (seconds) is taken to be left by a crashed writer
STALE_AFTER_S = 60.0
#: how long a writer waits for the lock by default (seconds)
WAIT_S = 15.0
_POLL_S = 0.02


class CaseBusyError(CaseFileError):
    """Another writer holds the case file's lock (the message names it)."""


class CaseChangedError(CaseFileError):
    """The case file was changed by another writer since it was read; nothing was written."""


def lock_path(case_path: Path) -> Path:
    return Path(case_path).with_name(Path(case_path).name + ".lock")


def file_digest(path: Path) -> str | None:
    """SHA-256 of the file's bytes (None when there is no file)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _program() -> str:
    argv = [a for a in sys.argv[1:3] if not a.startswith("-")]
    return "oligoplan " + argv[0] if argv else "oligoplan"


class CaseLock:
    """``with CaseLock(path): ...`` holds the lock of the case file ``path``.

    Raises :class:`CaseBusyError` when the lock stays held by a live writer for
    ``wait_s`` seconds, and :class:`CaseFileError` when the lock file cannot be
    made at all (a folder without write permission).
    """

    def __init__(self, case_path: str | os.PathLike, *, wait_s: float | None = None,
                 stale_after_s: float | None = None) -> None:
        self.case_path = Path(case_path)
        self.path = lock_path(self.case_path)
        self.wait_s = WAIT_S if wait_s is None else wait_s
        self.stale_after_s = STALE_AFTER_S if stale_after_s is None else stale_after_s
        self.token = secrets.token_hex(8)
        self._held = False

    # ------------------------------------------------------------ holder
    def _content(self) -> str:
        return json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "program": _program(),
                           "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                           "since_epoch": time.time(), "token": self.token})

    def acquire(self) -> None:
        deadline = time.monotonic() + self.wait_s
        self.case_path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = _read_holder(self.path)
                if self._stale(holder):
                    _break(self.path, holder or {})
                    continue
                if time.monotonic() >= deadline:
                    raise CaseBusyError(busy_message(self.case_path, holder, self.wait_s)) from None
                time.sleep(_POLL_S)
                continue
            except OSError as exc:
                raise CaseFileError(f"{self.case_path}: cannot be locked for writing ({exc.strerror or exc}: "
                                    f"{self.path.name}); choose a folder you can write to") from None
            try:
                os.write(fd, self._content().encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            self._held = True
            return

    def _stale(self, holder: dict | None) -> bool:
        if holder is None:  # empty or not ours: a writer that died before writing it, once it is old
            try:
                return time.time() - os.stat(self.path).st_mtime > self.stale_after_s
            except OSError:
                return False
        if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int):
            if not _alive(holder["pid"]):
                return True
        since = holder.get("since_epoch")
        return isinstance(since, (int, float)) and time.time() - since > self.stale_after_s

    def release(self) -> None:
        if not self._held:
            return
        self._held = False
        holder = _read_holder(self.path)
        if holder is not None and holder.get("token") == self.token:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass

    def __enter__(self) -> "CaseLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def busy_message(case_path: Path, holder: dict | None, waited_s: float) -> str:
    if holder is None:  # being written this very moment, or not an OligoPlan lock
        who = f"another writer (its lock file {lock_path(case_path).name} says nothing readable)"
    else:
        since = str(holder.get("since", "?"))[:19].replace("T", " ")
        who = (f"{holder.get('program') or 'another writer'} (process {holder.get('pid', '?')} on "
               f"{holder.get('host') or 'an unknown host'}, since {since} UTC)")
    return (f"{case_path.name} is being saved by {who}; waited {waited_s:g} s. Nothing was written: try again "
            f"in a moment (a lock left by a crash is removed after {STALE_AFTER_S:g} s)")


def _read_holder(path: Path) -> dict | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _break(path: Path, holder: dict) -> None:
    """Move a stale lock aside; when a fresh lock was moved by mistake (a race), put it back."""
    aside = path.with_name(f"{path.name}.stale.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return  # another waiter broke it first
    moved = _read_holder(aside)
    if moved is not None and moved.get("token") != holder.get("token"):
        try:
            os.link(aside, path)  # fails when a new lock is there already: then that one stands
        except OSError:
            pass
    try:
        aside.unlink()
    except FileNotFoundError:
        pass


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill(pid, 0) would interrupt the process there: rely on the lock's age
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError as exc:
        return exc.errno != errno.ESRCH
    return True

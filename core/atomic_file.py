"""Atomic file writes: a crash or a failed write leaves the old file or the new one, never half a file.

:func:`atomic_open` writes into a temporary file in the target's folder,
flushes and fsyncs it, renames it over the target and fsyncs the folder; on
any failure the temporary file is removed. :func:`writing_file` turns the
operating system's error into :class:`core.errors.FileWriteError` naming the
file (for the exports a user saves: summary, scorecard).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from core.errors import FileWriteError


def temp_path(path: Path) -> Path:
    """The temporary file of a write to ``path`` (hidden, in the same folder, per process)."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", encoding: str | None = None) -> Iterator[IO]:
    """Open a temporary file for writing ``path``; on a clean exit it replaces ``path`` atomically.

    Parameters
    ----------
    path
        The file to write; its folder is made when missing.
    mode
        ``"wb"`` (bytes) or ``"w"`` (text, then give ``encoding``).

    Raises
    ------
    OSError
        When the folder, the temporary file or the rename fails; the temporary file is gone then.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    try:
        with open(tmp, mode, encoding=encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        _remove(tmp)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a writer that was killed
        _remove(stale)
    fsync_folder(path.parent)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write text (UTF-8) so that a crash leaves either the old file or the new one."""
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the platform allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def writing_file(path: str | os.PathLike, what: str) -> Iterator[Path]:
    """Raise :class:`FileWriteError` naming ``path`` and ``what`` it is when the block's write fails."""
    path = Path(path)
    try:
        yield path
    except OSError as exc:
        raise FileWriteError(path, what, exc.strerror or str(exc)) from None


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError:  # a folder where the temp file would go, no permission: nothing of ours to remove
        pass

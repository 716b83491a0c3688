"""Read uncompressed CT slices straight from the files into an int16 volume.

This is the path almost every CT takes: 16-bit little-endian stored values
at the Pixel Data offset the header pass recorded, slope 1 and an integral
intercept, so Hounsfield units fit int16. Each slice is read with one
``preadv`` into its place in the volume, checked (bits above Bits Stored,
int16 overflow after the intercept) while it is still in the CPU cache, and
shifted by the intercept in place. Slices this path cannot take are left to
the general path in :mod:`core.dicom.series`.

Two threads share the slices: the reads and numpy's reductions release the
GIL, so the second core overlaps page faults, copies and checks.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from core.dicom.slice_records import SliceRecord
from core.errors import Cancelled

#: Slices per task handed to a thread (progress and cancel are checked between tasks).
CHUNK = 16
#: Threads reading slices; 1 reads in the calling thread only.
THREADS = 2

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)


def can_read_int16(record: SliceRecord) -> bool:
    """Whether ``record`` may be read raw into an int16 slice (a check of the header only)."""
    fmt = record.pixel_format
    return (
        record.pixel_offset is not None
        and record.frame is None
        and fmt.bits_allocated == 16
        and record.slope == 1.0
        and float(record.intercept).is_integer()
        and (fmt.signed or fmt.bits_stored <= 15)
    )


def read_int16_into(record: SliceRecord, target: np.ndarray) -> bool:
    """Read one slice's stored values into ``target`` (int16, rows x columns) in HU.

    Returns False (``target`` to be rewritten) when the slice needs the
    general path: not eligible (:func:`can_read_int16`), fewer bytes than the
    image, or values that overflow int16 after the intercept.
    """
    if not can_read_int16(record):
        return False
    fmt = record.pixel_format
    try:
        if read_at(record.path, record.pixel_offset, target) != target.nbytes:
            return False
    except OSError:
        return False  # the general path reads it again and reports why it cannot
    intercept = int(record.intercept)
    if fmt.signed:
        if fmt.bits_stored == 16 and intercept == 0:
            return True  # every int16 is a valid value
        lo, hi = int(target.min()), int(target.max())
        in_range = 0 <= lo and hi < (1 << (fmt.bits_stored - 1))
    else:  # unsigned with at most 15 bits: the uint16 maximum alone tells
        lo, hi = 0, int(target.view(np.uint16).max())
        in_range = hi < (1 << fmt.bits_stored)
        if in_range and intercept < -32768:
            lo = int(target.min())
    if fmt.bits_stored < 16 and not in_range:
        # bits above BitsStored carry something else (overlays): mask them off
        target[...] = mask_bits(target.view(fmt.stored_dtype), fmt.bits_stored, fmt.signed)
        lo, hi = int(target.min()), int(target.max())
    if lo + intercept < -32768 or hi + intercept > 32767:
        return False
    if intercept:
        target += np.int16(intercept)
    return True


def read_int16_slices(
    slices: list[SliceRecord],
    voxels: np.ndarray,
    progress=None,
    cancel=None,
    threads: int = THREADS,
) -> list[int]:
    """Read every slice the int16 path can take into ``voxels[k]``.

    Returns the indices of the slices left for the general path. ``progress``
    (slices read so far, total, text) and ``cancel`` are called from the
    calling thread only, between chunks.
    """
    nz = len(slices)
    chunks = [range(start, min(start + CHUNK, nz)) for start in range(0, nz, CHUNK)]
    stop = threading.Event()

    def read_chunk(indices: range) -> list[int]:
        left = []
        for k in indices:
            if stop.is_set():
                break
            if not read_int16_into(slices[k], voxels[k]):
                left.append(k)
        return left

    left: list[int] = []
    done = 0

    def finished(chunk_left: list[int], indices: range) -> None:
        nonlocal done
        left.extend(chunk_left)
        done += len(indices) - len(chunk_left)
        if progress is not None and done:
            progress(done, nz, f"Loading slice {done}/{nz}")

    if threads <= 1 or len(chunks) < 2:
        for indices in chunks:
            if cancel is not None and cancel():
                raise Cancelled("loading cancelled")
            finished(read_chunk(indices), indices)
        return sorted(left)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="oligoplan-slices") as pool:
        futures = [(pool.submit(read_chunk, indices), indices) for indices in chunks]
        try:
            for future, indices in futures:
                while True:  # wait for the chunk, checking cancel now and then
                    if cancel is not None and cancel():
                        raise Cancelled("loading cancelled")
                    try:
                        chunk_left = future.result(timeout=0.05)
                        break
                    except TimeoutError:
                        continue
                finished(chunk_left, indices)
        except BaseException:
            stop.set()
            for future, _ in futures:
                future.cancel()
            raise
    return sorted(left)


def read_at(path: str, offset: int, target: np.ndarray) -> int:
    """Read ``target.nbytes`` bytes at ``offset`` into ``target``; the count read."""
    view = memoryview(target).cast("B")
    if not hasattr(os, "preadv"):  # Windows
        with open(path, "rb", buffering=0) as fh:
            fh.seek(offset)
            total = 0
            while total < len(view):  # one unbuffered read may return less (network shares)
                n = fh.readinto(view[total:])
                if not n:
                    break
                total += n
            return total
    fd = os.open(path, _OPEN_FLAGS)
    try:
        total = 0
        while total < len(view):
            n = os.preadv(fd, [view[total:]], offset + total)
            if n <= 0:
                break
            total += n
        return total
    finally:
        os.close(fd)


def mask_bits(values: np.ndarray, bits_stored: int, signed: bool) -> np.ndarray:
    """Keep the low ``bits_stored`` bits (sign-extended when signed)."""
    unsigned = values.view(values.dtype.str.replace("i", "u"))
    masked = unsigned & np.array((1 << bits_stored) - 1, dtype=unsigned.dtype)
    if not signed:
        return masked
    shift = values.dtype.itemsize * 8 - bits_stored
    return (masked.view(values.dtype) << shift) >> shift

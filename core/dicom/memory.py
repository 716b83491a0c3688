"""How much memory a series may take, decided from its headers before any pixel is decoded.

A header is untrusted: a 107 KB JPEG 2000 file can declare 16384 x 16384 pixels,
and the codec then allocates half a gigabyte before it finds that the data do not
match. :func:`check_series_fits` refuses such a series with the numbers before
the volume is allocated or a single image is decoded:

* every image the codecs decode (compressed, big endian, multi-frame) is at most
  :data:`MAX_DECODED_IMAGE_PIXELS` (4096 x 4096; CT, PET and MR images are
  512 x 512 to 1024 x 1024, rarely 2048 x 2048);
* the volume plus the working memory of decoding one image fits in the memory
  that is free now (not merely in the computer's total memory).

Uncompressed little-endian slices are read raw, straight into the volume; the
header pass has already checked that their files hold every byte they declare.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.errors import DicomError

#: Largest image (Rows x Columns) handed to a codec: 4096 x 4096.
MAX_DECODED_IMAGE_SIDE = 4096
MAX_DECODED_IMAGE_PIXELS = MAX_DECODED_IMAGE_SIDE * MAX_DECODED_IMAGE_SIDE
#: Working memory per decoded pixel: the codec's output (up to 4 bytes) and the float32 rescale.
DECODE_BYTES_PER_PIXEL = 8

SIZE_ADVICE = "check (0028,0010) Rows and (0028,0011) Columns of its files"


def physical_memory_bytes() -> int | None:
    """Total physical memory, or None where the platform does not say (Windows)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def available_memory_bytes() -> int | None:
    """Memory that can be had now without swapping, or None where the platform does not say.

    Linux: MemAvailable of /proc/meminfo, lowered to what the cgroup (container) limit
    leaves; elsewhere the free pages the C library reports.
    """
    available = _meminfo_available()
    if available is None:
        try:
            available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
        except (AttributeError, ValueError, OSError):
            available = None
    room = _cgroup_room()
    if room is not None and (available is None or room < available):
        available = room
    return available


def _meminfo_available() -> int | None:
    try:
        text = Path("/proc/meminfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("MemAvailable:"):
            parts = line.split()
            try:
                return int(parts[1]) * 1024  # kB
            except (IndexError, ValueError):
                return None
    return None


def _cgroup_room() -> int | None:
    """What the cgroup v2 memory limit leaves, or None when there is no limit."""
    base = Path("/sys/fs/cgroup")
    try:
        limit = (base / "memory.max").read_text().strip()
        current = int((base / "memory.current").read_text().strip())
    except (OSError, ValueError):
        return None
    if limit == "max":
        return None
    try:
        return max(int(limit) - current, 0)
    except ValueError:
        return None


def gb(n_bytes: int) -> str:
    return f"{n_bytes / 2**30:.1f} GB"


def check_series_fits(name: str, shape: tuple[int, int, int], itemsize: int,
                      decoded_sizes: set[tuple[int, int]]) -> None:
    """Refuse (DicomError with the numbers) a series that cannot be loaded here.

    Parameters
    ----------
    name
        How the user knows the series (its description or UID).
    shape
        (slices, rows, columns) of the volume.
    itemsize
        Bytes per voxel of the volume.
    decoded_sizes
        (rows, columns) of the images a codec must decode (empty when all are read raw).
    """
    for rows, columns in sorted(decoded_sizes, reverse=True):
        if rows * columns > MAX_DECODED_IMAGE_PIXELS:
            raise DicomError(
                f"series '{name}': its images declare {rows} x {columns} pixels "
                f"({rows * columns / 1e6:.0f} million each), more than the {MAX_DECODED_IMAGE_SIDE} x "
                f"{MAX_DECODED_IMAGE_SIDE} OligoPlan decodes per compressed image; nothing was decoded. "
                f"{SIZE_ADVICE}: a CT, PET or MR image is rarely larger than 1024 x 1024"
            )
    nz, ny, nx = shape
    volume = nz * ny * nx * itemsize
    workspace = max((r * c for r, c in decoded_sizes), default=0) * DECODE_BYTES_PER_PIXEL
    needed = volume + workspace
    problem = f"series '{name}': {nz} x {ny} x {nx} voxels need {gb(needed)}"
    total = physical_memory_bytes()
    if total and needed > total:
        raise DicomError(f"{problem}, more than this computer's {gb(total)} of memory; "
                         f"{SIZE_ADVICE}, or open it on a computer with more memory")
    available = available_memory_bytes()
    if available is not None and needed > available:
        of_total = f" of {gb(total)}" if total else ""
        raise DicomError(f"{problem}, more than the {gb(available)} of memory free now{of_total}; "
                         "close other series or programs and load it again, or "
                         f"{SIZE_ADVICE}")

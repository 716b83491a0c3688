"""The work functions the loading workers run (Qt-free).

Which series to open together is core's decision (core.workspace.select_series,
can_overlay, matching_pet), the same for the command line. The work functions
call the core loaders with the core progress/cancel conventions; they look the
loaders up when called, so tests can replace them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from core.volume import Volume

Progress = Callable[[int, int, str], None]
CancelCheck = Callable[[], bool]


@dataclass(frozen=True)
class LoadedPair:
    base: Volume
    overlay: Volume | None = None


def scan(path: str, *, progress: Progress, cancel: CancelCheck):
    """Scan a folder (recursively) for DICOM series: :func:`core.dicom.scan.scan_folder`."""
    from core.dicom import scan as scan_module

    return scan_module.scan_folder(path, progress=progress, cancel=cancel)


def load_pair(base_entry: Any, overlay_entry: Any | None, *, progress: Progress,
              cancel: CancelCheck) -> LoadedPair:
    """Load a base series and an optional overlay, one after the other, with one
    combined progress (counted in slices)."""
    from core.dicom import series as series_module

    entries = [e for e in (base_entry, overlay_entry) if e is not None]
    grand_total = sum(max(int(e.n_slices), 1) for e in entries)
    volumes: list[Volume] = []
    offset = 0
    for entry in entries:
        n = max(int(entry.n_slices), 1)
        name = entry.info.title

        def scaled(done: int, total: int, message: str = "", offset=offset, n=n, name=name) -> None:
            frac = done / total if total else 0.0
            progress(offset + int(round(frac * n)), grand_total, message or f"Loading {name}")

        volumes.append(series_module.load_series(entry, progress=scaled, cancel=cancel))
        offset += n
    return LoadedPair(volumes[0], volumes[1] if len(volumes) > 1 else None)

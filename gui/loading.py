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
    """Load a base series and an optional overlay with one combined progress (core.workspace.load_pair)."""
    from core.workspace import load_pair as load_both

    return LoadedPair(*load_both(base_entry, overlay_entry, progress, cancel))

"""Which series to open together, and the work functions the workers run (Qt-free).

A PET is fused over a CT when both belong to the same patient and share a
frame of reference (0020,0052), or else the same study (0020,000D). The work
functions call the core loaders with the core progress/cancel conventions;
they look the loaders up when called, so tests can replace them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from core.volume import Modality, SeriesInfo, Volume

Progress = Callable[[int, int, str], None]
CancelCheck = Callable[[], bool]


def can_overlay(base: SeriesInfo, overlay: SeriesInfo) -> bool:
    """Can ``overlay`` (a PET) be shown fused over ``base`` (a CT or MR)?"""
    if overlay.modality != Modality.PT or base.modality == Modality.PT:
        return False
    if base.series_uid == overlay.series_uid:
        return False
    if base.patient_id and overlay.patient_id and base.patient_id != overlay.patient_id:
        return False
    if base.frame_of_reference_uid and base.frame_of_reference_uid == overlay.frame_of_reference_uid:
        return True
    return bool(base.study_uid) and base.study_uid == overlay.study_uid


def best_overlay(base: Any, entries: Sequence[Any]) -> Any | None:
    """The PET entry to fuse over ``base``: same frame of reference first, then same study."""
    candidates = [e for e in entries if e is not base and can_overlay(base.info, e.info)]
    same_for = [
        e for e in candidates
        if base.info.frame_of_reference_uid
        and e.info.frame_of_reference_uid == base.info.frame_of_reference_uid
    ]
    pool = same_for or candidates
    return max(pool, key=lambda e: e.n_slices) if pool else None


def default_selection(entries: Sequence[Any]) -> tuple[Any | None, Any | None]:
    """(base, overlay) to open after a scan: the first CT (preferring a volume
    over single slices) and a PET of the same frame of reference, if any."""
    if not entries:
        return None, None
    cts = [e for e in entries if e.info.modality == Modality.CT]
    volumes = [e for e in cts if e.n_slices > 1]
    if volumes or cts:
        base = (volumes or cts)[0]
    else:
        non_pet = [e for e in entries if e.info.modality != Modality.PT]
        base = (non_pet or list(entries))[0]
    return base, best_overlay(base, entries)


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

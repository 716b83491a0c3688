"""Copies of the bundled sample scans for tests that damage or rewrite files."""

from __future__ import annotations

from pathlib import Path

import pydicom

REPO = Path(__file__).resolve().parents[2]
PHANTOM_CT = REPO / "sample_scans" / "phantom-oligo" / "CT"
PHANTOM_PT = REPO / "sample_scans" / "phantom-oligo" / "PT"
SHARED_DATA = REPO.parent / "shared" / "data"


def write_uncompressed(source: Path, target: Path) -> Path:
    """Every ``*.dcm`` of ``source`` rewritten as Explicit VR Little Endian in ``target``.

    The phantom CT is stored as JPEG 2000; uncompressed, its slices take the
    fast header reader and the raw pixel reads instead of pydicom's decoder.
    """
    target.mkdir(parents=True, exist_ok=True)
    for src in sorted(source.glob("*.dcm")):
        ds = pydicom.dcmread(src)
        ds.decompress()
        ds.save_as(target / src.name, enforce_file_format=True)
    return target

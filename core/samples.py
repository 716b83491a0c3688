"""Where the bundled sample cases live (sample_scans/ beside core/)."""

from __future__ import annotations

from pathlib import Path

from core.errors import NoImagesError

SAMPLE_ROOT = Path(__file__).resolve().parent.parent / "sample_scans"
DEFAULT_CASE = "phantom-oligo"


def sample_case_path(name: str = DEFAULT_CASE) -> Path:
    """Folder of a bundled sample case; NoImagesError when it is not there."""
    path = SAMPLE_ROOT / name
    if not path.is_dir():
        raise NoImagesError(
            f"sample case '{name}' not found at {path}; run `make samples` in the source "
            "checkout, or open a folder: oligoplan PATH"
        )
    return path

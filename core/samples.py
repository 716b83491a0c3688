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


def sphere_mask(volume, centre_mm, diameter_mm: float):
    """A ball of ``diameter_mm`` at ``centre_mm`` (LPS) as a lesion mask on ``volume``'s grid:
    the voxels whose centres are inside (builds lesions of the samples' ground truth)."""
    import numpy as np

    from core.lesions import LesionMask

    centre = np.asarray(centre_mm, dtype=float)
    c = volume.patient_to_index(centre)
    half = np.ceil(diameter_mm / np.array(volume.spacing_mm)) + 2
    lo = np.maximum(np.floor(c - half).astype(int), 0)
    hi = np.minimum(np.ceil(c + half).astype(int) + 1, np.array(volume.shape))
    zz, yy, xx = np.meshgrid(*[np.arange(a, b) for a, b in zip(lo, hi)], indexing="ij")
    points = volume.index_to_patient(np.stack([zz.ravel(), yy.ravel(), xx.ravel()], axis=1))
    inside = (np.linalg.norm(points - centre, axis=1) <= diameter_mm / 2).reshape(zz.shape)
    return LesionMask.from_box(inside, tuple(lo), volume.shape, volume.info.series_uid)

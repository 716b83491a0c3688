"""A lesion mask as the case file holds it: its box on the grid of a series and the box's voxels as
run lengths (docs/case-file.md, ``lesions[].mask``). Case files and PET candidates share it."""

from __future__ import annotations

import numpy as np

from core.lesions import LesionMask


def mask_to_json(mask: LesionMask) -> dict:
    return {
        "series_uid": mask.series_uid,
        "grid_shape": list(mask.grid_shape),
        "offset": list(mask.offset),
        "shape": list(mask.array.shape),
        "rle": encode_runs(mask.array),
    }


def encode_runs(array: np.ndarray) -> list[int]:
    """Run lengths of the C-order flattened mask, alternating False, True, ... from False."""
    flat = np.asarray(array, dtype=bool).ravel()
    change = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        runs.insert(0, 0)
    return [int(r) for r in runs]


def decode_runs(runs: list[int], shape: tuple[int, ...]) -> np.ndarray:
    total = int(np.prod(shape))
    runs = np.asarray(runs, dtype=np.int64)
    if runs.ndim != 1 or np.any(runs < 0) or int(runs.sum()) != total:
        raise ValueError(f"run lengths add up to {int(runs.sum()) if runs.ndim == 1 else '?'}, "
                         f"expected {total} for shape {list(shape)}")
    values = np.arange(len(runs)) % 2 == 1
    return np.repeat(values, runs).reshape(shape)

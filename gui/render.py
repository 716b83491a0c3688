"""Turn one slice into display pixels: window/level, colour maps, QImage.

Only the slice a view shows is ever converted, in float32, never the volume.
Window presets are display conventions (how grey values are stretched on
screen), not clinical thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PySide6.QtGui import QImage

from core.display import BONE_WINDOW, BRAIN_WINDOW, LIVER_WINDOW, LUNG_WINDOW, SOFT_TISSUE_WINDOW


@dataclass(frozen=True)
class Window:
    """A display window: ``width`` and ``level`` (centre), in the volume's unit."""

    width: float
    level: float

    def __post_init__(self) -> None:
        if not np.isfinite(self.width) or self.width <= 0:
            raise ValueError(f"window width must be a positive number; got {self.width!r}")
        if not np.isfinite(self.level):
            raise ValueError(f"window level must be a finite number; got {self.level!r}")

    @classmethod
    def from_range(cls, low: float, high: float) -> "Window":
        return cls(width=float(high - low), level=float(low + high) / 2.0)

    @property
    def low(self) -> float:
        return self.level - self.width / 2.0

    @property
    def high(self) -> float:
        return self.level + self.width / 2.0


@dataclass(frozen=True)
class WindowPreset:
    """A window a number key selects.

    ``unit`` says which images it fits: "HU" presets apply to CT, "SUV" to PET in SUV and "MR" to MR.
    MR has no fixed grey scale, so an MR preset has no ``window`` but ``percentiles_pct`` of the
    voxels inside the body (:func:`percentile_window`), worked out from the data shown.
    """

    key: str  # number key that selects it
    name: str
    window: Window | None
    unit: str
    percentiles_pct: tuple[float, float] | None = None


WINDOW_PRESETS: tuple[WindowPreset, ...] = (
    WindowPreset("1", "Lung", Window(*LUNG_WINDOW), "HU"),
    WindowPreset("2", "Soft tissue / mediastinum", Window(*SOFT_TISSUE_WINDOW), "HU"),
    WindowPreset("3", "Liver", Window(*LIVER_WINDOW), "HU"),
    WindowPreset("4", "Bone", Window(*BONE_WINDOW), "HU"),
    WindowPreset("5", "Brain", Window(*BRAIN_WINDOW), "HU"),
    WindowPreset("6", "PET SUV 0-10", Window.from_range(0.0, 10.0), "SUV"),
    WindowPreset("7", "MR auto (1st-99.5th percentile)", None, "MR", (1.0, 99.5)),
    WindowPreset("8", "MR wide (0.1st-99.9th percentile)", None, "MR", (0.1, 99.9)),
    WindowPreset("9", "MR contrast (20th-90th percentile)", None, "MR", (20.0, 90.0)),
)

#: the MR preset an MR series opens with
MR_DEFAULT_PRESET = WINDOW_PRESETS[6]


def percentile_window(sample: np.ndarray, percentiles_pct: tuple[float, float]) -> Window:
    """An MR window from the data: the given percentiles of the voxels inside the body.

    "Inside the body" is every finite voxel above 5 % of the 99.5th percentile (the air around the
    patient, often half the volume, would otherwise pull every percentile to zero). A flat image gets
    a window one unit wide around its value.
    """
    values = np.asarray(sample, dtype=np.float32).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        return Window(1.0, 0.0)
    top = float(np.percentile(values, 99.5))
    body = values[values > 0.05 * top] if top > 0 else values
    if body.size < 16:
        body = values
    lo, hi = (float(v) for v in np.percentile(body, list(percentiles_pct)))
    if not hi > lo:
        return Window(max(abs(lo) * 0.1, 1.0), lo)
    return Window.from_range(lo, hi)


#: colour maps offered for PET (over CT, or alone): the first is the default
COLORMAPS: tuple[str, ...] = ("hot iron", "rainbow", "inverted grey")
#: names earlier versions remembered, read as today's
LEGACY_COLORMAPS: dict[str, str] = {"hot": "hot iron", "inferno": "hot iron", "jet": "rainbow"}

#: fused PET is fully opaque from this fraction of its window up; below, opacity ramps up from zero at
#: the window's lower bound (quadratically), so background and liver uptake leave the CT readable
FUSION_RAMP_TOP = 0.6


def window_to_uint8(values: np.ndarray, window: Window) -> np.ndarray:
    """Grey levels 0..255 (C-contiguous uint8) of a 2D slice under ``window``.

    NaN becomes 0 (black).
    """
    f = np.asarray(values).astype(np.float32, order="C")  # a copy of one slice, C-contiguous
    f -= np.float32(window.low)
    f *= np.float32(255.0 / window.width)
    np.clip(f, 0.0, 255.0, out=f)
    if np.issubdtype(values.dtype, np.floating):
        np.nan_to_num(f, copy=False, nan=0.0)
    f += 0.5
    return f.astype(np.uint8)


def gray_qimage(gray: np.ndarray) -> QImage:
    """Wrap a C-contiguous uint8 (h, w) array as a QImage (no copy: keep ``gray`` alive)."""
    h, w = gray.shape
    return QImage(gray.data, w, h, gray.strides[0], QImage.Format.Format_Grayscale8)


def colormap_rgb(name: str, t: np.ndarray) -> np.ndarray:
    """(n, 3) RGB in 0..1 of colour map ``name`` at positions ``t`` in 0..1 (low to high uptake)."""
    name = LEGACY_COLORMAPS.get(name, name)
    if name == "hot iron":  # black, red, orange, yellow, white (the PET "hot iron" readers know)
        return np.stack([np.clip(2 * t, 0, 1), np.clip(2 * t - 1, 0, 1), np.clip(4 * t - 3, 0, 1)], 1)
    if name == "rainbow":  # blue, cyan, green, yellow, red
        return np.stack([np.clip(1.5 - np.abs(4 * t - 3), 0, 1), np.clip(1.5 - np.abs(4 * t - 2), 0, 1),
                         np.clip(1.5 - np.abs(4 * t - 1), 0, 1)], 1)
    if name == "inverted grey":  # white background, dark uptake (how PET is read alone)
        return np.repeat((1.0 - t)[:, None], 3, axis=1)
    raise ValueError(f"unknown colour map {name!r}; expected one of {', '.join(COLORMAPS)}")


@lru_cache(maxsize=None)
def colormap_lut(name: str, *, opaque: bool = False) -> np.ndarray:
    """A (256, 4) uint8 premultiplied RGBA lookup table, built once per name.

    For fusion (``opaque`` False) entry 0 (at or below the window's lower bound, and NaN) is fully
    transparent and opacity ramps up to full at :data:`FUSION_RAMP_TOP` of the window: low uptake
    leaves the CT underneath as it is. ``opaque`` is for a PET shown alone: every entry opaque.
    """
    t = np.linspace(0.0, 1.0, 256)
    rgb = colormap_rgb(name, t)
    if opaque:
        alpha = np.ones(256)
    else:
        alpha = np.clip(t / FUSION_RAMP_TOP, 0.0, 1.0) ** 2
        alpha[0] = 0.0
    lut = np.empty((256, 4), dtype=np.uint8)
    lut[:, :3] = np.rint(rgb * alpha[:, None] * 255)
    lut[:, 3] = np.rint(alpha * 255)
    lut.setflags(write=False)
    return lut


def colorize(values: np.ndarray, window: Window, cmap: str, *, opaque: bool = False) -> np.ndarray:
    """(h, w, 4) premultiplied RGBA uint8 of a 2D float slice; NaN is transparent (black when opaque)."""
    idx = window_to_uint8(values, window)
    return colormap_lut(cmap, opaque=opaque)[idx]


def rgba_qimage(rgba: np.ndarray) -> QImage:
    """Wrap a C-contiguous (h, w, 4) premultiplied RGBA uint8 array (no copy)."""
    h, w, _ = rgba.shape
    return QImage(rgba.data, w, h, rgba.strides[0], QImage.Format.Format_RGBA8888_Premultiplied)

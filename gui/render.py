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
    key: str  # number key that selects it
    name: str
    window: Window
    unit: str  # "HU" presets apply to CT, "SUV" to PET


WINDOW_PRESETS: tuple[WindowPreset, ...] = (
    WindowPreset("1", "Lung", Window(*LUNG_WINDOW), "HU"),
    WindowPreset("2", "Soft tissue / mediastinum", Window(*SOFT_TISSUE_WINDOW), "HU"),
    WindowPreset("3", "Liver", Window(*LIVER_WINDOW), "HU"),
    WindowPreset("4", "Bone", Window(*BONE_WINDOW), "HU"),
    WindowPreset("5", "Brain", Window(*BRAIN_WINDOW), "HU"),
    WindowPreset("6", "PET SUV 0-10", Window.from_range(0.0, 10.0), "SUV"),
)

#: colour maps offered for the PET overlay
COLORMAPS: tuple[str, ...] = ("hot", "inferno", "jet")


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


@lru_cache(maxsize=None)
def colormap_lut(name: str, *, fade_in: int = 24) -> np.ndarray:
    """A (256, 4) uint8 premultiplied RGBA lookup table, built once per name.

    Entry 0 (at or below the window's low end, and NaN) is fully transparent;
    opacity ramps up over the first ``fade_in`` entries so low uptake does not
    darken the image underneath.
    """
    t = np.linspace(0.0, 1.0, 256)
    if name == "hot":
        rgb = np.stack([np.clip(3 * t, 0, 1), np.clip(3 * t - 1, 0, 1), np.clip(3 * t - 2, 0, 1)], 1)
    elif name in COLORMAPS:
        from matplotlib import colormaps  # optional colour maps come from matplotlib

        rgb = colormaps[name](t)[:, :3]
    else:
        raise ValueError(f"unknown colour map {name!r}; expected one of {', '.join(COLORMAPS)}")
    alpha = np.clip(np.arange(256) / float(fade_in), 0.0, 1.0)
    alpha[0] = 0.0
    lut = np.empty((256, 4), dtype=np.uint8)
    lut[:, :3] = np.rint(rgb * alpha[:, None] * 255)
    lut[:, 3] = np.rint(alpha * 255)
    lut.setflags(write=False)
    return lut


def colorize(values: np.ndarray, window: Window, cmap: str) -> np.ndarray:
    """(h, w, 4) premultiplied RGBA uint8 of a 2D float slice; NaN is transparent."""
    idx = window_to_uint8(values, window)
    return colormap_lut(cmap)[idx]


def rgba_qimage(rgba: np.ndarray) -> QImage:
    """Wrap a C-contiguous (h, w, 4) premultiplied RGBA uint8 array (no copy)."""
    h, w, _ = rgba.shape
    return QImage(rgba.data, w, h, rgba.strides[0], QImage.Format.Format_RGBA8888_Premultiplied)

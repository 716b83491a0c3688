"""A rotating maximum-intensity projection (MIP): the volume seen from N angles around the patient's
head-feet axis, as PET reading stations (MIM, syngo.via) spin it. Qt-free.

Geometry (LPS, in the coronal view's screen order of :mod:`core.orientation`):

* angle 0 is the coronal MIP seen from the front: screen right = patient left (+x), screen down =
  inferior, rays from anterior to posterior; its frame is the fixed coronal MIP
  (:func:`core.lesion_map.mip` in the coronal layout) pixel for pixel;
* angle ``a`` turns the viewer around the head-feet axis: screen right = (cos a, sin a) in (x, y), the ray
  direction (-sin a, cos a); 90 degrees is the view from the patient's left (screen right = posterior);
* every frame spans the same width (the coronal frame's, centred on the volume's axis) and the same rows, so
  that markers and clicks use the coronal frame's pixel units (``col`` 0..n_h-1) at every angle;
* samples are nearest-neighbour: a voxel's value is never interpolated away, so the hottest voxel of a
  lesion shows at every angle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from core.errors import Cancelled
from core.lesion_map import mip
from core.orientation import Plane, PlaneLayout, direction_letters, plane_layout
from core.volume import Volume

#: frames of a turn: every 10 degrees (MIM's default spin is of the same order)
DEFAULT_ANGLES = 36
#: at most this many columns and depth samples per frame (a 512 x 512 CT: a quarter of the samples)
MAX_SAMPLES = 256
PREPARED_MAX_BYTES = 256 * 2**20  # a whole-body PET (200 x 200 x 300: 48 MB) is converted once
_ROWS_PER_CHUNK = 32  # rows projected at once (bounds the memory of a gather to ~32 x 256 x 362 values)


@dataclass(frozen=True)
class MipGeometry:
    """How the frames of one volume are sampled (see the module doc)."""

    layout: PlaneLayout  # the coronal layout: rows, columns (pixel units of every frame), letters
    depth_flip: bool  # the array's depth axis runs posterior -> anterior
    depth_mm: float  # spacing of the depth (anterior-posterior) axis
    n_depth: int
    n_cols: int  # columns of a turned frame (n_h, or fewer for a large matrix)

    @classmethod
    def of(cls, volume: Volume) -> "MipGeometry":
        layout = plane_layout(volume, Plane.CORONAL)
        from core.orientation import axis_directions

        depth_dir = axis_directions(volume)[layout.slice_axis]
        return cls(layout=layout, depth_flip=bool(depth_dir[1] < 0),
                   depth_mm=float(volume.spacing_mm[layout.slice_axis]), n_depth=layout.n_slices,
                   n_cols=min(layout.n_h, MAX_SAMPLES))

    # ------------------------------------------------------------- points
    def _oriented(self, zyx) -> tuple[float, float, float]:
        """(row, depth, col) of an array index: row and col as the coronal frame shows them, depth from
        anterior (0) to posterior (n_depth - 1)."""
        lay = self.layout
        row, col = lay.index_to_screen(zyx)
        d = float(zyx[lay.slice_axis])
        return row, (self.n_depth - 1 - d) if self.depth_flip else d, col

    def _centred_mm(self, depth: float, col: float) -> tuple[float, float]:
        """(x, y) in mm from the frame's axis: x to the patient's left, y to posterior."""
        lay = self.layout
        return (col - (lay.n_h - 1) / 2) * lay.pixel_w_mm, (depth - (self.n_depth - 1) / 2) * self.depth_mm

    def project(self, zyx, angle_deg: float) -> tuple[float, float]:
        """Array index (z, y, x) -> (row, col) in the frame at ``angle_deg`` (coronal frame pixel units)."""
        row, depth, col = self._oriented(zyx)
        x, y = self._centred_mm(depth, col)
        a = math.radians(angle_deg)
        u = x * math.cos(a) + y * math.sin(a)
        return row, u / self.layout.pixel_w_mm + (self.layout.n_h - 1) / 2

    def letters(self, angle_deg: float) -> tuple[str, str, str, str]:
        """(left, right, top, bottom) orientation letters of the frame at ``angle_deg``."""
        a = math.radians(angle_deg)
        right = np.array([math.cos(a), math.sin(a), 0.0])
        lay = self.layout
        return direction_letters(-right), direction_letters(right), lay.top, lay.bottom

    # -------------------------------------------------------------- rays
    def _ray_samples(self, angle_deg: float, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest voxel (depth, col) of each sample of the rays through frame columns ``cols`` (coronal
        pixel units), and which samples fall inside the volume: arrays of shape (len(cols), n_t)."""
        lay = self.layout
        a = math.radians(angle_deg)
        u = (np.asarray(cols, dtype=np.float64) - (lay.n_h - 1) / 2) * lay.pixel_w_mm
        width_mm, depth_mm = lay.n_h * lay.pixel_w_mm, self.n_depth * self.depth_mm
        step = max(min(lay.pixel_w_mm, self.depth_mm), math.hypot(width_mm, depth_mm) / (MAX_SAMPLES * 1.42))
        if angle_deg % 180 == 0:  # the coronal rays: exactly the depth axis's voxels
            step = self.depth_mm
        # as many samples as reach the far corners, of the depth axis's parity: at 0 and 180 degrees the
        # samples fall on the voxels' centres (never halfway between two, where rounding picks either)
        n_t = 2 * math.ceil(math.hypot(width_mm, depth_mm) / 2 / step) + 1 + (self.n_depth + 1) % 2
        t = (np.arange(n_t) - (n_t - 1) / 2) * step
        x = u[:, None] * math.cos(a) - t[None, :] * math.sin(a)
        y = u[:, None] * math.sin(a) + t[None, :] * math.cos(a)
        col = np.rint(x / lay.pixel_w_mm + (lay.n_h - 1) / 2).astype(np.int64)
        depth = np.rint(y / self.depth_mm + (self.n_depth - 1) / 2).astype(np.int64)
        inside = (col >= 0) & (col < lay.n_h) & (depth >= 0) & (depth < self.n_depth)
        return np.where(inside, depth, 0), np.where(inside, col, 0), inside

    def oriented_voxels(self, volume: Volume) -> np.ndarray:
        """The volume as (row, depth, col): rows and columns in the coronal frame's order (a view)."""
        lay = self.layout
        data = np.transpose(volume.voxels, (lay.v_axis, lay.slice_axis, lay.h_axis))
        return data[::-1 if lay.v_flip else 1, ::-1 if self.depth_flip else 1, ::-1 if lay.h_flip else 1]

    def prepared(self, volume: Volume) -> "PreparedRows":
        """The volume's rows ready for the frames' gathers (made once per turn)."""
        return PreparedRows(self.oriented_voxels(volume))

    def frame(self, volume: Volume, angle_deg: float, cancel: Callable[[], bool] | None = None,
              prepared: "PreparedRows | None" = None) -> np.ndarray:
        """The MIP at ``angle_deg``: float32 (n_v rows, ``n_cols`` columns; angle 0: the coronal MIP).
        ``prepared``: :meth:`prepared` of the volume, when several frames are made."""
        if angle_deg % 360 == 0:
            return self.layout.plane_to_screen(mip(volume, self.layout.slice_axis))
        rows = self.prepared(volume) if prepared is None else prepared
        cols = np.linspace(0, self.layout.n_h - 1, self.n_cols)
        depth, col, inside = self._ray_samples(angle_deg, cols)
        keep = inside.any(axis=0)  # samples beyond the volume for every column: none
        flat = np.where(inside, depth * self.layout.n_h + col, rows.floor_index)[:, keep].ravel()
        out = np.empty((rows.n_rows, len(cols)), dtype=np.float32)
        for r0 in range(0, rows.n_rows, _ROWS_PER_CHUNK):
            if cancel is not None and cancel():
                raise Cancelled("rotating MIP cancelled")
            block = np.take(rows.block(r0, r0 + _ROWS_PER_CHUNK), flat, axis=1)
            out[r0:r0 + _ROWS_PER_CHUNK] = block.reshape(block.shape[0], len(cols), -1).max(axis=2)
        return out

    def hottest_along_ray(self, volume: Volume, row: float, col: float, angle_deg: float) -> np.ndarray | None:
        """Array index (z, y, x) of the hottest voxel on the ray through frame pixel (row, col) at
        ``angle_deg`` (the middle of the hottest run: a uniform hot sphere gives its centre); None when
        the ray misses the volume."""
        lay = self.layout
        r = int(np.clip(round(row), 0, lay.n_v - 1))
        depth, cols, inside = self._ray_samples(angle_deg, np.array([float(col)]))
        depth, cols = depth[0][inside[0]], cols[0][inside[0]]
        if depth.size == 0:
            return None
        values = np.asarray(self.oriented_voxels(volume)[r, depth, cols], dtype=np.float64)
        if not np.isfinite(values).any():
            best = depth.size // 2
        else:
            top = np.nanmax(values)
            hottest = np.flatnonzero(values >= top - 1e-6 * max(1.0, abs(top)))
            best = int(hottest[len(hottest) // 2])
        d = int(depth[best])
        k = (self.n_depth - 1 - d) if self.depth_flip else d
        return lay.screen_to_index(r, int(cols[best]), k)


class PreparedRows:
    """A volume's rows (row, depth x col) as float32 with NaN as the floor value, and one more floor value
    at ``floor_index`` where samples outside the volume point. A volume of up to PREPARED_MAX_BYTES is
    converted once (each frame then is one gather per block of rows); a larger one (a 512 x 512 CT shown
    without a PET) block by block, so that a turn never holds a float copy of it."""

    def __init__(self, oriented: np.ndarray):
        self.n_rows = oriented.shape[0]
        self.floor_index = oriented.shape[1] * oriented.shape[2]
        finite = np.isfinite(oriented) if np.issubdtype(oriented.dtype, np.floating) else None
        if finite is not None and not finite.any():
            self.floor = np.float32(0)
        else:
            self.floor = np.float32(np.min(oriented[finite]) if finite is not None else np.min(oriented))
        self._source = oriented
        self._whole = self._convert(0, self.n_rows) if oriented.size * 4 <= PREPARED_MAX_BYTES else None

    def _convert(self, r0: int, r1: int) -> np.ndarray:
        part = np.asarray(self._source[r0:r1], dtype=np.float32).reshape(-1, self.floor_index)
        out = np.empty((part.shape[0], self.floor_index + 1), dtype=np.float32)
        out[:, :-1] = np.nan_to_num(part, nan=self.floor)
        out[:, -1] = self.floor
        return out

    def block(self, r0: int, r1: int) -> np.ndarray:
        return self._whole[r0:r1] if self._whole is not None else self._convert(r0, min(r1, self.n_rows))


def angles(n: int = DEFAULT_ANGLES) -> list[float]:
    """``n`` angles of a whole turn, degrees, starting at 0 (the coronal frame)."""
    if n < 1:
        raise ValueError(f"a rotating MIP needs at least 1 angle; got {n}")
    return [360.0 * i / n for i in range(n)]


def rotating_mip(volume: Volume, n: int = DEFAULT_ANGLES, *,
                 progress: Callable[[int, int, str], None] | None = None,
                 cancel: Callable[[], bool] | None = None) -> list[np.ndarray]:
    """Every frame of a turn (:func:`angles`), the first one the coronal MIP."""
    geometry = MipGeometry.of(volume)
    prepared = geometry.prepared(volume) if n > 1 else None
    frames = []
    for i, angle in enumerate(angles(n)):
        if cancel is not None and cancel():
            raise Cancelled("rotating MIP cancelled")
        frames.append(geometry.frame(volume, angle, cancel, prepared))
        if progress is not None:
            progress(i + 1, n, f"MIP {angle:.0f}°")
    return frames

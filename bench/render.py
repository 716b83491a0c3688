"""Slice update figure: change window/level, render the slice, repaint with crosshair; and the rotating PET
MIP's projection time (one frame, and the turn it adds up to).

One :class:`gui.slice_view.SliceView` of ``view_px`` x ``view_px`` shows a
512 x 512 CT slice; each update changes the window (so the slice really is
converted again) and forces a synchronous paint with ``repaint()``. Runs on
the offscreen platform when no display is set.
"""

from __future__ import annotations

import os
import time

import numpy as np


def _synthetic_ct(n_slices: int = 64):
    from core.volume import Modality, SeriesInfo, Volume

    rng = np.random.default_rng(0)
    ny = nx = 512
    y = np.arange(ny)[:, None]
    x = np.arange(nx)[None, :]
    body = ((y - 256) / 220.0) ** 2 + ((x - 256) / 240.0) ** 2 <= 1.0
    slice_hu = np.where(body, 40, -1000).astype(np.int16)
    voxels = np.empty((n_slices, ny, nx), dtype=np.int16)
    for k in range(n_slices):
        voxels[k] = slice_hu + rng.integers(-30, 30, size=(ny, nx), dtype=np.int16)
    positions = np.array([[-250.0, -250.0, 2.5 * k] for k in range(n_slices)])
    return Volume(voxels=voxels, positions_mm=positions, row_dir=(1, 0, 0), col_dir=(0, 1, 0),
                  pixel_spacing_mm=(0.98, 0.98), info=SeriesInfo(series_uid="bench", modality=Modality.CT),
                  unit="HU")


def run(view_px: int = 1024, n: int = 200) -> dict:
    """Time ``n`` slice updates; returns ``{"median_ms", "p95_ms", "view_px", "n"}``."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from core.orientation import Plane
    from gui.render import Window
    from gui.slice_view import SliceView
    from gui.viewer_model import ViewerModel

    app = QApplication.instance() or QApplication([])
    model = ViewerModel()
    model.set_volumes(_synthetic_ct())
    view = SliceView(model, Plane.AXIAL)
    view.resize(view_px, view_px)
    view.show()
    app.processEvents()
    view.repaint()  # warm up: first paint, fonts
    times = []
    try:
        for i in range(n + 5):
            window = Window(400.0 + (i % 50), 40.0 + (i % 7))
            t0 = time.perf_counter()
            model.set_base_window(window)
            view.repaint()
            times.append(time.perf_counter() - t0)
    finally:
        view.disconnect_model()
        view.close()
        view.deleteLater()
        app.processEvents()
    ms = np.array(times[5:]) * 1000.0
    return {
        "median_ms": float(np.median(ms)),
        "p95_ms": float(np.percentile(ms, 95)),
        "view_px": int(view_px),
        "n": int(n),
        "mip": mip_turn(),
    }


def mip_turn(shape: tuple[int, int, int] = (300, 200, 200), frames: int = 5) -> dict:
    """The rotating MIP's cost on a whole-body PET grid (``shape`` slices x rows x columns, 4 mm): the one-off
    preparation, the median of ``frames`` turned frames, and the whole turn they add up to (the GUI computes
    it in the background; the coronal frame shows at once)."""
    from core.rotating_mip import DEFAULT_ANGLES, MipGeometry, angles
    from core.volume import Modality, SeriesInfo, Volume

    rng = np.random.default_rng(0)
    voxels = rng.random(shape, dtype=np.float32) * 3.0
    positions = np.array([[-400.0, -400.0, 4.0 * k] for k in range(shape[0])])
    pet = Volume(voxels=voxels, positions_mm=positions, row_dir=(1, 0, 0), col_dir=(0, 1, 0),
                 pixel_spacing_mm=(4.0, 4.0), info=SeriesInfo(series_uid="bench-pet", modality=Modality.PT),
                 unit="SUVbw")
    geometry = MipGeometry.of(pet)
    t0 = time.perf_counter()
    prepared = geometry.prepared(pet)
    prepare_ms = (time.perf_counter() - t0) * 1000.0
    times = []
    for angle in angles(DEFAULT_ANGLES)[1:frames + 1]:
        t0 = time.perf_counter()
        geometry.frame(pet, angle, prepared=prepared)
        times.append((time.perf_counter() - t0) * 1000.0)
    frame_ms = float(np.median(times))
    return {"shape": list(shape), "prepare_ms": prepare_ms, "frame_median_ms": frame_ms,
            "turn_s": (prepare_ms + frame_ms * (DEFAULT_ANGLES - 1)) / 1000.0, "angles": DEFAULT_ANGLES}

"""Click-segment as a reader feels it: from the click on the real axial view to the preview painted.

``oligoplan bench segment --gui``: the main window (1600 x 1000, offscreen unless a display is there,
default layout) shows the bench's generated PET/CT (:func:`bench.segment.synthetic_pet_ct`: a 512 x 512 x 120
CT and its 4 mm FDG PET, resampled onto the CT grid as the window fuses it), then the CT alone. With the
click-segment tool active, each click is a mouse press and release sent to the axial view at a point a few mm
from the 20 mm liver lesion's centre (a different one every time), on the slice of that point (moved there
before the clock starts). The clock stops when every shown slice view has painted with the preview (the
tool's paint hooked: the dashed outline drawn on the axial view, and the other two views painted with it),
with the events processed as the window's event loop would. The first two clicks of each warm caches and
are not counted. Reported: median and 95th percentile per case.
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np

from bench.segment import LESION_CENTRE_MM, synthetic_pet_ct

TARGET_MEDIAN_MS = {"ct": 150.0, "pet_ct": 250.0}
WINDOW_SIZE_PX = (1600, 1000)
WARM_UP_CLICKS = 2
_WAIT_LIMIT_S = 30.0


class _PaintWatch:
    """Wraps the segment tool's paint: which views painted a preview since :meth:`reset`."""

    def __init__(self, tool):
        self.painted: set = set()
        self._paint = tool.paint
        self._tool = tool

        def paint(view, painter):
            self._paint(view, painter)
            if self._tool.preview is not None:
                self.painted.add(view)

        tool.paint = paint

    def reset(self) -> None:
        self.painted = set()


def _click(view, pos) -> None:
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    pos = QPointF(pos)
    glob = QPointF(view.mapToGlobal(pos.toPoint()))
    for kind, buttons in ((QMouseEvent.Type.MouseButtonPress, left), (QMouseEvent.Type.MouseButtonRelease, none)):
        QApplication.sendEvent(view, QMouseEvent(kind, pos, glob, left, buttons, Qt.KeyboardModifier.NoModifier))


def _time_clicks(app, window, watch, n: int, rng) -> np.ndarray:
    """Milliseconds from the click to the preview painted in every shown view, for ``n`` clicks."""
    from core.orientation import Plane

    axial = window.views[Plane.AXIAL]
    tool = window.tool_manager.tool("segment")
    base = window.model.base
    times = []
    for i in range(n + WARM_UP_CLICKS):
        tool.cancel()
        seed_mm = np.add(LESION_CENTRE_MM, rng.uniform(-3.0, 3.0, 3))
        zyx = base.patient_to_index(seed_mm)
        window.model.set_cursor(np.rint(zyx).astype(int))  # the click's slice shown before the clock starts
        app.processEvents()
        axial.repaint()
        shown = {v for v in window.views.values() if v.isVisible()}
        pos = axial.index_to_widget(np.rint(zyx))
        watch.reset()
        t0 = time.perf_counter()
        _click(axial, pos)
        while not shown <= watch.painted:
            app.processEvents()
            if time.perf_counter() - t0 > _WAIT_LIMIT_S:
                raise RuntimeError(f"no preview painted {_WAIT_LIMIT_S:g} s after the click "
                                   f"(segmented: {tool.preview is not None})")
        elapsed = time.perf_counter() - t0
        if tool.preview is None:
            raise RuntimeError("the click found no lesion: the figure would not be a preview's")
        if i >= WARM_UP_CLICKS:
            times.append(elapsed * 1000.0)
    tool.cancel()
    app.processEvents()
    return np.array(times)


def run(n: int = 30) -> dict:
    """``{"ct": {"median_ms", "p95_ms"}, "pet_ct": {"median_ms", "p95_ms"}, "n"}`` over ``n`` clicks each."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    tmp = tempfile.mkdtemp(prefix="oligoplan-bench-")
    os.environ["OLIGOPLAN_DATA_DIR"] = tmp  # the window's audit trail and settings stay out of the user's
    os.environ["OLIGOPLAN_CONFIG_DIR"] = tmp
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow
    from gui.settings import Settings

    app = QApplication.instance() or QApplication([])
    ct, pet = synthetic_pet_ct()
    window = MainWindow(Settings.in_file(os.path.join(tmp, "bench.ini")))
    window.resize(*WINDOW_SIZE_PX)
    window.show()
    app.processEvents()
    window.tool_manager.set_tool("segment")
    watch = _PaintWatch(window.tool_manager.tool("segment"))
    rng = np.random.default_rng(1)
    doc: dict = {}
    try:
        for key, overlay in (("pet_ct", pet), ("ct", None)):
            window.show_volumes(ct, overlay)
            app.processEvents()
            ms = _time_clicks(app, window, watch, n, rng)
            doc[key] = {"median_ms": round(float(np.median(ms)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1)}
    finally:
        window.runner.shutdown()
        window.hide()
        window.deleteLater()
        app.processEvents()
    return {"ct": doc["ct"], "pet_ct": doc["pet_ct"], "n": int(n)}


def describe(doc: dict) -> str:
    lines = [f"Click-segment, click to preview painted in the window ({WINDOW_SIZE_PX[0]} x {WINDOW_SIZE_PX[1]}, "
             f"real views), 20 mm lesion on a 512 x 512 x 120 CT, {doc['n']} clicks each:"]
    for key, name in (("pet_ct", "PET/CT (PET on the CT grid)"), ("ct", "CT alone")):
        r, target = doc[key], TARGET_MEDIAN_MS[key]
        verdict = "met" if r["median_ms"] <= target else "NOT met"
        lines.append(f"  {name:27s}: median {r['median_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms "
                     f"(target median <= {target:g} ms: {verdict})")
    return "\n".join(lines)

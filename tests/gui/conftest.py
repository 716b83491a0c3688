"""Shared fixtures of the gui tests: synthetic CT/PET volumes, a main window,
and helpers that drive widgets with real mouse, wheel and key events."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

import json  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QImage, QMouseEvent, QWheelEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget  # noqa: E402

from core.samples import SAMPLE_ROOT  # noqa: E402
from core.volume import Modality, SeriesInfo, Volume  # noqa: E402

FRAME_UID = "1.2.826.0.1.3680043.2.1125.99.1"
STUDY_UID = "1.2.826.0.1.3680043.2.1125.99.2"

CT_SHAPE = (40, 64, 80)  # z, y, x: all different, to catch swapped axes
CT_SPACING = (2.5, 0.8, 0.8)  # dz, dy, dx mm
CT_ORIGIN = (-32.0, -25.6, -50.0)  # LPS mm of voxel (0, 0, 0)
KNOWN_VOXEL = (20, 30, 40)  # a 3x3x3 block of 777 HU around it
KNOWN_HU = 777
SPHERE_CENTRE_MM = np.array([10.0, 0.0, 5.0])
SPHERE_RADIUS_MM = 8.0


def ct_info(**kw) -> SeriesInfo:
    base = dict(series_uid="1.2.3.ct", study_uid=STUDY_UID, frame_of_reference_uid=FRAME_UID,
                modality=Modality.CT, description="Synthetic CT", patient_name="TEST^PATIENT",
                patient_id="P001", study_date="20240102", series_number=2)
    base.update(kw)
    return SeriesInfo(**base)


def make_ct(*, row_dir=(1, 0, 0), col_dir=(0, 1, 0), warnings=()) -> Volume:
    nz, ny, nx = CT_SHAPE
    dz, dy, dx = CT_SPACING
    z = np.arange(nz)[:, None, None]
    y = np.arange(ny)[None, :, None]
    x = np.arange(nx)[None, None, :]
    # a body (ellipse) whose HU differ with z, y and x, in air
    body = ((y - ny / 2) / (ny * 0.45)) ** 2 + ((x - nx / 2) / (nx * 0.45)) ** 2 <= 1.0
    hu = np.where(body, 10 * z + 2 * y - x, -1000).astype(np.int16)
    zk, yk, xk = KNOWN_VOXEL
    hu[zk - 1:zk + 2, yk - 1:yk + 2, xk - 1:xk + 2] = KNOWN_HU
    row_dir, col_dir = np.asarray(row_dir, float), np.asarray(col_dir, float)
    normal = np.cross(row_dir, col_dir)
    positions = np.asarray(CT_ORIGIN) + np.arange(nz)[:, None] * dz * normal
    return Volume(voxels=hu, positions_mm=positions, row_dir=row_dir, col_dir=col_dir,
                  pixel_spacing_mm=(dy, dx), info=ct_info(), unit="HU", warnings=tuple(warnings))


def make_pet(*, suv_unavailable: str = "") -> Volume:
    """4 mm PET over the CT's region, other origin; a hot sphere (SUV 8) at SPHERE_CENTRE_MM."""
    shape = (30, 24, 30)
    origin = np.array([-62.0, -50.0, -40.0])
    sp = 4.0
    zz, yy, xx = np.meshgrid(*(np.arange(n) for n in shape), indexing="ij")
    xyz = origin + np.stack([xx, yy, zz], -1) * sp
    d = np.linalg.norm(xyz - SPHERE_CENTRE_MM, axis=-1)
    suv = np.where(d <= SPHERE_RADIUS_MM, 8.0, 0.8).astype(np.float32)
    positions = origin + np.arange(shape[0])[:, None] * np.array([0, 0, sp])
    info = ct_info(series_uid="1.2.3.pet", modality=Modality.PT, description="Synthetic PET",
                   series_number=3)
    return Volume(voxels=suv, positions_mm=positions, row_dir=(1, 0, 0), col_dir=(0, 1, 0),
                  pixel_spacing_mm=(sp, sp), info=info,
                  unit="BQML" if suv_unavailable else "SUVbw", suv_unavailable=suv_unavailable)


@dataclass
class FakeEntry:
    """Stands in for core.dicom.scan.SeriesEntry in tests of the loading flow."""

    key: str
    info: SeriesInfo
    volume: Volume | None = None
    warnings: list = field(default_factory=list)

    @property
    def n_slices(self) -> int:
        return self.volume.shape[0] if self.volume is not None else 10

    @property
    def shape(self):
        return self.volume.shape if self.volume is not None else (10, 8, 8)

    @property
    def spacing_mm(self):
        return self.volume.spacing_mm if self.volume is not None else (1.0, 1.0, 1.0)


@dataclass
class FakeScan:
    root: str
    series: list
    skipped: list = field(default_factory=list)
    structure_sets: list = field(default_factory=list)


@pytest.fixture
def ct_volume() -> Volume:
    return make_ct()


@pytest.fixture
def pet_volume() -> Volume:
    return make_pet()


@pytest.fixture(autouse=True)
def _no_unanswered_save_question(monkeypatch):
    """A modal "save your changes?" left unanswered would hang an offscreen run for good (pytest-qt
    closes the windows after the test): answer Discard unless a test answers it itself."""
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))


@pytest.fixture
def message_boxes(monkeypatch):
    """Every QMessageBox shown, answered and recorded as (kind, text) instead of blocking: a question
    gets Discard, the others Ok. The test fails when an error box ("critical") was shown."""
    from PySide6.QtWidgets import QMessageBox

    shown: list[tuple[str, str]] = []

    def answer(kind):
        def show(parent, title, text, *args, **kwargs):
            shown.append((kind, text))
            return QMessageBox.StandardButton.Discard if kind == "question" else QMessageBox.StandardButton.Ok
        return staticmethod(show)

    for kind in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QMessageBox, kind, answer(kind))
    yield shown
    assert not [s for s in shown if s[0] == "critical"], shown


@pytest.fixture
def settings(tmp_path):
    from gui.settings import Settings

    return Settings.in_file(tmp_path / "oligoplan-test.ini")


@pytest.fixture
def window(qtbot, settings):
    from gui.main_window import MainWindow

    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.resize(1400, 950)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.runner.shutdown()


# ------------------------------------------------- the phantom in a real window
PHANTOM = SAMPLE_ROOT / "phantom-oligo"


class Boxes:
    """Message boxes patched: what was shown, and the answer questions get."""

    def __init__(self):
        self.shown: list[tuple[str, str, str]] = []  # (kind, title, text)
        self.answer = QMessageBox.StandardButton.Discard

    def texts(self, kind: str | None = None) -> list[str]:
        return [t for k, _, t in self.shown if kind is None or k == kind]


@pytest.fixture
def boxes(monkeypatch) -> Boxes:
    record = Boxes()

    def shower(kind):
        def show(parent, title, text, *args, **kwargs):
            record.shown.append((kind, title, text))
            return record.answer if kind == "question" else QMessageBox.StandardButton.Ok
        return staticmethod(show)

    for kind in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QMessageBox, kind, shower(kind))
    return record


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Autosave and recovery go to a temporary folder, never the user's."""
    folder = tmp_path / "oligoplan-data"
    monkeypatch.setenv("OLIGOPLAN_DATA_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def phantom():
    """The phantom PET/CT, loaded once by core (the volumes are immutable)."""
    from core.workspace import open_folder

    if not PHANTOM.is_dir():
        pytest.skip("sample_scans/phantom-oligo is not there (make samples)")
    return open_folder(PHANTOM)


@pytest.fixture(scope="module")
def truth():
    return {item["id"]: item for item in json.loads((PHANTOM / "ground_truth.json").read_text())["lesions"]}


def make_window(qtbot, settings):
    from gui.main_window import MainWindow
    from gui.settings import AUTOSAVE_DELAY_MS

    settings.set(AUTOSAVE_DELAY_MS, 50)
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.resize(1400, 950)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)  # shortcuts need the active window
    return win


@pytest.fixture
def win(qtbot, settings, boxes):
    w = make_window(qtbot, settings)
    yield w
    w.runner.shutdown()



# ------------------------------------------------------------------ events
def mouse(widget: QWidget, kind, pos, button=Qt.MouseButton.NoButton,
          buttons=Qt.MouseButton.NoButton, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """Send one real QMouseEvent (Qt's test helpers drop button state on moves)."""
    pos = QPointF(pos)
    glob = QPointF(widget.mapToGlobal(pos.toPoint()))
    event = QMouseEvent(kind, pos, glob, button, buttons, modifiers)
    QApplication.sendEvent(widget, event)


def drag(widget: QWidget, start, end, button, modifiers=Qt.KeyboardModifier.NoModifier, steps=5) -> None:
    start, end = QPointF(start), QPointF(end)
    mouse(widget, QMouseEvent.Type.MouseButtonPress, start, button, button, modifiers)
    for i in range(1, steps + 1):
        p = start + (end - start) * (i / steps)
        mouse(widget, QMouseEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, button, modifiers)
    mouse(widget, QMouseEvent.Type.MouseButtonRelease, end, button, Qt.MouseButton.NoButton, modifiers)


def click(widget: QWidget, pos, button=Qt.MouseButton.LeftButton) -> None:
    mouse(widget, QMouseEvent.Type.MouseButtonPress, pos, button, button)
    mouse(widget, QMouseEvent.Type.MouseButtonRelease, pos, button, Qt.MouseButton.NoButton)


def hover(widget: QWidget, pos) -> None:
    mouse(widget, QMouseEvent.Type.MouseMove, pos)


def wheel(widget: QWidget, pos, delta_y: int, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    pos = QPointF(pos)
    event = QWheelEvent(pos, QPointF(widget.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, delta_y),
                        Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def pixels(widget: QWidget) -> np.ndarray:
    """(h, w, 3) uint8 RGB of what the widget paints now."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    arr = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.bytesPerLine() * h)
    return arr.reshape(h, image.bytesPerLine())[:, : w * 3].reshape(h, w, 3).copy()


def pixel_at(widget: QWidget, pos) -> np.ndarray:
    """RGB at a widget position (device pixel ratio 1 offscreen)."""
    p = QPointF(pos).toPoint()
    return pixels(widget)[p.y(), p.x()].astype(int)

"""The verdict panel's OAR flags follow an RTSTRUCT imported in the window (no other edit needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from core.lesions import AddLesion, Lesion
from core.samples import sphere_mask

ROOT = Path(__file__).resolve().parents[2]
PHANTOM = ROOT / "sample_scans" / "phantom-oligo"

pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")


@pytest.fixture(autouse=True)
def no_boxes(monkeypatch):
    shown = []

    def box(kind):
        def show(parent, title, text, *args, **kwargs):
            shown.append((kind, text))
            return QMessageBox.StandardButton.Discard if kind == "question" else QMessageBox.StandardButton.Ok
        return staticmethod(show)

    for kind in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QMessageBox, kind, box(kind))
    yield shown
    assert not [s for s in shown if s[0] == "critical"], shown


@pytest.fixture
def images_only(tmp_path):
    """phantom-oligo's CT and PET without its RTSTRUCT (links, no copies)."""
    folder = tmp_path / "images"
    folder.mkdir()
    for sub in ("CT", "PT"):
        (folder / sub).mkdir()
        for f in (PHANTOM / sub).iterdir():
            (folder / sub / f.name).symlink_to(f)
    return folder


def test_importing_an_rtstruct_raises_the_central_lung_flag(window, qtbot, images_only):
    window.open_folder(str(images_only))
    qtbot.waitUntil(lambda: window.model.base is not None and not window.runner.busy, timeout=30000)
    truth = json.loads((PHANTOM / "ground_truth.json").read_text(encoding="utf-8"))
    lung = next(item for item in truth["lesions"] if item["organ"] == "lung")
    lesion = Lesion(lung["id"], "Lung", site="lung", point_mm=tuple(lung["centre_mm"]),
                    mask=sphere_mask(window.model.base, lung["centre_mm"], lung["diameter_mm"]))
    window.undo_stack.push_command(AddLesion(window.model.lesions, lesion))
    panel = window.rules_wiring.panel
    assert "none loaded" in panel.oar_label.text()  # no structure set yet: flags unknown

    window.structure_wiring.import_file(PHANTOM / "RTSTRUCT" / "rtstruct.dcm")

    qtbot.waitUntil(lambda: "none loaded" not in panel.oar_label.text(), timeout=5000)
    text = panel.oar_label.text()
    assert f"<b>{lung['id']}</b>: central lung" in text and "BRONCHUS_PROX" in text
    window.case_controller.discard_changes()

"""The verdict panel's OAR flags: they follow an RTSTRUCT imported in the window, and the ultracentral
settings (structures, margin) the user chooses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.lesions import AddLesion, Lesion
from core.samples import sphere_mask

ROOT = Path(__file__).resolve().parents[2]
PHANTOM = ROOT / "sample_scans" / "phantom-oligo"

pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")


@pytest.fixture(autouse=True)
def no_boxes(message_boxes, monkeypatch, tmp_path):
    """Message boxes answered (conftest); the user config (OAR flag settings) in tmp, set before the window is made."""
    monkeypatch.setenv("OLIGOPLAN_CONFIG_DIR", str(tmp_path / "config"))
    return message_boxes


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


def test_ultracentral_margin_is_a_setting_the_flags_follow_and_the_cli_reads(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDialog

    from core.rules.oar_settings import load_oar_settings
    from gui.panels.oar_settings_dialog import OarSettingsDialog

    window.open_folder(str(PHANTOM))
    wiring = window.structure_wiring
    qtbot.waitUntil(lambda: bool(window.model.base is not None and wiring.sets and not window.runner.busy),
                    timeout=30000)
    truth = json.loads((PHANTOM / "ground_truth.json").read_text(encoding="utf-8"))
    lung = next(item for item in truth["lesions"] if item["organ"] == "lung")  # 10 mm from BRONCHUS_PROX
    lesion = Lesion(lung["id"], "Lung", site="lung", point_mm=tuple(lung["centre_mm"]),
                    mask=sphere_mask(window.model.base, lung["centre_mm"], lung["diameter_mm"]))
    window.undo_stack.push_command(AddLesion(window.model.lesions, lesion))
    panel = window.rules_wiring.panel
    assert "central lung" in panel.oar_label.text() and "ultracentral" not in panel.oar_label.text()

    seen = {}

    def edit(dialog):
        seen["margin"] = dialog.margin.value()
        dialog.margin.setValue(12.0)
        dialog.structure_boxes["trachea"].setChecked(False)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(OarSettingsDialog, "exec", edit)
    qtbot.mouseClick(panel.oar_button, Qt.MouseButton.LeftButton)

    assert seen["margin"] == 5.0  # the default it showed
    assert f"<b>{lung['id']}</b>: ultracentral lung" in panel.oar_label.text()
    assert "within 12 mm of proximal bronchial tree" in panel.oar_label.toolTip()
    saved = load_oar_settings()  # the file `oligoplan check` reads
    assert saved.ultracentral_margin_mm == 12.0 and saved.ultracentral_structures == ("proximal_bronchial_tree",)
    window.case_controller.discard_changes()

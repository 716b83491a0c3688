"""File > Export SR… writes the SR and its SEG as one set (core.export_set): both land with
oligoplan-export.json, and an SR that cannot be written leaves no new SEG behind (it left a
new SEG beside the old SR, which references another)."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QMessageBox

from tests.gui.test_structures import PHANTOM, gtv_file
from tests.gui.test_structures_case_file import open_images

pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")


def _window_with_a_lesion(qtbot, settings, tmp_path):
    win = open_images(qtbot, settings, PHANTOM)
    wiring = win.structure_wiring
    wiring.import_file(gtv_file(win, tmp_path))
    wiring.make_lesion(next(k for k, s in wiring.visible_structures() if s.name == "GTV_1"))
    return win


def test_the_sr_and_its_seg_land_together_with_their_manifest(qtbot, settings, tmp_path):
    win = _window_with_a_lesion(qtbot, settings, tmp_path)
    out = tmp_path / "export"
    with qtbot.waitSignal(win.structure_wiring.exported, timeout=120000) as signal:
        win.structure_wiring.start_export("sr", out)
    assert signal.args[0] == out / "sr.dcm"
    manifest = json.loads((out / "oligoplan-export.json").read_text())
    assert sorted(e["name"] for e in manifest["files"]) == ["seg.dcm", "sr.dcm"]
    assert sorted(p.name for p in out.iterdir()) == ["oligoplan-export.json", "seg.dcm", "sr.dcm"]
    assert "Wrote sr.dcm" in win.task_label.text() and "seg.dcm" in win.task_label.text()
    win.case_controller.discard_changes()
    win.close()


def test_an_sr_that_cannot_be_written_leaves_no_seg_behind(qtbot, settings, tmp_path, monkeypatch):
    win = _window_with_a_lesion(qtbot, settings, tmp_path)
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda parent, title, text: shown.append(text)))
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda parent, title, text: shown.append(text)))
    out = tmp_path / "export"
    (out / "sr.dcm").mkdir(parents=True)  # a folder where the SR goes
    win.structure_wiring.start_export("sr", out)
    qtbot.waitUntil(lambda: bool(shown) and not win.runner.busy, timeout=120000)
    assert "sr.dcm" in shown[0]
    assert sorted(p.name for p in out.iterdir()) == ["sr.dcm"]  # no SEG, no staging folder
    win.case_controller.discard_changes()
    win.close()

"""Cancel during File > Export RTSTRUCT…: the status bar tells the truth. Cancelled in time, nothing is
written and it says so; cancelled while the file was being written, it names the file written (before,
the "Wrote…" note was dropped and the file written all the same)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

import core.rt.export_job as export_job
import gui.structures as structures_module
from gui.structures import ExportDialog
from tests.gui.test_structures import PHANTOM, gtv_file
from tests.gui.test_structures_case_file import open_images
from tests.gui.test_structures_case_reading import Gate

pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")


def _export_and_cancel(qtbot, settings, tmp_path, monkeypatch, module, name):
    win = open_images(qtbot, settings, PHANTOM)
    wiring = win.structure_wiring
    wiring.import_file(gtv_file(win, tmp_path))
    wiring.make_lesion(next(k for k, s in wiring.visible_structures() if s.name == "GTV_1"))
    gate = Gate(monkeypatch, module, name)
    out = tmp_path / "export"

    def accept(dialog):
        dialog.folder_edit.setText(str(out))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportDialog, "exec", accept)
    wiring.actions.export_rtstruct.trigger()
    qtbot.waitUntil(lambda: bool(gate.threads), timeout=30000)
    assert win.cancel_button.isVisible()
    qtbot.mouseClick(win.cancel_button, Qt.MouseButton.LeftButton)  # the user cancels
    gate.open.set()
    qtbot.waitUntil(lambda: not win.runner.busy, timeout=60000)
    qtbot.waitUntil(lambda: "ancelled" in win.task_label.text(), timeout=5000)
    return win, out


def test_a_cancelled_export_writes_nothing_and_says_so(qtbot, settings, tmp_path, monkeypatch):
    win, out = _export_and_cancel(qtbot, settings, tmp_path, monkeypatch, structures_module, "write_case_rtstruct")
    assert win.task_label.text() == "Export cancelled: nothing was written"
    assert not (out / "rtstruct.dcm").exists() and list(out.iterdir()) == []
    win.case_controller.discard_changes()
    win.close()


def test_a_cancel_while_the_file_is_written_names_the_file_written(qtbot, settings, tmp_path, monkeypatch):
    # held in the write itself, after the last cancel check: too late to stop
    win, out = _export_and_cancel(qtbot, settings, tmp_path, monkeypatch, export_job, "write_validated")
    assert (out / "rtstruct.dcm").exists()
    text = win.task_label.text()
    assert text.startswith("Cancelled too late") and "rtstruct.dcm" in text and str(out) in text
    win.case_controller.discard_changes()
    win.close()

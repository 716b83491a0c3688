"""File > Export RTSTRUCT… / Export SR… write in the background on the window's runner: the
progress bar shows, the window keeps answering, the lesions exported are those of the moment
the export began (editing meanwhile is safe), and an export cannot cancel a load under way."""

from __future__ import annotations

import threading

import pydicom
import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

import gui.structures as structures_module
from gui.structures import ExportDialog
from tests.gui.test_structures import PHANTOM, gtv_file
from tests.gui.test_structures_case_file import open_images
from tests.gui.test_structures_case_reading import Gate

pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")


def test_an_export_runs_in_the_background_with_the_lesions_of_its_start(qtbot, settings, tmp_path, monkeypatch):
    win = open_images(qtbot, settings, PHANTOM)
    wiring = win.structure_wiring
    wiring.import_file(gtv_file(win, tmp_path))
    wiring.make_lesion(next(k for k, s in wiring.visible_structures() if s.name == "GTV_1"))
    gate = Gate(monkeypatch, structures_module, "write_case_rtstruct")
    threads = gate.threads

    def accept(dialog):
        dialog.folder_edit.setText(str(tmp_path / "export"))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportDialog, "exec", accept)
    wiring.actions.export_rtstruct.trigger()
    qtbot.waitUntil(lambda: bool(threads), timeout=10000)
    assert threads[0] is not threading.main_thread()
    assert win.progress_bar.isVisible() and win.task_label.text() == "Exporting the RTSTRUCT"
    assert not wiring.actions.export_rtstruct.isEnabled() and not wiring.actions.export_sr.isEnabled()
    win.undo_stack.undo()  # the user takes the lesion back while the file is written
    assert len(win.model.lesions) == 0
    with qtbot.waitSignal(wiring.exported, timeout=60000) as signal:
        gate.open.set()
    ds = pydicom.dcmread(signal.args[0])
    assert [r.ROIName for r in ds.StructureSetROISequence][0] == "GTV_1"  # the lesion at the start
    assert "Wrote rtstruct.dcm" in win.task_label.text() and not win.progress_bar.isVisible()
    assert wiring.actions.export_rtstruct.isEnabled()
    win.case_controller.discard_changes()
    win.close()


def test_an_export_does_not_cancel_a_load_under_way(qtbot, settings, tmp_path, monkeypatch):
    win = open_images(qtbot, settings, PHANTOM)
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda parent, title, text: shown.append(text)))
    pet = next(e for e in win.scan_result.series if e.info.modality.value == "PT")
    win.open_entries(pet, None)
    assert win.runner.busy
    win.structure_wiring.start_export("sr", tmp_path / "export")
    assert len(shown) == 1 and "wait until 'Loading PT" in shown[0]
    qtbot.waitUntil(lambda: win.model.base.info.modality.value == "PT" and not win.runner.busy, timeout=60000)
    assert not (tmp_path / "export" / "sr.dcm").exists()
    win.close()

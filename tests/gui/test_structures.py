"""The structure list: imported RTSTRUCTs outlined and toggled, GTV to lesion, export with anonymise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from core.rt.rtstruct_write import RoiSpec, build_rtstruct, read_image_header, write_validated
from core.orientation import Plane
from gui.structures import ExportDialog
from tests.core.rt_helpers import sphere_mask

ROOT = Path(__file__).resolve().parents[2]
PHANTOM = ROOT / "sample_scans" / "phantom-oligo"
MR_RTSTRUCT = ROOT.parent / "shared" / "data" / "tcia-sts-001" / "MR_T1" / "mask" / "1-1.dcm"


@pytest.fixture
def phantom_win(window, qtbot):
    if not PHANTOM.is_dir():
        pytest.skip("sample_scans/phantom-oligo not generated")
    window.open_folder(str(PHANTOM))
    wiring = window.structure_wiring
    qtbot.waitUntil(lambda: bool(window.model.base is not None and wiring.sets and not window.runner.busy), timeout=60000)
    return window


def group(tree, title):
    return next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount()) if tree.topLevelItem(i).text(0) == title)


def children(item):
    return [item.child(i).text(0) for i in range(item.childCount())]


def test_organs_at_risk_of_the_folder_are_listed_apart_and_outlined(phantom_win, qtbot):
    tree = phantom_win.structure_wiring.panel.tree
    assert set(children(group(tree, "Organs at risk"))) == {"LUNG_L", "LUNG_R", "LIVER", "SPINALCORD",
                                                             "BRONCHUS_PROX", "HEART"}
    assert children(group(tree, "Targets and others")) == ["BODY"]
    assert len(phantom_win.model.lesions) == 0  # organs are never lesions
    overlay = phantom_win.structure_wiring.overlay
    for plane in Plane:  # each of the three views outlines the structures on its slice
        overlay.clear()
        n = overlay.outline_count
        phantom_win.views[plane].repaint()
        assert overlay.outline_count > n


def test_unchecking_a_structure_hides_its_outline(phantom_win, qtbot):
    wiring = phantom_win.structure_wiring
    view = phantom_win.views[Plane.AXIAL]
    liver = next(s for _, s in wiring.visible_structures() if s.name == "LIVER")
    k = liver.mask.axial_slices()[len(liver.mask.axial_slices()) // 2]
    phantom_win.model.set_cursor((k, 128, 128))
    qtbot.wait(50)
    shown = view.grab().toImage()
    item = next(it for it in wiring.panel._items.values() if it.text(0) == "LIVER")
    wiring.panel.tree.setCurrentItem(item)
    qtbot.keyClick(wiring.panel.tree, Qt.Key.Key_Space)  # toggles the check box of the current row
    assert item.checkState(0) == Qt.CheckState.Unchecked
    assert "LIVER" not in [s.name for _, s in wiring.visible_structures()]
    view.repaint()
    hidden = view.grab().toImage()
    assert hidden != shown
    qtbot.keyClick(wiring.panel.tree, Qt.Key.Key_Space)
    view.repaint()
    assert view.grab().toImage() == shown


def gtv_file(window, tmp_path) -> Path:
    ct = window.model.base
    centre = ct.index_to_patient(np.array([48.0, 140.0, 100.0]))
    ds = build_rtstruct([RoiSpec("GTV_1", sphere_mask(ct, centre, 12.0), (255, 0, 0))], ct, read_image_header(ct),
                        label="PLANNING")
    path = tmp_path / "gtv.dcm"
    write_validated(ds, path, "RTSTRUCT")
    return path


def test_an_imported_gtv_becomes_a_lesion_and_undo_takes_it_back(phantom_win, qtbot, tmp_path):
    wiring = phantom_win.structure_wiring
    placed = wiring.import_file(gtv_file(phantom_win, tmp_path))
    assert placed is not None and placed.targets[0].name == "GTV_1"
    tree = wiring.panel.tree
    item = next(it for it in wiring.panel._items.values() if it.text(0) == "GTV_1")
    tree.setCurrentItem(item)
    assert wiring.panel.make_lesion_button.isEnabled()
    qtbot.mouseClick(wiring.panel.make_lesion_button, Qt.MouseButton.LeftButton)
    (lesion,) = list(phantom_win.model.lesions)
    assert lesion.label == "GTV_1" and lesion.mask == placed.targets[0].mask
    phantom_win.undo_stack.undo()
    assert len(phantom_win.model.lesions) == 0
    liver = next(it for it in wiring.panel._items.values() if it.text(0) == "LIVER")
    tree.setCurrentItem(liver)
    assert not wiring.panel.make_lesion_button.isEnabled()  # an organ at risk never becomes a lesion


@pytest.mark.skipif(not MR_RTSTRUCT.is_file(), reason="../shared/data (real DICOM) is not here")
def test_a_structure_set_of_another_patient_is_refused_with_a_message(phantom_win, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    n = len(phantom_win.structure_wiring.sets)
    assert phantom_win.structure_wiring.import_file(MR_RTSTRUCT) is None
    assert len(shown) == 1 and "nothing was loaded" in shown[0]
    assert len(phantom_win.structure_wiring.sets) == n


def test_export_rtstruct_from_the_menu_with_anonymise(phantom_win, qtbot, tmp_path, monkeypatch):
    wiring = phantom_win.structure_wiring
    wiring.import_file(gtv_file(phantom_win, tmp_path))
    wiring.make_lesion(next(k for k, s in wiring.visible_structures() if s.name == "GTV_1"))

    def accept(dialog):
        dialog.folder_edit.setText(str(tmp_path / "export"))
        dialog.anonymise_box.setChecked(True)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportDialog, "exec", accept)
    with qtbot.waitSignal(wiring.exported, timeout=60000):  # written in the background
        phantom_win.structure_wiring.actions.export_rtstruct.trigger()
    ds = pydicom.dcmread(tmp_path / "export" / "rtstruct.dcm")
    assert ds.PatientID.startswith("ANON-") and ds.PatientIdentityRemoved == "YES"
    names = [r.ROIName for r in ds.StructureSetROISequence]
    # the lesion's label is generic in an anonymised export (issue 14); the organs at risk shown come along
    lesion = next(iter(phantom_win.case_controller.case.lesions))
    assert names[0] == f"{lesion.site.label} 1" and "LIVER" in names
    with qtbot.waitSignal(wiring.exported, timeout=60000):
        phantom_win.structure_wiring.actions.export_sr.trigger()
    assert (tmp_path / "export" / "sr.dcm").is_file()
    assert (tmp_path / "export" / "seg.dcm").is_file()  # the segments the report's lesion groups reference
    assert "Wrote sr.dcm" in phantom_win.task_label.text() and "with seg.dcm" in phantom_win.task_label.text()
    # another export into the folder (perhaps of another case) asks before replacing rtstruct.dcm (issue 16)
    from PySide6.QtWidgets import QMessageBox

    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", staticmethod(
        lambda parent, title, text, *a, **k: asked.append(text) or QMessageBox.StandardButton.Cancel))
    before = (tmp_path / "export" / "rtstruct.dcm").read_bytes()
    phantom_win.structure_wiring.actions.export_rtstruct.trigger()
    assert len(asked) == 1 and "rtstruct.dcm" in asked[0] and "another case" in asked[0]
    assert not phantom_win.runner.busy  # Cancel: nothing is written
    assert (tmp_path / "export" / "rtstruct.dcm").read_bytes() == before
    phantom_win.case_controller.discard_changes()  # no "save your lesions?" box when the window closes

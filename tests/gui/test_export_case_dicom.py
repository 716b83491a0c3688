"""File > Export SR… with "The whole case as DICOM": the SEG, the SR holding the case's facts and
rule sets, and the summary as DICOM Encapsulated PDF, from which `oligoplan open-dicom` rebuilds it."""

from __future__ import annotations

import shutil

import highdicom as hd
import pydicom
from PySide6.QtWidgets import QDialog

from core.rt import sr_case
from core.rt.open_dicom import rebuild_case
import gui.case_controller as case_controller
from gui.structures import ExportDialog
from tests.gui.test_structures import PHANTOM, gtv_file, phantom_win  # noqa: F401 (fixture)


def test_export_sr_dialog_writes_the_whole_case_as_dicom(phantom_win, qtbot, tmp_path, monkeypatch):  # noqa: F811
    wiring = phantom_win.structure_wiring
    wiring.import_file(gtv_file(phantom_win, tmp_path))
    wiring.make_lesion(next(k for k, s in wiring.visible_structures() if s.name == "GTV_1"))
    phantom_win.case_controller.case.facts.update({"ecog": 1, "rule_sets": ["sabr-comet"]})
    seen = []

    def accept(dialog):
        seen.append((dialog.case_dicom_box.isVisibleTo(dialog), dialog.case_dicom_box.isChecked()))
        dialog.grab().save(str(tmp_path / "dialog.png"))
        dialog.folder_edit.setText(str(tmp_path / "export"))
        dialog.case_dicom_box.setChecked(True)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportDialog, "exec", accept)
    with qtbot.waitSignal(wiring.exported, timeout=120000):
        wiring.actions.export_sr.trigger()
    assert seen == [(True, False)]  # offered, not ticked unless the user asks for it
    out = tmp_path / "export"
    assert {p.name for p in out.glob("*.dcm")} == {"seg.dcm", "sr.dcm", "summary-pdf.dcm"}
    assert bytes(pydicom.dcmread(out / "summary-pdf.dcm").EncapsulatedDocument)[:5] == b"%PDF-"
    items = sr_case.read_case_items(hd.sr.srread(out / "sr.dcm"))
    assert items.facts == {"ecog": 1, "rule_sets": ["sabr-comet"]} and items.rule_sets == ["sabr-comet"]
    pacs = tmp_path / "pacs"
    shutil.copytree(PHANTOM, pacs)
    shutil.copy(out / "sr.dcm", pacs)
    shutil.copy(out / "seg.dcm", pacs)
    rebuilt = rebuild_case(pacs)
    assert [lesion.label for lesion in rebuilt.case.lesions] == ["GTV_1"]
    # File > Open case from DICOM shows the rebuilt case, unsaved
    phantom_win.case_controller.discard_changes()
    monkeypatch.setattr(case_controller.QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(pacs)))
    phantom_win.actions.open_case_dicom.trigger()
    qtbot.waitUntil(lambda: [lesion.label for lesion in phantom_win.model.lesions] == ["GTV_1"]
                    and phantom_win.case_controller.case.facts.get("ecog") == 1, timeout=60000)
    assert "Case rebuilt from OligoPlan SR" in phantom_win.task_label.text()
    assert phantom_win.case_controller.case.facts["rule_sets"] == ["sabr-comet"]
    phantom_win.case_controller.discard_changes()


def test_the_rtstruct_dialog_does_not_offer_it(phantom_win, qtbot, tmp_path, monkeypatch):  # noqa: F811
    seen = []
    monkeypatch.setattr(ExportDialog, "exec", lambda d: seen.append(d.case_dicom_box.isVisibleTo(d))
                        or QDialog.DialogCode.Rejected)
    phantom_win.structure_wiring.actions.export_rtstruct.trigger()
    assert seen == [False]

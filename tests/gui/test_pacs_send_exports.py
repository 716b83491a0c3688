"""Send to PACS from the exports: after File > Export RTSTRUCT / Export SR the
user is offered "Send to PACS…" for the file just written, and it arrives in a
real Orthanc; the candidacy summary (PDF, JSON, CSV: no DICOM) offers nothing."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from core.pacs import LocalAE, PacsNode, PacsSettings, save_settings
from gui.structures import ExportDialog
from tests.gui.test_structures import PHANTOM, gtv_file
from tests.orthanc_server import AET, ORTHANC, start_orthanc


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory):
    if ORTHANC is None:
        pytest.skip("Orthanc is not installed (Debian package 'orthanc'; .ci/run installs it)")
    server = start_orthanc(tmp_path_factory.mktemp("orthanc-send"))  # empty: only what we send
    yield server
    server.stop()


@pytest.fixture
def phantom_win(window, qtbot, monkeypatch):
    if not PHANTOM.is_dir():
        pytest.skip("sample_scans/phantom-oligo not generated")
    # pytest-qt closes the window before fixtures end: answer its "save your lesions?" with Discard
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    window.open_folder(str(PHANTOM))
    qtbot.waitUntil(lambda: bool(window.model.base is not None and window.structure_wiring.sets
                                 and not window.runner.busy), timeout=60000)
    return window


def _configure(window, tmp_path, port: int | None) -> Path:
    settings = PacsSettings(LocalAE())
    if port is not None:
        settings = settings.with_node(PacsNode("Test PACS", AET, "127.0.0.1", port))
    window.pacs_wiring.settings_path = save_settings(settings, tmp_path / "pacs.json")
    return window.pacs_wiring.settings_path


def _export(window, kind: str, folder: Path, monkeypatch) -> None:
    def accept(dialog):
        dialog.folder_edit.setText(str(folder))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportDialog, "exec", accept)
    from PySide6.QtTest import QTest

    written = []  # the export runs in the background; the offer follows its end
    window.structure_wiring.exported.connect(written.append)
    getattr(window.structure_wiring.actions, f"export_{kind}").trigger()
    for _ in range(3000):
        if written:
            break
        QTest.qWait(20)
    window.structure_wiring.exported.disconnect(written.append)


def _in_orthanc(orthanc, sop_uid: str) -> bool:
    found = orthanc.rest("POST", "/tools/lookup", sop_uid.encode())
    return any(item.get("Type") == "Instance" for item in found or [])


def test_exported_rtstruct_and_sr_are_sent_to_the_pacs_from_the_offer(phantom_win, qtbot, tmp_path, orthanc,
                                                                      monkeypatch):
    _configure(phantom_win, tmp_path, orthanc.dicom_port)
    wiring = phantom_win.structure_wiring
    wiring.import_file(gtv_file(phantom_win, tmp_path))
    wiring.make_lesion(next(k for k, s in wiring.visible_structures() if s.name == "GTV_1"))
    # the SR comes with the SEG of the lesion contours it references: both are offered
    for kind, names in (("rtstruct", ["rtstruct.dcm"]), ("sr", ["seg.dcm", "sr.dcm"])):  # the SEG lands first
        _export(phantom_win, kind, tmp_path / "export", monkeypatch)
        offer = phantom_win.pacs_wiring.send_offer
        assert offer is not None and offer.isVisible() and not offer.isModal()
        assert f"Wrote {', '.join(names)}" in offer.text() and "Test PACS" in offer.text()
        files = [tmp_path / "export" / name for name in names]
        uids = [str(pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID) for f in files]
        assert not any(_in_orthanc(orthanc, uid) for uid in uids)
        qtbot.mouseClick(offer.findChild(type(offer.defaultButton()), "offer_send_button"), Qt.MouseButton.LeftButton)
        dialog = phantom_win.pacs_wiring.last_send_dialog
        assert dialog is not None and dialog.isVisible() and dialog.paths == [str(f) for f in files]
        assert dialog.node_combo.currentText() == "Test PACS"
        with qtbot.waitSignal(dialog.sent, timeout=30000) as signal:
            qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
        assert signal.args[0].ok and len(signal.args[0].sent) == len(files)
        assert dialog.status_label.text().startswith(f"{len(files)} file(s) sent")
        for name, uid in zip(names, uids):
            assert _in_orthanc(orthanc, uid), f"the exported {name} did not arrive in Orthanc"
        dialog.close()


def test_no_offer_without_a_configured_pacs(phantom_win, tmp_path, monkeypatch):
    _configure(phantom_win, tmp_path, None)
    wiring = phantom_win.structure_wiring
    wiring.import_file(gtv_file(phantom_win, tmp_path))
    wiring.make_lesion(next(k for k, s in wiring.visible_structures() if s.name == "GTV_1"))
    _export(phantom_win, "rtstruct", tmp_path / "export", monkeypatch)
    assert (tmp_path / "export" / "rtstruct.dcm").is_file()
    assert phantom_win.pacs_wiring.send_offer is None


def test_the_summary_is_not_dicom_so_nothing_is_offered(phantom_win, tmp_path, monkeypatch):
    from gui.pacs.offer import dicom_paths

    _configure(phantom_win, tmp_path, 104)  # a node is configured; nothing is contacted
    _export_summary = phantom_win.rules_wiring._choose_summary_folder

    def accept(dialog):
        dialog.folder_edit.setText(str(tmp_path / "summary"))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportDialog, "exec", accept)
    _export_summary()
    written = sorted(p.name for p in (tmp_path / "summary").iterdir())
    assert "PHANTOM-OLIGO_20240315_summary.pdf" in written  # named for the case (issue 16)
    assert dicom_paths([tmp_path / "summary"]) == []
    assert phantom_win.pacs_wiring.send_offer is None
    # among mixed files only the DICOM ones would be offered
    assert dicom_paths([tmp_path / "summary" / "summary.pdf", PHANTOM / "RTSTRUCT"]) == [
        str(p) for p in sorted((PHANTOM / "RTSTRUCT").glob("*.dcm"))]

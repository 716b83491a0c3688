"""The PACS dialog driven with clicks against a real Orthanc holding phantom-oligo."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from core.dicom import scan_folder
from core.pacs import LocalAE, PacsNode, PacsSettings, load_settings, save_settings
from tests.orthanc_server import AET, REPO, orthanc_fixture

N_ALL = 169


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory):
    yield from orthanc_fixture(tmp_path_factory)


@pytest.fixture
def settings_file(tmp_path, orthanc) -> Path:
    settings = PacsSettings(LocalAE(listen_port=orthanc.listen_port)).with_node(
        PacsNode("Test PACS", AET, "127.0.0.1", orthanc.dicom_port))
    return save_settings(settings, tmp_path / "pacs.json")


@pytest.fixture
def messages(monkeypatch):
    shown = []
    monkeypatch.setattr("gui.errors.QMessageBox.warning", lambda parent, title, text: shown.append(text))
    monkeypatch.setattr("gui.errors.QMessageBox.critical", lambda parent, title, text: shown.append(text))
    return shown


@pytest.fixture
def dialog(qtbot, settings_file, tmp_path, messages):
    from gui.pacs.dialog import PacsDialog

    dlg = PacsDialog(None, settings_file, cache_root=tmp_path / "cache")
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    yield dlg
    dlg.runner.shutdown()


def _idle(qtbot, dlg):
    qtbot.waitUntil(lambda: not dlg.runner.busy, timeout=30000)


def _search_and_pick_study(qtbot, dlg, name="PHANTOM^OLIGO*"):
    qtbot.keyClicks(dlg.patient_name_edit, name)
    qtbot.mouseClick(dlg.search_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, dlg)
    assert dlg.study_table.rowCount() == 1
    assert dlg.study_table.item(0, 0).text() == "PHANTOM-OLIGO"
    assert dlg.study_table.item(0, 5).text() == str(N_ALL)
    dlg.study_table.selectRow(0)
    _idle(qtbot, dlg)
    assert dlg.series_table.rowCount() == 3


def test_echo_search_select_series_retrieve_and_open(qtbot, dialog, tmp_path):
    assert dialog.node_combo.currentText() == "Test PACS"
    qtbot.mouseClick(dialog.echo_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, dialog)
    assert "answered in" in dialog.status_label.text()
    _search_and_pick_study(qtbot, dialog)
    modalities = [dialog.series_table.item(r, 0).text() for r in range(3)]
    ct_row = modalities.index("CT")
    dialog.series_table.selectRow(ct_row)
    with qtbot.waitSignal(dialog.study_retrieved, timeout=60000) as signal:
        qtbot.mouseClick(dialog.retrieve_button, Qt.MouseButton.LeftButton)
    folder = Path(signal.args[0])
    assert folder.parent == tmp_path / "cache"
    scan = scan_folder(folder)
    assert [(e.info.modality.value, e.n_slices) for e in scan.series] == [("CT", 96)]
    assert "96 instance(s) received" in dialog.status_label.text()
    _idle(qtbot, dialog)
    assert not dialog.progress_bar.isVisible() and dialog.open_button.isEnabled()


def test_cancel_stops_the_retrieve_and_keeps_only_complete_files(qtbot, dialog, tmp_path):
    _search_and_pick_study(qtbot, dialog)
    dialog.series_table.clearSelection()  # the whole study
    qtbot.mouseClick(dialog.retrieve_button, Qt.MouseButton.LeftButton)
    assert dialog.cancel_button.isVisible() and dialog.progress_bar.isVisible()
    qtbot.waitUntil(lambda: "Received" in dialog.status_label.text(), timeout=30000)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, dialog)
    assert dialog.status_label.text() == "Retrieving cancelled; what arrived is kept in the cache"
    folder = Path(dialog.last_folder)
    files = list(folder.rglob("*.dcm"))
    assert 0 < len(files) < N_ALL
    assert not [p for p in folder.rglob(".*")]
    assert scan_folder(folder).skipped == []
    assert dialog.open_button.isEnabled() and not dialog.cancel_button.isVisible()


def test_a_bad_date_is_shown_as_a_message_and_nothing_is_searched(qtbot, dialog, messages):
    qtbot.keyClicks(dialog.date_from_edit, "2024-31-01")
    qtbot.mouseClick(dialog.search_button, Qt.MouseButton.LeftButton)
    assert not dialog.runner.busy
    assert messages and "YYYY-MM-DD" in messages[-1]


def test_nodes_dialog_adds_a_node_and_refuses_a_bad_ae_title(qtbot, tmp_path, messages):
    from gui.pacs.nodes_dialog import NodesDialog

    path = tmp_path / "pacs.json"
    dlg = NodesDialog(PacsSettings(), path)
    qtbot.addWidget(dlg)
    qtbot.keyClicks(dlg.name_edit, "Radiology")
    qtbot.keyClicks(dlg.aet_edit, "RAD\\PACS")
    qtbot.keyClicks(dlg.host_edit, "pacs.local")
    qtbot.mouseClick(dlg.save_node_button, Qt.MouseButton.LeftButton)
    assert dlg.node_list.count() == 0 and "backslash" in messages[-1]
    dlg.aet_edit.clear()
    qtbot.keyClicks(dlg.aet_edit, "RADPACS")
    qtbot.mouseClick(dlg.save_node_button, Qt.MouseButton.LeftButton)
    assert dlg.node_list.count() == 1
    dlg.save()
    assert dlg.result() == QDialog.DialogCode.Accepted
    (node,) = load_settings(path).nodes
    assert (node.name, node.ae_title, node.host, node.port) == ("Radiology", "RADPACS", "pacs.local", 104)


def test_send_dialog_sends_a_folder(qtbot, settings_file, orthanc, messages):
    from gui.pacs.send_dialog import SendDialog

    dlg = SendDialog([REPO / "sample_scans" / "phantom-poly" / "RTSTRUCT"], None, settings_file)
    qtbot.addWidget(dlg)
    with qtbot.waitSignal(dlg.sent, timeout=30000) as signal:
        qtbot.mouseClick(dlg.send_button, Qt.MouseButton.LeftButton)
    assert signal.args[0].ok and len(signal.args[0].sent) == 1
    assert dlg.status_label.text().startswith("1 file(s) sent")
    dlg.runner.shutdown()


def test_main_window_opens_the_retrieved_study(qtbot, window, settings_file, tmp_path, monkeypatch, messages):
    monkeypatch.setenv("OLIGOPLAN_CONFIG_DIR", str(settings_file.parent))
    monkeypatch.setenv("OLIGOPLAN_DATA_DIR", str(tmp_path / "data"))
    window.pacs_wiring.actions.query_retrieve.trigger()
    dlg = window.pacs_wiring.dialog
    assert dlg is not None and dlg.isVisible()
    _search_and_pick_study(qtbot, dlg)
    qtbot.mouseClick(dlg.retrieve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.base is not None, timeout=60000)
    assert window.model.base.modality.value == "CT" and window.model.overlay is not None
    assert Path(window.scan_result.root).is_relative_to(tmp_path / "data" / "pacs-cache")
    dlg.runner.shutdown()

"""The PACS dialog against an Orthanc that refuses C-GET: the retrieve goes by
C-MOVE and the status line says so; the node settings carry the store AE title
and a listen port that may be "not set"."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from core.dicom import scan_folder
from core.pacs import LocalAE, PacsNode, PacsSettings, load_settings, save_settings
from tests.gui.test_pacs_dialog import messages  # noqa: F401 - the patched message boxes
from tests.orthanc_server import AET, orthanc_fixture

N_ALL = 169


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory):
    yield from orthanc_fixture(tmp_path_factory, allow_get=False)


def _dialog(qtbot, tmp_path, orthanc, listen_port):
    from gui.pacs.dialog import PacsDialog

    path = save_settings(PacsSettings(LocalAE(listen_port=listen_port)).with_node(
        PacsNode("No-GET PACS", AET, "127.0.0.1", orthanc.dicom_port)), tmp_path / "pacs.json")
    dlg = PacsDialog(None, path, cache_root=tmp_path / "cache")
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    qtbot.mouseClick(dlg.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.runner.busy and dlg.study_table.rowCount() == 1, timeout=30000)
    dlg.study_table.selectRow(0)
    qtbot.waitUntil(lambda: not dlg.runner.busy and dlg.series_table.rowCount() == 3, timeout=30000)
    return dlg


def test_retrieve_from_a_pacs_that_refuses_get_goes_by_move_and_says_so(qtbot, tmp_path, orthanc, messages):
    dlg = _dialog(qtbot, tmp_path, orthanc, orthanc.listen_port)
    assert dlg.method_combo.currentText() == "C-GET"
    with qtbot.waitSignal(dlg.study_retrieved, timeout=60000) as signal:
        qtbot.mouseClick(dlg.retrieve_button, Qt.MouseButton.LeftButton)
    text = dlg.status_label.text()
    assert text.startswith(f"C-GET refused by PACS ORTHANC at 127.0.0.1:{orthanc.dicom_port}")
    assert "retrieved by C-MOVE instead" in text and f"{N_ALL} instance(s) received" in text
    assert len(scan_folder(Path(signal.args[0])).series) == 2
    assert messages == []
    dlg.runner.shutdown()


def test_without_a_listen_port_the_dialog_says_what_to_configure(qtbot, tmp_path, orthanc, messages):
    dlg = _dialog(qtbot, tmp_path, orthanc, None)
    qtbot.mouseClick(dlg.retrieve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.runner.busy and bool(messages), timeout=30000)
    assert "C-GET refused by PACS ORTHANC" in messages[-1]
    assert "Listen port (C-MOVE)" in messages[-1] and "Nodes…" in messages[-1]
    assert not list((tmp_path / "cache").rglob("*.dcm"))
    dlg.runner.shutdown()


def test_nodes_dialog_keeps_a_store_ae_title_and_an_unset_listen_port(qtbot, tmp_path, messages):
    from gui.pacs.nodes_dialog import NodesDialog

    path = tmp_path / "pacs.json"
    dlg = NodesDialog(PacsSettings(LocalAE(listen_port=11200)), path)
    qtbot.addWidget(dlg)
    assert dlg.listen_port_box.text() == "11200"
    qtbot.keyClicks(dlg.name_edit, "Radiology")
    qtbot.keyClicks(dlg.aet_edit, "RADPACS")
    qtbot.keyClicks(dlg.host_edit, "pacs.local")
    qtbot.keyClicks(dlg.store_aet_edit, "RADPACS_SCU")
    qtbot.mouseClick(dlg.save_node_button, Qt.MouseButton.LeftButton)
    dlg.listen_port_box.setValue(0)
    assert dlg.listen_port_box.text() == "not set"
    dlg.save()
    assert dlg.result() == QDialog.DialogCode.Accepted and messages == []
    saved = load_settings(path)
    (node,) = saved.nodes
    assert (node.ae_title, node.store_ae_title) == ("RADPACS", "RADPACS_SCU")
    assert node.delivering_ae_titles == ["RADPACS", "RADPACS_SCU"]
    assert saved.local.listen_port is None
    again = NodesDialog(saved, path)
    qtbot.addWidget(again)
    again.node_list.setCurrentRow(0)
    assert again.store_aet_edit.text() == "RADPACS_SCU" and again.listen_port_box.text() == "not set"

"""File > Send case to PACS… and the PACS dialog's list of a study's OligoPlan cases, on a real
Orthanc holding phantom-oligo: the shown case is sent (its images, already on the PACS, are not
sent again); a newer version made elsewhere stops the next send with "Open newer" / "Cancel",
and "Open newer" opens that version; the dialog lists both versions, newest first, and opens
the one picked."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from core.case import load_case
from core.pacs import LocalAE, PacsClient, PacsNode, PacsSettings, save_settings
from core.pacs.case_store import send_case
from gui.settings import USER_NAME, USER_ROLE
from tests.orthanc_server import AET, orthanc_fixture
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory):
    yield from orthanc_fixture(tmp_path_factory)


def _idle(qtbot, dialog, timeout=120000):
    qtbot.waitUntil(lambda: not dialog.runner.busy, timeout=timeout)


def test_send_case_refuses_an_older_version_and_the_dialog_lists_and_opens_versions(
        orthanc, window, qtbot, tmp_path, settings):
    settings.set(USER_NAME, "Dr Ada Onco")
    settings.set(USER_ROLE, "radiation oncologist")
    wiring = window.pacs_wiring
    wiring.settings_path = save_settings(
        PacsSettings(LocalAE()).with_node(PacsNode("Test PACS", AET, "127.0.0.1", orthanc.dicom_port)),
        tmp_path / "pacs.json")
    wiring.cache_root = tmp_path / "cache"
    case_path = phantom_case("phantom-oligo", tmp_path / "case", facts=ELIGIBLE_FACTS)
    window.case_controller.open_case(case_path)
    qtbot.waitUntil(lambda: window.model.base is not None and len(window.model.lesions) > 0
                    and not window.runner.busy, timeout=60000)
    controller = window.case_controller

    # File > Send case to PACS…: progress, then a summary; the images are on the PACS already
    window.pacs_wiring.actions.send_case.trigger()
    dialog = wiring.last_send_case_dialog
    assert dialog.isVisible() and dialog.node_combo.currentText() == "Test PACS"
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, dialog)
    text = dialog.status_label.text()
    assert text.startswith("Case sent as a new OligoPlan SR (seg.dcm, summary-pdf.dcm, sr.dcm) with 0 image(s)")
    assert "image(s) not sent again: the PACS already holds them" in text
    mine = controller.case.extra["pacs_base"]["sr_sop_uid"]
    assert controller.is_modified  # the case remembers the version sent: it needs saving
    dialog.close()

    # another workstation sends a newer version (past ours, explicitly)
    other = load_case(case_path)
    other_report = send_case(PacsClient(PacsNode("t", AET, "127.0.0.1", orthanc.dicom_port), LocalAE()), other,
                             case_path, author=("Olga Other", "medical physicist"), force=True)
    assert [c.sr_sop_uid for c in other_report.forced_past] == [mine]
    theirs = other_report.sr_sop_uid

    # sending ours again is refused: who, when, state; "Open newer" opens their version
    dialog = wiring.send_case_dialog()
    dialog.show()
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.newer_box is not None and dialog.newer_box.isVisible(), timeout=120000)
    box = dialog.newer_box
    assert "draft version by Olga Other (medical physicist), made" in box.text()
    assert sorted(b.text() for b in box.buttons()) == ["Cancel", "Open newer"]
    qtbot.mouseClick(box.findChild(QPushButton, "open_newer_button"), Qt.MouseButton.LeftButton)
    pacs = wiring.dialog
    qtbot.waitUntil(lambda: controller.case.extra.get("rebuilt_from", {}).get("sr_sop_uid") == theirs,
                    timeout=120000)
    _idle(qtbot, pacs)

    # the PACS dialog lists the study's versions, newest first, and opens the one picked
    qtbot.mouseClick(pacs.search_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, pacs)
    pacs.study_table.selectRow(0)
    _idle(qtbot, pacs)
    table = pacs.cases_panel.table
    rows = [[table.item(r, c).text() for c in range(1, 4)] for r in range(table.rowCount())]
    assert rows == [["Olga Other", "medical physicist", "draft"], ["Dr Ada Onco", "radiation oncologist", "draft"]]
    table.selectRow(1)
    qtbot.mouseClick(pacs.cases_panel.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.case.extra.get("rebuilt_from", {}).get("sr_sop_uid") == mine,
                    timeout=120000)
    assert sorted(lesion.id for lesion in controller.case.lesions) == sorted(load_case(case_path).lesions.ids())


def test_cancel_stops_a_send_and_the_case_records_nothing(window, qtbot, tmp_path, monkeypatch):
    """The dialog's Cancel reaches the send (its cancel check turns true) and nothing is recorded."""
    import gui.pacs.send_case_dialog as send_case_dialog
    from core.case import Case
    from core.errors import Cancelled

    window.pacs_wiring.settings_path = save_settings(
        PacsSettings(LocalAE()).with_node(PacsNode("Test PACS", AET, "127.0.0.1", 104)), tmp_path / "pacs.json")
    monkeypatch.setattr(send_case_dialog.SendCaseDialog, "_snapshot", lambda self: (Case(), None))
    seen = []

    def fake_send(client, case, path, *, progress, cancel, **kw):
        progress(1, 3, "Sending 1 of 3")
        import threading

        tick = threading.Event()  # never set: a 10 ms wait between two looks at the cancel check
        while not cancel():
            tick.wait(0.01)
        seen.append("cancelled")
        raise Cancelled("sending cancelled after 1 file(s)")

    monkeypatch.setattr(send_case_dialog, "send_case", fake_send)
    dialog = window.pacs_wiring.send_case_dialog()
    dialog.show()
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Sending 1 of 3" in dialog.status_label.text(), timeout=30000)
    assert dialog.cancel_button.text() == "Cancel" and not dialog.send_button.isEnabled()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, dialog)
    assert seen == ["cancelled"]
    assert dialog.status_label.text().startswith("Cancelled")
    assert dialog.cancel_button.text() == "Close" and dialog.isVisible()
    assert "pacs_base" not in window.case_controller.case.extra and not window.case_controller.is_modified

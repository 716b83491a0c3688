"""The PACS dialog's Patient ID and Accession fields match literally, as on the command line
(core.pacs.query): typed with a `*`, the ID finds that patient only; a backslash is refused
with a message and nothing is searched. Driven with keys and clicks against a fake PACS that
matches wildcards, as a PACS does."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from core.pacs import LocalAE, PacsNode, PacsSettings, save_settings
from tests.core.test_pacs_find_literal_ids import WildcardPeer

pytestmark = pytest.mark.filterwarnings("ignore:Invalid value for VR UI")


@pytest.fixture
def dialog(qtbot, tmp_path, monkeypatch):
    from gui.pacs.dialog import PacsDialog

    peer = WildcardPeer()
    shown = []
    monkeypatch.setattr("gui.errors.QMessageBox.warning", lambda parent, title, text: shown.append(text))
    monkeypatch.setattr("gui.errors.QMessageBox.critical", lambda parent, title, text: shown.append(text))
    settings = PacsSettings(LocalAE()).with_node(PacsNode("Fake PACS", "FAKEPACS", "127.0.0.1", peer.port))
    dlg = PacsDialog(None, save_settings(settings, tmp_path / "pacs.json"), cache_root=tmp_path / "cache")
    dlg.shown_messages = shown
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    yield dlg
    dlg.runner.shutdown()
    peer.close()


def _search(qtbot, dlg, field, text):
    qtbot.keyClicks(field, text)
    qtbot.mouseClick(dlg.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dlg.runner.busy, timeout=30000)


def test_a_patient_id_typed_with_a_star_finds_that_patient_only(qtbot, dialog):
    _search(qtbot, dialog, dialog.patient_id_edit, "12*")
    assert dialog.shown_messages == []
    assert dialog.study_table.rowCount() == 1 and dialog.study_table.item(0, 0).text() == "12*"


def test_an_accession_number_typed_with_a_question_mark_matches_literally(qtbot, dialog):
    _search(qtbot, dialog, dialog.accession_edit, "A?1")
    assert dialog.study_table.rowCount() == 1 and dialog.study_table.item(0, 0).text() == "12*"


def test_a_backslash_in_the_patient_id_is_a_message_and_nothing_is_searched(qtbot, dialog):
    _search(qtbot, dialog, dialog.patient_id_edit, "12\\34")
    assert len(dialog.shown_messages) == 1
    assert "patient ID '12\\34': contains a backslash" in dialog.shown_messages[0]
    assert dialog.study_table.rowCount() == 0

"""`oligoplan PATH` at start-up: a case file is opened as a case, even when it is not there."""

from __future__ import annotations

from gui.settings import LAST_FOLDER


def test_a_mistyped_case_file_says_no_such_case_file_and_is_not_scanned_as_a_folder(
        window, message_boxes, tmp_path, monkeypatch):
    monkeypatch.setenv("OLIGOPLAN_DATA_DIR", str(tmp_path / "data"))  # no recovery files to offer
    before = window.settings.get(LAST_FOLDER)
    window.start_up(str(tmp_path / "patient-typo.json"))
    assert [kind for kind, _ in message_boxes] == ["warning"]
    assert "no such case file" in message_boxes[0][1] and "patient-typo.json" in message_boxes[0][1]
    assert window.settings.get(LAST_FOLDER) == before and not window.runner.busy

"""The export dialogs offer what `oligoplan export --anonymise` offers (issue 14): the author
(left out unless typed), the case's free text shown for review and kept only when ticked, and
a summary written as chosen."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from core.lesions import UpdateLesion
from gui.export_dialog import NO_FREE_TEXT, ExportDialog
from tests.gui.test_verdict_panel import rules_window  # noqa: F401 (fixture)
from tests.gui.test_verdict_panel import isolated  # noqa: F401 (autouse fixture)

HISTOLOGY = "adenocarcinoma (Smithers, Grimsworth General Hospital path. ref PXR20517)"


def test_the_anonymised_choices_are_disabled_until_anonymise_is_ticked(qtbot):
    dialog = ExportDialog("Export", "/tmp", with_oars=False, free_text=[("Histology", HISTOLOGY)])
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.anonymised.isEnabled() and not dialog.keep_free_text()
    qtbot.mouseClick(dialog.anonymise_box, Qt.MouseButton.LeftButton)
    assert dialog.anonymised.isEnabled()
    assert f"Histology: {HISTOLOGY}" in dialog.free_text_view.toPlainText()  # the whole text, to review
    assert dialog.author() == "" and dialog.author_edit.placeholderText() == "left out"
    qtbot.mouseClick(dialog.keep_free_text_box, Qt.MouseButton.LeftButton)
    assert dialog.keep_free_text()
    qtbot.mouseClick(dialog.anonymise_box, Qt.MouseButton.LeftButton)  # not anonymised: nothing to keep
    assert not dialog.keep_free_text()


def test_a_case_without_free_text_has_nothing_to_keep(qtbot):
    dialog = ExportDialog("Export", "/tmp", with_oars=False, free_text=[])
    qtbot.addWidget(dialog)
    dialog.anonymise_box.setChecked(True)
    assert dialog.free_text_view.toPlainText() == NO_FREE_TEXT and not dialog.keep_free_text_box.isEnabled()


def _answer(monkeypatch, qtbot, folder, *, author: str, keep: bool, seen: list):
    def accept(dialog):
        dialog.show()
        seen.append(dialog.free_text_view.toPlainText())
        dialog.folder_edit.setText(str(folder))
        if not dialog.anonymise_box.isChecked():
            qtbot.mouseClick(dialog.anonymise_box, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(dialog.author_edit, author)
        if keep:
            qtbot.mouseClick(dialog.keep_free_text_box, Qt.MouseButton.LeftButton)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportDialog, "exec", accept)


@pytest.mark.parametrize("author, keep", [("", False), ("Study reader 7", True)], ids=["defaults", "chosen"])
def test_the_summary_dialog_writes_the_anonymised_choices(rules_window, qtbot, tmp_path, monkeypatch,  # noqa: F811
                                                         author, keep):
    w = rules_window
    w.rules_wiring.case.facts = {**w.rules_wiring.case.facts, "histology": HISTOLOGY}
    first = next(iter(w.model.lesions))
    w.undo_stack.push_command(UpdateLesion(w.model.lesions, first.with_changes(label="Smithers liver")))
    seen: list = []
    _answer(monkeypatch, qtbot, tmp_path / "anon", author=author, keep=keep, seen=seen)
    w.rules_wiring.actions.export_summary.trigger()
    doc = json.loads((tmp_path / "anon" / "anonymised_summary.json").read_text(encoding="utf-8"))
    assert HISTOLOGY in seen[0]  # shown for review
    assert doc["author"] == author
    assert doc["anonymisation"]["author"] == ("replaced by the name given at export" if author else "left out")
    assert doc["anonymisation"]["free_text"].startswith("kept" if keep else "left out")
    csv = (tmp_path / "anon" / "anonymised_summary-lesions.csv").read_text(encoding="utf-8")
    assert "Smithers" not in csv and "Smithers liver" not in json.dumps(doc)  # the label is generic
    # the histology as reviewed (the user's call), or left out
    assert doc["facts"]["histology"] == (HISTOLOGY if keep else "[free text left out]")
    assert ("Smithers" in json.dumps(doc)) is keep
    assert doc["lesions"][0]["label"] == f"{first.site.label} 1"
    w.case_controller.discard_changes()

"""The verdict panel and the case-facts form in the main window, driven as a user would."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from core.lesions import AddLesion, Lesion, LesionMask, RemoveLesion
from gui.settings import RULE_SETS

SITES = ["liver", "liver", "liver", "lung", "bone", "adrenal"]
FACTS = {"primary_site": "breast", "primary_controlled": "yes", "primary_definitive_treatment_date": "2020-01-01",
         "ecog": 1, "life_expectancy_months": 24, "age_years": 60, "all_lesions_treatable": "yes",
         "history_polymetastatic": "no"}  # SABR-COMET does not address induced disease: unknown is undetermined


def cube_lesion(ct, n: int, site: str) -> Lesion:
    full = np.zeros(ct.shape, dtype=bool)
    z, y, x = 6 + 5 * n, 20 + (n % 3) * 12, 20 + (n % 2) * 30
    full[z:z + 3, y:y + 6, x:x + 6] = True
    return Lesion(f"L{n + 1}", f"{site} {n + 1}", site=site, mask=LesionMask.from_full(full, ct.info.series_uid))


@pytest.fixture(autouse=True)
def isolated(message_boxes, tmp_path, monkeypatch):
    """Message boxes answered (conftest: closing with unsaved work: discard); data and config in tmp."""
    monkeypatch.setenv("OLIGOPLAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OLIGOPLAN_CONFIG_DIR", str(tmp_path / "config"))
    return message_boxes


@pytest.fixture
def rules_window(window, ct_volume, qtbot):
    window.show_volumes(ct_volume)
    window.rules_wiring.case.facts = dict(FACTS)
    window.rules_wiring._load_facts()
    for n, site in enumerate(SITES[:5]):
        window.undo_stack.push_command(AddLesion(window.model.lesions, cube_lesion(ct_volume, n, site)))
    return window


def criterion(panel, rule_id, cid):
    item = panel.criterion_item(rule_id, cid)
    assert item is not None, (rule_id, cid)
    return item


def test_panel_updates_when_a_lesion_is_added_and_removed(rules_window, ct_volume):
    w = rules_window
    panel = w.rules_wiring.panel
    assert panel.selected_ids() == ["sabr-comet", "estro-astro-2020"]  # the default choice
    row = panel.rule_set_item("sabr-comet")
    assert row.text(1) == "ELIGIBLE"
    assert criterion(panel, "sabr-comet", "count").text(2) == "5 metastases"
    w.undo_stack.push_command(AddLesion(w.model.lesions, cube_lesion(ct_volume, 5, "adrenal")))
    row = panel.rule_set_item("sabr-comet")
    assert row.text(1) == "NOT ELIGIBLE"
    count = criterion(panel, "sabr-comet", "count")
    assert count.text(1) == "FAIL" and count.text(2) == "6 metastases"
    assert "Metastases: 6" in panel.counts_label.text()
    w.undo_stack.push_command(RemoveLesion(w.model.lesions, "L1"))
    assert panel.rule_set_item("sabr-comet").text(1) == "ELIGIBLE"
    assert criterion(panel, "sabr-comet", "count").text(2) == "5 metastases"
    w.undo_stack.undo()
    assert panel.rule_set_item("sabr-comet").text(1) == "NOT ELIGIBLE"


def test_clicking_a_failed_criterion_selects_its_lesions_one_after_the_other(rules_window, ct_volume, qtbot):
    w = rules_window
    w.undo_stack.push_command(AddLesion(w.model.lesions, cube_lesion(ct_volume, 5, "liver")))  # 4 in the liver
    panel = w.rules_wiring.panel
    panel.rule_set_item("sabr-comet").setExpanded(True)
    item = criterion(panel, "sabr-comet", "per_organ")
    assert item.text(1) == "FAIL" and item.text(4) == "L1, L2, L3, L6"
    panel.tree.scrollToItem(item)  # the verdicts share the side column with the case facts
    rect = panel.tree.visualItemRect(item)
    on_name = QPoint(rect.left() + 20, rect.center().y())  # the row is wider than the side column
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=on_name)
    assert w.model.selected_id == "L1"
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=on_name)
    assert w.model.selected_id == "L2"


def test_facts_form_edits_are_validated_undoable_and_change_the_verdict(rules_window, qtbot):
    w = rules_window
    form = w.rules_wiring.facts_form
    panel = w.rules_wiring.panel
    assert form.value_text("ecog") == "1" and form.value_text("primary_site") == "breast"
    form.set_value("ecog", "3")
    assert w.rules_wiring.case.facts["ecog"] == 3
    assert criterion(panel, "sabr-comet", "ecog").text(1) == "FAIL"
    assert panel.rule_set_item("sabr-comet").text(1) == "NOT ELIGIBLE"
    w.undo_stack.undo()
    assert w.rules_wiring.case.facts["ecog"] == 1 and form.value_text("ecog") == "1"
    assert panel.rule_set_item("sabr-comet").text(1) == "ELIGIBLE"
    form.set_value("ecog", "abc")
    assert "'abc' is not a number" in form.error_label.text()
    assert w.rules_wiring.case.facts["ecog"] == 1
    form.set_value("primary_controlled", "unknown")
    assert "primary_controlled" not in w.rules_wiring.case.facts
    assert criterion(panel, "sabr-comet", "primary_controlled").text(1) == "unknown"
    assert panel.rule_set_item("sabr-comet").text(1) == "UNDETERMINED"


def test_classification_and_oar_state_are_shown(rules_window):
    panel = rules_window.rules_wiring.panel
    form = rules_window.rules_wiring.facts_form
    form.set_value("history_polymetastatic", "unknown")
    text = panel.class_label.text()  # the form's label and where to find it, not the file key
    assert "needs “History of polymetastatic disease” (Case facts, below)" in text and "history_poly" not in text
    assert "OAR flags unknown" in panel.oar_label.text()
    form.set_value("history_polymetastatic", "yes")
    form.set_value("on_systemic_therapy", "no")
    assert "INDUCED OLIGORECURRENCE" in panel.class_label.text()


def test_rule_set_choice_is_remembered(rules_window, settings, qtbot):
    panel = rules_window.rules_wiring.panel
    panel.rule_set_actions["nhs-cte"].trigger()
    assert panel.rule_set_item("nhs-cte") is not None
    panel.rule_set_actions["estro-astro-2020"].trigger()
    assert panel.rule_set_item("estro-astro-2020") is None
    assert settings.get(RULE_SETS) == "sabr-comet,nhs-cte"
    from gui.main_window import MainWindow

    again = MainWindow(settings)
    qtbot.addWidget(again)
    assert again.rules_wiring.panel.selected_ids() == ["sabr-comet", "nhs-cte"]
    again.runner.shutdown()


NAMED = ["P001_20240102_summary-lesions.csv", "P001_20240102_summary.json", "P001_20240102_summary.pdf"]
ANON = ["anonymised_summary-lesions.csv", "anonymised_summary.json", "anonymised_summary.pdf"]


def test_export_summary_writes_pdf_json_csv_named_for_the_case(rules_window, tmp_path):
    paths = rules_window.rules_wiring.export_summary(tmp_path)
    assert sorted(p.name for p in paths) == NAMED  # <patient ID>_<study date>_summary...
    assert (tmp_path / NAMED[2]).read_bytes()[:5] == b"%PDF-"
    assert (tmp_path / NAMED[0]).read_text().count("\n") == 6  # header + 5 lesions


def test_the_summary_never_writes_over_files_without_asking(rules_window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    w = rules_window
    other = tmp_path / "other_20230101_summary.pdf"  # another case's summary in the same folder
    other.write_bytes(b"another case")
    old = tmp_path / NAMED[2]
    old.write_bytes(b"an earlier summary of this case")
    asked: list[str] = []
    reply = [QMessageBox.StandardButton.Cancel]

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return reply[0]
    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    _summary_dialog(monkeypatch, tmp_path, False, [])
    w.rules_wiring.actions.export_summary.trigger()
    assert len(asked) == 1 and NAMED[2] in asked[0]
    assert old.read_bytes() == b"an earlier summary of this case"  # Cancel: kept, nothing written
    assert not (tmp_path / NAMED[1]).exists()
    reply[0] = QMessageBox.StandardButton.Yes
    w.rules_wiring.actions.export_summary.trigger()
    assert old.read_bytes()[:5] == b"%PDF-" and len(asked) == 2
    assert other.read_bytes() == b"another case"  # never touched: its name is its own case's


def test_a_bad_fact_in_the_case_file_is_shown_and_treated_as_unknown(rules_window):
    w = rules_window
    w.rules_wiring.case.facts = {**FACTS, "ecog": "two"}
    w.rules_wiring.evaluate_now()
    panel = w.rules_wiring.panel
    assert "facts.ecog: 'two' is not a number" in panel.error_label.text()
    assert criterion(panel, "sabr-comet", "ecog").text(1) == "unknown"
    assert criterion(panel, "sabr-comet", "age").text(1) == "pass"  # the other facts still count


def _summary_dialog(monkeypatch, folder, anonymise: bool, seen: list):
    from PySide6.QtWidgets import QDialog

    from gui.structures import ExportDialog

    def accept(dialog):
        seen.append((dialog.folder_edit.text(), dialog.anonymise_box.isChecked()))
        dialog.folder_edit.setText(str(folder))
        dialog.anonymise_box.setChecked(anonymise)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportDialog, "exec", accept)


@pytest.mark.skipif(not __import__("shutil").which("pdftotext"),
                    reason="pdftotext (apt package poppler-utils) not installed")
def test_summary_from_the_menu_can_be_anonymised_and_the_choice_is_remembered(rules_window, tmp_path,
                                                                              monkeypatch, settings):
    import subprocess

    w = rules_window
    seen: list = []
    _summary_dialog(monkeypatch, tmp_path / "named", False, seen)
    w.rules_wiring.actions.export_summary.trigger()
    named = subprocess.run(["pdftotext", str(tmp_path / "named" / NAMED[2]), "-"], capture_output=True,
                           text=True, check=True).stdout
    assert "Patient: TEST, PATIENT" in named and "P001" in named  # identified unless asked otherwise
    _summary_dialog(monkeypatch, tmp_path / "anon", True, seen)
    w.rules_wiring.actions.export_summary.trigger()
    anon = tmp_path / "anon"
    assert sorted(p.name for p in anon.iterdir()) == ANON  # neither the patient ID nor the date in the names
    pdf_text = subprocess.run(["pdftotext", str(anon / ANON[2]), "-"], capture_output=True, text=True,
                              check=True).stdout
    assert "Patient: anonymised" in pdf_text and "sabr-comet" in pdf_text
    for text in (pdf_text, (anon / ANON[1]).read_text(encoding="utf-8"),
                 (anon / ANON[0]).read_text(encoding="utf-8")):
        assert "TEST" not in text and "P001" not in text and "1.2.826.0.1.3680043.2.1125.99.2" not in text
    assert json.loads((anon / ANON[1]).read_text(encoding="utf-8"))["patient"] == {"anonymised": True}
    # the next time the dialog opens on the last folder with "Anonymise" ticked
    w.rules_wiring.actions.export_summary.trigger()
    assert seen[-1] == (str(anon), True)


def test_the_rule_set_pick_is_written_to_the_case_undoably_and_check_reads_it(rules_window, tmp_path):
    import subprocess
    import sys

    w = rules_window
    panel, case = w.rules_wiring.panel, w.rules_wiring.case
    assert "rule_sets" not in case.facts
    panel.rule_set_actions["nhs-cte"].trigger()
    assert case.facts["rule_sets"] == ["sabr-comet", "estro-astro-2020", "nhs-cte"]
    assert case.facts["ecog"] == 1  # the other facts stay
    w.undo_stack.undo()
    assert "rule_sets" not in case.facts
    assert panel.selected_ids() == ["sabr-comet", "estro-astro-2020"] and panel.rule_set_item("nhs-cte") is None
    w.undo_stack.redo()
    assert panel.selected_ids() == ["sabr-comet", "estro-astro-2020", "nhs-cte"]
    panel.rule_set_actions["estro-astro-2020"].trigger()
    path = w.case_controller.save_to(tmp_path / "case.json")
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["facts"]["rule_sets"] == ["sabr-comet", "nhs-cte"]
    assert any(e["action"] == "rule_sets_changed" for e in saved["audit"]["entries"]), "not audited"
    proc = subprocess.run([sys.executable, "-m", "gui.entry", "check", str(path), "--json"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert [r["id"] for r in json.loads(proc.stdout)["rule_sets"]] == ["sabr-comet", "nhs-cte"]


def test_a_case_with_its_own_rule_sets_selects_them_in_the_picker(rules_window, tmp_path):
    w = rules_window
    panel = w.rules_wiring.panel
    panel.rule_set_actions["crc-liver-limited"].trigger()
    path = w.case_controller.save_to(tmp_path / "case.json")
    panel.rule_set_actions["crc-liver-limited"].trigger()
    panel.rule_set_actions["sabr-comet"].trigger()
    w.case_controller.save_to(tmp_path / "other.json")
    assert panel.selected_ids() == ["estro-astro-2020"]
    w.case_controller.open_case(path)
    assert panel.selected_ids() == ["sabr-comet", "estro-astro-2020", "crc-liver-limited"]
    assert panel.rule_set_item("crc-liver-limited") is not None and panel.rule_set_item("sabr-comet") is not None
    assert w.undo_stack.count() == 0  # opening is not an edit


def test_review_state_is_shown_at_the_top_of_the_panel_and_follows_sign_offs(rules_window, ct_volume):
    w = rules_window
    label = w.rules_wiring.panel.review_label
    assert "Draft: not yet reviewed" in label.text()
    w.review_wiring.sign("physics check", name="A. Physicist", role="medical physicist")
    assert "Reviewed by A. Physicist (medical physicist)" in label.text()
    w.review_wiring.sign("", name="Dr X", role="radiation oncologist")
    signed = w.rules_wiring.case.review.signoffs[-1].when[:16].replace("T", " ")
    assert f"Approved by Dr X (radiation oncologist), {signed} UTC" in label.text()
    assert label.isVisible() and label.y() < w.rules_wiring.panel.tree.y()  # above the verdicts
    w.undo_stack.push_command(AddLesion(w.model.lesions, cube_lesion(ct_volume, 5, "adrenal")))
    assert "Draft" in label.text() and "Approved" not in label.text()  # an edit reopened it


def test_a_case_saved_without_touching_the_picker_records_the_rule_sets_shown(rules_window, tmp_path):
    """Never touching the picker still leaves the case judged, from the command line, by the
    rule sets the panel showed (the remembered default), not by every rule set."""
    import subprocess
    import sys

    w = rules_window
    assert "rule_sets" not in w.rules_wiring.case.facts
    shown = w.rules_wiring.panel.selected_ids()
    path = w.case_controller.save_to(tmp_path / "case.json")
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["facts"]["rule_sets"] == shown
    proc = subprocess.run([sys.executable, "-m", "gui.entry", "check", str(path), "--json"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert [r["id"] for r in json.loads(proc.stdout)["rule_sets"]] == shown


def test_verdict_words_are_never_cut(rules_window):
    from PySide6.QtGui import QFontMetrics

    panel = rules_window.rules_wiring.panel
    row = panel.rule_set_item("sabr-comet")  # spans the tree's width and starts with its verdict
    bold = QFontMetrics(row.font(0))  # the verdict is bold
    assert row.isFirstColumnSpanned()
    for word in ("NOT ELIGIBLE", "UNDETERMINED", "ELIGIBLE"):
        assert bold.horizontalAdvance(f"{word} — sabr-comet") < panel.tree.viewport().width(), word


def test_a_pick_keeps_the_case_rule_sets_that_are_not_installed_here(rules_window):
    """A case chose a rule set this installation lacks (named in the panel): ticking another
    set in the picker keeps it in the case instead of dropping it unseen."""
    w = rules_window
    wiring, panel = w.rules_wiring, w.rules_wiring.panel
    wiring.case.facts = {**wiring.case.facts, "rule_sets": ["sabr-comet", "local-protocol"]}
    wiring._load_facts()
    wiring.evaluate_now()
    assert "not installed: local-protocol" in panel.error_label.text()
    panel.rule_set_actions["nhs-cte"].trigger()
    assert wiring.case.facts["rule_sets"] == ["sabr-comet", "nhs-cte", "local-protocol"]
    assert panel.selected_ids() == ["sabr-comet", "nhs-cte"]


def test_before_any_lesion_is_marked_the_rows_say_so_instead_of_a_red_not_eligible(window, ct_volume, qtbot):
    from gui.panels.verdict_panel import VERDICT_COLOURS

    window.show_volumes(ct_volume)
    panel = window.rules_wiring.panel
    row = panel.rule_set_item("sabr-comet")
    assert row.text(1) == "NO LESIONS YET" and row.text(0).startswith("NO LESIONS YET — sabr-comet")
    assert row.background(0).color().name() != VERDICT_COLOURS["not_eligible"]
    assert "no lesions marked yet" in panel.counts_label.text()
    window.undo_stack.push_command(AddLesion(window.model.lesions, cube_lesion(ct_volume, 0, "liver")))
    row = panel.rule_set_item("sabr-comet")
    assert row.text(1) in ("ELIGIBLE", "NOT ELIGIBLE", "UNDETERMINED")
    assert panel.counts_label.text() == "Metastases: 1 (liver 1)"
    window.undo_stack.undo()
    assert panel.rule_set_item("sabr-comet").text(1) == "NO LESIONS YET"


def test_statuses_are_coloured_as_in_the_summary_pdf(rules_window, ct_volume):
    """A criterion met, failed or unknown has the colour the PDF gives it (core.display, one home)."""
    from core.summary.pdf import STATUS_COLOURS as PDF_STATUS_COLOURS

    w = rules_window
    w.undo_stack.push_command(AddLesion(w.model.lesions, cube_lesion(ct_volume, 5, "adrenal")))  # 6: too many
    w.rules_wiring.case.facts = {k: v for k, v in FACTS.items() if k != "ecog"}  # performance status unknown
    w.rules_wiring.evaluate_now()
    panel = w.rules_wiring.panel
    seen = {}
    for result in rules_window.rules_wiring.evaluation.results:
        for c in result.criteria:
            item = panel.criterion_item(result.id, c.id)
            seen.setdefault(c.status, item.foreground(1).color().name())
    assert set(seen) == {"pass", "fail", "unknown"}
    assert seen == {status: PDF_STATUS_COLOURS[status] for status in seen}

"""Review > Compare with DICOM SR…: a case whose sign-offs were cut (with every trace in the file
removed) is shown as such after the comparison: the verdict panel's review line turns to the
warning, the history lists the differences, a dialog names the SR (issue 14, last part)."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox

from core.case import load_case, save_case
from core.review import REVIEW_WARNING_COLOUR, TRAIL_ALTERED
from tests.gui.conftest import PHANTOM
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case, workspace

pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")


@pytest.fixture(scope="module")
def forged(tmp_path_factory):
    """(case file with its sign-offs cut and head, count and review made to agree, the SR exported before)."""
    from core.rt.sr import case_sr

    tmp_path = tmp_path_factory.mktemp("sr-compare-gui")
    path = phantom_case("phantom-oligo", tmp_path, facts=ELIGIBLE_FACTS)
    case = load_case(path)
    case.review.set_user("C. Exporter", "radiation oncologist")
    case.review.sign("reviewed", "", name="A. Physicist", role="medical physicist")
    save_case(case, path)
    case_sr(case, workspace("phantom-oligo")).save_as(tmp_path / "sr.dcm")
    doc = json.loads(path.read_text())
    entries = [e for e in doc["audit"]["entries"] if e["action"] != "signed_off"]
    doc["audit"] = {"entries": entries, "count": len(entries), "head": entries[-1]["hash"]}
    doc["review"] = {"state": "draft", "signoffs": []}
    path.write_text(json.dumps(doc))
    return path, tmp_path / "sr.dcm"


def test_compare_with_dicom_sr_from_the_review_menu_shows_the_cut_sign_off(win, qtbot, forged, monkeypatch, tmp_path):
    path, sr = forged
    win.case_controller.open_case(path)
    qtbot.waitUntil(lambda: len(win.model.lesions) == 5, timeout=60000)
    panel = win.rules_wiring.panel
    assert REVIEW_WARNING_COLOUR not in panel.review_label.text()  # the file alone shows nothing

    import gui.review.sr_compare as sr_compare

    monkeypatch.setattr(sr_compare.QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(sr), "")))
    clicked = []

    def pick_file():
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox) and box.objectName() == "compare_sr_source"
        box.grab().save(str(tmp_path / "source.png"))
        button = next(b for b in box.buttons() if b.text() == "SR file…")
        clicked.append([b.text() for b in box.buttons()])
        button.click()

    QTimer.singleShot(0, pick_file)
    action = win.review_wiring.actions.compare_sr
    assert action in next(m for m in win.menuBar().findChildren(QMenu) if m.title() == "&Review").actions()
    action.trigger()
    assert clicked and "Folder…" in clicked[0] and "SR file…" in clicked[0]
    controller = win.review_wiring.sr_compare
    qtbot.waitUntil(lambda: controller.result_box is not None, timeout=10000)
    box = controller.result_box
    box.grab().save(str(tmp_path / "result.png"))
    assert box.objectName() == "compare_sr_result" and box.icon() == QMessageBox.Icon.Warning
    assert "Differs from the SR of" in box.text() and "by C. Exporter" in box.text()
    assert "the sign-off reviewed by A. Physicist (medical physicist)" in box.text()
    # the same path as a trail changed outside OligoPlan: review line, history
    assert REVIEW_WARNING_COLOUR in panel.review_label.text()
    assert TRAIL_ALTERED.split(":")[0] in panel.review_label.text()
    history = win.review_wiring.history_panel
    assert win.review_wiring.history_dock.isVisible() and history.problem_label.isVisible()
    assert "is in the SR but not in the file" in history.problem_label.text()
    box.close()
    win.case_controller.discard_changes()


def test_compare_with_the_sr_on_a_pacs_that_does_not_answer_says_so(win, qtbot, forged, boxes, tmp_path):
    """The PACS nodes of the settings are offered; one that cannot be reached ends in a message naming it
    (the fetch runs in the background), never a crash, and the case stays as it was."""
    from core.pacs import PacsNode, PacsSettings
    from core.pacs.nodes import save_settings
    from tests.orthanc_server import free_port

    settings_file = save_settings(PacsSettings(nodes=(PacsNode("Archive", "NOBODY", "127.0.0.1", free_port()),)),
                                  tmp_path / "pacs.json")
    win.pacs_wiring.settings_path = settings_file
    path, _ = forged
    win.case_controller.open_case(path)
    qtbot.waitUntil(lambda: len(win.model.lesions) == 5, timeout=60000)
    offered = []

    def pick_pacs():
        box = QApplication.activeModalWidget()
        offered.extend(b.text() for b in box.buttons())
        next(b for b in box.buttons() if b.text() == "PACS Archive").click()

    QTimer.singleShot(0, pick_pacs)
    win.review_wiring.actions.compare_sr.trigger()
    assert "PACS Archive" in offered
    qtbot.waitUntil(lambda: bool(boxes.texts("warning")), timeout=60000)
    (text,) = boxes.texts("warning")
    assert text.startswith("Fetching the case's DICOM SR failed.") and "127.0.0.1" in text
    assert boxes.texts("critical") == [] and win.case_controller.case.integrity_warnings == []
    win.case_controller.discard_changes()

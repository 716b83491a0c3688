"""Case files from the window: save and reopen, bad files, moved or foreign images,
autosave to the recovery folder and the offer to restore at start-up."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from core.case import Case, load_case, save_case
from core.lesions import Lesion, LesionSet
from core.samples import SAMPLE_ROOT
from tests.gui.test_lesion_tools import (  # noqa: F401 (fixture)
    PHANTOM,
    SQUARE,
    at,
    axial,
    ct_win,
    draw_polygon,
    go_to_mm,
    key,
    make_window,
)
from tests.gui.conftest import click

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def segment(qtbot, w, centre_mm):
    """S, click the lesion centre on the axial view, Enter."""
    view = axial(w)
    idx = go_to_mm(w, centre_mm)
    key(qtbot, w, Qt.Key.Key_S)
    click(view, at(view, idx))
    key(qtbot, w, Qt.Key.Key_Return)


def patch_dialogs(monkeypatch, *, save=None, open_=None, folder=None):
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(save), "")))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(open_), "")))

    def get_dir(parent, caption, *args, **kwargs):
        asked.append(caption)
        return str(folder) if folder else ""

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(get_dir))
    return asked


def phantom_case(phantom, truth, path, folder=PHANTOM) -> Case:
    """A case file on the phantom made by core alone (two segmented lesions)."""
    lesions = LesionSet([
        Lesion("L1", "Liver 1", site="liver", mask=phantom.segment(truth["L1"]["centre_mm"])),
        Lesion("L2", "Lung 1", site="lung", laterality="right", mask=phantom.segment(truth["L4"]["centre_mm"])),
    ])
    case = Case(images=[ref.__class__(str(folder), ref.series_uid, ref.frame_of_reference_uid, ref.modality)
                        for ref in phantom.image_refs()], lesions=lesions)
    save_case(case, path)
    return case


def wait_lesions(qtbot, w, n, timeout=30000):
    qtbot.waitUntil(lambda: len(w.model.lesions) == n and not w.runner.busy, timeout=timeout)


# ------------------------------------------------------------ save / open
def test_save_then_open_in_a_new_window_gives_the_same_lesions_and_measurements(
        win, qtbot, settings, phantom, truth, tmp_path, monkeypatch):
    win.show_volumes(phantom.primary, phantom.pet)
    segment(qtbot, win, truth["L1"]["centre_mm"])
    segment(qtbot, win, truth["L4"]["centre_mm"])
    key(qtbot, win, Qt.Key.Key_N)
    draw_polygon(qtbot, win, 40, SQUARE)
    win.editor.update("L1", site="liver")
    assert len(win.model.lesions) == 3 and win.isWindowModified()
    path = tmp_path / "cases" / "patient.oligoplan.json"
    path.parent.mkdir()
    patch_dialogs(monkeypatch, save=path, open_=path)
    key(qtbot, win, Qt.Key.Key_S, CTRL)
    assert path.is_file() and not win.isWindowModified()
    assert "patient.oligoplan.json" in win.windowTitle()

    second = make_window(qtbot, settings)
    key(qtbot, second, Qt.Key.Key_O, CTRL | SHIFT)
    wait_lesions(qtbot, second, 3)
    assert second.model.base.info.series_uid == phantom.primary.info.series_uid
    assert second.model.overlay.info.series_uid == phantom.pet.info.series_uid
    before, after = list(win.model.lesions), list(second.model.lesions)
    assert after == before  # ids, labels, sites, markers and every voxel
    for a, b in zip(before, after):
        assert second.model.measure(b) == win.model.measure(a)
        for column in range(10):
            assert second.lesion_panel.cell_text(b.id, column) == win.lesion_panel.cell_text(a.id, column)
    assert second.case_controller.case.path == path and not second.isWindowModified()
    assert second.lesion_panel.counts_label.text() == win.lesion_panel.counts_label.text()
    second.model.lesions.new_id()  # ids are never reused after reopening either
    assert second.model.lesions.new_id() == "L5"


@pytest.fixture
def saved_ct_win(ct_win, qtbot, tmp_path):
    """A window with one lesion, saved (so opening another case asks nothing)."""
    draw_polygon(qtbot, ct_win, 20, SQUARE)
    ct_win.case_controller.save_to(tmp_path / "current.oligoplan.json")
    return ct_win


BAD_FILES = {
    "malformed JSON": ('{"schema": "oligoplan.case", "lesions": [', "not valid JSON (line 1"),
    "schema version": (json.dumps({"schema": "oligoplan.case", "schema_version": 7}),
                       "schema_version 7 is not supported"),
    "unknown site": (json.dumps({"schema": "oligoplan.case", "schema_version": 1, "images": [],
                                 "lesions": [{"id": "L1", "site": "spleen", "point_mm": [0, 0, 0]}]}),
                     "lesions[0].site: unknown site 'spleen'"),
    "treatable as text": (json.dumps({"schema": "oligoplan.case", "schema_version": 2, "images": [],
                                      "lesions": [{"id": "L1", "treatable": "false", "point_mm": [0, 0, 0]}]}),
                          "lesions[0].treatable: unknown treatability 'false'"),
    "mask outside the grid": (json.dumps({"schema": "oligoplan.case", "schema_version": 2, "images": [], "lesions": [
        {"id": "L1", "mask": {"series_uid": "1.2", "grid_shape": [4, 4, 4], "offset": [3, 0, 0],
                              "shape": [2, 1, 1], "rle": [0, 2]}}]}),
        "lesions[0].mask.offset: the box [2, 1, 1] at [3, 0, 0] reaches past the image grid [4, 4, 4]"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_bad_case_file_gives_a_message_naming_it_and_is_left_alone(
        saved_ct_win, qtbot, boxes, tmp_path, monkeypatch, kind):
    w = saved_ct_win
    text, problem = BAD_FILES[kind]
    bad = tmp_path / "broken case.json"
    bad.write_text(text, encoding="utf-8")
    before = bad.read_bytes()
    lesions, path = list(w.model.lesions), w.case_controller.case.path
    patch_dialogs(monkeypatch, open_=bad)
    key(qtbot, w, Qt.Key.Key_O, CTRL | SHIFT)
    (message,) = boxes.texts("warning")
    assert "broken case.json" in message and problem in message
    assert "Traceback" not in message
    assert bad.read_bytes() == before
    assert list(w.model.lesions) == lesions and w.case_controller.case.path == path


def test_images_with_other_uids_are_refused_and_nothing_changes(
        saved_ct_win, qtbot, boxes, phantom, truth, tmp_path, monkeypatch):
    w = saved_ct_win
    other = SAMPLE_ROOT / "phantom-poly"
    if not other.is_dir():
        pytest.skip("sample_scans/phantom-poly is not there")
    case_path = tmp_path / "elsewhere.oligoplan.json"
    phantom_case(phantom, truth, case_path, folder=other)  # names a folder of other images
    base, lesions, path = w.model.base, list(w.model.lesions), w.case_controller.case.path
    asked = patch_dialogs(monkeypatch, open_=case_path, folder=other)  # the user points at it again
    key(qtbot, w, Qt.Key.Key_O, CTRL | SHIFT)
    qtbot.waitUntil(lambda: bool(boxes.texts("warning")), timeout=30000)
    qtbot.waitUntil(lambda: not w.runner.busy)
    assert len(asked) == 1 and "Locate the images of elsewhere.oligoplan.json" in asked[0]
    (message,) = boxes.texts("warning")
    assert "do not belong to this case" in message and "phantom-poly" in message
    assert w.model.base is base and list(w.model.lesions) == lesions
    assert w.case_controller.case.path == path and not w.isWindowModified()
    assert w.scan_result is None  # the browser was not refilled either


def test_a_lesion_of_other_images_is_named_without_asking_for_the_images_again(
        win, qtbot, boxes, phantom, truth, tmp_path, monkeypatch):
    """A case file whose lesion L1 was drawn on a series not in its images folder (edited by hand, or
    pasted from another patient's case) opened a bare folder dialog, "the folder it names holds other
    images", although the folder was right: choosing it again failed the same way."""
    case_path = tmp_path / "foreign.oligoplan.json"
    phantom_case(phantom, truth, case_path)
    doc = json.loads(case_path.read_text(encoding="utf-8"))
    doc["lesions"][0]["mask"]["series_uid"] = "1.2.826.0.1.999"
    case_path.write_text(json.dumps(doc), encoding="utf-8")
    asked = patch_dialogs(monkeypatch, open_=case_path, folder=PHANTOM)
    key(qtbot, win, Qt.Key.Key_O, CTRL | SHIFT)
    qtbot.waitUntil(lambda: bool(boxes.texts("warning")), timeout=30000)
    assert asked == []
    (message,) = boxes.texts("warning")
    assert "lesion L1 was drawn on series 1.2.826.0.1.999" in message and "remove it" in message
    assert list(win.model.lesions) == []


def test_moved_images_are_located_by_the_user(win, qtbot, boxes, phantom, truth, tmp_path, monkeypatch):
    case_path = tmp_path / "moved.oligoplan.json"
    expected = phantom_case(phantom, truth, case_path, folder=tmp_path / "old place")
    asked = patch_dialogs(monkeypatch, open_=case_path, folder=PHANTOM)
    key(qtbot, win, Qt.Key.Key_O, CTRL | SHIFT)
    wait_lesions(qtbot, win, 2)
    assert len(asked) == 1 and "not found at" in asked[0]
    assert list(win.model.lesions) == list(expected.lesions)
    assert boxes.texts("warning") == []
    assert win.isWindowModified()  # the new place is saved with the next save
    win.case_controller.save_to(case_path)
    assert load_case(case_path).images[0].resolve(case_path.parent) == PHANTOM.resolve()


def test_saving_where_it_cannot_be_written_says_so_and_keeps_the_work(ct_win, qtbot, boxes, tmp_path,
                                                                      monkeypatch):
    draw_polygon(qtbot, ct_win, 20, SQUARE)
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    patch_dialogs(monkeypatch, save=blocker / "case.oligoplan.json")
    key(qtbot, ct_win, Qt.Key.Key_S, CTRL | SHIFT)
    (message,) = boxes.texts("warning")
    assert "cannot be written" in message and "case.oligoplan.json" in message
    assert len(ct_win.model.lesions) == 1 and ct_win.isWindowModified()


# ------------------------------------------------------ autosave / recovery
def test_autosave_writes_the_recovery_file_after_a_change(ct_win, qtbot, data_dir, tmp_path):
    recovery = data_dir / "recovery" / "untitled.recovery.json"
    assert not recovery.exists()
    draw_polygon(qtbot, ct_win, 20, SQUARE)
    qtbot.waitUntil(recovery.exists, timeout=5000)
    doc = json.loads(recovery.read_text())
    assert [item["id"] for item in doc["lesions"]] == ["L1"] and doc["recovery_of"] is None
    key(qtbot, ct_win, Qt.Key.Key_Z, CTRL)  # back to nothing unsaved: no recovery needed
    qtbot.waitUntil(lambda: not recovery.exists(), timeout=5000)
    key(qtbot, ct_win, Qt.Key.Key_Z, CTRL | SHIFT)
    qtbot.waitUntil(recovery.exists, timeout=5000)
    ct_win.case_controller.save_to(tmp_path / "done.oligoplan.json")
    assert not recovery.exists() and not (data_dir / "recovery" / "done.oligoplan.recovery.json").exists()


def test_start_up_offers_to_restore_unsaved_work(win, qtbot, settings, boxes, phantom, truth, data_dir):
    win.show_volumes(phantom.primary, phantom.pet)
    segment(qtbot, win, truth["L2"]["centre_mm"])
    win.editor.update("L1", label="Segment VI")
    recovery = data_dir / "recovery" / "untitled.recovery.json"
    qtbot.waitUntil(lambda: recovery.exists() and "Segment VI" in recovery.read_text(), timeout=5000)
    lost = list(win.model.lesions)

    # "the app crashed": a new window starts while the recovery file is still there
    restarted = make_window(qtbot, settings)
    boxes.answer = QMessageBox.StandardButton.Yes
    restarted.start_up(None)
    wait_lesions(qtbot, restarted, 1)
    (question,) = boxes.texts("question")
    assert "1 lesion(s) of an untitled case" in question
    assert list(restarted.model.lesions) == lost
    assert restarted.model.base.info.series_uid == phantom.primary.info.series_uid
    assert restarted.isWindowModified()  # restored work is unsaved work
    boxes.answer = QMessageBox.StandardButton.Discard  # both windows close without saving


def test_no_keeps_the_recovery_for_later_and_discard_deletes_it(win, boxes, data_dir, monkeypatch):
    folder = data_dir / "recovery"
    folder.mkdir(parents=True)
    (folder / "untitled.recovery.json").write_text("{}")
    (folder / "other.recovery.json").write_text('{"recovery_of": "/cases/other.json", "lesions": []}')
    answers = {"other": QMessageBox.StandardButton.Discard, "untitled": QMessageBox.StandardButton.No}
    asked = []

    def answer(parent, title, text, *args, **kwargs):
        asked.append(text)
        return answers["untitled" if "untitled" in text else "other"]

    monkeypatch.setattr(QMessageBox, "question", staticmethod(answer))
    assert win.case_controller.offer_recovery() is False
    assert len(asked) == 2
    left = sorted(p.name for p in folder.iterdir())
    assert len(left) == 1 and left[0].startswith("untitled-")  # safe from the next untitled autosave


def test_closing_with_unsaved_lesions_asks_and_cancel_keeps_the_window(ct_win, qtbot, boxes, data_dir):
    draw_polygon(qtbot, ct_win, 20, SQUARE)
    ct_win.case_controller.autosave()
    boxes.answer = QMessageBox.StandardButton.Cancel
    assert ct_win.close() is False and ct_win.isVisible()
    assert "not saved" in boxes.texts("question")[0]
    boxes.answer = QMessageBox.StandardButton.Discard
    assert ct_win.close() is True
    assert not (data_dir / "recovery" / "untitled.recovery.json").exists()


def test_oligoplan_case_json_opens_the_case_on_its_images(qtbot, settings, boxes, phantom, truth, tmp_path):
    """`oligoplan CASE.json` (start_up with a case file) opens the case, not a folder scan of it."""
    case_path = tmp_path / "patient.oligoplan.json"
    expected = phantom_case(phantom, truth, case_path)
    window = make_window(qtbot, settings)
    window.start_up(str(case_path))
    wait_lesions(qtbot, window, 2)
    assert [lesion.label for lesion in window.model.lesions] == [lesion.label for lesion in expected.lesions]
    assert window.model.base.info.series_uid == phantom.primary.info.series_uid
    assert window.case_controller.case.path == case_path and not window.isWindowModified()
    assert not boxes.texts("warning") and not boxes.texts("critical")

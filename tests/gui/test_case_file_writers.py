"""The window's save and another writer of the same case file (a script, a second workstation)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from core.case import load_case, update_case
from core.lesions import AddLesion, Lesion, UndoStack
from tests.gui.test_case_files import CTRL, saved_ct_win  # noqa: F401 (fixture)
from tests.gui.test_lesion_tools import SQUARE, ct_win, draw_polygon, key  # noqa: F401 (fixture)


def _script_adds_a_lesion(path):
    def add(case):
        UndoStack().push(AddLesion(case.lesions, Lesion(case.lesions.new_id(), label="from the script",
                                                        point_mm=(0, 0, 0))))
    update_case(path, add)


def test_save_after_a_script_changed_the_file_is_refused_and_both_works_survive(
        saved_ct_win, qtbot, boxes, tmp_path):
    w = saved_ct_win
    path = w.case_controller.case.path
    draw_polygon(qtbot, w, 24, SQUARE)  # my edit: the lesion reaches slice 24 now, not saved yet
    _script_adds_a_lesion(path)  # meanwhile a script extends the same case file
    theirs = path.read_bytes()
    w.statusBar().clearMessage()
    key(qtbot, w, Qt.Key.Key_S, CTRL)
    (message,) = boxes.texts("warning")
    assert f"{path.name} was changed by another writer" in message and "NOT saved" in message
    assert "Save case as" in message
    assert path.read_bytes() == theirs
    assert [l.label for l in load_case(path).lesions][-1] == "from the script"
    assert w.case_controller.is_modified  # my work is still in the window, unsaved
    assert 24 in next(iter(w.model.lesions)).mask.axial_slices()
    assert "Saved" not in w.statusBar().currentMessage()


def test_saving_twice_from_the_window_is_not_a_conflict(saved_ct_win, qtbot, boxes):
    w = saved_ct_win
    draw_polygon(qtbot, w, 24, SQUARE)
    key(qtbot, w, Qt.Key.Key_S, CTRL)
    assert boxes.texts("warning") == []
    assert 24 in next(iter(load_case(w.case_controller.case.path).lesions)).mask.axial_slices()


def test_save_while_another_writer_holds_the_lock_names_it_and_writes_nothing(saved_ct_win, qtbot, boxes,
                                                                               monkeypatch):
    import json
    import time

    from core import case_lock

    w = saved_ct_win
    path = w.case_controller.case.path
    before = path.read_bytes()
    draw_polygon(qtbot, w, 24, SQUARE)
    case_lock.lock_path(path).write_text(json.dumps({"host": "ws-7", "pid": 4242, "program": "oligoplan segment",
                                                     "since": "2026-12-06T07:00:00+00:00",
                                                     "since_epoch": time.time(), "token": "theirs"}))
    monkeypatch.setattr(case_lock, "WAIT_S", 0.3)
    key(qtbot, w, Qt.Key.Key_S, CTRL)
    (message,) = boxes.texts("warning")
    assert "is being saved by oligoplan segment (process 4242 on ws-7" in message and "Nothing was written" in message
    assert path.read_bytes() == before and w.case_controller.is_modified
    case_lock.lock_path(path).unlink()  # the other writer finished: saving works again
    key(qtbot, w, Qt.Key.Key_S, CTRL)
    assert len(boxes.texts("warning")) == 1 and not w.case_controller.is_modified

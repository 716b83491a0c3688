"""State belongs to one patient (issue 16): a practice ends (asked first) when other images are opened,
its reference and scorecard never show on another patient's images, and per-case state (a tool's
preview, the selection, the undo history) does not carry over to another case."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from core.case import Case, save_case
from core.lesions import AddLesion, Lesion, UndoStack
from tests.gui.conftest import SAMPLE_ROOT, click
from tests.gui.test_lesion_tools import axial, at, draw_polygon, go_to_mm
from tests.gui.test_review_practice import square_around

POLY = SAMPLE_ROOT / "phantom-poly"
Yes, Cancel, Discard = (QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.Cancel,
                        QMessageBox.StandardButton.Discard)


@pytest.fixture
def reference(phantom, truth, tmp_path):
    case = Case(images=phantom.image_refs())
    t = truth["L1"]
    UndoStack().push(AddLesion(case.lesions, Lesion("L1", "Expert L1", site=t["organ"], point_mm=t["centre_mm"],
                                                    mask=phantom.segment(t["centre_mm"]))))
    return save_case(case, tmp_path / "expert.oligoplan.json")


@pytest.fixture
def scored(win, phantom, qtbot, reference, truth):
    """A practice on the phantom, one lesion drawn, scored: reference and scorecard shown."""
    w = win
    w.show_volumes(phantom.primary, phantom.pet)
    w.review_wiring.practice.start(reference)
    c1 = np.rint(go_to_mm(w, truth["L1"]["centre_mm"])).astype(int)
    draw_polygon(qtbot, w, int(c1[0]), square_around(c1, 6.5))
    w.review_wiring.score()
    assert w.review_wiring.practice.session.revealed and w.review_wiring.scorecard_dock.isVisible()
    return w


def answers(monkeypatch, *replies):
    """Answer the next questions in turn; returns the list of question texts asked."""
    asked: list[str] = []
    queue = list(replies)

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return queue.pop(0) if queue else Discard
    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def test_opening_another_patient_while_practising_asks_and_cancel_keeps_the_practice(scored, monkeypatch):
    w = scored
    asked = answers(monkeypatch, Cancel)
    w.open_folder(str(POLY))
    assert len(asked) == 1 and "ends the practice on expert.oligoplan.json" in asked[0]
    assert not w.runner.busy  # nothing is loaded
    assert w.review_wiring.practice.active and w.review_wiring.scorecard_dock.isVisible()


def test_opening_another_patient_ends_the_practice_and_its_reference_never_shows_there(scored, monkeypatch,
                                                                                      qtbot):
    w = scored
    practised = w.model.base.info.series_uid
    asked = answers(monkeypatch, Yes, Discard)  # end the practice; discard the trainee's lesions
    w.open_folder(str(POLY))
    assert "ends the practice" in asked[0] and "not saved" in asked[1]
    qtbot.waitUntil(lambda: w.model.base is not None and w.model.base.info.series_uid != practised, timeout=60000)
    rv = w.review_wiring
    assert not rv.practice.active and rv.practice.session is None
    assert not rv.scorecard_dock.isVisible()
    assert not rv.actions.score_practice.isEnabled()  # Score cannot run on these images
    assert "Practice" not in w.windowTitle()
    assert len(w.model.lesions) == 0


def test_other_images_shown_by_a_script_end_the_practice_too(scored, ct_volume):
    w = scored
    w.show_volumes(ct_volume)
    assert not w.review_wiring.practice.active and not w.review_wiring.scorecard_dock.isVisible()
    assert w.model.lesions is w.case_controller.case.lesions and len(w.model.lesions) == 0


def test_a_segment_preview_selection_and_undo_history_do_not_carry_over_to_another_case(win, phantom, truth,
                                                                                        qtbot):
    w = win
    w.show_volumes(phantom.primary, phantom.pet)
    idx = np.rint(go_to_mm(w, truth["L1"]["centre_mm"])).astype(int)
    draw_polygon(qtbot, w, int(idx[0]), square_around(idx, 6.5))
    w.model.set_selected(next(iter(w.model.lesions)).id)
    segment = w.tool_manager.tool("segment")
    w.tool_manager.set_tool("segment")
    c4 = np.rint(go_to_mm(w, truth["L4"]["centre_mm"])).astype(int)
    click(axial(w), at(axial(w), c4))
    qtbot.waitUntil(lambda: segment.preview is not None, timeout=20000)
    assert w.undo_stack.canUndo()
    w.case_controller.discard_changes()
    w.case_controller.new_case()  # as opening another case or patient does
    assert segment.preview is None and not w.tool_manager.pending
    assert w.model.selected_id is None
    assert not w.undo_stack.canUndo()


def test_the_scorecard_is_offered_under_the_case_s_name(scored, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QFileDialog

    w = scored
    offered = []

    def save_name(parent, title, start, filters):
        offered.append(start)
        return str(tmp_path / start), filters
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_name))
    w.review_wiring.scorecard_panel._choose_pdf()
    info = w.model.base.info
    assert offered == [f"{info.patient_id}_{info.study_date}_scorecard.pdf"]
    assert (tmp_path / offered[0]).read_bytes()[:5] == b"%PDF-"

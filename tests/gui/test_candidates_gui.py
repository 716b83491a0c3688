"""The PET candidates dock, driven with clicks: find, sort, preview, accept, reject, undo, save, reopen,
the verdict panel undetermined while any candidate waits, and no PET."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from core.candidates import CandidateStatus


@pytest.fixture
def shown(win, phantom, qtbot):
    win.show_volumes(phantom.primary, phantom.pet)
    return win


def _rows(panel):
    t = panel.table
    return [[t.item(r, c).text() for c in range(t.columnCount())] for r in range(t.rowCount())]


def _find(win, qtbot):
    panel = win.candidate_wiring.panel
    qtbot.mouseClick(panel.find_button, Qt.MouseButton.LeftButton)
    return panel


def _select(panel, qtbot, cid):
    for row in range(panel.table.rowCount()):
        if panel.table.item(row, 0).text() == cid:
            rect = panel.table.visualItemRect(panel.table.item(row, 0))
            qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            return
    raise AssertionError(f"{cid} not listed")


def test_find_lists_candidates_and_every_rule_set_waits(shown, qtbot, truth):
    panel = _find(shown, qtbot)
    rows = _rows(panel)
    assert len(rows) == len(truth) == 5
    assert {r[1] for r in rows} == {"unreviewed"}
    assert panel.reference_label.text().startswith("Liver reference (automatic) at (")
    assert "5 candidate(s) to review" in panel.pending_label.text()
    ev = shown.rules_wiring.evaluation
    assert ev.results and all(r.verdict == "undetermined" for r in ev.results)
    item = shown.rules_wiring.panel.criterion_item(ev.results[0].id, "pet_candidates_reviewed")
    assert item is not None and "5 PET candidates not yet reviewed" in " ".join(item.text(c) for c in range(6)) \
        + item.toolTip(0)


def test_list_sorts_by_value_and_a_click_jumps_and_previews(shown, qtbot):
    panel = _find(shown, qtbot)
    header = panel.table.horizontalHeader()
    volume_header = QPoint(header.sectionViewportPosition(4) + 5, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=volume_header)
    first = [float(r[4]) for r in _rows(panel)]
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=volume_header)
    second = [float(r[4]) for r in _rows(panel)]
    assert len(set(first)) == 5  # five different volumes, sorted by value both ways
    assert {tuple(first), tuple(second)} == {tuple(sorted(first)), tuple(sorted(first, reverse=True))}
    case = shown.case_controller.case
    _select(panel, qtbot, "C3")
    c3 = case.candidates["C3"]
    cursor_mm = np.array(shown.model.cursor_mm)
    assert np.linalg.norm(cursor_mm - np.array(c3.centroid_mm)) < 3.0  # the crosshair jumped there
    preview = shown.candidate_wiring._preview
    assert len(preview) == 1 and preview[0][1].mask.series_uid == shown.model.base.info.series_uid


def test_accept_reject_undo_and_the_verdict_follows(shown, qtbot):
    panel = _find(shown, qtbot)
    case = shown.case_controller.case
    _select(panel, qtbot, "C1")
    qtbot.mouseClick(panel.accept_button, Qt.MouseButton.LeftButton)
    assert case.candidates["C1"].status is CandidateStatus.ACCEPTED and len(case.lesions) == 1
    lesion = case.lesions[case.candidates["C1"].lesion_id]
    assert lesion.mask is not None and lesion.mask.series_uid == shown.model.base.info.series_uid
    assert panel.status_of("C1") == "accepted" and not panel.accept_button.isEnabled()
    _select(panel, qtbot, "C2")
    qtbot.mouseClick(panel.reject_button, Qt.MouseButton.LeftButton)
    assert panel.status_of("C2") == "rejected"
    assert "3 candidate(s) to review" in panel.pending_label.text()
    shown.undo_stack.undo()  # the reject
    assert panel.status_of("C2") == "unreviewed"
    shown.undo_stack.undo()  # the accept
    assert panel.status_of("C1") == "unreviewed" and len(case.lesions) == 0
    shown.undo_stack.redo()
    assert panel.status_of("C1") == "accepted" and len(case.lesions) == 1
    for cid in ("C2", "C3", "C4", "C5"):
        _select(panel, qtbot, cid)
        qtbot.mouseClick(panel.reject_button, Qt.MouseButton.LeftButton)
    assert panel.pending_label.text() == "Every candidate reviewed"
    ev = shown.rules_wiring.evaluation
    assert all(c.id != "pet_candidates_reviewed" for r in ev.results for c in r.criteria)
    actions = [e.action for e in case.audit]
    assert actions.count("candidate_rejected") == 5 and "candidate_accepted" in actions


def test_saved_and_reopened_with_the_decisions(shown, qtbot, tmp_path):
    panel = _find(shown, qtbot)
    _select(panel, qtbot, "C2")
    qtbot.mouseClick(panel.reject_button, Qt.MouseButton.LeftButton)
    path = shown.case_controller.save_to(tmp_path / "case.json")
    shown.case_controller.new_case()
    assert panel.table.rowCount() == 0
    shown.case_controller.open_case(path)
    qtbot.waitUntil(lambda: panel.table.rowCount() == 5, timeout=10000)
    assert panel.status_of("C2") == "rejected" and panel.status_of("C1") == "unreviewed"


def test_own_threshold_is_used(shown, qtbot):
    panel = _find(shown, qtbot)
    top = max(float(r[2]) for r in _rows(panel))  # SUVmax; no header here, so the unit is SUVbw
    panel.own_threshold.setChecked(True)
    own = round(top / 1.25, 2)  # the hottest stays clearly hot (1.2 x the threshold), weaker ones go
    panel.threshold.setValue(own)
    qtbot.mouseClick(panel.find_button, Qt.MouseButton.LeftButton)
    rows = _rows(panel)
    assert 1 <= len(rows) < 5 and all(float(r[2]) > own for r in rows)
    assert max(float(r[2]) for r in rows) == top
    assert f"threshold {own:.2f} SUVbw" in panel.reference_label.text()


def test_move_reference_to_the_crosshair(shown, qtbot):
    panel = _find(shown, qtbot)
    base = shown.model.base
    shown.model.set_cursor(base.patient_to_index(np.array([-60.0, -20.0, -84.0])))
    qtbot.mouseClick(panel.move_reference, Qt.MouseButton.LeftButton)
    assert "Liver reference (user)" in panel.reference_label.text()
    ref = shown.case_controller.case.candidates.reference["centre_mm"]
    assert np.linalg.norm(np.subtract(ref, shown.model.cursor_mm)) < 0.5
    shown.model.set_cursor((0, 0, 0))
    qtbot.mouseClick(panel.go_reference, Qt.MouseButton.LeftButton)
    assert np.linalg.norm(np.subtract(ref, shown.model.cursor_mm)) < 3.0


def test_without_a_pet_the_action_says_what_to_do(win, phantom, qtbot):
    win.show_volumes(phantom.primary)
    win.candidate_wiring.find_action.trigger()
    text = win.candidate_wiring.panel.pending_label.text()
    assert text.startswith("Candidates need a PET") and "by hand" in text
    assert win.candidate_wiring.panel.table.rowCount() == 0


def test_nothing_carries_over_to_the_next_case(shown, qtbot):
    panel = _find(shown, qtbot)
    panel.own_threshold.setChecked(True)
    panel.threshold.setValue(9.0)
    shown.candidate_wiring._reference_centre = (-60.0, -20.0, -84.0)
    shown.case_controller.new_case()
    assert not panel.own_threshold.isChecked() and shown.candidate_wiring._reference_centre is None
    assert panel.table.rowCount() == 0 and shown.candidate_wiring._preview == []


def test_reference_sphere_is_outlined_where_the_json_says(shown, qtbot):
    _find(shown, qtbot)
    (key, sphere), = shown.candidate_wiring._reference
    centre = shown.case_controller.case.candidates.reference["centre_mm"]
    base = shown.model.base
    middle = base.index_to_patient(sphere.mask.indices().mean(axis=0)[None])[0]
    assert np.linalg.norm(middle - np.array(centre)) < 2.0
    volume_cc = sphere.mask.n_voxels * np.prod(base.spacing_mm) / 1000.0
    assert volume_cc == pytest.approx(4 / 3 * np.pi * 15.0**3 / 1000.0, rel=0.1)  # a 3 cm sphere

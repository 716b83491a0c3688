"""Compare with prior (issue 17) in the real window, on a small two-timepoint phantom written once per module:
open the prior case, registration in the background, the linked click, the nudge, confirming and rejecting
carried-over lesions, the series browser's dated groups, and a prior case whose images are absent."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest
from PySide6.QtCore import Qt

from bench.two_timepoints import Scan, standard_case
from core.orientation import Plane

# 4 mm pixels, 5-6 mm slices: registration and carrying over take about a second
CASE = dataclasses.replace(
    standard_case(),
    prior_scan=Scan(n_xy=96, pixel_mm=4.0, slice_mm=6.0, n_slices=40, z_start_mm=-120.0),
    current_scan=dataclasses.replace(standard_case().current_scan, n_xy=96, pixel_mm=4.0, slice_mm=5.0,
                                     n_slices=52, z_start_mm=-131.0))
CURRENT_DATE = "20240502"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    import pydicom

    from tests.core.track_phantom_files import write_two_timepoints

    root = tmp_path_factory.mktemp("compare")
    prior_case, current = write_two_timepoints(CASE, root)
    for path in current.iterdir():  # the current visit four months later
        ds = pydicom.dcmread(path)
        ds.StudyDate = CURRENT_DATE
        ds.save_as(path)
    return prior_case, current


@pytest.fixture(scope="module")
def same_frame(tmp_path_factory):
    """Another CT series in the current CT's frame of reference (the scanner put both in one frame)."""
    from bench.two_timepoints import prior_volumes
    from tests.core.track_phantom_files import write_volume

    ct, _ = prior_volumes(dataclasses.replace(CASE, prior_scan=dataclasses.replace(
        CASE.current_scan, series_uid=CASE.current_scan.series_uid + ".5", n_slices=30)))
    folder = tmp_path_factory.mktemp("same_frame")
    write_volume(ct, folder, "20240102")
    return folder


@pytest.fixture
def current_win(window, files, message_boxes):
    _, current = files
    window.open_folder(str(current))
    window.runner.wait(60000)
    qtbot_wait_idle(window)
    assert window.model.base is not None and window.model.base.info.study_date == CURRENT_DATE
    return window


def qtbot_wait_idle(window, timeout_ms: int = 60000) -> None:
    from PySide6.QtCore import QCoreApplication, QElapsedTimer

    timer = QElapsedTimer()
    timer.start()
    while (window.runner.busy or timer.elapsed() < 0) and timer.elapsed() < timeout_ms:
        window.runner.wait(50)
        QCoreApplication.processEvents()
    assert not window.runner.busy


@pytest.fixture
def compared(current_win, files, qtbot):
    win = current_win
    prior_case, _ = files
    wiring = win.comparison
    wiring.open_prior_case(str(prior_case))
    qtbot.waitUntil(lambda: wiring.session is not None, timeout=60000)
    return win


def prior_truth_mm(lesion_id: str) -> np.ndarray:
    return CASE.prior_pose.apply(np.array(CASE.prior_lesions[lesion_id].centre_mm))


def click_at_mm(qtbot, view, point_mm) -> None:
    """Bring the view to the point's slice (the crosshair elsewhere on it), then click on the point."""
    model = view.model
    zyx = model.base.patient_to_index(np.asarray(point_mm, dtype=float))
    model.set_cursor((zyx[0], model.base.shape[1] // 2, model.base.shape[2] // 2))
    pos = view.index_to_widget(zyx).toPoint()
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=pos)
    assert np.linalg.norm(np.array(model.cursor) - np.rint(zyx)) <= 1.5  # the click moved the crosshair


def test_prior_case_opens_registered_beside_the_current(compared, qtbot):
    w = compared
    wiring = w.comparison
    assert w.view_grid.view_layout.value == "compare"
    menu = wiring.menu
    assert menu.menuAction() in w.file_menu.actions() and menu.title() == "Compare with &prior"
    assert [a.text() for a in menu.actions() if a.text()] == [
        "&Earlier study in the open folder", "Prior study from a &folder…", "Prior &case file (earlier visit)…", "Prior study from the &PACS…",
        "&Close the prior study"]
    assert wiring.actions.close.isEnabled()
    assert wiring.prior_views.axial.isVisible() and w.views[Plane.AXIAL].isVisible()
    header = wiring.prior_views.info.text()
    assert "rigid" in header and "Mattes mutual information" in header and "Residual" in header
    assert "2024-01-02" in header
    # the prior case's lesions are drawn on the prior views; today's case has none until confirmed
    assert wiring.prior_views.model.lesions.ids() == ["L1", "L2", "L3", "L4", "L5"]
    assert len(w.model.lesions) == 0
    # the series browser: two dated groups, the current visit first
    groups = w.browser.study_groups()
    assert len(groups) == 2 and "2024-05-02" in groups[0] and groups[1].startswith("Prior (compare)")
    assert "2024-01-02" in groups[1]
    # Ctrl+1 leaves the comparison's layout, Ctrl+6 comes back to it
    w.layout_actions.layout_action("axial+2").trigger()
    assert not wiring.prior_views.axial.isVisible()
    assert w.layout_actions.layout_action("compare").shortcut().toString() == "Ctrl+6"
    w.layout_actions.layout_action("compare").trigger()
    assert wiring.prior_views.axial.isVisible() and w.view_grid.view_layout.value == "compare"
    # another case ends the comparison: nothing carries over to it
    w.case_controller.new_case()
    assert wiring.session is None and not wiring.prior_views.axial.isVisible()
    assert w.view_grid.view_layout.value == "axial+2" and wiring.proposals() == []


def test_a_click_on_the_current_moves_the_prior_to_the_same_anatomy(compared, qtbot):
    w = compared
    prior_model = w.comparison.prior_views.model
    for lesion_id in ("L4", "L1"):
        click_at_mm(qtbot, w.views[Plane.AXIAL], CASE.current_lesions[lesion_id].centre_mm)
        # within half a prior voxel's diagonal (4 x 4 x 6 mm: 4.1 mm) and the registration's error
        assert np.linalg.norm(np.array(prior_model.cursor_mm) - prior_truth_mm(lesion_id)) < 5.0
    # the top current slice (z 124 mm) matches prior z 133 mm, above the prior scan's last slice (114 mm): said so
    w.model.set_cursor((51, 48, 48))
    assert "outside the prior scan" in w.comparison.prior_views.prior_caption.text()
    click_at_mm(qtbot, w.views[Plane.AXIAL], CASE.current_lesions["L1"].centre_mm)
    assert "outside" not in w.comparison.prior_views.prior_caption.text()
    # zoom (Ctrl+wheel) on the current: the prior follows at the same scale, the same point under the crosshair
    from tests.gui.conftest import drag, wheel

    current_view, prior_view = w.views[Plane.AXIAL], w.comparison.prior_views.axial
    wheel(current_view, current_view.index_to_widget(w.model.cursor), 240, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: prior_view.zoom > 1.2)
    assert prior_view.pixels_per_mm == pytest.approx(current_view.pixels_per_mm, rel=0.02)
    a, b = current_view.index_to_widget(w.model.cursor), prior_view.index_to_widget(prior_model.cursor)
    assert abs(a.x() - b.x()) < 3 and abs(a.y() - b.y()) < 3
    # window (right drag) on the current: the prior CT takes it
    centre = current_view.rect().center()
    drag(current_view, centre, centre + type(centre)(60, 20), Qt.MouseButton.RightButton)
    assert prior_model.base_window == w.model.base_window
    # and a click on the prior moves the current crosshair back to the same anatomy
    click_at_mm(qtbot, w.comparison.prior_views.axial, prior_truth_mm("L5"))
    assert np.linalg.norm(np.array(w.model.cursor_mm) - np.array(CASE.current_lesions["L5"].centre_mm)) < 5.0


def test_a_nudge_moves_the_link_at_once_and_is_audited(compared, qtbot):
    w = compared
    wiring = w.comparison
    link = wiring.link
    here = np.array(w.model.cursor_mm)
    before = link.prior_point_for(here)
    w.views[Plane.AXIAL].setFocus()
    for _ in range(3):
        qtbot.keyClick(w.views[Plane.AXIAL], Qt.Key.Key_Right,
                       Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    assert wiring.nudge_bar.shift[0].value() == pytest.approx(3.0)
    after = link.prior_point_for(here)
    assert np.linalg.norm(after - before) == pytest.approx(3.0, abs=0.05)
    assert "Nudged by the user" in wiring.prior_views.info.text()
    # typed in the panel: the same, at once
    wiring.nudge_bar.shift[2].setValue(-2.0)
    assert np.linalg.norm(link.prior_point_for(here) - before) == pytest.approx(np.hypot(3.0, 2.0), abs=0.05)
    trail = w.case_controller.case.audit
    qtbot.waitUntil(lambda: any(e.action == "registration_adjusted" for e in trail), timeout=5000)
    entry = [e for e in trail if e.action == "registration_adjusted"][-1]
    assert entry.details["shift_mm"] == [3.0, 0.0, -2.0]

    # Carry over again: the lesions are carried through the nudged map; the decisions made stay
    wiring.panel.select("L5")
    qtbot.mouseClick(wiring.panel.reject_button, Qt.MouseButton.LeftButton)
    before_carry = {t.prior.id: t.carried_mm for t in wiring.session.result.lesions}
    qtbot.mouseClick(wiring.nudge_bar.recarry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not w.runner.busy and wiring.session.result.lesions[0].carried_mm is not
                    before_carry["L1"], timeout=30000)
    for t in wiring.session.result.lesions:
        assert np.allclose(t.carried_mm - before_carry[t.prior.id], [3.0, 0.0, -2.0], atol=1e-6)
    assert wiring.session.decisions["L5"] == ("rejected", "")
    assert "Nudged by the user" in wiring.prior_views.info.text() and "rigid" in wiring.prior_views.info.text()


def test_confirming_a_carried_lesion_adds_it_with_its_prior_id_rejecting_does_not(compared, qtbot):
    w = compared
    wiring = w.comparison
    panel = wiring.panel
    rows = {panel.table.item(n, 0).text(): panel.table.item(n, 2).text() for n in range(panel.table.rowCount())}
    assert rows == {f"L{n}": "proposal" for n in range(1, 6)}  # nothing accepted on its own
    assert panel.status_text("L1") == "progressing"
    assert panel.status_text("L2") == "responding"
    assert panel.status_text("L3") == "disappeared"
    assert {p.key for p in wiring.proposals()} == {"L1", "L2", "L3", "L4", "L5"}  # drawn as proposals
    derived = panel.derived.text()
    assert derived.startswith("Derived, not confirmed") and "history_oligometastatic = yes" in derived
    assert "lesions_progressing = yes" in derived and "progressing_lesions = 1" in derived

    panel.select("L1")
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
    lesion = w.model.lesions["L1"]
    assert lesion.prior_id == "L1" and lesion.mask is not None
    centre = np.array(w.model.measure(lesion).centroid_mm)
    assert np.linalg.norm(centre - np.array(CASE.current_lesions["L1"].centre_mm)) < 2.0
    assert "progressing" in lesion.notes

    panel.select("L2")
    qtbot.mouseClick(panel.reject_button, Qt.MouseButton.LeftButton)
    assert w.model.lesions.ids() == ["L1"]
    assert not any(x.prior_id == "L2" for x in w.model.lesions)

    assert panel.reject_button.text() == "Reconsider" and panel.reject_button.isEnabled()  # can be taken back
    qtbot.mouseClick(panel.reject_button, Qt.MouseButton.LeftButton)
    assert "L2" in {p.key for p in wiring.proposals()} and panel.reject_button.text() == "Reject"
    qtbot.mouseClick(panel.reject_button, Qt.MouseButton.LeftButton)

    panel.select("L3")  # gone: nothing to confirm
    assert not panel.confirm_button.isEnabled() and panel.reject_button.isEnabled()

    # an overridden status is the user's, and audited
    panel.select("L4")
    assert panel.status_combo.currentData() == "stable"
    panel.choose_status("progressing")
    assert panel.status_text("L4") == "progressing (by the user; worked out: stable)"
    assert "progressing_lesions = 2" in panel.derived.text()  # the derived facts follow the user's word
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
    assert w.model.lesions["L4"].prior_id == "L4" and "status set by the user" in w.model.lesions["L4"].notes

    actions = [e.action for e in w.case_controller.case.audit]
    assert actions.count("prior_lesion_confirmed") == 2 and actions.count("prior_lesion_rejected") == 2
    assert actions.count("prior_lesion_reopened") == 1
    assert "prior_status_overridden" in actions
    confirmed = [e for e in w.case_controller.case.audit if e.action == "prior_lesion_confirmed"][0]
    assert confirmed.details["prior_id"] == "L1" and confirmed.details["status"] == "progressing"
    assert confirmed.details["registration"]["method"] == "rigid" and confirmed.details["prior_source"] == "case"
    assert {p.key for p in wiring.proposals()} == {"L3", "L5"}

    # undo takes the confirmed lesion back out: its proposal waits again
    w.undo_stack.undo()
    assert "L4" not in w.model.lesions and "L4" in {p.key for p in wiring.proposals()}


def test_a_prior_case_whose_images_are_absent_is_refused(current_win, files, tmp_path, qtbot, message_boxes):
    win = current_win
    prior_case, _ = files
    moved = tmp_path / "elsewhere" / "case.json"
    moved.parent.mkdir()
    shutil.copy(prior_case, moved)  # the case without its images folder beside it
    wiring = win.comparison
    wiring.open_prior_case(str(moved))
    qtbot.waitUntil(lambda: not win.runner.busy, timeout=30000)
    qtbot.waitUntil(lambda: bool(message_boxes), timeout=5000)
    kind, text = message_boxes[-1]
    assert kind == "warning" and "are not found" in text and "nothing was compared" in text
    assert wiring.session is None and win.view_grid.view_layout.value != "compare"


def test_compare_layout_needs_a_prior(current_win, qtbot):
    win = current_win
    win.layout_actions.layout_action("compare").trigger()
    assert win.view_grid.view_layout.value != "compare"
    assert "needs a prior study" in win.task_label.text()


def test_the_same_frame_of_reference_is_the_identity_and_a_pacs_study_opens_as_the_prior(
        current_win, same_frame, qtbot, tmp_path):
    win = current_win
    wiring = win.comparison
    current = win.model.base
    win.pacs_wiring.settings_path = tmp_path / "pacs.json"  # not the user's PACS nodes
    wiring.actions.open_pacs.trigger()  # File > Compare with prior > Prior study from the PACS
    dialog = win.pacs_wiring.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.study_retrieved.emit(str(same_frame))  # what the dialog says after a retrieve
    qtbot.waitUntil(lambda: wiring.session is not None, timeout=30000)
    assert win.model.base is current  # opened as the prior, not as the current images
    assert wiring.session.registration.method == "identity"
    assert "same frame of reference: identity" in wiring.prior_views.info.text()
    assert "no lesions to carry over" in wiring.panel.summary.text() and wiring.panel.table.rowCount() == 0
    # a click lands on the same patient coordinates
    click_at_mm(qtbot, win.views[Plane.AXIAL], CASE.current_lesions["L2"].centre_mm)
    assert np.allclose(wiring.prior_views.model.cursor_mm, win.model.cursor_mm, atol=0.01)
    assert win.pacs_wiring._on_retrieved is None  # the next retrieve opens as the current images again


def test_a_prior_of_another_patient_is_refused_and_no_id_is_logged(current_win, same_frame, tmp_path, qtbot,
                                                                   message_boxes, caplog):
    import logging

    import pydicom

    other = tmp_path / "other_patient"
    other.mkdir()
    for path in same_frame.iterdir():
        ds = pydicom.dcmread(path)
        ds.PatientID, ds.PatientName = "OTHER-PATIENT-77", "OTHER^PATIENT"
        ds.save_as(other / path.name)
    wiring = current_win.comparison
    with caplog.at_level(logging.DEBUG, logger="oligoplan"):
        wiring.open_prior_folder(str(other))
        qtbot.waitUntil(lambda: not current_win.runner.busy, timeout=30000)
        qtbot.waitUntil(lambda: bool(message_boxes), timeout=5000)
    kind, text = message_boxes[-1]
    assert kind == "warning" and "another patient" in text and "OTHER" not in text
    assert wiring.session is None
    assert "OTHER" not in caplog.text and "SYN001" not in caplog.text


def test_cancel_stops_the_registration_and_nothing_is_shown(current_win, files, qtbot):
    win = current_win
    prior_case, _ = files
    wiring = win.comparison
    wiring.open_prior_case(str(prior_case))
    assert win.cancel_button.isVisible()
    qtbot.mouseClick(win.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.runner.busy, timeout=30000)
    assert wiring.session is None and win.view_grid.view_layout.value != "compare"
    assert not wiring.actions.close.isEnabled()


def test_pet_follows_its_ct_and_decides_the_status(window, qtbot, message_boxes):
    """PET/CT at both dates (in memory): the prior PET is fused over the prior CT and moves with it; where both
    dates have PET the status is decided by the PET."""
    from pathlib import Path

    from bench.two_timepoints import current_volumes, prior_volumes
    from core.case import Case
    from core.lesions import AddLesion, Lesion, UndoStack
    from core.samples import sphere_mask
    from core.tracking.prior import PriorStudy
    from core.workspace import Workspace

    prior_ct, prior_pet = prior_volumes(CASE, pet=True)
    current_ct, current_pet = current_volumes(CASE, pet=True)
    window.show_volumes(current_ct, current_pet)
    case = Case()
    for lesion_id in ("L1", "L4"):
        centre = prior_truth_mm(lesion_id)
        UndoStack().push(AddLesion(case.lesions, Lesion(lesion_id, lesion_id, site="lung", point_mm=tuple(centre),
                                                        mask=sphere_mask(prior_ct, centre,
                                                                         CASE.prior_lesions[lesion_id].diameter_mm))))
    study = PriorStudy(Workspace(Path("."), None, prior_ct, prior_pet), "case", Path("prior.json"), case)
    wiring = window.comparison
    wiring._start(study, "Comparing with the prior PET/CT")
    qtbot.waitUntil(lambda: wiring.session is not None, timeout=60000)
    prior_model = wiring.prior_views.model
    assert prior_model.base is prior_ct and prior_model.overlay is prior_pet
    assert "PET follows its CT" in wiring.prior_views.info.text()
    click_at_mm(qtbot, window.views[Plane.AXIAL], CASE.current_lesions["L1"].centre_mm)
    probe = prior_model.probe(prior_model.cursor)
    pet_reading = [r for r in probe.readings if r.unit.startswith("SUV")]
    assert pet_reading and pet_reading[0].value == pytest.approx(CASE.prior_lesions["L1"].suv, abs=0.5)
    by = {wiring.panel.table.item(n, 0).text(): wiring.panel.table.item(n, 5).text()
          for n in range(wiring.panel.table.rowCount())}
    assert {k: by[k] for k in ("L1", "L4")} == {"L1": "PET", "L4": "PET"}
    # the current PET is searched for new lesions with the same finder as `oligoplan track`: hot lesions not in
    # this two-lesion prior case (the phantom's new ones among them) are proposed, never lesions before a click
    others = [v for k, v in by.items() if k not in ("L1", "L4")]
    assert len(others) >= 2 and set(others) == {"PET finder"}
    assert not set(window.model.lesions.ids()) - {"L1", "L4"}  # proposals until confirmed
    assert wiring.panel.status_text("L1") == "progressing"  # SUV 6 -> 9: +50 %, +3


def test_new_lesions_from_the_finder_are_proposals_too(current_win, files, qtbot, monkeypatch):
    """With a new-lesion finder (core.tracking.new_lesions.FINDER_OVERRIDE, the finder `oligoplan track` uses too), what it finds
    outside the carried-over lesions is listed as new; confirmed, it is a lesion without a prior id."""
    from core.tracking import new_lesions
    from core.samples import sphere_mask
    from core.tracking.tracker import NewCandidate

    def finder(images, carried_masks):
        return [NewCandidate(CASE.current_lesions[n].centre_mm,
                             sphere_mask(images.primary, CASE.current_lesions[n].centre_mm,
                                         CASE.current_lesions[n].diameter_mm), site="lung") for n in ("N1", "N2")]

    monkeypatch.setattr(new_lesions, "FINDER_OVERRIDE", finder)
    win = current_win
    prior_case, _ = files
    wiring = win.comparison
    wiring.open_prior_case(str(prior_case))
    qtbot.waitUntil(lambda: wiring.session is not None, timeout=60000)
    panel = wiring.panel
    assert panel.status_text("L6") == "new" and panel.status_text("L7") == "new"
    assert "2 new" in panel.summary.text()
    panel.select("L6")
    assert not panel.status_combo.isEnabled()  # a new lesion's status is "new"
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
    lesion = win.model.lesions["L6"]
    assert lesion.prior_id == "" and "new since the prior scan" in lesion.notes
    case = win.case_controller.case  # a lesion confirmed: the case holds the comparison, both new ones listed
    assert case.tracking.derived["new_lesions"].value == 2 and "new: L6, L7" in case.tracking.derived[
        "lesions_progressing"].reason
    panel.select("L7")
    qtbot.mouseClick(panel.reject_button, Qt.MouseButton.LeftButton)
    assert win.model.lesions.ids() == ["L6"]
    # the rejected new lesion is left out of the derived facts and of the timeline's new lesions
    tracking = case.tracking
    assert tracking.derived["new_lesions"].value == 1 and "L7" not in tracking.derived["lesions_progressing"].reason
    assert [n["id"] for n in tracking.to_json()["new"]] == ["L6"] and tracking.counts["current"] == 5
    entries = [e for e in case.audit if e.action == "derived_facts_set"]
    assert len(entries) == 2 and entries[-1].details["derived"]["lesions_progressing"] == "yes"
    actions = [e.action for e in win.case_controller.case.audit]
    assert "new_lesion_confirmed" in actions and "new_lesion_rejected" in actions


def test_a_folder_holding_both_visits_two_dated_groups_and_the_earlier_one_as_the_prior(window, files, tmp_path,
                                                                                          qtbot, message_boxes):
    prior_case, current = files
    both = tmp_path / "both_visits"
    shutil.copytree(prior_case.parent / "images", both / "january")
    shutil.copytree(current, both / "may")
    window.open_folder(str(both))
    qtbot.waitUntil(lambda: window.model.base is not None and not window.runner.busy, timeout=60000)
    assert window.model.base.info.study_date == CURRENT_DATE  # the larger CT opens as the current
    groups = window.browser.study_groups()
    assert len(groups) == 2 and "2024-05-02" in groups[0] and "2024-01-02" in groups[1]
    wiring = window.comparison
    wiring.actions.open_scanned.trigger()
    qtbot.waitUntil(lambda: wiring.session is not None, timeout=60000)
    assert wiring.session.study.date == "20240102" and wiring.session.registration.method == "rigid"
    assert wiring.session.result is None  # images only: no lesions to carry over
    groups = window.browser.study_groups()  # the January group of the folder is marked as the prior
    assert len(groups) == 2 and groups[1].startswith("Prior (compare)") and "2024-01-02" in groups[1]
    wiring.actions.close.trigger()  # the comparison ends: the folder's January study is listed as before
    assert wiring.session is None and not window.browser.study_groups()[1].startswith("Prior")


# ------------------------------------------------- the comparison reaches the case (its "tracking")
def _derived_entries(case) -> list:
    return [e for e in case.audit if e.action == "derived_facts_set"]


def _pick(qtbot, combo, data) -> None:
    qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)
    combo.setCurrentIndex(combo.findData(data))
    combo.hidePopup()


def test_confirmed_lesions_give_the_case_derived_facts_an_entry_overrides_them_and_they_are_saved(
        compared, qtbot, tmp_path):
    import json
    import subprocess

    from core.case import load_case

    w = compared
    wiring, rules, case = w.comparison, w.rules_wiring, w.case_controller.case
    form, panel = rules.facts_form, wiring.panel
    assert case.tracking is None and form.derived("lesions_progressing") is None  # proposals only so far

    panel.select("L1")  # progressing
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
    assert case.tracking is not None and case.tracking.statuses["L1"].value == "progressing"
    assert form.derived("lesions_progressing") == "yes" and form.derived("history_oligometastatic") == "yes"
    combo = form.editors["lesions_progressing"]
    assert combo.currentText() == "derived: yes" and combo.font().italic()
    assert "derived from prior scan of 2024-01-02" in combo.toolTip()
    label = rules.panel.class_label.text()
    assert "derived, not entered" in label and "Lesions progressing on imaging" in label
    assert rules.evaluation.fact_sources["lesions_progressing"]["derived"] is True
    assert len(_derived_entries(case)) == 1
    assert "in the case's facts as derived" in panel.derived.text()

    panel.select("L4")  # stable: confirming it changes no derived value, so no second entry
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
    assert set(case.tracking.statuses) == {"L1", "L2", "L3", "L4", "L5"}
    assert len(_derived_entries(case)) == 1

    _pick(qtbot, combo, "no")  # the user's word wins over the derived value
    assert case.facts["lesions_progressing"] == "no" and form.derived("lesions_progressing") is None
    source = rules.evaluation.fact_sources["lesions_progressing"]
    assert source["derived"] is False and source["overrides"]["value"] == "yes"
    assert "Lesions progressing" not in rules.panel.class_label.text()
    case.review.sync()
    assert [e for e in case.audit if e.action == "derived_fact_overridden"]

    path = w.case_controller.save_to(tmp_path / "current.json")
    doc = json.loads(path.read_text(encoding="utf-8"))["tracking"]
    assert doc["statuses"]["L1"] == "progressing" and doc["derived_facts"]["lesions_progressing"]["value"] == "yes"
    assert doc["counts"] == {"prior": 5, "current": 4}
    reloaded = load_case(path)
    assert reloaded.tracking.to_json() == case.tracking.to_json()
    assert reloaded.facts["lesions_progressing"] == "no"

    folder = tmp_path / "summary"
    pdf = next(p for p in rules.export_summary(folder) if p.suffix == ".pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout.lower()
    assert "timeline of the lesions" in text and "progressing" in text

    w.case_controller.new_case()  # another case: the comparison ends, nothing follows into it
    assert wiring.session is None and w.case_controller.case.tracking is None
    assert form.derived("history_oligometastatic") is None
    w.case_controller.open_case(path)  # the saved case opened again: its derived facts, the user's override
    qtbot.waitUntil(lambda: form.derived("history_oligometastatic") == "yes", timeout=10000)
    assert w.case_controller.case.tracking.statuses["L1"].value == "progressing"
    assert form.derived("lesions_progressing") is None and combo.currentData() == "no"


def test_undo_takes_the_tracking_back_and_ending_without_a_confirmation_leaves_none(compared, qtbot):
    w = compared
    wiring, case, form = w.comparison, w.case_controller.case, w.rules_wiring.facts_form
    panel = wiring.panel
    panel.select("L1")
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
    assert case.tracking is not None
    w.undo_stack.undo()  # the only confirmation undone: the case has no comparison again
    assert case.tracking is None and form.derived("history_oligometastatic") is None
    assert _derived_entries(case)[-1].details["derived"] == {}
    w.undo_stack.redo()
    assert case.tracking is not None and form.derived("history_oligometastatic") == "yes"
    assert panel.table.item(0, 2).text() == "confirmed as L1"
    w.undo_stack.undo()

    panel.select("L2")  # decisions, but no lesion confirmed: the case gets no tracking
    qtbot.mouseClick(panel.reject_button, Qt.MouseButton.LeftButton)
    panel.select("L4")
    panel.choose_status("progressing")
    assert case.tracking is None
    wiring.actions.close.trigger()
    assert wiring.session is None and case.tracking is None and form.derived("lesions_progressing") is None

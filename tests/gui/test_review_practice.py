"""Review and practice driven as users would: keys, mouse on the views, dialogs filled in."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtWidgets import QApplication

from core.case import Case, save_case
from core.lesions import AddLesion, Lesion, UndoStack
from core.orientation import Plane
from gui.settings import USER_NAME, USER_ROLE
from tests.gui.conftest import click, pixels
from tests.gui.test_lesion_tools import at, axial, draw_polygon, go_to_mm, key


@pytest.fixture
def reference(phantom, truth, tmp_path):
    """An expert's case on the phantom: L1 (liver) and L4 (lung), click-segmented."""
    case = Case(images=phantom.image_refs())
    stack = UndoStack()
    for lesion_id in ("L1", "L4"):
        t = truth[lesion_id]
        new_id = case.lesions.new_id()
        stack.push(AddLesion(case.lesions, Lesion(new_id, f"Expert {lesion_id}", site=t["organ"],
                                                  point_mm=t["centre_mm"], mask=phantom.segment(t["centre_mm"]))))
    return save_case(case, tmp_path / "expert.oligoplan.json")


@pytest.fixture
def pet_ct(win, phantom):
    win.show_volumes(phantom.primary, phantom.pet)
    return win


def square_around(centre_idx, half):
    y, x = centre_idx[1], centre_idx[2]
    return [(y - half, x - half), (y - half, x + half), (y + half, x + half), (y + half, x - half)]


def ctrl_shift(k):
    return k, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


# ------------------------------------------------------------------ practice
def test_practice_hides_the_reference_then_score_reveals_it_and_fills_the_scorecard(pet_ct, qtbot, reference, truth):
    w = pet_ct
    rv = w.review_wiring
    rv.practice.start(reference)
    assert rv.practice.active and len(w.model.lesions) == 0  # the expert's lesions are hidden
    assert "[Practice]" in w.windowTitle()
    # L4 (the lung lesion) is not contoured: it will be missed. Before scoring nothing shows there.
    l4 = go_to_mm(w, truth["L4"]["centre_mm"])
    view = axial(w)
    hidden = pixels(view)

    # the trainee draws a polygon around L1 on its axial slice
    c1 = np.rint(go_to_mm(w, truth["L1"]["centre_mm"])).astype(int)
    half = 10 / 2 / w.model.base.pixel_spacing_mm[0]  # a 20 mm lesion: a square of its size
    draw_polygon(qtbot, w, int(c1[0]), square_around(c1, half + 0.5))
    assert len(w.model.lesions) == 1

    key(qtbot, w, *ctrl_shift(Qt.Key.Key_Return))  # Practice > Score
    card = rv.practice.session.scorecard
    assert card is not None and rv.scorecard_dock.isVisible()
    assert [(m.reference, m.trainee) for m in card.matched] == [("L1", "L1")]
    assert card.missed == ("L2",) and card.extra == () and card.sensitivity == 0.5
    panel = rv.scorecard_panel
    assert panel.cell_text(0, 0) == "found" and 0.0 < float(panel.cell_text(0, 3)) < 1.0
    assert panel.cell_text(1, 0) == "MISSED" and panel.cell_text(1, 1) == "L2"
    assert "[Practice — scored]" in w.windowTitle()

    # the missed reference lesion is now drawn (red) where nothing was drawn before
    w.model.set_cursor(l4)
    shown = pixels(view)
    centre = at(view, np.rint(l4))
    patch = (slice(int(centre.y()) - 25, int(centre.y()) + 25), slice(int(centre.x()) - 25, int(centre.x()) + 25))
    changed = np.any(shown[patch] != hidden[patch], axis=-1)
    reddish = (shown[patch][..., 0] > 200) & (shown[patch][..., 1] < 90) & (shown[patch][..., 2] < 90)
    assert changed.sum() > 30 and (changed & reddish).sum() > 10

    # clicking the missed row moves the views to it
    w.model.set_cursor((0, 0, 0))
    panel.table.cellClicked.emit(1, 0)
    assert np.allclose(w.model.cursor, np.rint(l4), atol=1)


def test_scorecard_exports_pdf_and_csv(pet_ct, qtbot, reference, truth, tmp_path):
    w = pet_ct
    rv = w.review_wiring
    w.settings.set(USER_NAME, "T. Rainee")
    rv.practice.start(reference)
    c1 = np.rint(go_to_mm(w, truth["L4"]["centre_mm"])).astype(int)
    draw_polygon(qtbot, w, int(c1[0]), square_around(c1, 4.5))
    rv.actions.score_practice.trigger()
    rv.scorecard_panel.export_pdf(str(tmp_path / "card.pdf"))
    rv.scorecard_panel.export_csv(str(tmp_path / "card.csv"))
    assert (tmp_path / "card.pdf").read_bytes().startswith(b"%PDF")
    table = (tmp_path / "card.csv").read_text().split("\n\n")[1].splitlines()
    assert table[1].startswith("missed,L1,") and table[2].startswith("matched,L2,L1,")
    rv.actions.end_practice.trigger()
    assert not rv.practice.active and not rv.scorecard_dock.isVisible()


# ------------------------------------------------------------------ sign-off
def fill_dialog(qtbot, comment, done):
    dialog = QApplication.activeModalWidget()
    assert dialog is not None, "no dialog open"
    done.append(dialog.objectName())
    qtbot.keyClicks(dialog.comment_edit, comment)
    qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)


def test_sign_off_dialog_then_an_edit_reopens_the_case_and_says_so(pet_ct, qtbot, boxes, truth):
    w = pet_ct
    w.settings.set(USER_NAME, "A. Physicist")
    w.settings.set(USER_ROLE, "medical physicist")
    w.review_wiring._on_model_lesions()  # the settings were set after the window was made
    c1 = np.rint(go_to_mm(w, truth["L1"]["centre_mm"])).astype(int)
    draw_polygon(qtbot, w, int(c1[0]), square_around(c1, 6.5))
    assert "[Draft]" in w.windowTitle()

    done: list[str] = []
    QTimer.singleShot(0, lambda: fill_dialog(qtbot, "contours checked on PET", done))
    key(qtbot, w, *ctrl_shift(Qt.Key.Key_R))  # Review > Sign off
    assert done == ["signoff_dialog"]
    assert w.review_wiring.state.value == "reviewed" and "[Reviewed]" in w.windowTitle()
    signoff = w.case_controller.case.review.signoffs[0]
    assert (signoff.name, signoff.role, signoff.comment) == ("A. Physicist", "medical physicist",
                                                             "contours checked on PET")
    w.review_wiring.show_history()
    history = w.review_wiring.history_panel
    assert history.cell_text(0, 4) == "Signed off" and history.cell_text(0, 2) == "A. Physicist"
    assert w.isWindowModified()  # the sign-off is saved with the case

    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=3000)  # back from the dialog
    assert w.model.selected_id == "L1"
    key(qtbot, w, Qt.Key.Key_Delete)  # an edit after the sign-off
    assert len(w.model.lesions) == 0
    qtbot.waitUntil(lambda: any("reopens it as a draft" in t for t in boxes.texts("information")))
    assert "[Draft]" in w.windowTitle()
    assert [history.cell_text(r, 4) for r in (0, 1)] == ["Lesion deleted", "Reopened"]


def test_a_tampered_case_opens_with_a_warning_and_the_history_lists_the_problem(pet_ct, qtbot, boxes,
                                                                                reference):
    doc = json.loads(reference.read_text())
    doc["audit"]["entries"][0]["what"] = "added nothing"
    reference.write_text(json.dumps(doc))
    w = pet_ct
    w.case_controller.open_case(reference)
    assert len(w.model.lesions) == 2  # it opened
    qtbot.waitUntil(lambda: bool(boxes.texts("warning")))
    (text,) = boxes.texts("warning")
    assert "audit entry 1" in text and "hash does not match" in text
    panel = w.review_wiring.history_panel
    assert panel.problem_label.isVisible() and "audit entry 1" in panel.problem_label.text()
    # the verdict panel's review line is in the warning colour, as in the summary PDF
    from core.review import REVIEW_COLOURS, REVIEW_WARNING_COLOUR

    review_line = w.rules_wiring.panel.review_label.text()
    assert REVIEW_WARNING_COLOUR in review_line
    assert not any(colour in review_line for colour in REVIEW_COLOURS.values())


# ---------------------------------------------------------------- lesion map
def test_lesion_map_numbers_every_lesion_and_a_click_goes_there(pet_ct, qtbot, reference, truth):
    w = pet_ct
    w.case_controller.open_case(reference)
    w.review_wiring.actions.lesion_map.trigger()
    lesion_map = w.review_wiring.lesion_map_window
    qtbot.waitExposed(lesion_map)
    names = [t.objectName() for t in lesion_map.projections]
    assert names == ["mip_ct_coronal", "mip_ct_sagittal", "mip_pet_coronal", "mip_pet_sagittal"]
    assert all([m[0] for m in t.markers] == ["1", "2"] for t in lesion_map.projections)
    assert set(lesion_map.cards) == {"L1", "L2"}
    coronal = lesion_map.projections[0]
    text, lesion_id, row, col, _ = coronal.markers[1]
    w.model.set_cursor((0, 0, 0))
    click(coronal, coronal.to_widget(row, col) + QPointF(2, 1))
    assert w.model.selected_id == "L2"
    assert np.allclose(w.model.cursor, w.model.lesion_centre_index(w.model.lesions["L2"]), atol=1)
    # a thumbnail click selects its lesion too
    thumb = lesion_map.findChild(type(coronal), "thumb_L1_axial")
    click(thumb, QPointF(thumb.width() / 2, thumb.height() / 2))
    assert w.model.selected_id == "L1"
    assert w.views[Plane.AXIAL].slice_index == int(np.rint(w.model.lesion_centre_index(w.model.lesions["L1"]))[0])


def test_practice_on_an_rtstruct_reads_it_on_the_images_shown(pet_ct, boxes):
    """An RTSTRUCT as the reference is placed on the shown CT (a core Workspace of the images shown)."""
    from core.samples import SAMPLE_ROOT

    rv = pet_ct.review_wiring
    rv.practice.start(SAMPLE_ROOT / "phantom-oligo" / "RTSTRUCT" / "rtstruct.dcm")
    assert not boxes.texts("critical"), boxes.shown
    assert rv.practice.active and rv.practice.session.reference == []  # organs at risk only: no target
    assert len(pet_ct.model.lesions) == 0

"""Every new lesion takes the site proposed for it, shown as proposed until Y (or the button) confirms
it; nothing is left over from the previous lesion or case (issue 13)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from core.codes import Laterality, Site, SiteSource
from gui.panels.lesion_table import C_SIDE, C_SITE
from tests.gui.test_lesion_tools import at, axial, click, go_to_mm, key

PHANTOM = Path(__file__).resolve().parents[2] / "sample_scans" / "phantom-oligo"


@pytest.fixture
def phantom_win(window, qtbot, truth):
    if not PHANTOM.is_dir():
        pytest.skip("sample_scans/phantom-oligo not generated")
    window.open_folder(str(PHANTOM))
    wiring = window.structure_wiring
    qtbot.waitUntil(lambda: bool(window.model.base is not None and wiring.sets and not window.runner.busy),
                    timeout=60000)
    return window


def place_marker(qtbot, w, xyz):
    """P, then a click on the axial view at ``xyz`` (mm)."""
    idx = np.rint(go_to_mm(w, xyz)).astype(int)
    key(qtbot, w, Qt.Key.Key_P)
    view = axial(w)
    click(view, at(view, idx))
    return w.model.lesions[w.model.selected_id]


def italic(panel, lesion_id, column) -> bool:
    font = panel.proxy_index(lesion_id, column).data(Qt.ItemDataRole.FontRole)
    return bool(font is not None and font.italic())


def test_a_new_lesion_shows_its_proposal_and_y_confirms_it(phantom_win, qtbot, truth):
    panel = phantom_win.lesion_panel
    lesion = place_marker(qtbot, phantom_win, truth["L4"]["centre_mm"])  # in the right lung
    assert (lesion.site, lesion.laterality) == (Site.LUNG, Laterality.RIGHT)
    assert lesion.site_proposed and lesion.site_source_text == "structure:LUNG_R"
    assert lesion.label == "Lung 1"
    assert panel.cell_text(lesion.id, C_SITE) == "Lung, proposed" and italic(panel, lesion.id, C_SITE)
    assert italic(panel, lesion.id, C_SIDE) and panel.cell_text(lesion.id, C_SIDE) == "right"
    tip = panel.proxy_index(lesion.id, C_SITE).data(Qt.ItemDataRole.ToolTipRole)
    assert "proposed (LUNG_R structure, 100% inside)" in tip
    assert "LUNG_R structure, 100% inside" in phantom_win.task_label.text()  # the status bar says why
    assert panel.confirm_button.isEnabled()
    assert "1 site proposed, not confirmed" in panel.counts_label.text()

    key(qtbot, phantom_win, Qt.Key.Key_Y)
    confirmed = phantom_win.model.lesions[lesion.id]
    assert confirmed.site_confirmed and confirmed.site is Site.LUNG
    assert panel.cell_text(lesion.id, C_SITE) == "Lung" and not italic(panel, lesion.id, C_SITE)
    assert not panel.confirm_button.isEnabled()
    assert "proposed" not in panel.counts_label.text()
    key(qtbot, phantom_win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo: proposed again
    assert phantom_win.model.lesions[lesion.id].site_proposed


def test_the_confirm_button_confirms_the_selected_lesion(phantom_win, qtbot, truth):
    panel = phantom_win.lesion_panel
    lesion = place_marker(qtbot, phantom_win, truth["L1"]["centre_mm"])  # in the liver
    assert lesion.site is Site.LIVER and lesion.site_detail == "LIVER structure, 100% inside"
    qtbot.mouseClick(panel.confirm_button, Qt.MouseButton.LeftButton)
    assert phantom_win.model.lesions[lesion.id].site_confirmed


def test_choosing_the_proposed_site_in_the_table_confirms_it(phantom_win, qtbot, truth):
    from tests.gui.test_lesion_table import choose

    panel = phantom_win.lesion_panel
    lesion = place_marker(qtbot, phantom_win, truth["L1"]["centre_mm"])
    choose(qtbot, panel, lesion.id, C_SITE, "Liver")  # the same site, chosen by the user
    confirmed = phantom_win.model.lesions[lesion.id]
    assert confirmed.site is Site.LIVER and confirmed.site_confirmed
    assert confirmed.site_source_text == "structure:LIVER"  # the summary still says where it came from


def test_no_site_is_left_over_from_the_previous_lesion_or_case(phantom_win, qtbot, truth):
    panel = phantom_win.lesion_panel
    first = place_marker(qtbot, phantom_win, truth["L1"]["centre_mm"])
    phantom_win.editor.update(first.id, site=Site.BONE)  # the user says bone
    assert phantom_win.model.lesions[first.id].site_source is SiteSource.USER
    key(qtbot, phantom_win, Qt.Key.Key_N)
    second = place_marker(qtbot, phantom_win, truth["L2"]["centre_mm"])  # liver again: not "bone"
    assert second.site is Site.LIVER and second.site_proposed
    key(qtbot, phantom_win, Qt.Key.Key_N)
    third = place_marker(qtbot, phantom_win, truth["L5"]["centre_mm"])  # the vertebra: the CT says bone
    assert (third.site, third.site_source, third.site_detail) == (Site.BONE, SiteSource.CT_ANATOMY,
                                                                  "CT anatomy: bone")
    # the next case on these images: a lung lesion is proposed lung, as in the first
    phantom_win.case_controller.new_case()
    assert len(phantom_win.model.lesions) == 0
    lesion = place_marker(qtbot, phantom_win, truth["L4"]["centre_mm"])
    assert lesion.site is Site.LUNG and lesion.site_proposed
    assert panel.cell_text(lesion.id, C_SITE) == "Lung, proposed"


def square_around(w, xyz, half_px=4.0):
    """Axial slice index and the corners (y, x) of a square around ``xyz`` (mm)."""
    k, y, x = np.rint(w.model.base.patient_to_index(np.asarray(xyz, dtype=float))).astype(int)
    return int(k), [(y - half_px, x - half_px), (y - half_px, x + half_px), (y + half_px, x + half_px),
                    (y + half_px, x - half_px)]


def test_a_contour_drawn_for_a_proposed_lesion_is_proposed_again_a_confirmed_site_stays(phantom_win, qtbot,
                                                                                        truth):
    from tests.gui.test_lesion_tools import draw_polygon

    lesion = place_marker(qtbot, phantom_win, truth["L1"]["centre_mm"])  # a marker in the liver
    assert lesion.site is Site.LIVER and lesion.label == "Liver 1"
    k, corners = square_around(phantom_win, truth["L4"]["centre_mm"])  # its contour drawn in the lung
    draw_polygon(qtbot, phantom_win, k, corners)
    moved = phantom_win.model.lesions[lesion.id]
    assert moved.mask is not None and (moved.site, moved.laterality) == (Site.LUNG, Laterality.RIGHT)
    assert moved.site_proposed and moved.label == "Lung 1"  # the automatic label follows

    key(qtbot, phantom_win, Qt.Key.Key_N)
    other = place_marker(qtbot, phantom_win, truth["L2"]["centre_mm"])  # liver again, then confirmed
    key(qtbot, phantom_win, Qt.Key.Key_Y)
    draw_polygon(qtbot, phantom_win, k, corners)
    kept = phantom_win.model.lesions[other.id]
    assert kept.mask is not None and kept.site is Site.LIVER and kept.site_confirmed  # the user's word stands

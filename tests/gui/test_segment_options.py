"""The click-segment PET options: chosen on the toolbar, used, shown, kept on the lesion, remembered."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from core.segment import PetMethod
from core.segment_record import SegmentMethod
from gui.settings import SEGMENT_PET_FIXED_PERCENT, SEGMENT_PET_METHOD
from tests.gui.conftest import click
from tests.gui.test_lesion_tools import at, axial, go_to_mm, key, make_window, only_lesion


def click_segment(qtbot, w, lesion):
    centre = go_to_mm(w, lesion["centre_mm"])
    key(qtbot, w, Qt.Key.Key_S)
    view = axial(w)
    click(view, at(view, centre))
    assert w.tool_manager.active.preview is not None
    return w.task_label.text()


def tooltip(w, lesion_id):
    model = w.lesion_panel.table.model()
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        if lesion_id in model.data(index, Qt.ItemDataRole.ToolTipRole):
            return model.data(index, Qt.ItemDataRole.ToolTipRole)
    raise AssertionError(f"no row for {lesion_id}")


def test_adaptive_by_default_and_the_status_line_says_the_threshold_used(win, qtbot, phantom, truth):
    options = win.segment_options
    assert options.method_combo.currentText() == "Adaptive (size-corrected % of SUVmax)"
    assert options.fwhm_spin.isVisible() and options.fwhm_spin.value() == 5.5
    assert not options.percent_spin.isVisible()

    win.show_volumes(phantom.primary, phantom.pet)
    status = click_segment(qtbot, win, truth["L3"])
    record = win.tool_manager.active.record
    assert record.method is SegmentMethod.PET_ADAPTIVE
    assert f"PET: {record.threshold_percent:.0f}% of SUVmax {record.reference_max:.1f} (adaptive, 5.5 mm FWHM)" \
        in status
    assert status.startswith("Preview (Enter accepts, Esc rejects)")  # the keys first: a narrow window cuts the end
    key(qtbot, win, Qt.Key.Key_Return)
    lesion = only_lesion(win)
    assert lesion.segmentation == record
    assert "click-segmented, PET: " in tooltip(win, lesion.id) and "adaptive" in tooltip(win, lesion.id)


def test_fixed_percentage_chosen_with_the_keyboard_is_used_and_remembered(win, qtbot, phantom, truth, settings):
    win.show_volumes(phantom.primary, phantom.pet)
    small = truth["L3"]  # 10 mm: the fixed percentage takes in the blurred rim
    click_segment(qtbot, win, small)
    key(qtbot, win, Qt.Key.Key_Return)
    adaptive_cc = win.model.measure(only_lesion(win)).volume_cc

    options = win.segment_options
    options.method_combo.setFocus()
    qtbot.keyClick(options.method_combo, Qt.Key.Key_Down)  # Adaptive -> Fixed
    assert options.percent_spin.isVisible() and not options.fwhm_spin.isVisible()
    assert options.percent_spin.value() == 40
    options.percent_spin.setFocus()
    options.percent_spin.selectAll()
    qtbot.keyClicks(options.percent_spin, "35")
    qtbot.keyClick(options.percent_spin, Qt.Key.Key_Return)
    assert win.tool_manager.tool("segment").params.pet_method is PetMethod.FIXED
    assert win.tool_manager.tool("segment").params.pet_fraction == pytest.approx(0.35)

    key(qtbot, win, Qt.Key.Key_N)
    status = click_segment(qtbot, win, small)
    assert "(fixed 35% above background" in status
    key(qtbot, win, Qt.Key.Key_Return)
    fixed = [lesion for lesion in win.model.lesions if lesion.segmentation.method is SegmentMethod.PET_FIXED]
    assert len(fixed) == 1 and fixed[0].segmentation.fraction_percent == 35.0
    assert win.model.measure(fixed[0]).volume_cc > 1.2 * adaptive_cc
    assert "fixed 35%" in tooltip(win, fixed[0].id)

    assert settings.get(SEGMENT_PET_METHOD) == "fixed" and settings.get(SEGMENT_PET_FIXED_PERCENT) == 35.0
    again = make_window(qtbot, settings)  # the next start
    try:
        assert again.segment_options.method_combo.currentText() == "Fixed % of SUVmax"
        assert again.segment_options.percent_spin.value() == 35
        assert again.tool_manager.tool("segment").params.pet_fraction == pytest.approx(0.35)
    finally:
        again.runner.shutdown()


def test_a_bad_stored_choice_falls_back_to_the_defaults(qtbot, settings, boxes):  # noqa: F811
    settings.set(SEGMENT_PET_METHOD, "otsu")
    settings.set(SEGMENT_PET_FIXED_PERCENT, 400.0)
    w = make_window(qtbot, settings)
    try:
        params = w.tool_manager.tool("segment").params
        assert params.pet_method is PetMethod.ADAPTIVE and params.pet_fraction <= 0.9
    finally:
        w.runner.shutdown()


def test_a_stored_number_that_is_not_a_number_gives_the_default(settings):
    """A settings file holding "nan" (hand-edited, or written by a broken build) must not stop the start-up."""
    from gui.settings import SEGMENT_PET_FWHM_MM
    from gui.tools.segment_options import params_from_settings

    settings.store.setValue(SEGMENT_PET_FWHM_MM.key, "nan")
    settings.store.setValue(SEGMENT_PET_FIXED_PERCENT.key, "nan")
    params = params_from_settings(settings)
    assert params.pet_fwhm_mm == 5.5 and params.pet_fraction == pytest.approx(0.40)

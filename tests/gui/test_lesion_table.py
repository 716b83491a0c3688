"""The lesion table dock: edits in place with undo, selection moves the views, counts per organ."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QAbstractItemView, QApplication, QComboBox, QLineEdit

from core.audit import AuditAction
from core.codes import Site, Treatability
from core.orientation import Plane
from gui.panels.lesion_table import C_ID, C_LABEL, C_LD, C_SIDE, C_SITE, C_TREAT, C_VOL, counts_text
from gui.tools.overlay import lesion_color
from tests.gui.test_lesion_tools import SQUARE, ct_win, draw_polygon, key  # noqa: F401 (fixture)

SMALL = [(9.5, 9.5), (9.5, 13.5), (13.5, 13.5), (13.5, 9.5)]  # 4 x 4 voxels


@pytest.fixture
def two(ct_win, qtbot):
    """L1: 150 voxels on slice 20; L2: 16 voxels on slice 10 (the crosshair ends there)."""
    draw_polygon(qtbot, ct_win, 20, SQUARE)
    key(qtbot, ct_win, Qt.Key.Key_N)
    draw_polygon(qtbot, ct_win, 10, SMALL)
    return ct_win


def choose_column(qtbot, table, name: str) -> None:
    """Right-click the table's header and click ``name`` in its column chooser (tick or untick it)."""
    clicked = []

    def click_entry():
        menu = QApplication.activePopupWidget()
        action = next(a for a in menu.actions() if a.text().startswith(name))
        clicked.append(action.text())
        action.trigger()
        menu.close()

    QTimer.singleShot(50, click_entry)
    header = table.horizontalHeader()
    header.customContextMenuRequested.emit(QPoint(10, header.height() // 2))
    assert clicked, f"no {name} in the column chooser"


def double_click(qtbot, table, index):
    if table.isColumnHidden(index.column()):  # no room in the side column: the user ticks it in the header
        choose_column(qtbot, table, str(table.model().headerData(index.column(), Qt.Orientation.Horizontal)))
    table.scrollTo(index)  # the side column is narrow: the user scrolls the table to the column first
    pos = table.visualRect(index).center()
    assert table.viewport().rect().contains(pos), "the cell is not on screen"
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    # selecting the row keeps the columns where the user scrolled them: the double-click lands on the cell
    assert table.visualRect(index).center() == pos, "the table jumped when the row was selected"
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def open_editor(table, kind):
    """The editor open in the table (editors closed before linger until deleted: skip them)."""
    assert table.state() == QAbstractItemView.State.EditingState, "no editor opened"
    (editor,) = [e for e in table.viewport().findChildren(kind) if e.isVisible()]
    return editor


def edit_text(qtbot, panel, lesion_id, column, text):
    """Double-click a cell, type, press Enter (as a user edits in place)."""
    table = panel.table
    index = panel.proxy_index(lesion_id, column)
    double_click(qtbot, table, index)
    editor = open_editor(table, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.state() != QAbstractItemView.State.EditingState)  # Qt commits queued


def choose(qtbot, panel, lesion_id, column, text):
    table = panel.table
    index = panel.proxy_index(lesion_id, column)
    double_click(qtbot, table, index)
    combo = open_editor(table, QComboBox)
    combo.setCurrentIndex(combo.findText(text))
    qtbot.keyClick(combo, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.state() != QAbstractItemView.State.EditingState)


def test_rows_show_ids_colours_and_measurements(two):
    panel = two.lesion_panel
    assert panel.table_model.rowCount() == 2
    assert [panel.cell_text(i, C_ID) for i in ("L1", "L2")] == ["L1", "L2"]
    assert panel.cell_text("L1", C_VOL) == "0.24" and panel.cell_text("L2", C_VOL) == "0.03"
    # the colour beside the id, or beside the label while the narrow side column has no room for the id
    shows = C_LABEL if panel.table.isColumnHidden(C_ID) else C_ID
    icons = [panel.proxy_index(i, shows).data(Qt.ItemDataRole.DecorationRole) for i in ("L1", "L2")]
    assert all(icon is not None for icon in icons)
    assert lesion_color("L1") != lesion_color("L2")


def test_relabel_in_place_and_undo_reverts_it(two, qtbot):
    panel = two.lesion_panel
    named = two.model.lesions["L1"].label  # named after its proposed site ("Bone 1")
    edit_text(qtbot, panel, "L1", C_LABEL, "Segment VII")
    assert two.model.lesions["L1"].label == "Segment VII"
    assert panel.cell_text("L1", C_LABEL) == "Segment VII"
    key(qtbot, two, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert two.model.lesions["L1"].label == named
    assert panel.cell_text("L1", C_LABEL) == named
    edit_text(qtbot, panel, "L1", C_LABEL, "   ")  # an empty label is refused
    assert two.model.lesions["L1"].label == named


def test_site_edit_updates_counts_and_the_default_label_follows(two, qtbot):
    panel = two.lesion_panel
    # the synthetic CT: L1 lies in its dense (bone-like) body, L2 partly outside the body outline
    assert two.model.lesions["L1"].label == "Bone 1" and two.model.lesions["L2"].label == "Lesion 1"
    expected = "Bone 1 · Unknown 1 — 2 lesions (1 site proposed, not confirmed; 1 site unknown)"
    assert panel.counts_label.text() == expected
    assert two.lesion_count_label.text() == expected  # status bar: always visible
    choose(qtbot, panel, "L2", C_SITE, "Liver")
    lesion = two.model.lesions["L2"]
    assert lesion.site is Site.LIVER and lesion.label == "Liver 1"
    assert lesion.site_confirmed and lesion.site_decided_text == "chosen by the user"
    assert panel.counts_label.text() == "Liver 1 · Bone 1 — 2 lesions (1 site proposed, not confirmed)"
    choose(qtbot, panel, "L1", C_SITE, "Lung")
    choose(qtbot, panel, "L1", C_SIDE, "left")
    assert two.model.lesions["L1"].site_text == "lung (left)"
    key(qtbot, two, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    key(qtbot, two, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert two.model.lesions["L1"].site is Site.BONE and two.model.lesions["L1"].site_proposed
    assert panel.counts_label.text() == "Liver 1 · Bone 1 — 2 lesions (1 site proposed, not confirmed)"


def click_check_box(qtbot, table, index):
    """One click on the cell's check box, where the style draws it."""
    from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

    table.scrollTo(index)  # the table in the side column scrolls to its right-hand columns
    option = QStyleOptionViewItem()
    table.itemDelegate().initStyleOption(option, index)
    option.rect = table.visualRect(index)
    box = table.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, table)
    assert table.viewport().rect().contains(box.center()), "the check box is not on screen"
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=box.center())


def test_treatable_starts_not_assessed_and_one_click_sets_it_undoably_in_the_audit_trail(two, qtbot):
    panel = two.lesion_panel
    lesions = two.model.lesions
    case = two.rules_wiring.case
    assert lesions["L1"].treatable is Treatability.NOT_ASSESSED  # never assumed treatable
    index = panel.proxy_index("L1", C_TREAT)
    assert index.data() == "not assessed"
    assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.PartiallyChecked
    before = len(case.audit)
    click_check_box(qtbot, panel.table, index)
    assert lesions["L1"].treatable is Treatability.YES and panel.proxy_index("L1", C_TREAT).data() == "yes"
    assert lesions["L2"].treatable is Treatability.NOT_ASSESSED  # only the clicked lesion
    entries = list(case.audit)[before:]
    assert [e.action for e in entries] == [AuditAction.LESION_EDITED]
    assert "treatable 'not assessed' -> 'yes'" in entries[0].what
    click_check_box(qtbot, panel.table, panel.proxy_index("L1", C_TREAT))
    assert lesions["L1"].treatable is Treatability.NO
    click_check_box(qtbot, panel.table, panel.proxy_index("L1", C_TREAT))
    assert lesions["L1"].treatable is Treatability.NOT_ASSESSED
    key(qtbot, two, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert lesions["L1"].treatable is Treatability.NO
    two.undo_stack.undo()
    assert lesions["L1"].treatable is Treatability.YES


def test_the_t_key_sets_the_selected_lesion_and_the_treatable_criterion_follows(two, qtbot):
    panel = two.lesion_panel
    wiring = two.rules_wiring
    wiring.panel.set_selected(["sabr-comet"])
    wiring.panel.selection_changed.emit(["sabr-comet"])

    def treatable_status():
        return wiring.panel.criterion_item("sabr-comet", "treatable").text(1)

    assert treatable_status() == "unknown"  # nobody assessed L1 or L2
    for lesion_id in ("L1", "L2"):
        panel.select_lesion(lesion_id)
        key(qtbot, two, Qt.Key.Key_T)
    assert [l.treatable for l in two.model.lesions] == [Treatability.YES, Treatability.YES]
    assert panel.cell_text("L2", C_TREAT) == "yes"
    qtbot.waitUntil(lambda: treatable_status() == "pass")
    key(qtbot, two, Qt.Key.Key_T)  # L2 again: no
    assert two.model.lesions["L2"].treatable is Treatability.NO
    qtbot.waitUntil(lambda: treatable_status() == "FAIL")


def test_selecting_a_row_moves_the_three_views_to_the_lesion(two, qtbot):
    panel = two.lesion_panel
    axial, coronal, sagittal = (two.views[p] for p in Plane)
    assert axial.slice_index == 10  # drawn last on slice 10
    rect = panel.table.visualRect(panel.proxy_index("L1", C_LD))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert two.model.selected_id == "L1"
    centre = np.rint(two.model.lesion_centre_index(two.model.lesions["L1"])).astype(int)
    assert tuple(centre) == two.model.cursor
    assert axial.slice_index == 20  # the slice the polygon was drawn on
    assert (coronal.slice_index, sagittal.slice_index) == (centre[1], centre[2])
    assert 20 <= centre[1] <= 29 and 30 <= centre[2] <= 44
    two.model.set_cursor((5, 5, 5))  # scrolled away; a click on the selected row goes back
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert two.model.cursor == tuple(centre)


def test_sorting_by_volume_and_selection_survives_it(two, qtbot):
    panel = two.lesion_panel
    panel.table.sortByColumn(C_VOL, Qt.SortOrder.AscendingOrder)
    assert [panel.proxy.index(r, C_ID).data() for r in range(2)] == ["L2", "L1"]
    panel.table.sortByColumn(C_VOL, Qt.SortOrder.DescendingOrder)
    assert [panel.proxy.index(r, C_ID).data() for r in range(2)] == ["L1", "L2"]
    panel.select_lesion("L2")
    assert two.model.selected_id == "L2"


def test_deleting_the_selected_row_updates_table_and_counts(two, qtbot):
    panel = two.lesion_panel
    panel.select_lesion("L1")
    key(qtbot, two, Qt.Key.Key_Delete)
    assert panel.table_model.rowCount() == 1
    assert panel.counts_label.text() == "Unknown 1 — 1 lesion (1 site unknown)"
    key(qtbot, two, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert panel.table_model.rowCount() == 2

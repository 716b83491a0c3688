"""The verdict panel read as a user reads it: values carry their units and the columns that explain a
verdict (status, value, threshold) are not cut off in the dock's width."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QTreeWidgetItemIterator

from tests.gui.test_verdict_panel import criterion, isolated, rules_window  # noqa: F401 - fixtures


def criteria_items(panel):
    it = QTreeWidgetItemIterator(panel.tree)
    while it.value():
        item = it.value()
        if item.parent() is not None:
            yield item
        it += 1


def test_criterion_values_carry_their_units(rules_window):
    panel = rules_window.rules_wiring.panel
    panel.rule_set_item("sabr-comet").setExpanded(True)
    treat = [i for i in criteria_items(panel) if "treated safely" in i.text(0)]
    assert treat and treat[0].text(2) == "0 not treatable"  # a bare "0" read as "nothing was checked"
    numbers = [i.text(2) for i in criteria_items(panel) if i.text(2)[:1].isdigit()]
    assert any(v.endswith(" mm") for v in numbers), numbers  # the largest diameter
    assert any(v.endswith(" years") for v in numbers), numbers  # the age
    assert any(v.endswith(" months") for v in numbers), numbers  # the life expectancy


def _wide(w, qtbot, px: int = 1000):
    """The verdicts' dock floated and ``px`` wide, as a user drags it off the side column."""
    dock = w.rules_wiring.verdict_dock
    dock.setFloating(True)
    dock.resize(px, 500)
    qtbot.waitUntil(lambda: dock.width() >= px - 2 and w.rules_wiring.panel.isVisible())
    qtbot.wait(20)  # the columns' fit runs after the resize
    return w.rules_wiring.panel


def test_with_room_status_value_and_threshold_stand_in_columns_that_fit_them(rules_window, qtbot):
    panel = _wide(rules_window, qtbot)
    tree = panel.tree
    assert not panel.is_compact()
    fm = tree.fontMetrics()
    items = list(criteria_items(panel))
    assert items
    for item in items:
        for col in (1, 2, 3):
            assert not tree.isColumnHidden(col)
            assert fm.horizontalAdvance(item.text(col)) <= tree.columnWidth(col), (col, item.text(col))
        assert item.toolTip(0).startswith(item.text(0))  # the title in full on hover
    # the columns share the dock's width: nothing to the right of it
    from gui.panels.verdict_panel import MIN_TITLE_WIDTH
    assert tree.columnWidth(0) >= MIN_TITLE_WIDTH
    assert tree.header().length() <= tree.viewport().width()
    assert tree.horizontalScrollBar().maximum() == 0


def test_in_the_side_column_each_criterion_is_one_cell_with_its_value_and_threshold(rules_window, qtbot):
    w = rules_window
    panel = w.rules_wiring.panel
    w.rules_wiring.verdict_dock.raise_()
    qtbot.waitUntil(panel.isVisible)
    tree = panel.tree
    assert tree.viewport().width() <= 500 and panel.is_compact()
    assert all(tree.isColumnHidden(c) for c in range(1, 6))
    panel.rule_set_item("sabr-comet").setExpanded(True)
    count = criterion(panel, "sabr-comet", "count")
    shown = panel.rows.rich_text(tree.indexFromItem(count))
    for text in (count.text(1), count.text(0), count.text(2), count.text(3)):  # status, name, value, threshold
        assert text and html.escape(text) in shown, text
    assert shown.index(count.text(1)) < shown.index(html.escape(count.text(0)))  # the status first


def test_a_column_the_user_resized_keeps_its_width(rules_window, qtbot):
    panel = _wide(rules_window, qtbot)  # columns to resize (in the side column there is one)
    panel.tree.header().resizeSection(0, 333)  # as a drag on the header does
    rules_window.rules_wiring.evaluate_now()
    assert panel.tree.columnWidth(0) == 333


def test_in_the_side_column_the_one_column_always_spans_the_tree(rules_window, qtbot):
    """A drag on its header (or one made in a wider dock) must not bring back the sideways scroll."""
    from PySide6.QtWidgets import QHeaderView

    panel = rules_window.rules_wiring.panel
    rules_window.rules_wiring.verdict_dock.raise_()
    qtbot.waitUntil(panel.isVisible)
    tree = panel.tree
    assert panel.is_compact()
    assert tree.header().sectionResizeMode(0) == QHeaderView.ResizeMode.Fixed  # nothing to drag
    tree.header().resizeSection(0, 700)  # as a drag in a wider dock did
    rules_window.rules_wiring.evaluate_now()
    panel.fit_columns()  # the next resize of the side column
    assert tree.columnWidth(0) == tree.viewport().width()
    assert tree.horizontalScrollBar().maximum() == 0


def test_a_rule_set_row_shows_its_verdict_id_and_title_across_the_tree(rules_window, qtbot):
    panel = rules_window.rules_wiring.panel
    row = panel.rule_set_item("sabr-comet")
    assert row.isFirstColumnSpanned()
    assert row.text(0).startswith("ELIGIBLE — sabr-comet — SABR-COMET")
    # with room for columns, the status column is sized for the criteria's words, not for a verdict in
    # bold capitals
    _wide(rules_window, qtbot)
    fm = panel.tree.fontMetrics()
    assert fm.horizontalAdvance("unknown") <= panel.tree.columnWidth(1) < fm.horizontalAdvance("UNDETERMINED")


def test_criterion_names_wrap_and_are_never_cut_off(rules_window, qtbot):
    """A name wider than its column goes on to more lines (issue 16): the row is as tall as its lines."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFontMetrics

    w = rules_window
    panel = w.rules_wiring.panel
    _wide(w, qtbot)  # the column layout (in the side column each criterion is one wrapped cell)
    panel.rule_set_item("sabr-comet").setExpanded(True)
    tree = panel.tree
    tree.header().resizeSection(0, 140)  # a narrow column: most names are wider
    qtbot.wait(50)  # the view lays its rows out again
    fm = QFontMetrics(tree.font())
    sabr = panel.rule_set_item("sabr-comet")
    long_items = [sabr.child(n) for n in range(sabr.childCount()) if fm.horizontalAdvance(sabr.child(n).text(0)) > 200]
    assert long_items
    for item in long_items:
        rect = tree.visualItemRect(item)
        text_width = tree.columnWidth(0) - (rect.left() - tree.visualItemRect(sabr).left())
        needed = fm.boundingRect(0, 0, max(text_width - 16, 20), 10000, int(Qt.TextFlag.TextWordWrap),
                                 item.text(0)).height()
        assert rect.height() >= needed, (item.text(0), rect.height(), needed)
        assert rect.height() > 2 * fm.lineSpacing()  # more than one line


def test_the_rule_set_menu_stays_open_while_ticking_several(rules_window, qtbot):
    from PySide6.QtCore import Qt

    panel = rules_window.rules_wiring.panel
    rules_window.rules_wiring.verdict_dock.raise_()
    qtbot.waitUntil(panel.isVisible)
    before = panel.selected_ids()
    menu = panel.menu
    menu.popup(panel.picker.mapToGlobal(panel.picker.rect().bottomLeft()))
    qtbot.waitUntil(menu.isVisible)
    unticked = [a for a in panel.rule_set_actions.values() if not a.isChecked()][:2]
    assert len(unticked) == 2
    for action in unticked:
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
        assert menu.isVisible()  # still open for the next tick
    assert set(panel.selected_ids()) == set(before) | {a.data() for a in unticked}
    assert rules_window.rules_wiring.panel.rule_set_item(unticked[0].data()) is not None  # evaluated
    menu.setActiveAction(unticked[0])
    qtbot.keyClick(menu, Qt.Key.Key_Space)  # the keyboard toggles too
    assert not unticked[0].isChecked() and menu.isVisible()
    qtbot.keyClick(menu, Qt.Key.Key_Escape)
    assert not menu.isVisible()


def test_a_score_row_wraps_between_its_factors_only():
    """"Fong score: incomplete (node+ ?, …" wrapped "node+" from its "?" in the side column."""
    from gui.panels.verdict_rows import factors_together

    nb = "\u00a0"
    text = "Fong clinical risk score: incomplete (node+ ?, DFI < 12 mo 0, > 1 tumour 1)"
    assert factors_together(text) == (f"Fong clinical risk score: incomplete (node+{nb}?, DFI{nb}<{nb}12{nb}mo{nb}0, "
                                      f">{nb}1{nb}tumour{nb}1)")
    assert factors_together("Fong clinical risk score: not applicable") == "Fong clinical risk score: not applicable"

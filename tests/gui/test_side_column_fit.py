"""The side column at its usual widths (324-500 px) and in a 1024 x 680 window (issue 16): the case facts'
fields and the lesion table fit without sideways scrolling, the lesion table's other columns come back
with room or from the header's column chooser (remembered), and the verdicts keep rows in view."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QLineEdit, QScrollArea

from core.lesions import AddLesion
from gui.panels.lesion_table import C_ID, C_LABEL, C_LD, C_NOTES, C_SITE, C_SUV, C_TREAT
from tests.gui.test_lesion_table import choose_column
from tests.gui.test_verdict_panel import FACTS, SITES, cube_lesion


@pytest.fixture(autouse=True)
def isolated(message_boxes, tmp_path, monkeypatch):
    monkeypatch.setenv("OLIGOPLAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OLIGOPLAN_CONFIG_DIR", str(tmp_path / "config"))


def _window(qtbot, settings, size, ct):
    from gui.main_window import MainWindow

    w = MainWindow(settings)
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    w.show_volumes(ct)
    w.rules_wiring.case.facts = dict(FACTS)
    w.rules_wiring._load_facts()
    for n, site in enumerate(SITES[:5]):
        w.undo_stack.push_command(AddLesion(w.model.lesions, cube_lesion(ct, n, site)))
    qtbot.wait(100)  # the first layout and its second pass (a zero timer)
    return w


@pytest.fixture
def wide(qtbot, settings, ct_volume):
    w = _window(qtbot, settings, (1400, 950), ct_volume)
    yield w
    w.runner.shutdown()


def _column(w, qtbot, px: int) -> None:
    """The side column ``px`` wide, as the user drags its edge."""
    w.resizeDocks([w.lesion_dock], [px], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: abs(w.lesion_dock.width() - px) <= 2)
    qtbot.wait(20)  # the columns' fit runs after the resize


def _inside(child, viewport) -> bool:
    rect = QRect(child.mapTo(viewport, QPoint(0, 0)), child.size())
    return viewport.rect().contains(rect)


@pytest.mark.parametrize("px", [324, 500])
def test_every_fact_field_is_whole_in_view_and_nothing_scrolls_sideways(wide, qtbot, px):
    w = wide
    _column(w, qtbot, px)
    form = w.rules_wiring.facts_form
    scroll = form.findChild(QScrollArea, "facts_scroll")
    assert not scroll.horizontalScrollBar().isVisible()
    for key, editor in form.editors.items():
        centre = editor.mapTo(scroll.widget(), editor.rect().center())  # scrolled to it, as the user does
        scroll.ensureVisible(centre.x(), centre.y(), editor.width() // 2 + 2, editor.height() // 2 + 2)
        assert _inside(editor, scroll.viewport()), key  # cut at the right edge before (the value hidden)
        assert editor.width() >= max(editor.minimumSizeHint().width(), editor.minimumWidth()), key
        if isinstance(editor, QLineEdit) and editor.text():  # the value typed is whole (with its buttons)
            assert editor.fontMetrics().horizontalAdvance(editor.text()) + 40 <= editor.width(), key
        label = form.findChild(type(form.error_label), f"fact_label_{key}")
        left = label.mapTo(scroll.viewport(), QPoint(0, 0)).x()
        assert label.isVisible() and 0 <= left and left + label.width() <= scroll.viewport().width(), key


@pytest.mark.parametrize("px", [324, 500])
def test_the_lesion_table_shows_its_essential_columns_without_a_sideways_scroll_bar(wide, qtbot, px):
    w = wide
    _column(w, qtbot, px)
    table = w.lesion_panel.table
    header = table.horizontalHeader()
    assert not table.horizontalScrollBar().isVisible()
    shown = [c for c in range(header.count()) if not header.isSectionHidden(c)]
    assert sum(header.sectionSize(c) for c in shown) <= table.viewport().width()
    for col in (C_LABEL, C_SITE, C_LD, C_TREAT):
        assert col in shown, col
        right = header.sectionViewportPosition(col) + header.sectionSize(col)
        assert 0 <= header.sectionViewportPosition(col) and right <= table.viewport().width(), col
    # the diameter's header in full; sites and treatability whole ("not assessed", not "not…")
    assert header.sectionSize(C_LD) >= header.fontMetrics().horizontalAdvance("Axial LD mm")
    for col in (C_SITE, C_TREAT):
        assert header.sectionSize(col) >= w.lesion_panel.columns.needed_px(col), col
    assert w.lesion_panel.cell_text("L1", C_TREAT) == "not assessed"
    if px == 324:  # no room for the id: the lesion's colour moves beside its label
        assert C_ID not in shown
        index = w.lesion_panel.proxy_index("L1", C_LABEL)
        assert index.data(Qt.ItemDataRole.DecorationRole) is not None
    else:  # room for more: the id and the SUVmax come back, in their colour
        assert C_ID in shown and C_SUV in shown
        assert w.lesion_panel.proxy_index("L1", C_ID).data(Qt.ItemDataRole.DecorationRole) is not None
        assert w.lesion_panel.proxy_index("L1", C_LABEL).data(Qt.ItemDataRole.DecorationRole) is None


def test_the_column_chooser_hides_and_shows_columns_and_the_next_window_remembers(wide, qtbot, settings,
                                                                                   ct_volume):
    w = wide
    _column(w, qtbot, 500)
    table = w.lesion_panel.table
    assert not table.isColumnHidden(C_SUV) and table.isColumnHidden(C_NOTES)  # no room for the notes
    choose_column(qtbot, table, "SUVmax")  # untick
    assert table.isColumnHidden(C_SUV)
    assert not table.horizontalScrollBar().isVisible()
    choose_column(qtbot, table, "Notes")  # tick: shown although there was no room (the user asked)
    assert not table.isColumnHidden(C_NOTES)
    w.close()
    again = _window(qtbot, settings, (1400, 950), ct_volume)
    try:
        _column(again, qtbot, 500)
        table = again.lesion_panel.table
        assert table.isColumnHidden(C_SUV) and not table.isColumnHidden(C_NOTES)  # the choice stayed
        choose_column(qtbot, table, "SUVmax")  # and can be undone
        choose_column(qtbot, table, "Notes")
        assert not table.isColumnHidden(C_SUV) and table.isColumnHidden(C_NOTES)
        assert not table.horizontalScrollBar().isVisible()
    finally:
        again.runner.shutdown()


def test_at_1024_x_680_the_verdicts_keep_six_rows_in_view_and_the_column_split_is_remembered(
        qtbot, settings, ct_volume):
    from core.rt.structures import ImportedStructureSet, Structure, StructureKind

    w = _window(qtbot, settings, (1024, 680), ct_volume)
    rules = w.rules_wiring
    tree = rules.panel.tree
    row_px = tree.fontMetrics().height() + 4
    # a structure set with warnings in the Structures tab (the real PET/MR case has three): its list and
    # warnings scroll inside their tab instead of making the whole tab group taller than the verdicts allow
    warning = "structure set placed by frame of reference and slice positions; 2 contours left out (off the images)"
    structures = [Structure(n, name, (200, 60, 60), "ORGAN", StructureKind.ORGAN_AT_RISK)
                  for n, name in enumerate(["LIVER", "LUNG_L", "LUNG_R", "HEART", "SPINALCORD"], start=1)]
    w.structure_wiring.panel.set_structure_sets(
        [ImportedStructureSet(path="rs.dcm", sop_uid="1.2.3", label="RTSTRUCT", series_uid=ct_volume.info.series_uid,
                              frame_of_reference_uid="1.2.4", how="frame of reference", structures=structures,
                              warnings=[warning] * 3)],
        set())
    qtbot.wait(50)
    try:
        seen = tree.visibleRegion().boundingRect()  # what the scroll area and the dock leave on screen
        assert seen.height() - tree.header().height() >= 6 * row_px, (seen.height(), row_px)
        assert rules.facts_dock.visibleRegion().boundingRect().height() >= 100  # the facts keep a share
        # the user drags the split between the verdicts and the facts: the next start keeps it
        w.resizeDocks([rules.verdict_dock], [rules.verdict_dock.height() + 30], Qt.Orientation.Vertical)
        qtbot.wait(20)
        verdict_px = rules.verdict_dock.height()
        w.close()
    finally:
        w.runner.shutdown()
    again = _window(qtbot, settings, (1024, 680), ct_volume)
    try:
        assert abs(again.rules_wiring.verdict_dock.height() - verdict_px) <= 4
    finally:
        again.runner.shutdown()


def _row_document(panel, item):
    """The row as the verdict tree draws it: its rich text laid out at the width it wraps to."""
    from PySide6.QtWidgets import QStyleOptionViewItem

    index = panel.tree.indexFromItem(item)
    option = QStyleOptionViewItem()
    option.font = item.font(0)
    return panel.rows.document(option, index, panel.rows.rich_text(index))


@pytest.mark.parametrize("px", [324, 500])
def test_every_verdict_and_criterion_row_is_whole_without_a_sideways_scroll_bar(wide, qtbot, px):
    """Issue 16: "ELIGIBLE — sabr-comet — SABR-COMET: S…" and the criteria were cut at the right and the
    tree scrolled sideways; each row now wraps to the tree's width, its verdict or status first."""
    from gui.panels.verdict_rows import VERDICT_WORD_COLOURS

    w = wide
    _column(w, qtbot, px)
    panel = w.rules_wiring.panel
    tree = panel.tree
    for n in range(tree.topLevelItemCount()):
        tree.topLevelItem(n).setExpanded(True)
    qtbot.wait(20)
    assert tree.horizontalScrollBar().maximum() == 0 and not tree.horizontalScrollBar().isVisible()
    assert tree.header().length() <= tree.viewport().width()
    width = tree.viewport().width()
    rule_sets = [tree.topLevelItem(n) for n in range(tree.topLevelItemCount())
                 if tree.topLevelItem(n).text(1) in VERDICT_WORD_COLOURS]
    assert len(rule_sets) == 2, [tree.topLevelItem(n).text(0) for n in range(tree.topLevelItemCount())]
    for item in rule_sets:
        verdict = item.text(1)
        doc = _row_document(panel, item)
        assert doc.toPlainText().startswith(verdict)  # the verdict first, then the id and title, whole
        assert doc.toPlainText().replace("\u2028", " ") == item.text(0)
        assert VERDICT_WORD_COLOURS[verdict] in panel.rows.rich_text(tree.indexFromItem(item))  # in its colour
        tree.scrollToItem(item)
        rect = tree.visualItemRect(item)
        assert rect.left() >= 0 and rect.right() <= width, (rect, width)
        assert doc.idealWidth() <= rect.width() and doc.size().height() <= rect.height() + 1, verdict
        assert item.toolTip(0).startswith(item.text(0))
    longest = max((r.child(n) for r in rule_sets for n in range(r.childCount())),
                  key=lambda c: tree.fontMetrics().horizontalAdvance(c.text(0)))
    doc = _row_document(panel, longest)
    room = panel.rows.text_width(tree.indexFromItem(longest))
    assert tree.fontMetrics().horizontalAdvance(f"{longest.text(1)}  {longest.text(0)}") > room  # so it wraps
    first_line = doc.toPlainText().split("\n")[0]  # the value and threshold on the line below
    assert first_line.split(None, 1) == [longest.text(1), longest.text(0)]  # the status first, the name whole
    tree.scrollToItem(longest)
    rect = tree.visualItemRect(longest)
    assert rect.left() >= 0 and rect.right() <= width, (rect, width)
    assert doc.idealWidth() <= rect.width() and doc.size().height() <= rect.height() + 1, longest.text(0)
    assert longest.toolTip(0).startswith(longest.text(0))

"""Labels on the slice views stay readable: none covers another, none is cut at the view's edge,
each stands on a contrasting box; lesion labels win the space over structure names.

The case is the phantom's lung lesion L4 beside the proximal bronchus, where "L4" / "MISSED ref ..."
and "BRONCHUS_PROX" (and the lung names) were drawn over each other."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtWidgets import QDockWidget, QStyleOptionViewItem

from core.orientation import Plane
from gui.panels.structure_list import StructureList
from gui.view_labels import LabelKind
from tests.gui.conftest import drag, pixels, wheel
from tests.gui.test_lesion_tools import PHANTOM, axial, go_to_mm, key
from tests.gui.test_review_practice import reference  # noqa: F401 - fixture


@pytest.fixture
def folder_win(win, qtbot):
    """The phantom opened as a user would (File > Open folder): CT, PET and its organs at risk."""
    if not PHANTOM.is_dir():
        pytest.skip("sample_scans/phantom-oligo is not there (make samples)")
    win.open_folder(str(PHANTOM))
    qtbot.waitUntil(lambda: bool(win.model.base is not None and win.model.overlay is not None
                                 and win.structure_wiring.sets and not win.runner.busy), timeout=60000)
    return win


def click_segment(qtbot, w, centre_mm):
    """S, click on the lesion's centre on the axial view, Enter: a lesion like a user makes one."""
    idx = go_to_mm(w, centre_mm)
    key(qtbot, w, Qt.Key.Key_S)
    view = axial(w)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.index_to_widget(np.rint(idx)).toPoint())
    key(qtbot, w, Qt.Key.Key_Return)
    key(qtbot, w, Qt.Key.Key_C)  # back to the crosshair


def painted_labels(view):
    view.repaint()
    return list(view.labels.placed)


def names_on_image(w):
    """View > Structure names on the image (off by default: names are in the legend and on hover)."""
    w.display_wiring.names_action.trigger()
    assert w.display_wiring.names_action.isChecked()


def assert_readable(view, labels):
    inside = QRectF(view.rect())
    for label in labels:
        assert inside.contains(label.rect), f"{label.text!r} at {label.rect} is cut by the view's edge {inside}"
    for a, b in itertools.combinations(labels, 2):
        assert not a.rect.intersects(b.rect), f"{a.text!r} {a.rect} covers {b.text!r} {b.rect}"


def test_lesion_label_beside_the_bronchus_covers_no_structure_name(folder_win, qtbot, truth):
    w = folder_win
    click_segment(qtbot, w, truth["L4"]["centre_mm"])
    lesion = next(iter(w.model.lesions))
    go_to_mm(w, truth["L4"]["centre_mm"])
    names_on_image(w)
    collided = 0
    for plane in Plane:
        view = w.views[plane]
        labels = painted_labels(view)
        texts = [label.text for label in labels]
        assert lesion.label in texts, (plane, texts)
        assert_readable(view, labels)
        # lesions are placed first: the lesion's label is where it would be alone, or nearer than names are
        first = next(label for label in labels if label.text == lesion.label)
        assert first.kind is LabelKind.LESION and first.free
        collided += sum(a.preferred.intersects(b.preferred) for a, b in itertools.combinations(labels, 2))
    axial_texts = [label.text for label in w.views[Plane.AXIAL].labels.placed]
    assert "BRONCHUS_PROX" in axial_texts and "LUNG_R" in axial_texts
    assert collided > 0  # where each label would go alone, some cover each other: the case is a real one


def test_missed_reference_label_and_structure_names_do_not_overlap(folder_win, qtbot, reference, truth):
    w = folder_win
    rv = w.review_wiring
    rv.practice.start(reference)
    qtbot.waitUntil(lambda: rv.practice.active)
    key(qtbot, w, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert rv.practice.session.scorecard is not None  # scored with nothing drawn: L4 (and L1) missed
    go_to_mm(w, truth["L4"]["centre_mm"])
    names_on_image(w)
    for plane in Plane:
        view = w.views[plane]
        labels = painted_labels(view)
        missed = [label for label in labels if label.text.startswith("MISSED ref")]
        assert missed and all(label.kind is LabelKind.REFERENCE for label in missed), (plane, labels)
        assert any(label.kind is LabelKind.STRUCTURE for label in labels)
        assert_readable(view, labels)
        # each label stands on a box that contrasts with its text
        image = pixels(view).astype(float)
        for label in labels:
            x, y = int(label.rect.left() + 1.5), int(label.rect.center().y())
            box = image[y, x, :3] @ [0.299, 0.587, 0.114]
            c = label.color
            text = 0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue()
            assert abs(box - text) > 60, (label.text, box, text)


def test_a_label_at_the_views_edge_is_shifted_in_not_cut(folder_win, qtbot, truth):
    w = folder_win
    click_segment(qtbot, w, truth["L4"]["centre_mm"])
    lesion = next(iter(w.model.lesions))
    view = axial(w)
    idx = go_to_mm(w, truth["L4"]["centre_mm"])
    for _ in range(3):  # Ctrl+wheel: zoom in on the lesion
        wheel(view, view.index_to_widget(idx), 120, Qt.KeyboardModifier.ControlModifier)
    here = view.index_to_widget(idx)
    # Shift+drag pans the lesion to 4 px from the view's right edge: its label, beside it on the right,
    # would stick out
    right = view.width() - 4
    drag(view, here, QPointF(right, here.y()), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier)
    assert abs(view.index_to_widget(idx).x() - right) < 2
    labels = painted_labels(view)
    label = next(label for label in labels if label.text == lesion.label)
    assert label.preferred.right() > view.width()  # alone, it would have been cut
    assert_readable(view, labels)


# ------------------------------------------------------------------ the structure list's names
def structure_rows(tree):
    for i in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(i)
        for j in range(group.childCount()):
            yield group.child(j)


def name_room(tree, item) -> float:
    """Width left for the name in its cell: the cell (indentation excluded) less what the delegate draws
    besides the text (check box, colour swatch, margins)."""
    index = tree.indexFromItem(item, 0)
    cell = tree.visualRect(index).width()
    option = QStyleOptionViewItem()
    option.font = tree.font()
    option.decorationSize = tree.iconSize() if tree.iconSize().isValid() else QSize(16, 16)
    hint = tree.itemDelegate().sizeHint(option, index).width()
    return cell - (hint - tree.fontMetrics().horizontalAdvance(item.text(0)))


def test_structure_names_fit_their_column_and_the_tooltip_has_the_full_name(folder_win, qtbot):
    w = folder_win
    panel = w.structure_wiring.panel
    tree = panel.tree
    dock = panel.parentWidget()
    while dock is not None and not isinstance(dock, QDockWidget):
        dock = dock.parentWidget()
    dock.raise_()  # the Structures tab of the side column brought to the front, as a click on it does
    qtbot.waitUntil(lambda: tree.isVisible() and tree.viewport().width() > 250)
    rows = list(structure_rows(tree))
    assert "BRONCHUS_PROX" in [item.text(0) for item in rows]
    fm = tree.fontMetrics()
    for item in rows:  # every name drawn whole, "BRONCHUS_PROX" not "BRONCHUS…"
        assert fm.horizontalAdvance(item.text(0)) <= name_room(tree, item), (item.text(0), tree.columnWidth(0))
        assert item.toolTip(0).startswith(item.text(0) + ":")
    # and the Type column is still in view beside the names
    assert tree.columnWidth(0) + tree.sizeHintForColumn(1) <= tree.viewport().width()

    # a narrow dock: the names take what the types leave, the types stay in view; wider again, whole names
    narrow = StructureList()
    qtbot.addWidget(narrow)
    narrow.set_structure_sets(w.structure_wiring.sets, set())
    narrow.resize(190, 400)
    narrow.show()
    qtbot.waitExposed(narrow)
    tree = narrow.tree
    rows = list(structure_rows(tree))
    assert tree.columnWidth(0) + tree.sizeHintForColumn(1) <= tree.viewport().width() + 1
    assert any(fm.horizontalAdvance(item.text(0)) > name_room(tree, item) for item in rows)  # cut, as it must
    narrow.resize(420, 400)
    qtbot.waitUntil(lambda: tree.viewport().width() > 300)
    for item in rows:
        assert fm.horizontalAdvance(item.text(0)) <= name_room(tree, item), item.text(0)


def test_crowded_labels_lesions_all_shown_far_structure_names_left_out(qapp):
    """Twelve lesions and twelve structures at one point of a small view: every lesion label is placed
    apart; a structure name goes near its outline or not at all (far off it would name another organ)."""
    from PySide6.QtGui import QColor, QFont

    from gui.view_labels import LabelRequest, label_font, place_labels

    font = QFont()
    anchor = QPointF(150, 100)
    lesions = [LabelRequest(f"L{i}", anchor, QColor(60, 230, 60)) for i in range(12)]
    names = [LabelRequest(f"STRUCTURE_{i}", anchor, QColor(0, 200, 200), LabelKind.STRUCTURE, below=True)
             for i in range(12)]
    bounds = QRectF(0, 0, 300, 200)
    placed, left_out = place_labels(names + lesions, bounds, [QRectF(0, 0, 60, 20)], label_font(font, False),
                                    label_font(font, True))
    assert [p.text for p in placed[:12]] == [f"L{i}" for i in range(12)]  # lesions first, whatever the order asked
    assert all(p.free for p in placed)
    assert left_out and len(placed) + len(left_out) == 24
    for p in placed:
        assert bounds.contains(p.rect) and not p.rect.intersects(QRectF(0, 0, 60, 20))
        if p.kind is LabelKind.STRUCTURE:
            near = QPointF(min(max(anchor.x(), p.rect.left()), p.rect.right()),
                           min(max(anchor.y(), p.rect.top()), p.rect.bottom()))
            assert abs(near.y() - anchor.y()) <= 3 * p.rect.height()
    for a, b in itertools.combinations(placed, 2):
        assert not a.rect.intersects(b.rect), (a.text, b.text)

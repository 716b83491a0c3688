"""Labels that never hide the finding, structure colours from the file, double-click jumps (issue 16).

On the phantom opened as a user would (CT, PET and its RTSTRUCT): structure names are in the
legend and on hover, not painted over the image; lesion numbers sit beside the lesion; L hides and
shows every label; each outline takes its ROI Display Colour; double-clicking a structure or a
lesion (structure list, lesion table, lesion map) moves the views to it.
"""

from __future__ import annotations

import numpy as np
import pydicom
from PySide6.QtCore import Qt

from gui.view_labels import LabelKind
from tests.gui.conftest import hover, pixels
from tests.gui.test_lesion_tools import PHANTOM, axial, go_to_mm, key
from tests.gui.test_view_labels import click_segment, folder_win, painted_labels  # noqa: F401 - fixture


def structure(w, name):
    for ss in w.structure_wiring.sets:
        for s in ss.structures:
            if s.name == name:
                return s
    raise AssertionError(f"no structure {name}")


def item_of(w, name):
    tree = w.structure_wiring.panel.tree
    for i in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(i)
        for j in range(group.childCount()):
            if group.child(j).text(0) == name:
                return group.child(j)
    raise AssertionError(f"no row {name}")


def double_click(qtbot, widget, pos):
    """What a mouse sends for a double-click: press, release, double-click, release."""
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(widget, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=pos)


def in_mask(mask, zyx) -> bool:
    idx = tuple(int(round(float(v))) - o for v, o in zip(zyx, mask.offset))
    return all(0 <= i < n for i, n in zip(idx, mask.array.shape)) and bool(mask.array[idx])


def test_names_on_hover_lesion_number_beside_and_l_toggles_every_label(folder_win, qtbot, truth):
    w = folder_win
    click_segment(qtbot, w, truth["L4"]["centre_mm"])  # the lung lesion beside the bronchus
    lesion = next(iter(w.model.lesions))
    go_to_mm(w, truth["L4"]["centre_mm"])
    view = axial(w)
    labels = painted_labels(view)
    assert not [label for label in labels if label.kind is LabelKind.STRUCTURE]  # none over the image
    number = next(label for label in labels if label.text == lesion.label)
    # beside the lesion, not on it: the box is clear of the lesion's outline
    loops = w.views[view.plane].lesion_overlay.outlines(lesion, view.slice_axis, view.slice_index)
    outline = np.concatenate([view.plane_to_widget(loop) for loop in loops])
    box = number.rect
    inside = (outline[:, 0] > box.left()) & (outline[:, 0] < box.right()) \
        & (outline[:, 1] > box.top()) & (outline[:, 1] < box.bottom())
    assert not inside.any(), "the lesion number covers its outline"
    assert box.left() >= outline[:, 0].max() - 1  # to the right of it
    # the mouse over the right lung (away from the lesion): its name, and only its, on the image
    lung = structure(w, "LUNG_R").mask
    k = view.slice_index
    ys, xs = np.nonzero(lung.array[k - lung.offset[0]])
    far = int(np.argmin((ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2))  # the lung voxel nearest its middle
    zyx = (k, ys[far] + lung.offset[1], xs[far] + lung.offset[2])
    assert in_mask(lung, zyx)
    hover(view, view.index_to_widget(zyx))
    names = [label.text for label in painted_labels(view) if label.kind is LabelKind.STRUCTURE]
    assert names == ["LUNG_R"]
    # L: no label at all on the image; L again: they are back
    qtbot.keyClick(view, Qt.Key.Key_L)
    assert not w.display_wiring.labels_action.isChecked()
    assert painted_labels(view) == []
    qtbot.keyClick(view, Qt.Key.Key_L)
    assert lesion.label in [label.text for label in painted_labels(view)]


def test_each_structure_is_outlined_in_its_roi_display_colour(folder_win):
    w = folder_win
    ds = pydicom.dcmread(PHANTOM / "RTSTRUCT" / "rtstruct.dcm")
    names = {r.ROINumber: r.ROIName for r in ds.StructureSetROISequence}
    in_file = {names[rc.ReferencedROINumber]: tuple(int(c) for c in rc.ROIDisplayColor)
               for rc in ds.ROIContourSequence}
    assert in_file["LUNG_R"] == (255, 160, 0) and in_file["LIVER"] == (160, 80, 40)
    w.model.set_overlay_visible(False)  # the outline's own colour, not blended with the PET
    view = axial(w)
    for name in ("LUNG_R", "LIVER"):
        s = structure(w, name)
        assert tuple(s.color) == in_file[name]
        mask = s.mask
        z = mask.offset[0] + int(np.argmax(mask.array.sum(axis=(1, 2))))  # its largest axial slice
        w.model.set_cursor((z, 0, 0))
        key_ = next(k for k, st in w.structure_wiring.visible_structures() if st is s)
        loops = w.structure_wiring.overlay.outlines(key_, s, 0, z)
        points = np.concatenate([view.plane_to_widget(loop) for loop in loops])
        image = pixels(view).astype(int)
        want = np.array(in_file[name])
        hits = 0
        for x, y in points[:: max(1, len(points) // 40)]:
            patch = image[int(y) - 1:int(y) + 2, int(x) - 1:int(x) + 2].reshape(-1, 3)
            hits += bool((np.abs(patch - want).max(axis=1) <= 30).any())
        assert hits >= 20, (name, hits)  # drawn in the file's colour along the outline


def test_double_click_a_structure_a_lesion_row_or_a_map_thumbnail_jumps_there(folder_win, qtbot, truth):
    w = folder_win
    liver = structure(w, "LIVER")
    w.model.set_cursor((0, 0, 0))
    tree = w.structure_wiring.panel.tree
    item = item_of(w, "LIVER")
    tree.scrollToItem(item)
    rect = tree.visualItemRect(item)
    double_click(qtbot, tree.viewport(), rect.center())
    assert in_mask(liver.mask, w.model.cursor), w.model.cursor
    # a lesion in the lesion table
    click_segment(qtbot, w, truth["L4"]["centre_mm"])
    lesion = next(iter(w.model.lesions))
    centre = tuple(np.rint(w.model.lesion_centre_index(lesion)).astype(int))
    w.model.set_cursor((0, 0, 0))
    table = w.lesion_panel.table
    index = w.lesion_panel.proxy_index(lesion.id)
    cell = table.visualRect(index).center()
    double_click(qtbot, table.viewport(), cell)
    assert tuple(w.model.cursor) == centre
    # a lesion's thumbnail in the lesion map
    w.model.set_cursor((0, 0, 0))
    w.review_wiring.actions.lesion_map.trigger()
    lesion_map = w.review_wiring.lesion_map_window
    qtbot.waitExposed(lesion_map)
    from gui.review.lesion_map_window import ImageTile

    thumb = next(t for t in lesion_map.cards[lesion.id].findChildren(ImageTile))
    double_click(qtbot, thumb, thumb.rect().center())
    assert tuple(w.model.cursor) == centre
    lesion_map.close()

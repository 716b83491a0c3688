"""DICOM SEG in the GUI: a folder with a SEG made by another tool shows its segments in the
structure list, outlined on the views like structure sets, and a segment becomes a lesion
(its coded region and type as site and kind) with the Make lesion button."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from core.codes import LesionKind, Site
from core.orientation import Plane
from tests.core.seg_factory import LIVER, N_SLICES, SIZE, description, make_seg, save, write_ct


@pytest.fixture
def seg_win(window, qtbot, tmp_path):
    ct = write_ct(tmp_path / "case" / "ct")
    masks = np.zeros((N_SLICES, SIZE, SIZE, 2), dtype=bool)
    masks[2:5, 5:10, 4:9, 0] = True
    masks[6, 12:15, 12:16, 1] = True
    seg = make_seg(ct, masks, [description(1, "Liver met", region=LIVER), description(2, "Node")],
                   shuffle=True, label="TOOLSEG")
    save(seg, tmp_path / "case" / "seg.dcm")
    window.open_folder(str(tmp_path / "case"))
    wiring = window.structure_wiring
    qtbot.waitUntil(lambda: bool(window.model.base is not None and wiring.sets and not window.runner.busy),
                    timeout=60000)
    return window, masks


def test_segments_are_listed_outlined_and_become_lesions(seg_win, qtbot, tmp_path):
    window, masks = seg_win
    wiring = window.structure_wiring
    assert len(window.scan_result.series) == 1  # the SEG is not offered as an image series
    assert window.browser.summary.text() == "1 series, 1 segmentation (SEG)"
    [placed] = wiring.sets
    assert placed.label == "TOOLSEG"
    names = [s.name for _, s in wiring.visible_structures()]
    assert names == ["Liver met", "Node"]
    window.model.set_cursor((3, 7, 6))
    overlay = wiring.overlay
    for plane in Plane:  # outlined on its slice in each of the three views
        overlay.clear()
        n = overlay.outline_count
        window.views[plane].repaint()
        assert overlay.outline_count > n, plane
        window.views[plane].grab().save(str(tmp_path / f"seg_{plane.name.lower()}.png"))

    item = next(it for it in wiring.panel._items.values() if it.text(0) == "Liver met")
    wiring.panel.tree.setCurrentItem(item)
    assert wiring.panel.make_lesion_button.isEnabled()
    qtbot.mouseClick(wiring.panel.make_lesion_button, Qt.MouseButton.LeftButton)
    (lesion,) = list(window.model.lesions)
    assert lesion.label == "Liver met"
    assert (lesion.site, lesion.kind) == (Site.LIVER, LesionKind.METASTASIS)
    assert np.array_equal(lesion.mask.full(), masks[..., 0])
    window.undo_stack.undo()
    assert len(window.model.lesions) == 0

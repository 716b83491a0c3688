"""A lesion has one colour: the RTSTRUCT's ROI Display Color is the colour the views draw it in.

A planning system showing the exported GTVs in other colours than OligoPlan did makes a
reviewer match lesions by name alone; the colour comes from core.lesion_colours for both.
"""

from __future__ import annotations

import pydicom
from PySide6.QtCore import Qt

from gui.view_labels import LabelKind
from tests.gui.test_lesion_tools import axial, go_to_mm, key
from tests.gui.test_view_labels import click_segment, folder_win, painted_labels  # noqa: F401


def drawn_colour(w, lesion, centre_mm) -> tuple[int, int, int]:
    """The colour the axial view paints the lesion's label in (its outline's colour)."""
    go_to_mm(w, centre_mm)
    own = [label for label in painted_labels(axial(w))
           if label.text == lesion.label and label.kind is LabelKind.LESION]
    assert len(own) == 1
    c = own[0].color
    return c.red(), c.green(), c.blue()


def test_exported_roi_colours_are_the_colours_on_screen(folder_win, qtbot, truth, tmp_path):
    w = folder_win
    for name in ("L1", "L4", "L5"):  # liver, lung, vertebra
        click_segment(qtbot, w, truth[name]["centre_mm"])
    first, second, third = sorted(w.model.lesions, key=lambda lesion: lesion.id)
    # delete the first: the remaining lesions' places in the list no longer match their ids
    w.lesion_panel.select_lesion(first.id)
    key(qtbot, w, Qt.Key.Key_Delete)
    assert [lesion.id for lesion in w.model.lesions] == [second.id, third.id]
    on_screen = {second.label: drawn_colour(w, second, truth["L4"]["centre_mm"]),
                 third.label: drawn_colour(w, third, truth["L5"]["centre_mm"])}
    assert on_screen[second.label] != on_screen[third.label]

    path = w.structure_wiring.export_rtstruct(tmp_path, include_oars=False)
    assert path is not None
    ds = pydicom.dcmread(path)
    names = {int(r.ROINumber): str(r.ROIName) for r in ds.StructureSetROISequence}
    exported = {names[int(rc.ReferencedROINumber)]: tuple(int(v) for v in rc.ROIDisplayColor)
                for rc in ds.ROIContourSequence}
    assert exported == on_screen

"""Opening another case replaces the window's lesion set; every panel keeps following the edits of
the case now shown (the viewer model re-emits them as ``events.lesion_changed``), none the old one's."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject

from core.case import Case, ImageRef, recovery_path_for, save_case
from core.lesions import AddLesion, Lesion, LesionMask, LesionSet
from core.orientation import Plane

FACTS = {"primary_site": "breast", "primary_controlled": "yes", "primary_definitive_treatment_date": "2020-01-01",
         "ecog": 1, "life_expectancy_months": 24, "age_years": 60, "all_lesions_treatable": "yes",
         "history_polymetastatic": "no"}


def cube(ct, n: int, site: str) -> Lesion:
    full = np.zeros(ct.shape, dtype=bool)
    z, y, x = 6 + 5 * n, 20 + (n % 3) * 12, 20 + (n % 2) * 30
    full[z:z + 3, y:y + 6, x:x + 6] = True
    return Lesion(f"L{n + 1}", f"{site} {n + 1}", site=site, mask=LesionMask.from_full(full, ct.info.series_uid))


class Paints(QObject):
    """Counts the paint events of a widget (a repaint is what the user sees of an overlay update)."""

    def __init__(self, widget):
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, _obj, event):  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def count_cell(panel) -> str:
    item = panel.criterion_item("sabr-comet", "count")
    assert item is not None
    return item.text(2)


def test_after_another_case_opens_table_verdicts_overlay_and_autosave_follow_its_edits(win, ct_volume, tmp_path, qtbot):
    w = win  # autosave after 50 ms (conftest)
    w.show_volumes(ct_volume)
    first, first_case = w.model.lesions, w.case_controller.case
    w.undo_stack.push_command(AddLesion(first, cube(ct_volume, 0, "liver")))
    other = Case(images=[ImageRef(str(tmp_path), ct_volume.info.series_uid, ct_volume.info.frame_of_reference_uid,
                                  "CT")],
                 lesions=LesionSet([cube(ct_volume, 1, "lung"), cube(ct_volume, 2, "bone")]), facts=dict(FACTS))
    path = save_case(other, tmp_path / "other.json")

    w.case_controller.open_case(path)
    opened = w.model.lesions
    assert opened is not first and [lesion.id for lesion in opened] == ["L2", "L3"]
    table, panel = w.lesion_panel, w.rules_wiring.panel
    assert table.table_model.rowCount() == 2 and count_cell(panel) == "2 metastases"

    axial = w.views[Plane.AXIAL]
    new = cube(ct_volume, 3, "adrenal")
    w.model.set_cursor((6 + 5 * 3 + 1, 22, 52))  # the slice of the lesion about to be drawn
    paints = Paints(axial)
    qtbot.waitUntil(lambda: paints.count > 0)  # the cursor move painted; now only the edit may
    paints.count = 0
    w.undo_stack.push_command(AddLesion(opened, new))

    # the table and its counts, the verdicts and the axial overlay show the lesion added to the opened case
    assert table.table_model.rowCount() == 3
    assert "3 lesions" in table.counts_label.text()
    assert count_cell(panel) == "3 metastases"
    qtbot.waitUntil(lambda: paints.count > 0)
    assert axial.lesion_overlay.outlines(new, axial.slice_axis, axial.slice_index)
    # and the work is kept: the opened case is autosaved
    qtbot.waitUntil(lambda: recovery_path_for(w.case_controller.case).exists())

    # the lesion set no longer shown keeps no window listener (only its own case's audit record)
    assert [getattr(callback, "__self__", None) for callback in first.changed._callbacks] == [first_case.review]

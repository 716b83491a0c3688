"""Lesion model, change events and undoable commands (no Qt)."""

import numpy as np
import pytest

from core.codes import Laterality, LesionKind, Site
from core.lesions import AddLesion, Lesion, LesionMask, LesionSet, RemoveLesion, UndoStack, UpdateLesion


def mask(offset=(1, 2, 3)):
    arr = np.zeros((2, 3, 3), bool)
    arr[0, 1, 1] = arr[1, :, 1] = True
    return LesionMask(offset, arr, (10, 20, 20), "1.2.3")


def test_site_parsing_accepts_enum_value_and_name_and_rejects_unknown():
    assert Site.parse("Liver") is Site.LIVER
    assert Site.parse("distant_lymph_node") is Site.DISTANT_LYMPH_NODE
    assert Site.LIVER.code.value == "10200004"
    with pytest.raises(ValueError, match="unknown site 'spleen'"):
        Site.parse("spleen")


def test_lesion_needs_geometry_and_validates_codes():
    with pytest.raises(ValueError, match="needs a marker point or a mask"):
        Lesion("L1", "x")
    with pytest.raises(ValueError, match="unknown lesion kind"):
        Lesion("L1", "x", kind="benign", point_mm=(0, 0, 0))
    lesion = Lesion("L1", "x", site="lung", laterality="right", point_mm=(1, 2, 3))
    assert lesion.site is Site.LUNG and lesion.laterality is Laterality.RIGHT
    assert lesion.kind is LesionKind.METASTASIS and lesion.treatable
    assert lesion.site_text == "lung (right)"


def test_mask_box_round_trip_and_membership():
    m = mask()
    full = m.full()
    assert full.shape == (10, 20, 20) and full.sum() == 4
    assert LesionMask.from_full(full, "1.2.3") == m
    assert m.contains((2, 4, 4)) and not m.contains((1, 2, 3))
    assert m.axial_slices() == [1, 2]


def test_add_remove_update_undo_redo_with_events():
    from core.case import Case

    case = Case()  # its audit trail is the record of the edits (the set keeps none of its own)
    lesions = case.lesions
    events = []
    lesions.changed.connect(lambda e: events.append((e.kind, e.lesion_id)))
    stack = UndoStack()
    a = Lesion(lesions.new_id(), "A", site="liver", point_mm=(0, 0, 0))
    b = Lesion(lesions.new_id(), "B", site="bone", mask=mask())
    stack.push(AddLesion(lesions, a))
    stack.push(AddLesion(lesions, b))
    stack.push(UpdateLesion(lesions, a.with_changes(label="A renamed", site=Site.LUNG)))
    stack.push(RemoveLesion(lesions, b.id))
    assert [x.label for x in lesions] == ["A renamed"]
    assert lesions.counts_by_site() == {"lung": 1}
    assert stack.undo() and stack.undo()  # back: B restored, A's old name
    assert [x.label for x in lesions] == ["A", "B"]
    assert lesions[b.id].mask == b.mask
    assert stack.redo()
    assert lesions[a.id].site is Site.LUNG
    assert events[:4] == [("added", "L1"), ("added", "L2"), ("updated", "L1"), ("removed", "L2")]
    assert any("site 'liver' -> 'lung'" in e.what for e in case.audit)
    assert not hasattr(lesions, "history")


def test_removed_position_is_restored_on_undo():
    lesions = LesionSet([Lesion(f"L{i}", f"n{i}", point_mm=(i, 0, 0)) for i in range(1, 4)])
    stack = UndoStack()
    stack.push(RemoveLesion(lesions, "L2"))
    stack.undo()
    assert lesions.ids() == ["L1", "L2", "L3"]


def test_ids_are_never_reused_after_delete():
    lesions = LesionSet()
    stack = UndoStack()
    first = lesions.new_id()
    stack.push(AddLesion(lesions, Lesion(first, "x", point_mm=(0, 0, 0))))
    stack.push(RemoveLesion(lesions, first))
    assert lesions.new_id() != first


def test_new_redo_branch_discards_undone_commands():
    lesions = LesionSet()
    stack = UndoStack()
    stack.push(AddLesion(lesions, Lesion("L1", "a", point_mm=(0, 0, 0))))
    stack.undo()
    stack.push(AddLesion(lesions, Lesion("L2", "b", point_mm=(0, 0, 0))))
    assert not stack.can_redo
    assert lesions.ids() == ["L2"]

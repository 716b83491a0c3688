"""Structure sets in the case file, from the window: import, turn a structure off, save,
open the case in a new window and find the same structures with the same visibility;
a moved file is found again by its SOP Instance UID, a lost one is named and nothing
else is lost."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from core.case import load_case
from tests.gui.test_lesion_tools import make_window
from tests.gui.test_structures import PHANTOM, gtv_file

pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")


def open_images(qtbot, settings, folder):
    win = make_window(qtbot, settings)
    win.open_folder(str(folder))
    qtbot.waitUntil(lambda: bool(win.model.base is not None and win.structure_wiring.sets
                                 and not win.runner.busy), timeout=60000)
    return win


def open_case(qtbot, settings, path, n_sets):
    win = make_window(qtbot, settings)
    win.case_controller.open_case(path)
    qtbot.waitUntil(lambda: bool(win.model.base is not None and len(win.structure_wiring.sets) == n_sets
                                 and not win.runner.busy and not win.structure_wiring.busy), timeout=60000)
    return win


def item(win, name):
    return next(it for it in win.structure_wiring.panel._items.values() if it.text(0) == name)


def close(win):
    win.case_controller.discard_changes()  # no "save your lesions?" box when the window closes
    win.close()


def test_imported_structures_and_their_visibility_come_back_with_the_case(qtbot, settings, tmp_path):
    first = open_images(qtbot, settings, PHANTOM)
    wiring = first.structure_wiring
    plans = tmp_path / "plans"
    plans.mkdir()
    assert not first.case_controller.is_modified
    placed = wiring.import_file(gtv_file(first, plans))  # a structure set away from the images
    assert first.case_controller.is_modified and first.isWindowModified()  # closing would ask to save
    liver = item(first, "LIVER")
    wiring.panel.tree.setCurrentItem(liver)
    qtbot.keyClick(wiring.panel.tree, Qt.Key.Key_Space)  # LIVER's outline off
    assert liver.checkState(0) == Qt.CheckState.Unchecked
    case_path = tmp_path / "cases" / "patient.oligoplan.json"
    first.case_controller.save_to(case_path)
    assert not first.case_controller.is_modified
    doc = json.loads(case_path.read_text())
    paths = sorted(s["path"] for s in doc["structure_sets"])
    assert "../plans/gtv.dcm" in paths and len(paths) == 2
    close(first)

    second = open_case(qtbot, settings, case_path, 2)
    names = {s.name for ss in second.structure_wiring.sets for s in ss.structures}
    assert "GTV_1" in names and "LIVER" in names
    assert item(second, "LIVER").checkState(0) == Qt.CheckState.Unchecked
    assert item(second, "GTV_1").checkState(0) == Qt.CheckState.Checked
    shown = [s.name for _, s in second.structure_wiring.visible_structures()]
    assert "LIVER" not in shown and "GTV_1" in shown and "HEART" in shown
    gtv = next(ss for ss in second.structure_wiring.sets if ss.sop_uid == placed.sop_uid)
    assert gtv.structures[0].mask == placed.structures[0].mask
    assert not second.structure_wiring.notes
    close(second)


def test_a_moved_file_is_found_by_uid_and_a_lost_one_is_named_and_kept(qtbot, settings, tmp_path):
    images = tmp_path / "images"
    shutil.copytree(PHANTOM, images)
    first = open_images(qtbot, settings, images)
    plans = tmp_path / "plans"
    plans.mkdir()
    gtv = gtv_file(first, plans)
    placed = first.structure_wiring.import_file(gtv)
    lesion_id = first.structure_wiring.make_lesion(next(k for k, s in first.structure_wiring.visible_structures()
                                                        if s.name == "GTV_1"))
    case_path = tmp_path / "patient.oligoplan.json"
    first.case_controller.save_to(case_path)
    close(first)

    moved = images / "RTSTRUCT" / "planning-copy.dcm"
    shutil.move(gtv, moved)
    second = open_case(qtbot, settings, case_path, 2)
    assert placed.sop_uid in {ss.sop_uid for ss in second.structure_wiring.sets}
    warnings = second.structure_wiring.panel.warnings
    assert warnings.isVisibleTo(second) and "found by its SOP Instance UID" in warnings.text()
    close(second)

    moved.unlink()
    third = open_case(qtbot, settings, case_path, 1)  # the phantom's own structure set only
    assert [lesion.id for lesion in third.model.lesions] == [lesion_id]  # the lesions are all there
    text = third.structure_wiring.panel.warnings.text()
    assert "recorded in the case is not found" in text and "Import it again" in text
    third.case_controller.save_to(case_path)  # saving again keeps the lost reference
    assert placed.sop_uid in {ref.sop_uid for ref in load_case(case_path).structure_sets}
    close(third)


def test_the_ct_structure_set_is_outlined_on_the_pet_shown_alone_and_says_so(qtbot, settings):
    win = open_images(qtbot, settings, PHANTOM)
    pet = next(e for e in win.scan_result.series if e.info.modality.value == "PT")
    win.open_entries(pet, None)
    qtbot.waitUntil(lambda: bool(win.model.base is not None and win.model.base.info.modality.value == "PT"
                                 and win.structure_wiring.sets and not win.runner.busy), timeout=60000)
    (ss,) = win.structure_wiring.sets
    assert all(s.mask.series_uid == win.model.base.info.series_uid for s in ss.structures if s.mask is not None)
    text = win.structure_wiring.panel.warnings.text()
    assert "drawn on series CT" in text and "shown on series PT" in text
    assert "LIVER" in [s.name for _, s in win.structure_wiring.visible_structures()]
    close(win)

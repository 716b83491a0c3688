"""File > Import RTSTRUCT… reads the chosen file in the background: the window keeps answering,
the structures appear when ready (the case then needs saving), a file that is not a structure
set is refused with a message, and a result for images no longer shown is dropped."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

import gui.structures as structures_module
from tests.gui.test_structures import PHANTOM, group, gtv_file
from tests.gui.test_structures_case_file import open_images
from tests.gui.test_structures_case_reading import Gate

pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")


def choose_in_menu(win, monkeypatch, path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    win.structure_wiring.actions.import_rtstruct.trigger()


def import_held(qtbot, settings, tmp_path, monkeypatch):
    """The phantom's images shown, and a GTV file chosen in the menu whose read is held."""
    win = open_images(qtbot, settings, PHANTOM)
    path = gtv_file(win, tmp_path)
    gate = Gate(monkeypatch, structures_module, "read_structure_file")
    choose_in_menu(win, monkeypatch, path)
    qtbot.waitUntil(lambda: bool(gate.threads), timeout=10000)  # the event loop runs while it is read
    return win, gate


def test_an_rtstruct_chosen_in_the_menu_is_read_in_the_background(qtbot, settings, tmp_path, monkeypatch):
    win, gate = import_held(qtbot, settings, tmp_path, monkeypatch)
    wiring = win.structure_wiring
    assert gate.threads[0] is not threading.main_thread() and wiring.busy
    assert wiring.panel.reading.isVisible() and wiring.panel.reading.text() == "Reading gtv.dcm…"
    assert "GTV_1" not in [s.name for _, s in wiring.visible_structures()]
    # meanwhile the user picks a row and folds the organs away: the arrival keeps both
    tree = wiring.panel.tree
    liver = next(it for it in wiring.panel._items.values() if it.text(0) == "LIVER")
    tree.scrollToItem(liver)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(liver).center())
    assert wiring.panel.selected_structure().name == "LIVER"
    organs = group(tree, "Organs at risk")
    tree.collapseItem(organs)
    gate.open.set()
    qtbot.waitUntil(lambda: "GTV_1" in [s.name for _, s in wiring.visible_structures()], timeout=30000)
    assert not wiring.busy and not wiring.panel.reading.isVisible()
    assert wiring.panel.selected_structure().name == "LIVER"
    assert not group(tree, "Organs at risk").isExpanded() and group(tree, "Targets and others").isExpanded()
    assert win.case_controller.is_modified and win.isWindowModified()  # the case records it now
    win.case_controller.discard_changes()
    win.close()


def test_a_file_that_is_not_a_structure_set_is_refused_with_a_message(qtbot, settings, monkeypatch):
    win = open_images(qtbot, settings, PHANTOM)
    wiring = win.structure_wiring
    n = len(wiring.sets)
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda parent, title, text: shown.append(text)))
    ct_file = sorted((PHANTOM / "CT").glob("*.dcm"))[0]
    choose_in_menu(win, monkeypatch, ct_file)
    qtbot.waitUntil(lambda: bool(shown), timeout=30000)
    assert f"Importing {ct_file.name} failed" in shown[0] and "not an RT Structure Set" in shown[0]
    assert len(wiring.sets) == n and not win.case_controller.is_modified
    win.close()


def test_a_file_read_for_images_no_longer_shown_is_dropped(qtbot, settings, tmp_path, monkeypatch):
    win, gate = import_held(qtbot, settings, tmp_path, monkeypatch)
    wiring = win.structure_wiring
    pet = next(e for e in win.scan_result.series if e.info.modality.value == "PT")
    win.open_entries(pet, None)  # the PET alone, while the file is read for the CT
    qtbot.waitUntil(lambda: win.model.base is not None and win.model.base.info.modality.value == "PT",
                    timeout=60000)
    gate.open.set()
    qtbot.waitUntil(lambda: bool(not wiring.busy and not win.runner.busy and wiring.sets), timeout=60000)
    qtbot.wait(200)
    assert "GTV_1" not in [s.name for ss in wiring.sets for s in ss.structures]
    assert all(s.mask.series_uid == win.model.base.info.series_uid
               for ss in wiring.sets for s in ss.structures if s.mask is not None)
    win.close()

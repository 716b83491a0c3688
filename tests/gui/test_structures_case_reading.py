"""The structure sets a case records, from the window: read in the background when the case
opens (the window keeps answering; opening another case or closing meanwhile attaches
nothing stale), and turning a structure off is a change of the case (closing offers to
save it, saving keeps it)."""

from __future__ import annotations

import threading

import pytest
import pydicom
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QStyle, QStyleOptionViewItem

import core.rt.case_structures as case_structures
from core.case import StructureSetRef, load_case, save_case
from tests.core.test_case_structure_sets import only_rois
from tests.gui.test_lesion_tools import make_window
from tests.gui.test_structures import PHANTOM
from tests.phantom_cases import phantom_case

pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")


def case_with(tmp_path, name: str, rois: list[str], hidden: tuple[int, ...] = ()):
    """A phantom case (its five lesions) recording a structure set of ``rois`` kept in a
    folder of its own, away from the images; returns (case path, SOP Instance UID). The
    ROIs are renamed "P_<name>" to tell them from those of the folder's own structure set."""
    path = phantom_case("phantom-oligo", tmp_path / name, case_name=f"{name}.oligoplan.json")
    rt, uid = only_rois(rois, tmp_path / name / "plans" / f"{name}.dcm")
    ds = pydicom.dcmread(rt)
    for roi in ds.StructureSetROISequence:
        roi.ROIName = f"P_{roi.ROIName}"
    ds.save_as(rt)
    case = load_case(path)
    case.structure_sets = [StructureSetRef(str(rt), uid, name.upper(), hidden)]
    save_case(case, path)
    return path, uid


def settled(win) -> bool:
    return bool(win.model.base is not None and not win.runner.busy and not win.structure_wiring.busy
                and win.structure_wiring.sets)


def open_case(qtbot, win, path):
    win.case_controller.open_case(path)
    qtbot.waitUntil(lambda: settled(win) and win.case_controller.case.path == path, timeout=60000)


def sop_uids(win) -> set[str]:
    return {ss.sop_uid for ss in win.structure_wiring.sets}


def item(win, name):
    return next(it for it in win.structure_wiring.panel._items.values() if it.text(0) == name)


def click_check_box(qtbot, tree, it) -> None:
    """Click the check box drawn in the row of ``it`` (where the style puts it)."""
    tree.scrollToItem(it)
    option = QStyleOptionViewItem()
    option.initFrom(tree)
    option.rect = tree.visualItemRect(it)
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    box = tree.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, tree)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=box.center())


class Gate:
    """Holds every call of ``module.name`` (a reader the gui calls in a worker) until opened;
    records the threads they ran on."""

    def __init__(self, monkeypatch, module=case_structures, name: str = "read_structure_file"):
        self.open = threading.Event()
        self.threads: list[threading.Thread] = []
        real = getattr(module, name)

        def held(*args, **kwargs):
            self.threads.append(threading.current_thread())
            assert self.open.wait(20), "the call was never released"
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, held)


def test_turning_a_structure_off_is_a_change_that_closing_offers_to_save(qtbot, settings, tmp_path,
                                                                        message_boxes):
    path, uid = case_with(tmp_path, "heart", ["HEART", "LIVER"])
    win = make_window(qtbot, settings)
    open_case(qtbot, win, path)
    assert uid in sop_uids(win) and not win.case_controller.is_modified and not win.isWindowModified()
    tree = win.structure_wiring.panel.tree
    liver = item(win, "P_LIVER")
    click_check_box(qtbot, tree, liver)  # LIVER's outline off, with the mouse
    assert liver.checkState(0) == Qt.CheckState.Unchecked
    assert "P_LIVER" not in [s.name for _, s in win.structure_wiring.visible_structures()]
    assert win.case_controller.is_modified and win.isWindowModified()  # the title bar's asterisk
    assert not win.undo_stack.canUndo()  # display state is not an undo step
    win.case_controller.save_to(path)
    assert not win.isWindowModified()
    click_check_box(qtbot, tree, item(win, "P_HEART"))  # P_HEART off too, then close at once
    win.close()  # answered Discard: the window closes, P_HEART stays on in the file
    asked = [text for kind, text in message_boxes if kind == "question"]
    assert len(asked) == 1 and "not saved" in asked[0]

    again = make_window(qtbot, settings)
    open_case(qtbot, again, path)
    assert item(again, "P_LIVER").checkState(0) == Qt.CheckState.Unchecked
    assert item(again, "P_HEART").checkState(0) == Qt.CheckState.Checked
    assert not again.case_controller.is_modified
    again.close()


def test_the_case_structure_sets_are_read_off_the_gui_thread_and_appear_when_ready(qtbot, settings, tmp_path,
                                                                                   monkeypatch):
    path, uid = case_with(tmp_path, "heart", ["HEART"])
    gate = Gate(monkeypatch)
    win = make_window(qtbot, settings)
    win.case_controller.open_case(path)
    # the images load, the case is shown, and its structure set is being read: the window
    # answers meanwhile (this wait runs the event loop) and says what it is reading
    qtbot.waitUntil(lambda: bool(win.structure_wiring.busy and gate.threads), timeout=60000)
    assert gate.threads[0] is not threading.main_thread()
    panel = win.structure_wiring.panel
    qtbot.waitUntil(lambda: "Reading structure set 'HEART'… (1 of 1)" in panel.reading.text(), timeout=5000)
    assert panel.reading.isVisible() and not panel.empty.isVisible()
    assert len(win.model.lesions) == 5 and uid not in sop_uids(win)
    qtbot.wait(100)
    gate.open.set()
    qtbot.waitUntil(lambda: uid in sop_uids(win) and not win.structure_wiring.busy, timeout=60000)
    assert not panel.reading.isVisible()
    assert "P_HEART" in [s.name for _, s in win.structure_wiring.visible_structures()]
    assert not win.case_controller.is_modified
    win.close()


@pytest.mark.parametrize("second_records", [True, False], ids=["second-records-one", "second-records-none"])
def test_opening_another_case_meanwhile_attaches_nothing_stale(qtbot, settings, tmp_path, monkeypatch,
                                                              second_records):
    first, heart_uid = case_with(tmp_path, "heart", ["HEART"])
    second, cord_uid = case_with(tmp_path, "cord", ["SPINALCORD", "LIVER"])
    if not second_records:
        case = load_case(second)
        case.structure_sets = []
        save_case(case, second)
    gate = Gate(monkeypatch)
    win = make_window(qtbot, settings)
    win.case_controller.open_case(first)
    qtbot.waitUntil(lambda: bool(win.structure_wiring.busy and gate.threads), timeout=60000)
    win.case_controller.open_case(second)  # the images are shown: the second case is adopted at once
    assert win.case_controller.case.path == second
    gate.open.set()
    qtbot.waitUntil(lambda: settled(win) and (cord_uid in sop_uids(win) or not second_records), timeout=60000)
    qtbot.wait(300)  # the first case's read has ended too; nothing more arrives
    assert heart_uid not in sop_uids(win)
    names = [s.name for _, s in win.structure_wiring.visible_structures()]
    assert ("P_SPINALCORD" in names) is second_records
    assert "P_HEART" not in names and "HEART" in names  # the HEART of the folder's own structure set
    assert not win.structure_wiring.panel.reading.isVisible()
    win.case_controller.save_to(second)
    recorded = [ref.sop_uid for ref in load_case(second).structure_sets if ref.sop_uid in (heart_uid, cord_uid)]
    assert recorded == ([cord_uid] if second_records else [])
    win.close()


def test_closing_while_the_case_sets_are_read_does_not_crash(qtbot, settings, tmp_path, monkeypatch):
    path, uid = case_with(tmp_path, "heart", ["HEART"])
    gate = Gate(monkeypatch)
    win = make_window(qtbot, settings)
    win.case_controller.open_case(path)
    qtbot.waitUntil(lambda: bool(win.structure_wiring.busy and gate.threads), timeout=60000)
    threading.Timer(0.3, gate.open.set).start()  # the read finishes while the window closes
    assert win.close()
    qtbot.wait(300)
    assert uid not in sop_uids(win)


def test_an_unexpected_error_while_reading_is_shown_and_the_reference_kept(qtbot, settings, tmp_path,
                                                                          monkeypatch):
    path, uid = case_with(tmp_path, "heart", ["HEART"], hidden=(3,))
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda parent, title, text: shown.append(text)))

    def broken(*args, **kwargs):
        raise RuntimeError("contour data cut short")

    monkeypatch.setattr(case_structures, "read_structure_file", broken)
    win = make_window(qtbot, settings)
    win.case_controller.open_case(path)
    qtbot.waitUntil(lambda: bool(shown) and settled(win), timeout=60000)
    assert "Reading the structure sets of the case failed" in shown[0] and "contour data cut short" in shown[0]
    assert len(win.model.lesions) == 5 and uid not in sop_uids(win)
    assert not win.structure_wiring.panel.reading.isVisible()
    win.case_controller.save_to(path)  # what could not be read stays recorded, with what was hidden
    (ref,) = [r for r in load_case(path).structure_sets if r.sop_uid == uid]
    assert ref.hidden_rois == (3,)
    win.close()


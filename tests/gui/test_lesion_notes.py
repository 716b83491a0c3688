"""Free notes and the full measurements of a lesion, where the user looks: the lesion table."""

from __future__ import annotations

from PySide6.QtCore import Qt

from core.case import load_case
from gui.panels.lesion_table import C_LABEL, C_NOTES
from tests.gui.test_lesion_table import edit_text, two  # noqa: F401 (fixture)
from tests.gui.test_lesion_tools import ct_win, key  # noqa: F401 (fixture)


def test_notes_are_typed_in_place_undone_and_saved(two, qtbot, tmp_path):
    panel = two.lesion_panel
    assert panel.table_model.headerData(C_NOTES, Qt.Orientation.Horizontal) == "Notes"
    edit_text(qtbot, panel, "L1", C_NOTES, "abuts the IVC; biopsy 03/2026")
    assert two.model.lesions["L1"].notes == "abuts the IVC; biopsy 03/2026"
    assert panel.cell_text("L1", C_NOTES) == "abuts the IVC; biopsy 03/2026"
    tip = panel.proxy_index("L1", C_LABEL).data(Qt.ItemDataRole.ToolTipRole)
    assert "notes: abuts the IVC" in tip
    key(qtbot, two, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert two.model.lesions["L1"].notes == "" and panel.cell_text("L1", C_NOTES) == ""
    key(qtbot, two, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert two.model.lesions["L1"].notes == "abuts the IVC; biopsy 03/2026"

    path = tmp_path / "notes.oligoplan.json"
    two.case_controller.save_to(str(path))
    case = load_case(path)
    assert case.lesions["L1"].notes == "abuts the IVC; biopsy 03/2026" and case.lesions["L2"].notes == ""
    assert any(e.action == "lesion_edited" and e.details.get("lesion") == "L1" for e in case.audit)


def test_tooltip_lists_centroid_and_mean_and_max_hu(two):
    panel = two.lesion_panel
    m = two.model.measure(two.model.lesions["L1"])
    tip = panel.proxy_index("L1", C_LABEL).data(Qt.ItemDataRole.ToolTipRole)
    assert f"max {m.hu_max:.0f} HU" in tip and f"mean {m.hu_mean:.0f} HU" in tip
    assert "centroid (" + ", ".join(f"{v:.1f}" for v in m.centroid_mm) + ") mm" in tip

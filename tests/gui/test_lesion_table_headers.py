"""The lesion table says which diameter it shows: the axial one (RECIST 1.1), named as the
summary PDF names it, while the rule sets and the PDF's '3D LD' use the longest 3D diameter."""

from __future__ import annotations

from PySide6.QtCore import Qt

from core.summary.pdf import LESION_TABLE_HEADERS
from gui.panels.lesion_table import C_LD

H = Qt.Orientation.Horizontal


def test_the_diameter_column_is_named_axial_with_a_tooltip_that_tells_it_from_3d(window):
    table = window.lesion_panel.table
    model = table.model()  # as the view shows it (the sorting proxy)
    headers = [model.headerData(c, H, Qt.ItemDataRole.DisplayRole) for c in range(model.columnCount())]
    assert headers[C_LD] == "Axial LD mm"
    assert not any(h in ("LD mm", "Diam. mm") for h in headers)
    tip = model.headerData(C_LD, H, Qt.ItemDataRole.ToolTipRole)
    assert "Longest axial diameter" in tip and "RECIST 1.1" in tip and "3D" in tip
    # the same words as the summary PDF, whose other diameter column is the 3D one
    assert headers[C_LD] in LESION_TABLE_HEADERS and "3D LD mm" in LESION_TABLE_HEADERS
    # shown in full, not elided ("Axial L…")
    header = table.horizontalHeader()
    assert header.sectionSize(C_LD) >= header.fontMetrics().horizontalAdvance(headers[C_LD])

"""A lesion nothing could place (site unknown, e.g. on a PET alone) read "Unknown, proposed" in the
proposal's blue italics, although nothing was proposed: it reads "Unknown" in the colour of
everything unknown, for the user to choose."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from core.codes import Site, SiteSource
from core.display import UNKNOWN_COLOUR
from core.lesions import AddLesion, Lesion, UndoStack
from gui.panels.lesion_table import C_SITE


def test_an_unplaced_lesion_is_unknown_not_proposed(window):
    stack = UndoStack()
    stack.push(AddLesion(window.model.lesions, Lesion("L1", "Lesion 1", site=Site.UNKNOWN, point_mm=(0.0, 0.0, 0.0),
                                                      site_source=SiteSource.UNKNOWN, site_confirmed=False)))
    stack.push(AddLesion(window.model.lesions, Lesion("L2", "Liver 1", site=Site.LIVER, point_mm=(9.0, 0.0, 0.0),
                                                      site_source=SiteSource.STRUCTURE, site_structure="LIVER",
                                                      site_confirmed=False)))
    panel = window.lesion_panel
    assert panel.cell_text("L1", C_SITE) == "Unknown"
    colour = panel.proxy_index("L1", C_SITE).data(Qt.ItemDataRole.ForegroundRole)
    assert colour == QColor(UNKNOWN_COLOUR)
    font = panel.proxy_index("L1", C_SITE).data(Qt.ItemDataRole.FontRole)
    assert font is None or not font.italic()
    assert panel.cell_text("L2", C_SITE) == "Liver, proposed"  # a real proposal still says so

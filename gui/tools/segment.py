"""Click-segment: one click segments a lesion in 3D; a preview waits for Enter.

The click is the seed of core.workspace.Workspace.segment: the adaptive PET
threshold (or a fixed % of SUVmax; docs/segmentation.md) contoured on the CT
grid when a PET is fused over the CT, adaptive CT region growing otherwise. The result is shown
as a dashed white outline in all three views until Enter accepts it (a new
lesion, with the click as its marker) or Esc rejects it; another click
replaces it. The status line says what was used for this lesion (e.g. "PET: 47% of
SUVmax 8.2 (adaptive, 5.5 mm FWHM)") and the accepted lesion keeps that record.
The PET method, FWHM and fixed percentage are set on the tools toolbar
(gui.tools.segment_options) and remembered in the settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from core.contours import slice_outlines
from core.errors import SegmentationError
from core.lesions import LesionMask
from core.segment import SegmentParams
from core.segment_record import SegmentRecord
from core.volume import Modality
from core.workspace import Workspace
from gui.errors import error_boundary
from gui.tools.base import Tool
from gui.tools.overlay import PREVIEW_COLOR, outline_path
from gui.view_labels import LabelKind

if TYPE_CHECKING:  # pragma: no cover
    from gui.slice_view import SliceView


#: what to try after a click-segment found nothing (the status bar, after core's reason)
SEGMENT_HINT = "try its centre, lower % SUVmax or Polygon/Brush"

#: the label over a click-segment preview
PREVIEW_TEXT = "Enter accepts · Esc rejects"


class SegmentTool(Tool):
    name = "segment"

    def __init__(self, manager):
        super().__init__(manager)
        self.params = SegmentParams()
        self._preview: LesionMask | None = None
        self._record: SegmentRecord | None = None
        self._seed_mm: tuple[float, float, float] | None = None
        self._outlines: dict[tuple[int, int], list[np.ndarray]] = {}

    @property
    def preview(self) -> LesionMask | None:
        return self._preview

    @property
    def record(self) -> SegmentRecord | None:
        """How the preview was made (method, threshold used)."""
        return self._record

    def set_params(self, params: SegmentParams) -> None:
        """New settings for the next click (the shown preview stays as it was made)."""
        self.params = params

    @property
    def pending(self) -> bool:
        return self._preview is not None

    def workspace(self) -> Workspace | None:
        """The shown images as a core workspace (primary = base, PET = a fused PET)."""
        base, overlay = self.model.base, self.model.overlay
        if base is None:
            return None
        pet = overlay if overlay is not None and overlay.modality is Modality.PT else None
        return Workspace(folder=Path("."), scan=None, primary=base, pet=pet)

    def segment(self, seed_mm) -> LesionMask | None:
        """Segment at a patient point and show the preview.

        Nothing to segment at the click (core's SegmentationError) is a status-bar message with what to
        try, not a dialog: a miss is part of the work, not an error. Other failures are a dialog.
        """
        ws = self.workspace()
        if ws is None:
            return None
        self.cancel()
        with error_boundary(self.manager.dialog_parent(), "Segmenting at the click"):
            try:
                result = ws.segment_lesion(seed_mm, self.params)
            except SegmentationError as exc:
                # what to try first: a narrow status bar cuts the end (the whole text is its tooltip)
                self.editor.message.emit(f"No lesion here: {SEGMENT_HINT} ({exc})")
                self.changed()
                return None
            self._preview, self._record = result.mask, result.record
            self._seed_mm = tuple(float(v) for v in seed_mm)
            self.editor.message.emit(
                f"Preview (Enter accepts, Esc rejects): {result.record.describe()}")  # the keys first: never cut
        self.changed()
        return self._preview

    def press(self, view: "SliceView", pos: QPointF) -> bool:
        zyx = view.widget_to_index(pos)
        if zyx is None or not view.inside(zyx) or self.model.base is None:
            return True
        self.segment(self.model.base.index_to_patient(zyx))
        return True

    def accept(self) -> bool:
        if self._preview is None:
            return False
        mask, seed, record = self._preview, self._seed_mm, self._record
        self._preview, self._seed_mm, self._record = None, None, None
        self._outlines.clear()
        self.changed()
        self.editor.add_lesion(mask=mask, point_mm=seed, text="Click-segment new lesion", segmentation=record)
        return True

    def cancel(self) -> bool:
        had = self._preview is not None
        self._preview, self._seed_mm, self._record = None, None, None
        self._outlines.clear()
        self.changed()
        return had

    def paint(self, view: "SliceView", painter: QPainter) -> None:
        if self._preview is None or self.model.grid_for(self._preview) is not self.model.base:
            return
        key = (view.slice_axis, view.slice_index)
        if key not in self._outlines:
            self._outlines[key] = slice_outlines(self._preview, *key)
        loops = self._outlines[key]
        if not loops:
            return
        path = outline_path(view, loops)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(0, 0, 0, 180), 3.5))
        painter.drawPath(path)
        painter.setPen(QPen(PREVIEW_COLOR, 1.8, Qt.PenStyle.DashLine))
        painter.drawPath(path)
        rect = path.boundingRect()
        # placed with the lesions' and structures' labels (gui.view_labels), before them: the preview
        # is what the user is deciding on, so its keys never go under another label
        view.labels.add(QPointF(rect.center().x(), rect.top() - 2), PREVIEW_TEXT, PREVIEW_COLOR,
                        kind=LabelKind.LESION, order=-1)

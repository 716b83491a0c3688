"""Practice mode: contour a case whose reference lesions are hidden, then score.

Flow: Practice > Practise on a case… picks an expert's case file (its images
are opened when they are not on screen) or an RTSTRUCT on the images shown.
Its lesions become the hidden *reference*; the window starts an empty case
on the same images for the trainee. "Score" compares (core.practice.scoring) and
reveals the reference over the views in the practice styles of
core.practice.styles (the scorecard PDF draws the same, with the same legend):
found reference contours dashed white over the trainee's solid magenta,
missed ones dashed red and shaded with MISSED, the trainee's extra lesions
solid orange and shaded with EXTRA; the scorecard dock shows the figures and
exports PDF and CSV (core.practice.report).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QFileDialog, QMessageBox

from core.case import load_case
from core.contours import slice_outlines
from core.errors import ScoringError
from core.lesions import Lesion
from core.practice.scoring import Scorecard
from core.practice.sides import is_case_file, read_side, score_with_rules
from core.practice.styles import EXTRA, MISSED, REFERENCE, SHADE_ALPHA, TRAINEE, LineStyle, PracticeStyle
from core.volume import Volume
from core.workspace import Workspace
from gui.errors import error_boundary
from gui.services import Controller, Services
from gui.tools.overlay import outline_path
from gui.view_labels import LabelKind

if TYPE_CHECKING:  # annotations only
    from gui.case_controller import CaseController
    from gui.slice_view import SliceView

log = logging.getLogger("oligoplan.gui")

PRACTICE_FILTER = "OligoPlan case or RTSTRUCT (*.json *.dcm);;All files (*)"


@dataclass
class PracticeSession:
    """The hidden reference of one practice, and its scorecard once scored."""

    source: Path
    reference: list[Lesion]
    scorecard: Scorecard | None = None
    trainee: list[Lesion] = field(default_factory=list)
    facts: dict = field(default_factory=dict)  # the reference case's (the rule sets judge both sides with them)
    base_series_uid: str = ""  # the images practised on: another series (patient) ends the practice

    @property
    def revealed(self) -> bool:
        return self.scorecard is not None


class PracticeController(Controller):
    """Practice mode of a main window. ``changed`` fires when it starts, scores or ends."""

    changed = Signal()

    def __init__(self, services: Services, cases: CaseController, views: Sequence[SliceView],
                 update_title: Callable[[], None]):
        """``cases`` opens the reference and the trainee's case; ``views`` draw the reference and the
        feedback colours; ``update_title()`` shows the practice in the title bar."""
        super().__init__(services)
        self.cases = cases
        self.views = list(views)
        self.update_title = update_title
        self.session: PracticeSession | None = None
        self._pending: Path | None = None  # a reference case whose images are loading
        self.overlay = ReferenceOverlay(self)
        for view in self.views:
            view.extra_overlays.append(self.overlay)
            view.lesion_overlay.colour_for = self.feedback_colour
        self.model.events.lesions.connect(self._on_model_lesions)
        self.model.events.volumes.connect(self._on_model_volumes)

    def disconnect_model(self) -> None:
        self.model.events.lesions.disconnect(self._on_model_lesions)
        self.model.events.volumes.disconnect(self._on_model_volumes)

    def ask_end(self, doing: str) -> bool:
        """Before other images replace the practised ones: ask to end the practice. False = cancelled."""
        if self.session is None:
            return True
        answer = QMessageBox.question(
            self.owner, "OligoPlan — end the practice?",
            f"{doing} ends the practice on {self.session.source.name}: its reference and scorecard "
            "belong to the images shown now and are closed.\n\nEnd the practice?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self.end()
        return True

    def _on_model_volumes(self) -> None:
        """Other images (another patient or series) are shown: the reference never goes over them."""
        session, base = self.session, self.model.base
        if session is not None and (base is None or base.info.series_uid != session.base_series_uid):
            self.end()
            self.show_message(f"Practice on {session.source.name} ended: other images are shown")

    @property
    def active(self) -> bool:
        return self.session is not None

    # ------------------------------------------------------------ start
    def _choose_reference(self) -> None:
        if not self.cases.ask_keep_work("Starting a practice"):
            return
        path, _ = QFileDialog.getOpenFileName(self.owner, "Practise on a case: choose the reference",
                                              "", PRACTICE_FILTER)
        if path:
            self.start(path)

    def start(self, path: str | Path) -> None:
        """Hide the lesions of ``path`` (case file or RTSTRUCT) and start an empty case on its images."""
        path = Path(path)
        with error_boundary(self.owner, f"Starting a practice on {path.name}"):
            if not path.is_file():
                raise ScoringError(f"{path}: no such file (expected a case file or an RTSTRUCT)")
            if not is_case_file(path):
                if self.model.base is None:
                    raise ScoringError(f"{path.name}: open the images the RTSTRUCT was drawn on first")
                side = read_side(path, Workspace.of_images(self.scan(), self.model.base))
                self._begin(path, side.lesions, dict(self.cases.case.facts))
                return
            case = load_case(path)
            if self.cases.images_shown(case):
                self._begin(path, list(case.lesions), dict(case.facts))
            else:  # load its images; the lesions are taken away as soon as the case is shown
                self._pending = path
                self.cases.open_case(path)

    def _on_model_lesions(self) -> None:
        pending, controller = self._pending, self.cases
        if pending is not None and controller.case.path is not None and \
                Path(controller.case.path).resolve() == pending.resolve():
            self._pending = None
            self._begin(pending, list(controller.case.lesions), dict(controller.case.facts))

    def _begin(self, source: Path, reference: list[Lesion], facts: dict) -> None:
        base = self.model.base
        self.session = PracticeSession(source, list(reference), facts=facts,
                                       base_series_uid=base.info.series_uid if base is not None else "")
        self.cases.new_case()  # the trainee's: empty, on the same images
        self.show_message(f"Practice on {source.name}: the reference lesions are hidden. "
                                 "Mark and contour every lesion, then Practice > Score")
        self._refresh()

    # ------------------------------------------------------------ score
    def score(self) -> Scorecard | None:
        """Compare the trainee's lesions with the reference and reveal it."""
        if self.session is None:
            return None
        with error_boundary(self.owner, "Scoring the practice"):
            trainee = list(self.model.lesions)
            card = score_with_rules(self.session.reference, trainee, self.grids(), self.session.facts)
            self.session.scorecard = card
            self.session.trainee = trainee
            self._refresh()
            return card
        return None

    def end(self) -> None:
        self.session = None
        self._pending = None
        self._refresh()

    def feedback_colour(self, lesion: Lesion) -> QColor | None:
        """Once scored, a trainee lesion's colour in the legend (found: trainee, extra: extra), else None.

        The lesion overlay draws the lesion's outline and label in it, so "Other 1" is magenta like
        the trainee outline around it, not in its own colour the legend does not name.
        """
        session = self.session
        if session is None or not session.revealed:
            return None
        card = session.scorecard
        if lesion.id in card.extra:
            return style_color(EXTRA)
        if any(m.trainee == lesion.id for m in card.matched):
            return style_color(TRAINEE)
        return None

    def grids(self) -> dict[str, Volume]:
        return {v.info.series_uid: v for v in (self.model.base, self.model.overlay) if v is not None}

    def _refresh(self) -> None:
        for view in self.views:
            view.update()
        self.changed.emit()
        self.update_title()


class ReferenceOverlay:
    """Paints the revealed reference, the misses and the extras on a slice view."""

    def __init__(self, practice: PracticeController):
        self.practice = practice

    def paint(self, view, painter: QPainter) -> None:
        session = self.practice.session
        model = view.model
        if session is None or not session.revealed or model.base is None or view.slice_axis is None:
            return
        card = session.scorecard
        axis, k = view.slice_axis, view.slice_index
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        labels: list[tuple[QPointF, str, QColor, int]] = []
        found = {m.trainee for m in card.matched}
        for lesion in model.lesions:  # under the reference's dashes; their labels are the lesion overlay's
            if lesion.id in found:
                self._paint_lesion(view, painter, lesion, axis, k, TRAINEE, labels=labels, text=None, order=1,
                                   own=True)
        for lesion in session.reference:
            missed = lesion.id in card.missed
            text = f"{MISSED.title} ref {lesion.label}" if missed else f"ref {lesion.label}"
            self._paint_lesion(view, painter, lesion, axis, k, MISSED if missed else REFERENCE,
                               labels=labels, text=text, order=0 if missed else 2)
        extras = set(card.extra)
        for lesion in model.lesions:
            if lesion.id in extras:
                self._paint_lesion(view, painter, lesion, axis, k, EXTRA, labels=labels,
                                   text=f"{EXTRA.title} {lesion.label}", order=1, own=True)
        # placed by the view with the lesions' and structures' labels: after the lesions, before structure
        # names; misses first
        for anchor, text, color, order in labels:
            view.labels.add(anchor, text, color, kind=LabelKind.REFERENCE, bold=True, below=True, order=order)

    def _paint_lesion(self, view, painter, lesion: Lesion, axis: int, k: int, style: PracticeStyle, *,
                      labels: list, text: str | None, order: int, own: bool = False) -> None:
        """``own``: one of the trainee's lesions, whose outlines the view's lesion overlay has cached
        (it draws them too); the reference's are computed here."""
        model = view.model
        color = style_color(style)
        pen = practice_pen(style)
        if lesion.mask is not None and model.grid_for(lesion.mask) is model.base:
            loops = view.lesion_overlay.outlines(lesion, axis, k) if own else slice_outlines(lesion.mask, axis, k)
            if not loops:
                return
            path = outline_path(view, loops)
            if style.shaded:
                shade = QColor(color)
                shade.setAlpha(SHADE_ALPHA)
                painter.fillPath(path, QBrush(shade))
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
            box = path.boundingRect()
            if text:
                labels.append((QPointF(box.center().x(), box.bottom() + 1), text, color, order))
        elif lesion.point_mm is not None:
            zyx = model.base.patient_to_index(np.asarray(lesion.point_mm, dtype=np.float64))
            if abs(zyx[axis] - k) > 0.5:
                return
            centre = view.index_to_widget(zyx)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(centre, 9.0, 9.0)
            if text:
                labels.append((QPointF(centre.x(), centre.y() + 10), text, color, order))


def style_color(style: PracticeStyle) -> QColor:
    return QColor(style.colour)


def practice_pen(style: PracticeStyle, width: float = 2.4) -> QPen:
    """The pen of a practice role (core.practice.styles): its colour, dashed or solid."""
    pen = QPen(style_color(style), width)
    pen.setStyle(Qt.PenStyle.DashLine if style.line is LineStyle.DASHED else Qt.PenStyle.SolidLine)
    return pen


def practice_title_part(practice: PracticeController) -> str:
    if not practice.active:
        return ""
    return "Practice — scored" if practice.session.revealed else "Practice"

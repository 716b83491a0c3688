"""The review side of the main window: who you are, sign-off, history, lesion map, practice.

* Every case the window adopts records its changes as the user named in the
  settings (core.review.CaseReview); a case opened with audit-trail problems
  gets a warning (it still opens) and the history panel lists them.
* The review state is in the title bar ("[Reviewed]"); a change to a reviewed
  or approved case reopens it and says so.
* Review menu: your name and role, sign off, history dock, compare with the DICOM SR
  (gui.review.sr_compare), lesion map.
  Practice menu: practise on a case, score, end practice (gui.practice.controller).

Methods that open a dialog are ``_ask_*`` and delegate to plain methods
(:meth:`set_user`, :meth:`sign`) that tests call.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Callable, Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QMessageBox

from core.errors import ReviewError
from core.review import ReviewState
from gui.actions import make_review_actions
from gui.errors import error_boundary
from gui.review.history_panel import HistoryPanel
from gui.practice.controller import PracticeController, practice_title_part
from gui.practice.scorecard_panel import ScorecardPanel
from gui.review.signoff_dialog import SignOffDialog, UserDialog
from gui.review.sr_compare import SrCompareController
from gui.services import Controller, Menus, Services
from gui.settings import USER_NAME, USER_ROLE

if TYPE_CHECKING:  # annotations only
    from gui.case_controller import CaseController
    from gui.pacs.controller import PacsController
    from gui.slice_view import SliceView

log = logging.getLogger("oligoplan.gui")


class ReviewController(Controller):
    """Made by the main window after its case controller, lesion actions and PACS controller: ``cases``
    holds the case, ``views`` draw a practice's reference, ``update_title()`` shows the review state in
    the title bar, ``pacs`` (its nodes) is where Compare with DICOM SR may fetch the SR."""

    def __init__(self, services: Services, cases: CaseController, views: Sequence[SliceView],
                 update_title: Callable[[], None], pacs: PacsController):
        super().__init__(services)
        self.cases = cases
        self.update_title = update_title
        self.actions = make_review_actions(self.owner)
        self.practice = PracticeController(services, cases, views, update_title)
        self.history_panel = HistoryPanel(cases, services.show_message)
        self.scorecard_panel = ScorecardPanel(self.practice)
        self.sr_compare = SrCompareController(services, cases, self.show_history, pacs)
        # tabs beside the lesion table under the views (MainWindow._arrange_docks): their tables are wide,
        # and stacked on the right they squeezed the verdicts and the views
        self.history_dock = services.add_dock("History", "history_dock", self.history_panel,
                                              Qt.DockWidgetArea.BottomDockWidgetArea)
        self.scorecard_dock = services.add_dock("Scorecard", "scorecard_dock", self.scorecard_panel,
                                                Qt.DockWidgetArea.BottomDockWidgetArea)
        self.history_dock.hide()
        self.scorecard_dock.hide()
        self.lesion_map_window = None
        self.user_dialog: UserDialog | None = None  # the first start's question (ask_user_if_unknown)
        self._warned: set[int] = set()
        self._review = None
        self._build_menus(services.menus)
        self._connect()
        self._on_model_lesions()

    def disconnect_model(self) -> None:
        self.model.events.lesions.disconnect(self._on_model_lesions)
        self.practice.disconnect_model()
        self._follow(None)
        self.sr_compare.shutdown()
        if self.lesion_map_window is not None:
            self.lesion_map_window.disconnect_model()
            self.lesion_map_window.close()

    def _build_menus(self, menus: Menus) -> None:
        a = self.actions
        review = menus.bar.addMenu("&Review")
        for action in (a.set_user, None, a.sign_off, a.show_history, a.compare_sr, a.lesion_map):
            review.addSeparator() if action is None else review.addAction(action)
        practice = menus.bar.addMenu("&Practice")
        for action in (a.start_practice, a.score_practice, a.end_practice):
            practice.addAction(action)
        practice.addSeparator()
        practice.addAction(self.scorecard_dock.toggleViewAction())
        for action in a.all():
            self.owner.addAction(action)  # shortcuts whichever view has focus
        # the Help menu stays last
        menus.bar.removeAction(menus.help.menuAction())
        menus.bar.addAction(menus.help.menuAction())

    def _connect(self) -> None:
        a = self.actions
        a.set_user.triggered.connect(self._ask_user)
        a.sign_off.triggered.connect(self._ask_sign_off)
        a.show_history.triggered.connect(self.show_history)
        a.compare_sr.triggered.connect(self.sr_compare._ask_source)
        a.lesion_map.triggered.connect(self.show_lesion_map)
        a.start_practice.triggered.connect(self.practice._choose_reference)
        a.score_practice.triggered.connect(self.score)
        a.end_practice.triggered.connect(self.end_practice)
        self.model.events.lesions.connect(self._on_model_lesions)
        self.practice.changed.connect(self._update_actions)

    # -------------------------------------------------------------- user
    @property
    def user(self) -> tuple[str, str]:
        """(name, role) from the settings; empty until the user gives them (asked at the first start).

        Never the login name: on shared workstations and containers that put "root" in the audit trail."""
        return self.settings.get(USER_NAME).strip(), self.settings.get(USER_ROLE).strip()

    def ask_user_if_unknown(self) -> UserDialog | None:
        """At start-up: when the name or role is not known yet, ask for them (window-modal, not blocking
        the start; answered, they are kept and recorded from then on). Returns the dialog shown, if any."""
        name, role = self.user
        if name and role:
            return None
        dialog = UserDialog(name, role, self.owner)
        dialog.accepted.connect(lambda: self.set_user(dialog.name, dialog.role))
        dialog.open()
        self.user_dialog = dialog
        return dialog

    def _ask_user(self) -> bool:
        dialog = UserDialog(self.settings.get(USER_NAME), self.settings.get(USER_ROLE), self.owner)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        self.set_user(dialog.name, dialog.role)
        return True

    def set_user(self, name: str, role: str = "") -> None:
        """Keep the user's name and role in the settings; record the case's changes as them."""
        self.settings.set(USER_NAME, str(name).strip())
        self.settings.set(USER_ROLE, str(role).strip())
        self.settings.sync()
        self.case.review.set_user(*self.user)
        self.show_message(f"Changes and sign-offs are recorded as {name}")

    # ------------------------------------------------------------ review
    @property
    def case(self):
        return self.cases.case

    @property
    def state(self) -> ReviewState:
        return self.case.review.state

    def title_part(self) -> str:
        practice = practice_title_part(self.practice)
        return f" [{practice}]" if practice else f" [{self.state.label}]"

    def _ask_sign_off(self) -> None:
        if self.practice.active:
            QMessageBox.information(self.owner, "Sign off", "A practice case is not signed off: end the practice first.")
            return
        if self.state.next is None:
            QMessageBox.information(self.owner, "Sign off", f"{self.case.review.status_text()}.\n\n"
                                    "Any change reopens it as a draft; it is then reviewed and approved again.")
            return
        if not all(self.user) and not self._ask_user():
            return
        name, role = self.user
        dialog = SignOffDialog(self.state, self.case.review.signoffs, name, role,
                               self.cases.name, self.owner)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.sign(dialog.comment, dialog.name, dialog.role)

    def sign(self, comment: str = "", name: str | None = None, role: str | None = None) -> bool:
        """The next sign-off step (reviewed, then approved), recorded in the case's audit trail."""
        with error_boundary(self.owner, "Signing off the case"):
            target = self.state.next
            if target is None:
                raise ReviewError("the case is already approved; edit it to reopen it, then review it again")
            self.case.review.sign(target, comment, name=name, role=role)
            self.cases.mark_modified()  # the sign-off is saved with the case
            self.show_message(f"Case {target.value}: save it to keep the sign-off")
            return True
        return False

    def show_history(self) -> None:
        self.history_panel.refresh()
        self.history_dock.show()
        self.history_dock.raise_()

    def show_lesion_map(self) -> None:
        from gui.review.lesion_map_window import LesionMapWindow

        with error_boundary(self.owner, "Showing the lesion map"):
            if self.lesion_map_window is None:
                self.lesion_map_window = LesionMapWindow(self.owner, self.model)
            self.lesion_map_window.rebuild()
            self.lesion_map_window.show()
            self.lesion_map_window.raise_()

    # ---------------------------------------------------------- practice
    def score(self) -> None:
        if self.practice.score() is not None:
            self.scorecard_dock.show()
            self.scorecard_dock.raise_()

    def end_practice(self) -> None:
        self.practice.end()
        self.scorecard_dock.hide()

    def _update_actions(self) -> None:
        active = self.practice.active
        if not active:
            self.scorecard_dock.hide()  # ended, also by other images being shown
        self.actions.score_practice.setEnabled(active)
        self.actions.end_practice.setEnabled(active)
        self.actions.sign_off.setEnabled(not active)
        self.scorecard_panel.refresh()

    # ------------------------------------------------------------ events
    def _on_model_lesions(self) -> None:
        """A case was adopted: record its changes as the user, warn about its audit trail."""
        case = self.case
        case.review.set_user(*self.user)
        self._follow(case.review)
        self.history_panel.refresh()
        self._update_actions()
        if case.integrity_warnings and id(case) not in self._warned:
            self._warned.add(id(case))
            QTimer.singleShot(0, lambda: self._warn_integrity(case))

    def _follow(self, review) -> None:
        if self._review is not None:
            self._review.changed.disconnect(self._on_review_changed)
            self._review.reopened.disconnect(self._on_review_reopened)
        self._review = review
        if review is not None:
            review.changed.connect(self._on_review_changed)
            review.reopened.connect(self._on_review_reopened)

    def _warn_integrity(self, case) -> None:
        if case is not self.case:
            return
        name = case.path.name if case.path else "the case"
        QMessageBox.warning(self.owner, "Audit trail",
                            f"{name} was opened, but its audit trail shows changes made outside OligoPlan:\n\n- "
                            + "\n- ".join(case.integrity_warnings)
                            + "\n\nCheck the lesions and the sign-offs (Review > History) before relying on them.")
        self.show_history()

    def record_fact_changes(self) -> None:
        """A facts or rule-set edit (or its undo/redo): into the audit trail now, not at save."""
        if self.case.review.sync():
            self.history_panel.refresh()

    def _on_review_changed(self) -> None:
        self.history_panel.refresh()
        self.update_title()

    def _on_review_reopened(self, message: str) -> None:
        log.info("case reopened by an edit")
        self.show_message("Case reopened as a draft: it needs review again")
        QTimer.singleShot(0, lambda: QMessageBox.information(self.owner, "Case reopened", message))

"""The rule engine in the window: verdict panel, case-facts form, candidacy summary export.

* Evaluates the chosen rule sets (core.rules.case_check.evaluate_case, the
  evaluation of `oligoplan check` too) after every lesion edit, case change,
  facts edit, cut-off change and structure import, and shows the result in
  the verdict dock. `oligoplan bench rules` times it.
* The rule sets come from core.rules.loader (shipped, user folder); a bad user
  file is shown in the panel and the others still work. The user's pick is
  written to the case (facts["rule_sets"], undoable and audited; `oligoplan
  check` reads it) and kept in the settings (RULE_SETS) for new cases; a case
  opened with its own choice shows it in the picker.
* Organs at risk are those of the structure sets shown (the structures controller, follow_structures).
* Facts edits are undoable (core.rules.facts.SetFacts on the window's stack).
"""

from __future__ import annotations

import logging
from pathlib import Path

from typing import TYPE_CHECKING, Callable, Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog

from core.errors import ExportError, FactsError, OarSettingsError
from core.export_names import case_stem
from core.image_facts import propose_image_facts
from core.events import Signal
from core.rules.case_check import RULE_SETS_KEY, CaseCheck, EvaluationCache, case_rule_sets, evaluate_case
from core.rules.engine import Evaluation
from core.rules.facts import CaseFacts, SetFacts, parse_fact
from core.rules.loader import load_catalog
from core.rules.oar import OarSettings, organs_from_structures
from core.rules.oar_settings import load_oar_settings, save_oar_settings
from core.rules.oar_settings import settings_path as oar_settings_path
from core.workspace import Workspace
from gui.actions import make_rules_actions
from gui.errors import error_boundary
from gui.overwrite import ask_replace
from gui.panels.facts_form import FactsForm
from gui.panels.oar_settings_dialog import OarSettingsDialog
from gui.panels.verdict_panel import VerdictPanel
from gui.services import Controller, Menus, Services
from gui.settings import LAST_SUMMARY_FOLDER, RULE_SETS, SUMMARY_ANONYMISE, SYNC_CUTOFF_MONTHS
from gui.export_dialog import ExportDialog  # the folder + "Anonymise" dialog of RTSTRUCT/SR

if TYPE_CHECKING:  # annotations only
    from gui.case_controller import CaseController

log = logging.getLogger("oligoplan.gui")


class VerdictsController(Controller):
    def __init__(self, services: Services, cases: CaseController, *, user: Callable[[], tuple],
                 offer_send: Callable[[Sequence[Path]], object]):
        """``cases`` holds the case shown; ``user()`` is who works (name, role), the summary's author;
        ``offer_send(paths)`` offers to send an export to a PACS."""
        super().__init__(services)
        self.undo = services.undo_stack
        self.cases = cases
        self.user = user
        self.offer_send = offer_send
        self._structures = None  # the structures controller, once follow_structures is called
        self.catalog = load_catalog()
        saved = [i for i in str(self.settings.get(RULE_SETS)).split(",") if i in self.catalog.rule_sets]
        self.panel = VerdictPanel(list(self.catalog), saved, float(self.settings.get(SYNC_CUTOFF_MONTHS)))
        self.facts_form = FactsForm()
        self.verdict_dock = services.add_dock("Verdicts", "verdict_dock", self.panel,
                                              Qt.DockWidgetArea.RightDockWidgetArea)
        self.facts_dock = services.add_dock("Case facts", "facts_dock", self.facts_form,
                                            Qt.DockWidgetArea.RightDockWidgetArea)
        # placed by the window (MainWindow._arrange_docks): the facts under the verdicts, both in view
        self.actions = make_rules_actions(self.owner)
        self.facts_changed = Signal()  # after a facts edit, its undo or its redo
        self.evaluation: Evaluation | None = None
        self.warnings: list[str] = []  # of the last evaluation (organs at risk unknown and why)
        self._cache = EvaluationCache()  # organ-at-risk calculator and distances, until the case changes
        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.setInterval(0)
        self._pending.timeout.connect(self.evaluate_now)
        self._shown_ids = self.panel.selected_ids()
        self._picked_before_case: list[str] | None = None
        self._review = None
        self.oar_settings = self._load_oar_settings()
        self._build_menus(services.menus, services.actions.quit)
        self._connect()
        self._load_facts()
        self._follow_review()
        self.evaluate_now()

    # ------------------------------------------------------------- set-up
    def _build_menus(self, menus: Menus, quit_action: QAction) -> None:
        a = self.actions
        menus.file.insertAction(quit_action, a.export_summary)
        menus.file.insertSeparator(quit_action)
        menus.view.addAction(self.verdict_dock.toggleViewAction())
        menus.view.addAction(a.edit_facts)
        for action in a.all():
            self.owner.addAction(action)

    def _connect(self) -> None:
        self.actions.export_summary.triggered.connect(self._choose_summary_folder)
        self.actions.edit_facts.triggered.connect(self._show_facts)
        self.panel.selection_changed.connect(self._on_panel_selection_changed)
        self.panel.cutoff_changed.connect(self._on_panel_cutoff_changed)
        self.panel.lesions_clicked.connect(self._on_panel_lesions_clicked)
        self.panel.oar_settings_requested.connect(self._ask_oar_settings)
        self.facts_form.facts_edited.connect(self._on_form_facts_edited)
        self.facts_changed.connect(self._on_facts_changed)
        self.model.events.lesion_changed.connect(self._on_lesions_changed)
        self.model.events.lesions.connect(self._on_model_lesions)
        self.model.events.volumes.connect(self.schedule)
        self.model.events.volumes.connect(self._on_model_volumes)
        self.cases.about_to_save.connect(self._on_case_about_to_save)

    def follow_structures(self, structures) -> None:
        """Re-evaluate (OAR flags) whenever ``structures`` (gui.structures) imports or removes
        structure sets, and take the organs at risk from its structure sets; the main window calls
        this once both exist (the structures one is made after this one)."""
        self._structures = structures
        structures.changed.connect(self.schedule)

    def disconnect_model(self) -> None:
        self._pending.stop()
        if self._review is not None:
            self._review.changed.disconnect(self._show_review)
        self.model.events.lesion_changed.disconnect(self._on_lesions_changed)
        self.model.events.lesions.disconnect(self._on_model_lesions)
        self.model.events.volumes.disconnect(self.schedule)
        self.model.events.volumes.disconnect(self._on_model_volumes)

    def _on_model_volumes(self) -> None:
        """Modality and tracer proposed from the images now shown (only these: never another case's)."""
        self.facts_form.set_proposals(propose_image_facts(self.model.base, self.model.overlay))

    # ------------------------------------------------------------- state
    @property
    def case(self):
        return self.cases.case

    def selected_rule_sets(self):
        return self.catalog.select(self.panel.selected_ids())

    def schedule(self, *_args) -> None:
        """Evaluate once the current event is handled (several edits in a row: one evaluation)."""
        self._pending.start()

    # ------------------------------------------------------------- evaluation
    def workspace(self) -> Workspace | None:
        """The images shown, as core sees a case's images (None before any is shown)."""
        if self.model.base is None:
            return None
        return Workspace.of_images(self.scan(), self.model.base, self.model.overlay)

    def _organs(self):
        """The organs at risk of the structure sets shown on the base image."""
        base = self.model.base
        structures = self._structures
        if base is None or structures is None:
            return []
        sets = [ss for ss in structures.sets if ss.series_uid == base.info.series_uid]
        return [o for ss in sets for o in organs_from_structures(ss.structures, base)]

    def facts(self) -> CaseFacts:
        """The case's facts; a fact core refuses is shown in the panel and left out (unknown)."""
        problems = ["Rule-set files left out: " + " | ".join(str(e) for e in self.catalog.errors)] \
            if self.catalog.errors else []
        if self._oar_settings_error:
            problems.append(self._oar_settings_error)
        missing = [i for i in case_rule_sets(self.case.facts) or [] if i not in self.catalog.rule_sets]
        if missing:
            problems.append(f"The case chose rule sets that are not installed: {', '.join(missing)} "
                            "(add their files to the rule-set folder)")
        try:
            facts = CaseFacts(self.case.facts)
        except FactsError as exc:
            problems.append(f"Case facts: {exc}; treated as unknown")
            facts = CaseFacts({k: v for k, v in self.case.facts.items() if _valid(k, v)})
        self.panel.show_error("\n".join(problems))
        return facts

    def evaluate_now(self) -> Evaluation:
        """Evaluate the chosen rule sets on the lesions shown and show the verdicts."""
        self._pending.stop()
        ev, self.warnings = evaluate_case(
            self.case, self.selected_rule_sets(), self.workspace(), self.facts(), organs=self._organs(),
            oar_settings=self.oar_settings, cutoff_months=self.panel.cutoff.value(),
            measure=self.model.measure, cache=self._cache)
        self.evaluation = ev
        self.panel.set_evaluation(ev)
        return ev

    # ------------------------------------------------------------- events
    def _on_lesions_changed(self, _event) -> None:
        self.evaluate_now()

    def _on_model_lesions(self) -> None:
        self._cache.clear()
        self._picked_before_case = None  # another case
        self._load_facts()
        self._follow_review()
        self.evaluate_now()

    def _load_facts(self) -> None:
        """Show the case's facts, and its own rule-set choice in the picker (when it has none: what
        the picker showed before the case got one, so undoing the first pick restores the picker)."""
        self.facts_form.set_derived(derived_for_form(self.case))
        self.facts_form.set_facts(self.case.facts)
        chosen = case_rule_sets(self.case.facts)
        if chosen is None:
            chosen = self._picked_before_case
        if chosen is not None:
            self.panel.set_selected(chosen)
        self._shown_ids = self.panel.selected_ids()

    def _follow_review(self) -> None:
        """Show the review state of the case on screen, and follow its sign-offs and reopenings."""
        review = self.case.review
        if review is not self._review:
            if self._review is not None:
                self._review.changed.disconnect(self._show_review)
            review.changed.connect(self._show_review)
            self._review = review
        self._show_review()

    def _show_review(self) -> None:
        review = self.case.review
        self.panel.show_review(review.state.value, review.status_text(), bool(self.case.integrity_warnings))

    def _on_panel_selection_changed(self, ids: list) -> None:
        """The user's pick: remembered for new cases (settings) and written to the case as an
        undoable, audited change (``oligoplan check`` without --rules reads it from there)."""
        self.settings.set(RULE_SETS, ",".join(ids))
        if case_rule_sets(self.case.facts) is None:
            self._picked_before_case = self._shown_ids
        self._shown_ids = list(ids)
        facts = {k: v for k, v in self.case.facts.items() if k != RULE_SETS_KEY}
        # the case's rule sets not installed here are not in the picker: kept, not silently dropped
        chosen = list(ids) + [i for i in case_rule_sets(self.case.facts) or [] if i not in self.catalog.rule_sets]
        if chosen:
            facts[RULE_SETS_KEY] = chosen
        if facts != self.case.facts:
            with error_boundary(self.owner, "Choosing the rule sets"):
                self.undo.push_command(
                    SetFacts(self.case, facts, self.facts_changed, text="Choose rule sets"))
                return  # facts_changed evaluated
        self.evaluate_now()

    def _on_case_about_to_save(self, case) -> None:
        """A case saved without its own rule-set choice records the sets the panel showed, so that
        `oligoplan check CASE.json` judges it as the user saw it (audited by the save)."""
        ids = self.panel.selected_ids()
        if ids and case_rule_sets(case.facts) is None:
            case.facts = {**case.facts, RULE_SETS_KEY: list(ids)}

    def _on_panel_cutoff_changed(self, value: float) -> None:
        self.settings.set(SYNC_CUTOFF_MONTHS, float(value))
        self.evaluate_now()

    def _on_panel_lesions_clicked(self, lesion_ids: list) -> None:
        present = [i for i in lesion_ids if i in self.model.lesions]
        if present:
            self.model.set_selected(present[0])
            self.model.go_to_lesion(present[0])

    def _on_form_facts_edited(self, facts: dict) -> None:
        with error_boundary(self.owner, "Editing the case facts"):
            self.undo.push_command(SetFacts(self.case, facts, self.facts_changed))

    def _on_facts_changed(self) -> None:
        self._load_facts()
        self.evaluate_now()

    def tracking_changed(self) -> None:
        """The case's comparison with the prior scan changed (Compare with prior, gui.compare): the facts
        derived from it are shown in the facts form as derived and used by the verdicts."""
        self.facts_form.set_derived(derived_for_form(self.case))
        self.evaluate_now()

    def _show_facts(self) -> None:
        self.facts_dock.show()
        self.facts_dock.raise_()

    # ------------------------------------------------------------- OAR flag settings
    def _load_oar_settings(self) -> OarSettings:
        """The user's OAR flag settings (core.rules.oar_settings); a bad file is named in the panel."""
        self._oar_settings_error = ""
        try:
            return load_oar_settings()
        except OarSettingsError as exc:
            self._oar_settings_error = f"OAR flag settings: {exc}; the defaults are used"
            return OarSettings()

    def _ask_oar_settings(self) -> None:
        dialog = OarSettingsDialog(self.oar_settings, str(oar_settings_path()), self.owner)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.set_oar_settings(dialog.settings())

    def set_oar_settings(self, settings: OarSettings) -> None:
        """Use ``settings`` for the OAR flags from now on, and keep them in the user config."""
        with error_boundary(self.owner, "Saving the OAR flag settings"):
            path = save_oar_settings(settings)
            self.oar_settings, self._oar_settings_error = settings, ""
            self.show_message(f"OAR flag settings saved to {path}")
        self.evaluate_now()

    # ------------------------------------------------------------- summary
    def _choose_summary_folder(self) -> None:
        """Ask where to write the summary and whether to anonymise it (both remembered), then write it."""
        settings = self.settings
        start = settings.get(LAST_SUMMARY_FOLDER) or str(Path.home())
        from core.export_privacy import free_text_items

        dialog = ExportDialog("Write candidacy summary", start, with_oars=False, parent=self.owner,
                              free_text=free_text_items(self.case))
        dialog.setObjectName("summary_dialog")
        dialog.anonymise_box.setText("Anonymise (no patient name, ID, study UID or case file name)")
        dialog.anonymise_box.setChecked(bool(settings.get(SUMMARY_ANONYMISE)))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        folder, anonymise = dialog.folder_edit.text().strip(), dialog.anonymise()
        settings.set(SUMMARY_ANONYMISE, anonymise)
        with error_boundary(self.owner, "Writing the candidacy summary"):
            if not folder:
                raise ExportError("choose a folder to write the summary into")
            if not self._ask_overwrite(folder, anonymise):
                return
            paths = self.export_summary(folder, anonymise=anonymise, keep_free_text=dialog.keep_free_text(),
                                        author=dialog.author())
            self.show_message(f"Summary written{' (anonymised)' if anonymise else ''}: "
                                     f"{', '.join(p.name for p in paths)}")
            self.offer_send(paths)  # "Send to PACS…" for its DICOM files only (issue 6)

    def summary_stem(self, anonymise: bool) -> str:
        """``<patient ID>_<study date>_summary`` of the shown images (core.export_names)."""
        base = self.model.base
        return case_stem(base.info if base is not None else None, "summary", anonymise=anonymise)

    def _ask_overwrite(self, folder: str | Path, anonymise: bool) -> bool:
        """Files of that name in the folder (this case's earlier export, or another case's of the same
        name): write over them only when the user says so."""
        from core.summary.export import summary_paths

        return ask_replace(self.owner, folder, summary_paths(folder, self.summary_stem(anonymise)).values(),
                           "this case's summary")

    def export_summary(self, folder: str | Path, anonymise: bool = False, keep_free_text: bool = False,
                       author: str = "") -> list[Path]:
        """Write <case>_summary.pdf, .json and -lesions.csv of what the panel shows (names: summary_stem).

        Anonymised: free text only when ``keep_free_text`` (the user reviewed it in the dialog),
        ``author`` as written ("" = left out; core.export_privacy)."""
        from core.summary.export import write_summary

        ev = self.evaluate_now()
        warnings = [] if ev.oar is not None else ["no organs at risk loaded: OAR flags unknown"]
        policy = None
        if anonymise:
            from core.export_privacy import AnonymisePolicy

            policy = AnonymisePolicy.new(keep_free_text=keep_free_text, author=author)
        paths = write_summary(self.case, CaseCheck(ev, self.workspace(), warnings), folder, anonymise=anonymise,
                              author=self._author(), policy=policy, stem=self.summary_stem(anonymise))
        self.settings.set(LAST_SUMMARY_FOLDER, str(folder))
        return paths

    def _author(self) -> str:
        user = self.user()
        if user and user[0]:
            return f"{user[0]} ({user[1]})" if len(user) > 1 and user[1] else user[0]
        return ""  # not given yet: never the login name ("root")


def _valid(key: str, value) -> bool:
    try:
        parse_fact(key, value)
        return True
    except FactsError:
        return False


def derived_for_form(case) -> dict:
    """{fact key: (value, why)} of the facts derived from the prior scan in ``case.tracking`` ({} without)."""
    from core.rules.facts import FIELD_BY_KEY

    tracking = getattr(case, "tracking", None)
    if tracking is None:
        return {}
    return {key: (fact.value, f"{tracking.source_text}: {fact.reason}") for key, fact in tracking.derived.items()
            if key in FIELD_BY_KEY and fact.value is not None}

"""The rule engine in the window: verdict panel, case-facts form, candidacy summary export.

* Evaluates the chosen rule sets (core.rules.engine.evaluate, pure) after every
  lesion edit, case change, facts edit, cut-off change and structure import,
  and shows the result in the verdict dock. `oligoplan bench rules` times it.
* The rule sets come from core.rules.loader (shipped, user folder); a bad user
  file is shown in the panel and the others still work. The user's pick is
  written to the case (facts["rule_sets"], undoable and audited; `oligoplan
  check` reads it) and kept in the settings (RULE_SETS) for new cases; a case
  opened with its own choice shows it in the picker.
* Organs at risk are those of the structure sets shown (gui.structures_wiring).
* Facts edits are undoable (core.rules.facts.SetFacts on the window's stack).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QDialog, QMenu

from core.errors import ExportError, FactsError, OarSettingsError
from core.events import Signal
from core.measure import surface_distance_mm
from core.rules.case_check import RULE_SETS_KEY, CaseCheck, case_rule_sets
from core.rules.counting import LesionInfo
from core.rules.engine import Evaluation, evaluate
from core.rules.facts import CaseFacts, SetFacts, parse_fact
from core.rules.loader import load_catalog
from core.rules.oar import OarCalculator, OarSettings, organs_from_structures
from core.rules.oar_settings import load_oar_settings, save_oar_settings
from core.rules.oar_settings import settings_path as oar_settings_path
from core.volume import Modality
from core.workspace import Workspace
from gui.actions import make_rules_actions
from gui.errors import error_boundary
from gui.panels.facts_form import FactsForm
from gui.panels.oar_settings_dialog import OarSettingsDialog
from gui.panels.verdict_panel import VerdictPanel
from gui.settings import LAST_SUMMARY_FOLDER, RULE_SETS, SUMMARY_ANONYMISE, SYNC_CUTOFF_MONTHS
from gui.structures_wiring import ExportDialog  # the folder + "Anonymise" dialog of RTSTRUCT/SR

log = logging.getLogger("oligoplan.gui")


class RulesWiring(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.model = window.model
        self.catalog = load_catalog()
        saved = [i for i in str(window.settings.get(RULE_SETS)).split(",") if i in self.catalog.rule_sets]
        self.panel = VerdictPanel(list(self.catalog), saved, float(window.settings.get(SYNC_CUTOFF_MONTHS)))
        self.facts_form = FactsForm()
        self.verdict_dock = window._dock("Verdicts", "verdict_dock", self.panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.facts_dock = window._dock("Case facts", "facts_dock", self.facts_form,
                                       Qt.DockWidgetArea.RightDockWidgetArea)
        # placed by the window (MainWindow._arrange_docks): the facts under the verdicts, both in view
        self.actions = make_rules_actions(window)
        self.facts_changed = Signal()  # after a facts edit, its undo or its redo
        self.evaluation: Evaluation | None = None
        self._oar_key = None
        self._oar_calc: OarCalculator | None = None
        self._distances: dict = {}
        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.setInterval(0)
        self._pending.timeout.connect(self.evaluate_now)
        self._lesion_set = self.model.lesions
        self._shown_ids = self.panel.selected_ids()
        self._picked_before_case: list[str] | None = None
        self._review = None
        self.oar_settings = self._load_oar_settings()
        self._build_menus()
        self._connect()
        self._load_facts()
        self._follow_review()
        self.evaluate_now()

    # ------------------------------------------------------------- set-up
    def _build_menus(self) -> None:
        w, a = self.window, self.actions
        menus = {m.title(): m for m in w.menuBar().findChildren(QMenu)}
        file_menu = menus.get("&File")
        if file_menu is not None:
            quit_action = w.actions.quit
            file_menu.insertAction(quit_action, a.export_summary)
            file_menu.insertSeparator(quit_action)
        view_menu = menus.get("&View")
        if view_menu is not None:
            view_menu.addAction(self.verdict_dock.toggleViewAction())
            view_menu.addAction(a.edit_facts)
        for action in a.all():
            w.addAction(action)

    def _connect(self) -> None:
        self.actions.export_summary.triggered.connect(self._choose_summary_folder)
        self.actions.edit_facts.triggered.connect(self._show_facts)
        self.panel.selection_changed.connect(self._on_panel_selection_changed)
        self.panel.cutoff_changed.connect(self._on_panel_cutoff_changed)
        self.panel.lesions_clicked.connect(self._on_panel_lesions_clicked)
        self.panel.oar_settings_requested.connect(self._ask_oar_settings)
        self.facts_form.facts_edited.connect(self._on_form_facts_edited)
        self.facts_changed.connect(self._on_facts_changed)
        self._lesion_set.changed.connect(self._on_lesions_changed)
        self.model.events.lesions.connect(self._on_model_lesions)
        self.model.events.volumes.connect(self.schedule)
        self.window.case_controller.about_to_save.connect(self._on_case_about_to_save)

    def follow_structures(self, structures) -> None:
        """Re-evaluate (OAR flags) whenever ``structures`` (gui.structures_wiring) imports or removes
        structure sets; the main window calls this once both wirings exist (the structures one is
        made after this one)."""
        structures.changed.connect(self.schedule)

    def disconnect_model(self) -> None:
        self._pending.stop()
        if self._review is not None:
            self._review.changed.disconnect(self._show_review)
        self._lesion_set.changed.disconnect(self._on_lesions_changed)
        self.model.events.lesions.disconnect(self._on_model_lesions)
        self.model.events.volumes.disconnect(self.schedule)

    # ------------------------------------------------------------- state
    @property
    def case(self):
        return self.window.case_controller.case

    def selected_rule_sets(self):
        return self.catalog.select(self.panel.selected_ids())

    def schedule(self, *_args) -> None:
        """Evaluate once the current event is handled (several edits in a row: one evaluation)."""
        self._pending.start()

    # ------------------------------------------------------------- evaluation
    def lesion_infos(self) -> list[LesionInfo]:
        return [LesionInfo.from_lesion(lesion, self.model.measure(lesion)) for lesion in self.model.lesions]

    def _organs(self):
        base = self.model.base
        structures = getattr(self.window, "structure_wiring", None)
        if base is None or structures is None:
            return []
        sets = [ss for ss in structures.sets if ss.series_uid == base.info.series_uid]
        return [o for ss in sets for o in organs_from_structures(ss.structures, base)]

    def _oar_report(self, infos: list[LesionInfo]):
        organs = self._organs()
        if not organs:
            return None
        key = (id(self.model.base), tuple(id(o.mask) for o in organs), self.oar_settings)
        if key != self._oar_key:
            self._oar_key, self._oar_calc = key, OarCalculator(organs, self.oar_settings)
        by_id = {m.id: m for m in infos}
        items = [(lesion, self.model.grid_for(lesion.mask) if lesion.mask is not None else None,
                  by_id[lesion.id].site, by_id[lesion.id].longest_diameter_mm) for lesion in self.model.lesions]
        return self._oar_calc.report(items)

    def _distance(self, a: str, b: str) -> float | None:
        la, lb = self.model.lesions[a], self.model.lesions[b]
        key = (id(la), id(lb))
        if key not in self._distances:
            ga = self.model.grid_for(la.mask) if la.mask is not None else None
            gb = self.model.grid_for(lb.mask) if lb.mask is not None else None
            if (la.mask is not None and ga is None and la.point_mm is None) or \
                    (lb.mask is not None and gb is None and lb.point_mm is None):
                self._distances[key] = None
            else:
                la2 = la if ga is not None or la.mask is None else la.with_changes(mask=None)
                lb2 = lb if gb is not None or lb.mask is None else lb.with_changes(mask=None)
                self._distances[key] = surface_distance_mm(la2, ga, lb2, gb)
        return self._distances[key]

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
        infos = self.lesion_infos()
        ev = evaluate(self.selected_rule_sets(), infos, self.facts(), oar=self._oar_report(infos),
                      cutoff_months=self.panel.cutoff.value(), distance=self._distance,
                      unreviewed_candidates=len(self.case.candidates.unreviewed))
        self.evaluation = ev
        self.panel.set_evaluation(ev)
        return ev

    # ------------------------------------------------------------- events
    def _on_lesions_changed(self, _event) -> None:
        self.evaluate_now()

    def _on_model_lesions(self) -> None:
        self._lesion_set.changed.disconnect(self._on_lesions_changed)
        self._lesion_set = self.model.lesions
        self._lesion_set.changed.connect(self._on_lesions_changed)
        self._distances.clear()
        self._picked_before_case = None  # another case
        self._load_facts()
        self._follow_review()
        self.evaluate_now()

    def _load_facts(self) -> None:
        """Show the case's facts, and its own rule-set choice in the picker (when it has none: what
        the picker showed before the case got one, so undoing the first pick restores the picker)."""
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
        self.window.settings.set(RULE_SETS, ",".join(ids))
        if case_rule_sets(self.case.facts) is None:
            self._picked_before_case = self._shown_ids
        self._shown_ids = list(ids)
        facts = {k: v for k, v in self.case.facts.items() if k != RULE_SETS_KEY}
        # the case's rule sets not installed here are not in the picker: kept, not silently dropped
        chosen = list(ids) + [i for i in case_rule_sets(self.case.facts) or [] if i not in self.catalog.rule_sets]
        if chosen:
            facts[RULE_SETS_KEY] = chosen
        if facts != self.case.facts:
            with error_boundary(self.window, "Choosing the rule sets"):
                self.window.undo_stack.push_command(
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
        self.window.settings.set(SYNC_CUTOFF_MONTHS, float(value))
        self.evaluate_now()

    def _on_panel_lesions_clicked(self, lesion_ids: list) -> None:
        present = [i for i in lesion_ids if i in self.model.lesions]
        if present:
            self.model.set_selected(present[0])
            self.model.go_to_lesion(present[0])

    def _on_form_facts_edited(self, facts: dict) -> None:
        with error_boundary(self.window, "Editing the case facts"):
            self.window.undo_stack.push_command(SetFacts(self.case, facts, self.facts_changed))

    def _on_facts_changed(self) -> None:
        self._load_facts()
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
        dialog = OarSettingsDialog(self.oar_settings, str(oar_settings_path()), self.window)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.set_oar_settings(dialog.settings())

    def set_oar_settings(self, settings: OarSettings) -> None:
        """Use ``settings`` for the OAR flags from now on, and keep them in the user config."""
        with error_boundary(self.window, "Saving the OAR flag settings"):
            path = save_oar_settings(settings)
            self.oar_settings, self._oar_settings_error = settings, ""
            self.window.show_message(f"OAR flag settings saved to {path}")
        self.evaluate_now()

    # ------------------------------------------------------------- summary
    def _choose_summary_folder(self) -> None:
        """Ask where to write the summary and whether to anonymise it (both remembered), then write it."""
        settings = self.window.settings
        start = settings.get(LAST_SUMMARY_FOLDER) or str(Path.home())
        from core.export_privacy import free_text_items

        dialog = ExportDialog("Write candidacy summary", start, with_oars=False, parent=self.window,
                              free_text=free_text_items(self.case))
        dialog.setObjectName("summary_dialog")
        dialog.anonymise_box.setText("Anonymise (no patient name, ID, study UID or case file name)")
        dialog.anonymise_box.setChecked(bool(settings.get(SUMMARY_ANONYMISE)))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        folder, anonymise = dialog.folder_edit.text().strip(), dialog.anonymise()
        settings.set(SUMMARY_ANONYMISE, anonymise)
        with error_boundary(self.window, "Writing the candidacy summary"):
            if not folder:
                raise ExportError("choose a folder to write the summary into")
            paths = self.export_summary(folder, anonymise=anonymise, keep_free_text=dialog.keep_free_text(),
                                        author=dialog.author())
            self.window.show_message(f"Summary written{' (anonymised)' if anonymise else ''}: "
                                     f"{', '.join(p.name for p in paths)}")
            from gui.pacs.offer import offer_send  # "Send to PACS…" for its DICOM files only (issue 6)
            offer_send(self.window, paths)

    def export_summary(self, folder: str | Path, anonymise: bool = False, keep_free_text: bool = False,
                       author: str = "") -> list[Path]:
        """Write summary.pdf, summary.json and summary-lesions.csv of what the panel shows.

        Anonymised: free text only when ``keep_free_text`` (the user reviewed it in the dialog),
        ``author`` as written ("" = left out; core.export_privacy)."""
        from core.summary.export import write_summary

        ev = self.evaluate_now()
        base, overlay = self.model.base, self.model.overlay
        workspace = None
        if base is not None:
            pet = overlay if overlay is not None and overlay.modality is Modality.PT else None
            scan = self.window.scan_result
            workspace = Workspace(folder=Path(getattr(scan, "root", ".")), scan=scan, primary=base, pet=pet)
        warnings = [] if ev.oar is not None else ["no organs at risk loaded: OAR flags unknown"]
        policy = None
        if anonymise:
            from core.export_privacy import AnonymisePolicy

            policy = AnonymisePolicy.new(keep_free_text=keep_free_text, author=author)
        paths = write_summary(self.case, CaseCheck(ev, workspace, warnings), folder, anonymise=anonymise,
                              author=self._author(), policy=policy)
        self.window.settings.set(LAST_SUMMARY_FOLDER, str(folder))
        return paths

    def _author(self) -> str | None:
        review = getattr(self.window, "review_wiring", None)
        user = getattr(review, "user", None) if review is not None else None
        if user and user[0]:
            return f"{user[0]} ({user[1]})" if len(user) > 1 and user[1] else user[0]
        return None


def _valid(key: str, value) -> bool:
    try:
        parse_fact(key, value)
        return True
    except FactsError:
        return False

"""Check a case file against rule sets: the images opened, lesions measured,
organs at risk read from the RT Structure Sets the case records (those found
with its images when it records none), then :func:`engine.evaluate`.

Used by `oligoplan check`, the summary export and the benchmark; the GUI's
verdict panel calls the same :func:`evaluate_case` with the images it shows
and the organs at risk of the structure sets shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Sequence

from core.candidates import pending_text
from core.case import Case
from core.errors import ForeignLesionError, OligoPlanError
from core.measure import surface_distance_mm
from core.rules.classification import DEFAULT_CUTOFF_MONTHS
from core.rules.counting import LesionInfo
from core.rules.engine import Evaluation, evaluate
from core.rules.facts import FIELD_BY_KEY, CaseFacts, fact_names
from core.rules.oar import OarCalculator, OarSettings, load_organs
from core.rules.schema import RuleSet
from core.workspace import grid_for, measure_on


#: Key of the case facts that holds the rule sets chosen for the case (the GUI's picker writes it).
RULE_SETS_KEY = "rule_sets"


def case_rule_sets(facts: dict | None) -> list[str] | None:
    """The rule-set ids the case chose (``facts["rule_sets"]``, a non-empty list of ids), or None."""
    chosen = (facts or {}).get(RULE_SETS_KEY)
    if isinstance(chosen, list) and chosen and all(isinstance(i, str) for i in chosen):
        return list(chosen)
    return None


@dataclass
class CaseImages:
    """The workspace of a case (None when its images could not be opened) and why not."""

    workspace: object | None
    warnings: list[str] = field(default_factory=list)


def open_case_images(case: Case) -> CaseImages:
    """Open the case's images (core.rt.case_images); a warning, not an error, when they are gone:
    the lesions still count, their sizes and organ-at-risk distances become unknown."""
    from core.rt.case_images import open_case_images as open_images

    base = case.path.parent if case.path is not None else Path.cwd()
    try:
        return CaseImages(open_images(case, base))
    except ForeignLesionError:  # the images are there, a lesion is not of them: never counted as if it were
        raise
    except OligoPlanError as exc:
        return CaseImages(None, [f"images not available ({exc}): sizes and organ-at-risk distances are unknown"])


def _volumes(workspace) -> list:
    return list(workspace.volumes) if workspace is not None else []


def lesion_infos(case: Case, workspace, measure=None) -> list[LesionInfo]:
    """Every lesion of the case with its measurements (core.workspace.measure_on the images open;
    sizes None without images). ``measure(lesion)`` replaces the measuring (the gui's cached one)."""
    volumes = _volumes(workspace)
    measure = measure or (lambda lesion: measure_on(lesion, volumes))
    return [LesionInfo.from_lesion(lesion, measure(lesion)) for lesion in case.lesions]


@dataclass
class EvaluationCache:
    """What :func:`evaluate_case` may keep between evaluations of one case on the same images (the
    gui re-evaluates after every edit): the organ-at-risk calculator and the lesion distances.
    Keys hold the objects they were computed from, so a changed lesion or organ is computed anew."""

    oar_key: tuple | None = None
    oar_calc: OarCalculator | None = None
    distances: dict = field(default_factory=dict)

    def clear(self) -> None:
        self.oar_key, self.oar_calc = None, None
        self.distances.clear()


def oar_report(case: Case, workspace, infos: Sequence[LesionInfo], settings: OarSettings = OarSettings(),
               *, organs=None, cache: EvaluationCache | None = None):
    """Organ-at-risk distances and flags, or (None, warnings) when there are no organs at risk.

    ``organs`` are the organs at risk to use (the gui: those of the structure sets shown); None
    reads them from the RT Structure Sets the case records (those found with its images when it
    records none)."""
    if workspace is None:
        return None, []
    warnings: list[str] = []
    if organs is None:
        organs, warnings = load_organs(workspace.scan, workspace.primary, case)
    if not organs:
        return None, warnings + ["no organs at risk in the case's structure sets: OAR flags are unknown"]
    cache = cache if cache is not None else EvaluationCache()
    key = (id(workspace.primary), tuple(id(o.mask) for o in organs), settings)
    if key != cache.oar_key or cache.oar_calc is None:
        cache.oar_key, cache.oar_calc = key, OarCalculator(organs, settings)
    volumes = _volumes(workspace)
    by_id = {m.id: m for m in infos}
    items = []
    for lesion in case.lesions:
        grid = grid_for(volumes, lesion.mask) if lesion.mask is not None else None
        info = by_id[lesion.id]
        items.append((lesion, grid, info.site, info.longest_diameter_mm))
    return cache.oar_calc.report(items), warnings


def distance_fn(case: Case, workspace, cache: EvaluationCache | None = None):
    """Surface distance between two lesions of the case (mm), computed when first asked (and kept
    in ``cache`` for as long as both lesions are unchanged)."""
    distances = cache.distances if cache is not None else {}
    volumes = _volumes(workspace)

    def grid(lesion):
        return grid_for(volumes, lesion.mask) if lesion.mask is not None else None

    def distance(a: str, b: str) -> float | None:
        la, lb = case.lesions[a], case.lesions[b]
        key = (id(la), id(lb))
        kept = distances.get(key)
        if kept is not None and kept[0] is la and kept[1] is lb:
            return kept[2]
        ga, gb = grid(la), grid(lb)
        usable = all(l.point_mm is not None or g is not None for l, g in ((la, ga), (lb, gb)))
        value = None
        if usable:
            value = surface_distance_mm(la if ga is not None or la.mask is None else la.with_changes(mask=None), ga,
                                        lb if gb is not None or lb.mask is None else lb.with_changes(mask=None), gb)
        distances[key] = (la, lb, value)
        return value

    return distance


def evaluate_case(
    case: Case,
    rule_sets: Sequence[RuleSet],
    workspace,
    facts: CaseFacts,
    *,
    today: date | None = None,
    cutoff_months: float = DEFAULT_CUTOFF_MONTHS,
    oar_settings: OarSettings = OarSettings(),
    organs=None,
    measure=None,
    cache: EvaluationCache | None = None,
) -> tuple[Evaluation, list[str]]:
    """The verdicts of ``rule_sets`` on ``case`` with its images ``workspace`` (None: not available):
    the one evaluation of the verdict panel, `check`, `export` and the summary PDF.

    The lesions are measured on the images open (``measure`` replaces the measuring with an equal,
    cached one), the organs at risk are ``organs`` or those of the case's structure sets
    (:func:`oar_report`), distances between lesions are computed when a rule asks. Returns the
    evaluation and the warnings (PET candidates waiting for review; organs at risk unknown and why).
    """
    facts, sources = facts_with_derived(facts, getattr(case, "tracking", None))
    infos = lesion_infos(case, workspace, measure)
    oar, warnings = oar_report(case, workspace, infos, oar_settings, organs=organs, cache=cache)
    unreviewed = len(case.candidates.unreviewed)  # PET candidates not yet accepted or rejected
    ev = evaluate(rule_sets, infos, facts, oar=oar, today=today, cutoff_months=cutoff_months,
                  distance=distance_fn(case, workspace, cache), unreviewed_candidates=unreviewed)
    ev.fact_sources = sources
    derived = [key for key, source in sources.items() if source["derived"]]
    if derived:
        warnings = [derived_facts_text(derived, case.tracking)] + warnings
    return ev, ([pending_text(unreviewed)] if unreviewed else []) + warnings


def facts_with_derived(facts: CaseFacts, tracking) -> tuple[CaseFacts, dict[str, dict]]:
    """The facts to evaluate and where each came from: the user's (entered) where known, else the value
    derived from the prior scan (``tracking``, core.tracking.record; None: no comparison was made).

    Sources: ``{"source": "entered", "derived": false}``, with ``"overrides": {"value", "source"}``
    when the entered value differs from the derived one; or ``{"source": "derived from prior scan of
    <date>", "derived": true, "reason": why}``. Only case facts (core.rules.facts.FIELDS) are listed."""
    entered = {key: value for key, value in facts.to_json().items() if value is not None}
    effective, provenance = tracking.effective(entered) if tracking is not None else (entered, {})
    sources: dict[str, dict] = {}
    for key in effective:
        if key not in FIELD_BY_KEY:
            continue
        fact = tracking.derived.get(key) if tracking is not None else None
        if provenance.get(key) == "derived":
            sources[key] = {"source": tracking.source_text, "derived": True, "reason": fact.reason}
        else:
            sources[key] = {"source": "entered", "derived": False}
            if provenance.get(key) == "overridden":
                sources[key]["overrides"] = {"value": fact.value, "source": tracking.source_text}
    if not provenance:
        return facts, sources
    derived = {key: source["source"] for key, source in sources.items() if source["derived"]}
    return CaseFacts(effective, derived=derived), sources


def derived_facts_text(keys, tracking) -> str:
    """The warning naming the facts in use that no user entered (check, the verdict panel, the summary)."""
    return (f"{fact_names(keys)}: {tracking.source_text.replace('derived', 'not entered but derived', 1)} "
            "(oligoplan track); confirm or override them in the case facts")


@dataclass
class CaseCheck:
    evaluation: Evaluation
    workspace: object | None
    warnings: list[str]
    #: The warnings of the option set-up (a malformed rule-set file left out, a facts key that is
    #: not a case fact), printed on stderr by core.check_options and also at the head of
    #: ``warnings``, so the JSON of `check` and of the summary carry them.
    setup_warnings: list[str] = field(default_factory=list)


def check_case(
    case: Case,
    rule_sets: Sequence[RuleSet],
    *,
    facts_override: dict | None = None,
    today: date | None = None,
    cutoff_months: float = DEFAULT_CUTOFF_MONTHS,
    oar_settings: OarSettings = OarSettings(),
    images: CaseImages | None = None,
) -> CaseCheck:
    """Everything `oligoplan check` prints, for one case."""
    name = case.name_in_messages("case")
    facts = CaseFacts(case.facts, where=f"{name}: facts")
    if facts_override:
        facts = facts.merged(facts_override)
    images = images if images is not None else open_case_images(case)
    ev, oar_warnings = evaluate_case(case, rule_sets, images.workspace, facts, today=today,
                                     cutoff_months=cutoff_months, oar_settings=oar_settings)
    return CaseCheck(ev, images.workspace, list(images.warnings) + oar_warnings)

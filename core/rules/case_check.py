"""Check a case file against rule sets: the images opened, lesions measured,
organs at risk read from the RT Structure Sets the case records (those found
with its images when it records none), then :func:`engine.evaluate`.

Used by `oligoplan check`, the summary export and the benchmark; the GUI
does the same steps with the images it already shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Sequence

from core.candidates import pending_text
from core.case import Case
from core.errors import OligoPlanError
from core.measure import measure_lesion, surface_distance_mm
from core.rules.classification import DEFAULT_CUTOFF_MONTHS
from core.rules.counting import LesionInfo
from core.rules.engine import Evaluation, evaluate
from core.rules.facts import CaseFacts
from core.rules.oar import OarCalculator, OarSettings, load_organs
from core.rules.schema import RuleSet


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
    except OligoPlanError as exc:
        return CaseImages(None, [f"images not available ({exc}): sizes and organ-at-risk distances are unknown"])


def lesion_infos(case: Case, workspace) -> list[LesionInfo]:
    """Every lesion of the case with its measurements (sizes None without images)."""
    out = []
    for lesion in case.lesions:
        grid = workspace.volume_for(lesion.mask.series_uid) if (workspace is not None and lesion.mask is not None) else None
        if workspace is None or (lesion.mask is not None and grid is None):
            m = measure_lesion(lesion, None)
        else:
            m = measure_lesion(lesion, grid, ct=workspace.ct, pet=workspace.pet)
        out.append(LesionInfo.from_lesion(lesion, m))
    return out


def oar_report(case: Case, workspace, infos: Sequence[LesionInfo], settings: OarSettings = OarSettings()):
    """Organ-at-risk distances and flags, or (None, warnings) when there are no organs at risk."""
    if workspace is None:
        return None, []
    organs, warnings = load_organs(workspace.scan, workspace.primary, case)  # the case's recorded structure sets
    if not organs:
        return None, warnings + ["no organs at risk in the case's structure sets: OAR flags are unknown"]
    calc = OarCalculator(organs, settings)
    by_id = {m.id: m for m in infos}
    items = []
    for lesion in case.lesions:
        grid = workspace.volume_for(lesion.mask.series_uid) if lesion.mask is not None else None
        info = by_id[lesion.id]
        items.append((lesion, grid, info.site, info.longest_diameter_mm))
    return calc.report(items), warnings


def distance_fn(case: Case, workspace):
    """Surface distance between two lesions of the case (mm), computed when first asked."""
    cache: dict[frozenset, float | None] = {}

    def grid(lesion):
        if workspace is None or lesion.mask is None:
            return None
        return workspace.volume_for(lesion.mask.series_uid)

    def distance(a: str, b: str) -> float | None:
        key = frozenset((a, b))
        if key not in cache:
            la, lb = case.lesions[a], case.lesions[b]
            ga, gb = grid(la), grid(lb)
            usable = all(l.point_mm is not None or g is not None for l, g in ((la, ga), (lb, gb)))
            if not usable:
                cache[key] = None
            else:
                if ga is None and la.mask is not None:
                    la = la.with_changes(mask=None)
                if gb is None and lb.mask is not None:
                    lb = lb.with_changes(mask=None)
                cache[key] = surface_distance_mm(la, ga, lb, gb)
        return cache[key]

    return distance


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
    name = case.path.name if case.path is not None else "case"
    facts = CaseFacts(case.facts, where=f"{name}: facts")
    if facts_override:
        facts = facts.merged(facts_override)
    images = images if images is not None else open_case_images(case)
    infos = lesion_infos(case, images.workspace)
    oar, oar_warnings = oar_report(case, images.workspace, infos, oar_settings)
    ev = evaluate(rule_sets, infos, facts, oar=oar, today=today, cutoff_months=cutoff_months,
                  distance=distance_fn(case, images.workspace),
                  unreviewed_candidates=len(case.candidates.unreviewed))
    pending = [pending_text(len(case.candidates.unreviewed))] if case.candidates.unreviewed else []
    return CaseCheck(ev, images.workspace, pending + list(images.warnings) + oar_warnings)

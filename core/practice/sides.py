"""Practice mode outside the gui: read the two sides to compare and score them.

A side is a case file (its lesions) or an RT Structure Set (its targets,
GTV/CTV/PTV, each one lesion) drawn on the same images. The images come from
``--images`` or from the case-file side. Used by ``oligoplan score`` and by
the practice mode of the gui (which opens a reference the same way).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Mapping

from core.case import Case, load_case
from core.errors import OligoPlanError, ScoringError
from core.lesions import Lesion
from core.measure import measure_lesion
from core.practice.scoring import DEFAULT_TOLERANCE_MM, Scorecard, VerdictFunction, score_lesions
from core.volume import Volume
from core.workspace import Workspace, check_case_images, open_folder


@dataclass
class Side:
    """One side of a comparison: where it came from and its lesions."""

    path: Path
    kind: str  # "case", "rtstruct" or "seg"
    lesions: list[Lesion]
    case: Case | None = None
    warnings: tuple[str, ...] = ()


def is_case_file(path: Path) -> bool:
    """A JSON file (what a case file is); anything else is taken for DICOM."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64).lstrip()
    except OSError as exc:
        raise ScoringError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    return head.startswith(b"{")


def read_side(path: str | Path, workspace: Workspace | None = None) -> Side:
    """Read a case file, or an RTSTRUCT placed on ``workspace``'s primary image."""
    path = Path(path)
    if not path.is_file():
        raise ScoringError(f"{path}: no such file (expected a case file, an RTSTRUCT or a DICOM SEG)")
    if is_case_file(path):
        case = load_case(path)
        if workspace is not None:
            check_case_images(case, workspace)
        return Side(path, "case", list(case.lesions), case, tuple(case.integrity_warnings))
    if workspace is None:
        raise ScoringError(f"{path.name}: an RTSTRUCT or a SEG needs the images it was drawn on; "
                           "give them with --images FOLDER or make the other side a case file")
    return _read_rtstruct_side(path, workspace)


def _read_rtstruct_side(path: Path, workspace: Workspace) -> Side:
    """An RTSTRUCT's targets, or a DICOM SEG's segments (all but organs and outlines), as lesions."""
    try:
        from core.rt.seg_read import read_structure_file
        from core.rt.structures import StructureKind, lesion_from_structure
    except ImportError as exc:  # pragma: no cover - only in a build without core.rt
        raise ScoringError(f"{path.name}: reading an RTSTRUCT needs core.rt ({exc})") from exc
    imported = read_structure_file(path, workspace.primary)
    is_seg = any(s.from_segmentation for s in imported.structures)
    if is_seg:
        wanted = [s for s in imported.structures
                  if s.kind not in (StructureKind.ORGAN_AT_RISK, StructureKind.EXTERNAL)]
    else:
        wanted = imported.targets
    targets = [s for s in wanted if s.mask is not None]
    lesions = [_placed(lesion_from_structure(s, f"L{n}"), s, imported.structures, workspace)
               for n, s in enumerate(targets, start=1)]
    warnings = list(imported.warnings)
    skipped = [s.name for s in wanted if s.mask is None]
    what = "segments" if is_seg else "targets"
    if skipped:
        warnings.append(f"{what} without a voxel on these images were left out: {', '.join(skipped)}")
    organs = [s.name for s in imported.structures if is_seg and s not in wanted]
    if organs:
        warnings.append(f"segments of organs or the body outline are not lesions: {', '.join(organs)}")
    return Side(path, "seg" if is_seg else "rtstruct", lesions, None, tuple(warnings))


def _placed(lesion, structure, structures, workspace: Workspace):
    """A target of a structure set not exported by OligoPlan has no site of its own: it takes the
    site proposed from the set's organ structures or the CT (as in the gui), not "other"."""
    from core.anatomy import propose_site
    from core.rt.structures import site_of_structure

    if "site" in site_of_structure(structure):  # coded or written by an OligoPlan export
        return lesion
    return lesion.with_proposal(propose_site(structure.mask, workspace.primary, structures=structures,
                                             ct=workspace.ct, pet=workspace.pet))


def images_folder(reference: Path, trainee: Path, images: str | Path | None) -> Path:
    """The folder of the images: ``images`` when given, else the first case file's."""
    if images is not None:
        return Path(images)
    for path in (reference, trainee):
        if path.is_file() and is_case_file(path):
            case = load_case(path)
            if case.images:
                return case.images[0].resolve(path.resolve().parent)
    raise ScoringError("neither side is a case file naming its images: give the images with --images FOLDER")


def grids_of(workspace: Workspace) -> dict[str, Volume]:
    return {v.info.series_uid: v for v in workspace.volumes}


def rule_verdicts(facts: dict | None = None, grids: Mapping[str, Volume] | None = None
                  ) -> tuple[VerdictFunction | None, str]:
    """The rule engine's verdict per rule set of a lesion list, with the case ``facts``.

    Both sides are judged with the same facts (the reference case's: the trainee
    only marks lesions) and the rule sets the facts choose (``rule_sets``; all
    shipped ones otherwise). Returns (function, "") or (None, why not).
    """
    try:
        from core.rules.counting import LesionInfo
        from core.rules.engine import evaluate
        from core.rules.loader import load_catalog
    except ImportError:  # pragma: no cover - only in a build without the rule engine
        return None, "this OligoPlan has no rule engine (core.rules)"
    facts = dict(facts or {})
    chosen = facts.get("rule_sets")
    try:
        rule_sets = load_catalog().select(chosen if isinstance(chosen, list) and chosen else None)
    except OligoPlanError as exc:
        return None, f"rule sets not available ({exc})"
    grids = grids or {}

    def verdicts(lesions: list[Lesion]) -> dict[str, str]:
        infos = []
        for lesion in lesions:
            grid = grids.get(lesion.mask.series_uid) if lesion.mask is not None else None
            infos.append(LesionInfo.from_lesion(lesion, measure_lesion(lesion, grid)))
        return {r.id: r.verdict for r in evaluate(rule_sets, infos, facts).results}

    return verdicts, ""


def score_with_rules(reference: list[Lesion], trainee: list[Lesion], grids: Mapping[str, Volume],
                     facts: dict | None = None, *, tolerance_mm: float = DEFAULT_TOLERANCE_MM) -> Scorecard:
    """score_lesions with the rule-set verdicts compared; when the rules cannot run, says why."""
    verdicts, note = rule_verdicts(facts, grids)
    if verdicts is not None:
        try:
            return score_lesions(reference, trainee, grids, tolerance_mm=tolerance_mm, verdicts=verdicts)
        except OligoPlanError as exc:  # e.g. malformed case facts: score, and say why verdicts are missing
            note = f"verdicts not compared: {exc}"
    card = score_lesions(reference, trainee, grids, tolerance_mm=tolerance_mm)
    return replace(card, verdicts_note=note)


def score_files(reference: str | Path, trainee: str | Path, *, images: str | Path | None = None,
                tolerance_mm: float = DEFAULT_TOLERANCE_MM,
                verdicts: VerdictFunction | None = None,
                progress: Callable | None = None) -> tuple[Scorecard, list[str]]:
    """Score two files (case files, RTSTRUCTs or DICOM SEGs) on the same images.

    Returns the scorecard and the warnings met on the way (tampered audit
    trails, targets left out of an RTSTRUCT).
    """
    reference, trainee = Path(reference), Path(trainee)
    for path in (reference, trainee):
        if not path.is_file():
            raise ScoringError(f"{path}: no such file (expected a case file, an RTSTRUCT or a DICOM SEG)")
    folder = images_folder(reference, trainee, images)
    try:
        workspace = open_folder(folder, progress)
    except OligoPlanError as exc:
        raise ScoringError(f"the images of the cases ({folder}) cannot be opened: {exc}") from exc
    ref, tra = read_side(reference, workspace), read_side(trainee, workspace)
    facts = ref.case.facts if ref.case is not None else (tra.case.facts if tra.case is not None else {})
    if verdicts is not None:
        card = score_lesions(ref.lesions, tra.lesions, grids_of(workspace), tolerance_mm=tolerance_mm,
                             verdicts=verdicts)
    else:
        card = score_with_rules(ref.lesions, tra.lesions, grids_of(workspace), facts, tolerance_mm=tolerance_mm)
    warnings = [f"{side.path.name}: {w}" for side in (ref, tra) for w in side.warnings]
    return card, warnings


def scorecard_json(card: Scorecard, warnings: list[str] | None = None) -> str:
    doc = card.to_json()
    if warnings:
        doc["warnings"] = list(warnings)
    return json.dumps(doc, indent=2)

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
from typing import Callable

from core.case import Case, load_case
from core.errors import OligoPlanError, ScoringError
from core.lesions import Lesion
from core.scoring import DEFAULT_TOLERANCE_MM, Scorecard, VerdictFunction, score_lesions
from core.volume import Volume
from core.workspace import Workspace, check_case_images, open_folder


@dataclass
class Side:
    """One side of a comparison: where it came from and its lesions."""

    path: Path
    kind: str  # "case" or "rtstruct"
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
        raise ScoringError(f"{path}: no such file (expected a case file or an RTSTRUCT)")
    if is_case_file(path):
        case = load_case(path)
        if workspace is not None:
            check_case_images(case, workspace)
        return Side(path, "case", list(case.lesions), case, tuple(case.integrity_warnings))
    if workspace is None:
        raise ScoringError(f"{path.name}: an RTSTRUCT needs the images it was drawn on; "
                           "give them with --images FOLDER or make the other side a case file")
    return _read_rtstruct_side(path, workspace)


def _read_rtstruct_side(path: Path, workspace: Workspace) -> Side:
    try:
        from core.rt.rtstruct_read import read_rtstruct
        from core.rt.structures import lesion_from_structure
    except ImportError as exc:  # pragma: no cover - only in a build without core.rt
        raise ScoringError(f"{path.name}: reading an RTSTRUCT needs core.rt ({exc})") from exc
    imported = read_rtstruct(path, workspace.primary)
    targets = [s for s in imported.targets if s.mask is not None]
    lesions = [lesion_from_structure(s, f"L{n}") for n, s in enumerate(targets, start=1)]
    warnings = list(imported.warnings)
    skipped = [s.name for s in imported.targets if s.mask is None]
    if skipped:
        warnings.append(f"targets without a contour on these images were left out: {', '.join(skipped)}")
    return Side(path, "rtstruct", lesions, None, tuple(warnings))


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


def rule_verdicts() -> tuple[VerdictFunction | None, str]:
    """The rule engine's verdicts of a lesion list, when the rule engine is there.

    Returns (function, "") or (None, why verdicts cannot be compared).
    """
    try:
        from core.rules import verdicts_for_lesions  # type: ignore[attr-defined]
    except ImportError:
        return None, "this OligoPlan has no rule engine (core.rules) yet"
    return verdicts_for_lesions, ""


def score_files(reference: str | Path, trainee: str | Path, *, images: str | Path | None = None,
                tolerance_mm: float = DEFAULT_TOLERANCE_MM,
                verdicts: VerdictFunction | None = None,
                progress: Callable | None = None) -> tuple[Scorecard, list[str]]:
    """Score two files (case files or RTSTRUCTs) on the same images.

    Returns the scorecard and the warnings met on the way (tampered audit
    trails, targets left out of an RTSTRUCT).
    """
    reference, trainee = Path(reference), Path(trainee)
    for path in (reference, trainee):
        if not path.is_file():
            raise ScoringError(f"{path}: no such file (expected a case file or an RTSTRUCT)")
    folder = images_folder(reference, trainee, images)
    try:
        workspace = open_folder(folder, progress)
    except OligoPlanError as exc:
        raise ScoringError(f"the images of the cases ({folder}) cannot be opened: {exc}") from exc
    ref, tra = read_side(reference, workspace), read_side(trainee, workspace)
    note = ""
    if verdicts is None:
        verdicts, note = rule_verdicts()
    card = score_lesions(ref.lesions, tra.lesions, grids_of(workspace), tolerance_mm=tolerance_mm,
                         verdicts=verdicts)
    if note:
        card = _with_note(card, note)
    warnings = [f"{side.path.name}: {w}" for side in (ref, tra) for w in side.warnings]
    return card, warnings


def _with_note(card: Scorecard, note: str) -> Scorecard:
    return replace(card, verdicts_note=note)


def scorecard_json(card: Scorecard, warnings: list[str] | None = None) -> str:
    doc = card.to_json()
    if warnings:
        doc["warnings"] = list(warnings)
    return json.dumps(doc, indent=2)

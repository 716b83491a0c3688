"""Write the candidacy summary of a case: PDF, JSON and CSV (shared by the GUI and `oligoplan export`)."""

from __future__ import annotations

from pathlib import Path

from core.rules.case_check import CaseCheck
from core.summary.document import build_summary
from core.summary.images import axial_key_image, coronal_mip
from core.summary.pdf import MAX_KEY_IMAGES, write_summary_pdf
from core.summary.tables import write_lesion_csv, write_summary_json



def summary_pictures(case, workspace, summary: dict):
    """The coronal MIP and one key axial image per lesion (None / [] without images)."""
    if workspace is None:
        return None, []
    mip = coronal_mip(workspace.pet if workspace.pet is not None else workspace.primary)
    ct = workspace.ct if workspace.ct is not None else workspace.primary
    key = []
    for row in summary["lesions"][:MAX_KEY_IMAGES]:
        lesion = case.lesions[row["id"]]
        grid = workspace.volume_for(lesion.mask.series_uid) if lesion.mask is not None else None
        pic = axial_key_image(ct, lesion, grid, row.get("centroid_mm"), half_mm=key_image_half_mm(row),
                              site=row["site"])
        if pic is not None:
            key.append((row["number"], pic))
    return mip, key


def key_image_half_mm(row: dict) -> float:
    """Half the side of a lesion's key image: 40 mm, or more for a lesion that would not fit in it
    (a 93 mm sarcoma was cut by the 80 mm crop), with a margin of a fifth of its size each side."""
    largest = max((row.get(k) or 0.0) for k in ("longest_diameter_mm", "longest_axial_diameter_mm"))
    return max(40.0, 0.7 * float(largest))


def summary_paths(out_dir: str | Path, stem: str = "summary") -> dict[str, Path]:
    """The files write_summary writes into ``out_dir``: {"pdf", "json", "csv"} -> path."""
    out_dir = Path(out_dir)
    return {"pdf": out_dir / f"{stem}.pdf", "json": out_dir / f"{stem}.json", "csv": out_dir / f"{stem}-lesions.csv"}


def write_summary(case, check: CaseCheck, out_dir: str | Path, *, pdf: bool = True, json: bool = True,
                  csv: bool = True, anonymise: bool = False, author: str | None = None,
                  stem: str = "summary", policy=None) -> list[Path]:
    """Write the chosen summary files into ``out_dir``; returns their paths.

    ``anonymise``: as ``policy`` (core.export_privacy.AnonymisePolicy; the one of the export
    whose other files share its date shift) says, or a new one with ``author`` as the name
    written (None: left out; the login name is never used)."""
    out_dir = Path(out_dir)  # made by the first writer (a failure names its file: FileWriteError)
    name = case.path.name if case.path is not None else ""
    if anonymise and policy is None:
        from core.export_privacy import AnonymisePolicy

        policy = AnonymisePolicy.new(author=author)
    summary = build_summary(check.evaluation, workspace=check.workspace, anonymise=anonymise,
                            author=policy.author if anonymise else author, warnings=check.warnings,
                            case_name=name, review=getattr(case, "review", None))
    from core.summary.timeline import comparison_pictures, tracking_section

    section = tracking_section(case, summary, anonymise)
    if section is not None:  # before anonymising: its dates are shifted with every other date
        summary["tracking"] = section
    if anonymise:
        from core.export_privacy import anonymise_summary, image_identifiers

        summary = anonymise_summary(summary, policy, case, identifiers=image_identifiers(check.workspace))
    written = []
    paths = summary_paths(out_dir, stem)
    if pdf:
        mip, key = summary_pictures(case, check.workspace, summary)
        comparison = comparison_pictures(case, check.workspace, summary.get("tracking"), anonymise)
        written.append(write_summary_pdf(summary, paths["pdf"], mip, key, comparison))
    if json:
        written.append(write_summary_json(summary, paths["json"]))
    if csv:
        written.append(write_lesion_csv(summary, paths["csv"]))
    return written

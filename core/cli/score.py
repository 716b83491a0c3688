"""`oligoplan score`: compare a trainee's lesions with a reference set."""

from __future__ import annotations

from pathlib import Path

from core.cli.arg_types import finite_number
from core.errors import NoImagesError, ScoringError
from core.practice.scoring import DEFAULT_TOLERANCE_MM, Scorecard
from core.practice.sides import score_files, scorecard_json


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "score",
        help="score a trainee's lesions against a reference (case files, RTSTRUCTs or DICOM SEGs)",
        description=(
            "Matches the trainee's lesions with the reference's (overlapping contours first, then "
            "centres within --tolerance-mm) and reports sensitivity, false positives, and per "
            "matched lesion Dice, HD95, mean surface distance, volume difference and site "
            "agreement, and whether the counts (overall and per organ) and the rule-set "
            "verdicts agree. Each side is a case file, an RTSTRUCT or a DICOM SEG on the same images."
        ),
    )
    p.add_argument("reference", metavar="REFERENCE", help="the expert's case file, RTSTRUCT or SEG")
    p.add_argument("trainee", metavar="TRAINEE", help="the trainee's case file, RTSTRUCT or SEG")
    p.add_argument("--images", metavar="FOLDER",
                   help="folder of the images (default: the images the case-file side names)")
    p.add_argument("--tolerance-mm", type=tolerance_mm, default=DEFAULT_TOLERANCE_MM, metavar="MM",
                   help=f"centre distance up to which lesions whose contours do not overlap still "
                        f"match (default {DEFAULT_TOLERANCE_MM:g})")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_score)


#: --tolerance-mm: a finite distance of 0 mm or more (bad values exit 2)
tolerance_mm = finite_number("a distance in mm of 0 or more, e.g. 10")


def cmd_score(args) -> int:
    for side, path in (("REFERENCE", args.reference), ("TRAINEE", args.trainee)):
        if Path(path).is_dir():
            raise ScoringError(f"{side} {path}: is a folder; give the case file (.json) or the "
                               "RTSTRUCT or SEG file in it (`oligoplan inspect` lists the structure sets and segmentations)")
    try:
        card, warnings = score_files(args.reference, args.trainee, images=args.images,
                                     tolerance_mm=args.tolerance_mm)
    except ScoringError as exc:
        if isinstance(exc.__cause__, NoImagesError):
            from core.cli.segment import images_hint

            raise ScoringError(f"{exc}; {images_hint('--images')}") from None
        raise
    if args.json:
        print(scorecard_json(card, warnings))
    else:
        print(summary_text(card, warnings))
    return 0


def summary_text(card: Scorecard, warnings: list[str] | None = None) -> str:
    sens = "n/a (the reference has no lesions)" if card.sensitivity is None else f"{card.sensitivity:.0%}"
    lines = [
        f"{len(card.matched)} of {card.n_reference} reference lesion(s) found: sensitivity {sens}; "
        f"{card.false_positives} false positive(s)",
        f"count: reference {card.n_reference}, trainee {card.n_trainee} "
        f"({'agrees' if card.count_agrees else 'differs'}); per organ "
        f"{'agrees' if card.per_organ_counts_agree else 'differs'} "
        f"(reference {_counts(card.reference_counts)}; trainee {_counts(card.trainee_counts)})",
        "verdicts: " + ("agree" if card.verdicts_agree else "differ" if card.verdicts_agree is False
                        else "not compared") + (f" ({card.verdicts_note})" if card.verdicts_note else ""),
    ]
    for m in card.matched:
        lines.append(
            f"  {m.reference} <-> {m.trainee} ({m.matched_by}): Dice {_fmt(m.dice, '.3f')}, "
            f"HD95 {_fmt(m.hd95_mm, '.1f', ' mm')}, MSD {_fmt(m.msd_mm, '.1f', ' mm')}, "
            f"volume {_fmt(m.volume_diff_pct, '+.0f', '%')}, site "
            f"{'agrees' if m.site_agrees else f'differs ({m.reference_site} vs {m.trainee_site})'}")
    if card.missed:
        lines.append(f"  missed: {', '.join(card.missed)}")
    if card.extra:
        lines.append(f"  extra: {', '.join(card.extra)}")
    lines.extend(f"warning: {w}" for w in warnings or [])
    return "\n".join(lines)


def _fmt(value, spec: str, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{unit}"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"

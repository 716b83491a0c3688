"""`oligoplan track PRIOR_CASE.json CURRENT_IMAGES`: compare with the prior scan (docs/tracking.md).

Registers the prior CT to the current one, carries the prior lesions over and
segments them again there, decides each lesion's status, lists new lesions
(from the PET candidate finder, when there is one) and derives the case facts
that follow. ``--out`` writes a case of the current scan: the carried-over
lesions (same ids), the new ones with ``--accept-new``, and the derived facts
as proposals under ``"tracking"`` (the case's own facts stay empty: nothing is
confirmed on the user's behalf).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from core.case import Case, ImagesMissingError, case_to_json, load_case
from core.atomic_file import atomic_write_text
from core.errors import CaseFileError, NoImagesError
from core.lesions import AddLesion, Lesion, UndoStack
from core.measure import Measurements
from core.rules.classification import classify
from core.rules.facts import CaseFacts
from core.tracking.derived import derive_facts, derived_to_json, effective_facts
from core.tracking.status import size_mm_for
from core.tracking.tracker import FindNew, TrackedLesion, TrackResult, track

#: the new-lesion finder `track` uses; None until the PET candidate finder (core.detect) is wired here
NEW_LESION_FINDER: FindNew | None = None


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "track", help="compare with the prior scan: lesions carried over, status per lesion, new lesions",
        description="Register the prior case's CT to the current CT, carry its lesions over and segment them "
                    "again, give each a status (RECIST 1.1 / PERCIST 1.0, adapted per lesion), list new "
                    "lesions and the case facts that follow (docs/tracking.md).")
    p.add_argument("prior", metavar="PRIOR_CASE.json", help="the case file of the earlier visit (its images "
                                                            "must be where it says)")
    p.add_argument("images", metavar="CURRENT_IMAGES", help="folder of the current CT (and PET)")
    p.add_argument("--out", metavar="CASE.json", help="write a case of the current scan with the carried-over "
                                                      "lesions (a new file: an existing one is not overwritten)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--accept-new", action="store_true", help="put the new lesions found into the --out case "
                                                             "(otherwise they are only listed)")
    p.set_defaults(func=cmd_track)


def cmd_track(args) -> int:
    from core.rt.case_images import open_case_images
    from core.workspace import open_folder

    prior_path = Path(args.prior)
    out = Path(args.out) if args.out else None
    if out is not None and out.exists():
        raise CaseFileError(f"--out {out}: the file exists and is not overwritten; give a new file name")
    prior_case = load_case(prior_path)
    try:
        prior = open_case_images(prior_case, prior_path.resolve().parent)
    except ImagesMissingError as exc:
        raise ImagesMissingError(f"{exc}. The prior case's images are needed to measure its lesions; "
                                 "nothing was compared", exc.ref) from None
    if not Path(args.images).exists():
        raise NoImagesError(f"{args.images}: no such folder; give the folder of the current CT (and PET)")
    current = open_folder(args.images)
    lesions = list(prior_case.lesions)
    result = track(lesions, prior, current, find_new=NEW_LESION_FINDER,
                   first_new_number=prior_case.lesions.next_number)
    derived = derive_facts(result)
    doc = track_json(result, prior.primary.info.study_date, current.primary.info.study_date)
    dates = {"prior": prior.primary.info.study_date or None, "current": current.primary.info.study_date or None}
    doc["derived_facts"] = derived_to_json(derived)
    if not lesions:
        doc["warnings"].append(f"{prior_path.name} holds no lesions: there was nothing to carry over")
    if out is not None:
        write_tracked_case(result, current, doc, prior_path, out, args.accept_new, dates)
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        _print(doc, effective_facts({}, derived)[0], out)
    return 0


def track_json(result: TrackResult, prior_date: str = "", current_date: str = "") -> dict:
    """The `oligoplan track --json` document (without "derived_facts")."""
    return {
        "registration": result.registration.to_json(),
        "lesions": [_lesion_json(t, prior_date, current_date) for t in result.lesions],
        "new": [{"id": n.id, "centroid_mm": _point(n.candidate.centroid_mm), "site": n.candidate.site.value,
                 "volume_cc": _round(n.values.volume_cc, 3), "suv_max": _round(n.values.suv_max, 2)}
                for n in result.new],
        "counts": {"prior": result.count_prior, "current": result.count_current},
        "warnings": list(result.warnings),
    }


def _lesion_json(t: TrackedLesion, prior_date: str, current_date: str) -> dict:
    centre = t.current_values.centroid_mm if t.current_values is not None else t.carried_mm
    return {
        "id": t.prior.id,
        "prior_id": t.prior.id,
        "status": t.status.value,
        "centroid_mm": _point(centre),
        "prior": _values(t.prior, t.prior_values, prior_date),
        "current": _values(t.prior, t.current_values, current_date) if t.current_values is not None else None,
        "ct_status": t.decision.ct_status.value if t.decision.ct_status else None,
        "pet_status": t.decision.pet_status.value if t.decision.pet_status else None,
        "decided_by": t.decision.decided_by,
        "note": t.decision.note,
    }


def _values(lesion: Lesion, m: Measurements, date: str) -> dict:
    size, measure = size_mm_for(lesion.site, m.longest_axial_diameter_mm, m.short_axis_mm)
    return {
        "date": date or None,
        "size_mm": _round(size, 1),
        "size_measure": measure,
        "longest_axial_diameter_mm": _round(m.longest_axial_diameter_mm, 1),
        "short_axis_mm": _round(m.short_axis_mm, 1),
        "volume_cc": _round(m.volume_cc, 3),
        "suv_max": _round(m.suv_max, 2),
        "suv_peak": _round(m.suv_peak, 2),
    }


def write_tracked_case(result: TrackResult, current, doc: dict, prior_path: Path, out: Path,
                       accept_new: bool, dates: dict | None = None) -> None:
    """A case of the current scan: carried-over lesions found there, new ones when accepted, proposals noted."""
    case = Case(images=current.image_refs())
    stack = UndoStack()
    for t in result.lesions:
        if t.current is not None:
            stack.push(AddLesion(case.lesions, t.current))
    if accept_new:
        for n in result.new:
            stack.push(AddLesion(case.lesions, Lesion(
                n.id, n.id, site=n.candidate.site, point_mm=tuple(n.candidate.centroid_mm), mask=n.candidate.mask,
                notes="new since the prior scan, found by oligoplan track: a proposal, check it")))
    case.review.sync()
    body = case_to_json(case, out)
    body["next_lesion_number"] = max(body["next_lesion_number"], *(int(n.id[1:]) + 1 for n in result.new),
                                     *(int(t.prior.id[1:]) + 1 for t in result.lesions if t.prior.id[1:].isdigit()))
    prior_by_id = {t.prior.id: t.prior for t in result.lesions}
    body["tracking"] = {
        "prior_case": str(prior_path.resolve()),
        "registration": doc["registration"],
        "statuses": {t.prior.id: t.status.value for t in result.lesions},
        "new_listed": [] if accept_new else doc["new"],
        "derived_facts": doc["derived_facts"],
        # what the summary PDF's timeline page shows (core.tracking.stored reads it back): the
        # values at both dates as `track --json` prints them, with each prior lesion's label and site
        "dates": {"prior": (dates or {}).get("prior"), "current": (dates or {}).get("current")},
        "lesions": [{**item, "label": prior_by_id[item["id"]].label, "site": prior_by_id[item["id"]].site.value}
                    for item in doc["lesions"]],
        "new": doc["new"],
        "new_accepted": bool(accept_new),
        "new_searched": result.new_searched,
        "counts": doc["counts"],
        "sul_note": result.sul_note,
    }
    atomic_write_text(out, json.dumps(body, indent=1))


def _print(doc: dict, derived_only: dict, out: Path | None) -> None:
    reg = doc["registration"]
    value = "" if reg["metric_value"] is None else f", {reg['metric']} {reg['metric_value']:.3f}"
    print(f"registration: {reg['method']}{value}, {reg['seconds']:.1f} s; shift "
          f"{', '.join(f'{v:.1f}' for v in reg['transform']['translation_mm'])} mm, "
          f"rotation {reg['transform']['rotation_deg']:.1f} degrees")
    for item in doc["lesions"]:
        p, c = item["prior"], item["current"]
        sizes = f"{_fmt(p['size_mm'])} -> {_fmt(c['size_mm'])} mm" if c else f"{_fmt(p['size_mm'])} mm -> not found"
        peaks = f", SUVpeak {_fmt(p['suv_peak'])} -> {_fmt(c['suv_peak'])}" if c and p["suv_peak"] is not None else ""
        beside = f" (CT: {item['ct_status']})" if item["decided_by"] == "PET" and item["ct_status"] else ""
        print(f"  {item['id']}: {item['status']}{beside}: {sizes}{peaks}" + (f"; {item['note']}" if item["note"] else ""))
    for item in doc["new"]:
        print(f"  {item['id']}: new at ({', '.join(f'{v:.1f}' for v in item['centroid_mm'])}) mm, {item['site']}")
    print(f"lesions: {doc['counts']['prior']} then, {doc['counts']['current']} now")
    for key, fact in doc["derived_facts"].items():
        value = "not derived" if fact["value"] is None else fact["value"]
        print(f"derived (a proposal: confirm it in the case): {key} = {value} ({fact['reason']})")
    cls = classify(CaseFacts(derived_only)).to_json()
    print(f"ESTRO-EORTC class from the derived facts alone: {cls['class']}"
          + (f" (needs: {', '.join(cls['missing'])})" if cls["missing"] else ""))
    for warning in doc["warnings"]:
        print(f"oligoplan track: warning: {warning}", file=sys.stderr)
    if out is not None:
        print(f"case of the current scan saved to {out}")


def _fmt(value) -> str:
    return "-" if value is None else f"{value:g}"


def _point(values) -> list[float]:
    return [round(float(v), 2) for v in values]


def _round(value, digits: int):
    return None if value is None else round(float(value), digits)


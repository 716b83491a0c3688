"""`oligoplan track PRIOR_CASE.json CURRENT_IMAGES`: compare with the prior scan (docs/tracking.md).

Registers the prior CT to the current one, carries the prior lesions over and
segments them again there, decides each lesion's status, lists new lesions
(from the PET candidate finder, when there is one) and derives the case facts
that follow. ``--out`` writes a case of the current scan: the carried-over
lesions (same ids), the new ones as lesions with ``--accept-new`` (else as PET
candidates waiting for review), and the comparison under ``"tracking"``
(core.tracking.record) with the derived facts: they fill the facts nobody
entered, marked as derived (core.rules.case_check.facts_with_derived); the
case's own ``facts`` stay empty: nothing is entered on the user's behalf.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from core.case import Case, ImagesMissingError, case_to_json, load_case
from core.atomic_file import atomic_write_text
from core.errors import CaseFileError, NoImagesError
from core.lesions import AddLesion, UndoStack
from core.rules.classification import classify
from core.rules.facts import CaseFacts, fact_names
from core.tracking.derived import derive_facts, derived_to_json, effective_facts
from core.tracking.document import track_json, tracking_record  # noqa: F401 (tests and docs name them here)
from core.tracking.record import TrackingRecord
from core.tracking.new_lesions import header_body, new_lesion_finder
from core.tracking.status import PatientBody, Sex
from core.tracking.tracker import NewLesion, TrackResult, track


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
    p.add_argument("--accept-new", action="store_true", help="put the new lesions found on the current PET into "
                   "the --out case as lesions (otherwise they wait there as PET candidates to accept or reject)")
    p.add_argument("--height-m", type=_height_m, metavar="H",
                   help="the patient's height in metres (e.g. 1.72): with --sex and the PET's weight, PERCIST uses "
                        "SULpeak (lean body mass); without them SUVpeak (body weight), and the report says so")
    p.add_argument("--sex", type=_sex, metavar="F|M", help="the patient's sex, F or M (for SUL; see --height-m)")
    p.set_defaults(func=cmd_track)


def _height_m(text: str) -> float:
    import argparse

    from core.detect.sul import HEIGHT_M_RANGE

    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    low, high = HEIGHT_M_RANGE
    if not (low <= value <= high):  # also NaN
        raise argparse.ArgumentTypeError(f"{text!r}: expected a height in metres from {low:g} to {high:g}, "
                                         "e.g. 1.72 (not centimetres)")
    return value


def _sex(text: str) -> Sex:
    import argparse

    try:
        return Sex(text.strip().upper())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected F or M") from None


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
    prior_body, current_body = (_body(args, workspace) for workspace in (prior, current))
    finder = new_lesion_finder(current, body=_detect_body(current_body))
    lesions = list(prior_case.lesions)
    result = track(lesions, prior, current, find_new=finder, prior_body=prior_body, current_body=current_body,
                   first_new_number=prior_case.lesions.next_number)
    unreviewed = len(prior_case.candidates.unreviewed)
    derived = derive_facts(result, prior_unreviewed=unreviewed)
    factors = (prior_body.sul_factor(), current_body.sul_factor())
    doc = track_json(result, prior.primary.info.study_date, current.primary.info.study_date, factors)
    doc["derived_facts"] = derived_to_json(derived)
    if not lesions:
        doc["warnings"].append(f"{prior_path.name} holds no lesions: there was nothing to carry over")
    if unreviewed:
        doc["warnings"].append(f"{prior_path.name} has {unreviewed} PET candidate(s) not reviewed: its lesions may "
                               "be incomplete, so the history (earlier oligo- or polymetastatic disease) is not "
                               "derived; review them in the prior case and run track again")
    if (args.height_m is not None or args.sex is not None) and (prior.pet is None or current.pet is None):
        doc["warnings"].append("--height-m and --sex were not used: SUL is for PERCIST, which needs a PET at both "
                               "dates (" + ("neither date has one" if prior.pet is None and current.pet is None
                                            else f"the {'prior' if prior.pet is None else 'current'} images "
                                                 "hold none") + ")")
    if out is not None:
        record = tracking_record(doc, prior_path, prior.primary.info.study_date, current.primary.info.study_date,
                                 result, args.accept_new)
        write_tracked_case(result, current, doc, record, out, args.accept_new, finder)
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        _print(doc, effective_facts({}, derived)[0], out)
    return 0


def _body(args, workspace) -> PatientBody:
    """The patient's build for SUL: height and sex from the options (else the PET header), weight from
    the PET header of that date (the SUV needs it anyway)."""
    from core.detect.sul import HEIGHT_M_RANGE, WEIGHT_KG_RANGE

    header = header_body(workspace)
    height_m = args.height_m if args.height_m is not None else _plausible(header and header.height_m, HEIGHT_M_RANGE)
    sex = args.sex
    if sex is None and header is not None and header.sex.strip().upper()[:1] in ("F", "M"):
        sex = Sex(header.sex.strip().upper()[:1])
    weight = _plausible(header and header.weight_kg, WEIGHT_KG_RANGE)  # a typo in the header: no SUL, not a wrong one
    return PatientBody(weight_kg=weight, height_cm=None if height_m is None else height_m * 100.0, sex=sex)


def _plausible(value, limits: tuple[float, float]) -> float | None:
    return value if value is not None and limits[0] <= value <= limits[1] else None


def _detect_body(body: PatientBody):
    from core.detect import PatientBody as DetectBody

    return DetectBody(body.weight_kg, None if body.height_cm is None else body.height_cm / 100.0,
                      body.sex.value if body.sex is not None else "")


def write_tracked_case(result: TrackResult, current, doc: dict, record: TrackingRecord, out: Path,
                       accept_new: bool, finder=None) -> None:
    """A case of the current scan: the carried-over lesions found there (proposals, same ids); the new ones
    as lesions with ``accept_new``, else as PET candidates waiting for review (every rule set undetermined
    until each is accepted or rejected); ``record`` as its "tracking", with an audit entry for the
    derived facts (the case's own facts stay empty: nothing is confirmed on the user's behalf)."""
    from core.candidates import CandidateSet

    case = Case(images=current.image_refs())
    stack = UndoStack()
    for t in result.lesions:
        if t.current is not None:
            stack.push(AddLesion(case.lesions, t.current))
    found = getattr(finder, "found", {})
    candidates = [_candidate(n, found.get(n.candidate.centroid_mm), f"C{k}") for k, n in enumerate(result.new, 1)]
    if accept_new:
        from core.candidates import lesion_from_candidate

        for n, candidate in zip(result.new, candidates):
            lesion = lesion_from_candidate(candidate, n.id, current.pet, current.primary)
            stack.push(AddLesion(case.lesions, lesion.with_changes(
                label=n.id, notes=f"new since the prior scan, found on the current PET by oligoplan track: a "
                                  f"proposal, check it. {lesion.notes}")))
    elif candidates:
        detection = getattr(finder, "detection", None)
        case.candidates = CandidateSet(candidates, detection.reference.to_json() if detection else {},
                                       [s.to_json() for s in detection.suppressed] if detection else [],
                                       detection.series_uid if detection else current.primary.info.series_uid)
    new_listed = [] if accept_new else [{**item, "candidate_id": c.id} for item, c in zip(doc["new"], candidates)]
    case.tracking = TrackingRecord(**{**record.__dict__, "new_listed": tuple(new_listed)})
    case.review.sync()
    case.review.record_derived_facts(case.tracking)
    body = case_to_json(case, out)
    body["next_lesion_number"] = max(body["next_lesion_number"], *(int(n.id[1:]) + 1 for n in result.new),
                                     *(int(t.prior.id[1:]) + 1 for t in result.lesions if t.prior.id[1:].isdigit()))
    atomic_write_text(out, json.dumps(body, indent=1))


def _candidate(new: NewLesion, found, candidate_id: str):
    """A core.candidates.Candidate of a new lesion: the finder's (mask on the PET grid) when it made it."""
    from core.candidates import Candidate

    if found is not None:
        return Candidate.from_found(found, candidate_id)
    v = new.values
    return Candidate(candidate_id, new.candidate.centroid_mm, v.volume_cc or 0.0, v.suv_max or 0.0,
                     v.suv_peak or 0.0, new.candidate.site.value, "unknown", "unknown", new.candidate.mask)


def _print(doc: dict, derived_only: dict, out: Path | None) -> None:
    reg = doc["registration"]
    value = "" if reg["metric_value"] is None else f", {reg['metric']} {reg['metric_value']:.3f}"
    print(f"registration: {reg['method']}{value}, {reg['seconds']:.1f} s; shift "
          f"{', '.join(f'{v:.1f}' for v in reg['transform']['translation_mm'])} mm, "
          f"rotation {reg['transform']['rotation_deg']:.1f} degrees")
    for item in doc["lesions"]:
        p, c = item["prior"], item["current"]
        sizes = f"{_fmt(p['size_mm'])} -> {_fmt(c['size_mm'])} mm" if c else f"{_fmt(p['size_mm'])} mm -> not found"
        sul = c is not None and p["sul_peak"] is not None and c["sul_peak"] is not None
        key = "sul_peak" if sul else "suv_peak"
        peaks = (f", {'SULpeak' if sul else 'SUVpeak'} {_fmt(p[key])} -> {_fmt(c[key])}"
                 if c and p["suv_peak"] is not None else "")
        beside = f" (CT: {item['ct_status']})" if item["decided_by"] == "PET" and item["ct_status"] else ""
        print(f"  {item['id']}: {item['status']}{beside}: {sizes}{peaks}" + (f"; {item['note']}" if item["note"] else ""))
    for item in doc["new"]:
        print(f"  {item['id']}: new at ({', '.join(f'{v:.1f}' for v in item['centroid_mm'])}) mm, {item['site']}")
    if doc["derived_facts"].get("new_lesions", {}).get("value") is None:
        print("  new lesions: not searched (no PET now): mark them on the current scan by hand")
    elif not doc["new"]:
        print("  new lesions: none found on the current PET")
    print(f"lesions: {doc['counts']['prior']} then, {doc['counts']['current']} now")
    for key, fact in doc["derived_facts"].items():
        value = "not derived" if fact["value"] is None else fact["value"]
        print(f"derived: {fact_names([key])} = {value} ({fact['reason']})")
    cls = classify(CaseFacts(derived_only)).to_json()
    print(f"ESTRO-EORTC class from the derived facts alone: {cls['class']}"
          + (f" (needs: {fact_names(cls['missing'])})" if cls["missing"] else ""))
    for warning in doc["warnings"]:
        print(f"oligoplan track: warning: {warning}", file=sys.stderr)
    print("derived facts fill the case facts nobody entered (check, the verdict panel), marked as derived: "
          "confirm or override them in the case facts")
    if out is not None:
        print(f"case of the current scan saved to {out}")


def _fmt(value) -> str:
    return "-" if value is None else f"{value:g}"


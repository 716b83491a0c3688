"""`oligoplan detect`: PET hot-spot candidates (core.detect), printed or stored in a case for review."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from core.cli.segment import images_hint, parse_seed
from core.errors import NoImagesError, OligoPlanError


def register(subparsers) -> None:
    from core.cli.arg_types import finite_number

    p = subparsers.add_parser(
        "detect",
        help="find candidate lesions (hot spots) on a PET and store them in a case for review",
        description=(
            "Finds hot spots on the PET of IMAGES: values in SUL (lean body mass) when the header gives "
            "height and sex, else SUVbw; threshold 1.5 x liver mean + 2 x SD in a 3 cm sphere in the right "
            "liver lobe (PERCIST 1.0); touching hot spots with separate peaks split; physiological uptake "
            "(brain, myocardium, kidneys, ureters, bladder) listed apart with its reason. Candidates are "
            "not lesions: with --out they wait in the case until each is accepted or rejected, and every "
            "rule set is undetermined until then."),
    )
    p.add_argument("images", metavar="IMAGES", help="folder with the PET (and CT)")
    p.add_argument("--structures", metavar="RTSTRUCT", action="append", default=[],
                   help="RT Structure Set whose organs place the liver reference and mark physiological uptake "
                        "(those in IMAGES are used too); repeatable")
    p.add_argument("--out", metavar="CASE.json", help="store the candidates in this case file (created or extended)")
    p.add_argument("--threshold", type=finite_number("a threshold above 0", above_zero=True), metavar="VALUE",
                   help="threshold in the reference's unit (SUL or SUVbw) instead of 1.5 x liver mean + 2 x SD")
    p.add_argument("--liver", metavar="X,Y,Z", help="centre (LPS mm) of the 3 cm liver reference sphere")
    p.add_argument("--min-volume", type=finite_number("a volume in cm3 of 0 or more"), default=0.3, metavar="CC",
                   help="smallest candidate in cm3 (default 0.3); smaller ones count when SUVmax is at least "
                        "1.2 x the threshold")
    p.add_argument("--physiological", metavar="X,Y,Z", action="append", default=[],
                   help="a point (LPS mm) in uptake you know is physiological; repeatable")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_detect)


def cmd_detect(args) -> int:
    from core.detect import DetectParams, detect_candidates
    from core.detect.finder import anatomy_proposer

    params = DetectParams(threshold=args.threshold, min_volume_cc=args.min_volume,
                          reference_centre_mm=_point(args.liver, "--liver") if args.liver else None,
                          physiological_mm=tuple(_point(p, "--physiological") for p in args.physiological))
    try:
        from core.workspace import open_folder

        workspace = open_folder(args.images)
    except NoImagesError as exc:
        raise NoImagesError(f"{exc}; {images_hint()}") from None
    pet = pet_of(workspace)
    body, structures, warnings = pet_inputs(workspace, pet, args.structures)
    organs = organ_structures(workspace, args.structures)
    detection = detect_candidates(pet, body=body, params=params, structures=structures,
                                  propose_site=anatomy_proposer(organs, workspace.ct))
    for w in warnings + detection.notes:
        print(f"oligoplan detect: note: {w}", file=sys.stderr)
    if args.out:
        store(detection, workspace, Path(args.out))
    if args.json:
        print(json.dumps(detection.to_json(), indent=2))
    else:
        print(describe(detection, args.out))
    return 0


def _point(text: str, option: str):
    try:
        return parse_seed(text)
    except OligoPlanError:
        raise OligoPlanError(f"{option} '{text}': expected three numbers X,Y,Z in mm, e.g. {option} -60,20,-110") from None


def pet_of(workspace):
    """The PET of a workspace (fused with the CT, or on its own); DetectionError without one."""
    from core.detect import DetectionError
    from core.volume import Modality

    if workspace.pet is not None:
        return workspace.pet
    if workspace.primary.modality is Modality.PT:
        return workspace.primary
    raise DetectionError(f"{workspace.folder} holds no PET ({workspace.primary.info.title}): candidates need a "
                         "PET; open a PET/CT study, or mark lesions by hand (`oligoplan segment --seed X,Y,Z`, or "
                         "click, contour or brush in the window)")


def pet_inputs(workspace, pet, structure_files=()):
    """(patient build, [(structure name, mask on the PET grid)], warnings) for detection."""
    from core.detect import patient_body_from_header
    from core.errors import DicomError, StructureSetError
    from core.rt.rtstruct_read import read_rtstruct
    from core.rt.matching import ImageStack

    entry = next((e for e in workspace.scan.series if e.info.series_uid == pet.info.series_uid), None)
    body = patient_body_from_header(entry.header) if entry is not None else None
    stacks = [ImageStack.from_entry(e) for e in workspace.scan.series]
    paths = [s.path for s in workspace.scan.structure_sets] + [str(p) for p in structure_files]
    structures, warnings = [], []
    for path in paths:
        if not Path(path).is_file():
            raise StructureSetError(f"{path}: no such file; give an RT Structure Set file to --structures")
        try:
            placed = read_rtstruct(path, pet, stacks)
        except DicomError as exc:
            if path in structure_files:
                raise
            warnings.append(f"{Path(path).name} left out: {exc}")
            continue
        structures += [(s.name, s.mask.full()) for s in placed.structures if s.mask is not None]
    return body, structures, warnings


def organ_structures(workspace, structure_files=()) -> list:
    """The structures (on the primary image) whose organs place the candidates (core.anatomy); a file
    that cannot be read was reported by :func:`pet_inputs` already."""
    from core.errors import DicomError
    from core.rt.rtstruct_read import import_structure_sets, read_rtstruct

    sets = list(import_structure_sets(workspace.scan, workspace.primary).placed)
    for path in structure_files:
        try:
            sets.append(read_rtstruct(path, workspace.primary))
        except DicomError:
            continue
    return [s for placed in sets for s in placed.structures]


def store(detection, workspace, out: Path) -> None:
    """Put the candidates in the case file ``out`` (created, or extended after checking its images)."""
    from core.candidates import CandidateSet
    from core.case import Case, ImageRef, load_case, save_case
    from core.workspace import check_case_images

    if out.exists():
        case = load_case(out)
        check_case_images(case, workspace)
    else:
        case = Case(images=workspace.image_refs())
    pet = pet_of(workspace)
    if not any(ref.series_uid == pet.info.series_uid for ref in case.images):
        case.images.append(ImageRef(str(workspace.folder.resolve()), pet.info.series_uid,
                                    pet.info.frame_of_reference_uid, pet.info.modality.value))
    if len(case.candidates):
        reviewed = len(case.candidates) - len(case.candidates.unreviewed)
        print(f"oligoplan detect: note: {out.name}: the {len(case.candidates)} earlier candidate(s) are replaced"
              + (f" ({reviewed} reviewed: their lesions stay)" if reviewed else ""), file=sys.stderr)
    case.candidates = CandidateSet.from_detection(detection)
    save_case(case, out)


def describe(detection, out) -> str:
    ref = detection.reference
    unit = ref.unit
    lines = []
    if ref.organ:
        lines.append(f"Reference: {ref.organ} ({ref.method}), 3 cm sphere at "
                     f"({', '.join(f'{v:.0f}' for v in ref.centre_mm)}) mm: mean {ref.sul_mean:.2f} {unit}, "
                     f"SD {ref.sul_sd:.2f}; threshold {ref.threshold:.2f} {unit}")
    else:
        lines.append(f"Threshold {ref.threshold:.2f} {unit} (given; no liver reference)")
    lines.append(f"{len(detection.candidates)} candidate(s) in {detection.seconds:.2f} s"
                 + (f"; stored in {out} for review (accept or reject each)" if out else ""))
    for c in detection.candidates:
        lines.append(f"  {c.id}: ({', '.join(f'{v:.1f}' for v in c.centroid_mm)}) mm, {c.volume_cc:.2f} cm3, "
                     f"SUVmax {c.suv_max:.1f}, {unit}peak {c.sul_peak:.1f}, {_site_text(c)}")
    if detection.suppressed:
        lines.append(f"{len(detection.suppressed)} physiological region(s) left out")
        for s in detection.suppressed:
            lines.append(f"  ({', '.join(f'{v:.1f}' for v in s.centroid_mm)}) mm: {s.reason}")
    return "\n".join(lines)


def _site_text(found) -> str:
    """"site liver (proposed, structure:LIVER), side right"; nothing proposed reads "site unknown"
    (it read "site unknown (proposed, unknown)"), and no side (an unpaired organ such as the liver,
    the midline, or not known) reads "no side" (it read "side ")."""
    site = f"site {found.site}" + (f" (proposed, {found.site_source})" if found.site_source != "unknown" else "")
    return f"{site}, " + (f"side {found.side}" if found.side else "no side")

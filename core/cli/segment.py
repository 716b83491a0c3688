"""`oligoplan segment`: one lesion per seed point, by the click tool's method."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from core.anatomy import propose_site
from core.case import Case, load_case, update_case
from core.codes import LesionKind, Site
from core.errors import NoImagesError, OligoPlanError, SegmentationError
from core.lesion_labels import new_label
from core.lesions import AddLesion, Lesion, UndoStack
from core.rt.case_structures import case_structure_sets
from core.rt.rtstruct_read import read_rtstruct
from core.segment import PetMethod, SegmentParams
from core.volume import Modality
from core.workspace import Workspace, check_case_images, measure_on, open_folder

DEFAULT_CASE = "case.json"
def images_hint(option: str = "") -> str:
    """What to do when a folder holds no image series (`oligoplan segment IMAGES`, and
    ``option="--images"`` for `oligoplan score --images`)."""
    give = f"give {option} the folder" if option else "give the folder"
    return f"{give} of the CT (and PET) images; `oligoplan inspect FOLDER` lists what a folder holds"


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "segment",
        help="segment one lesion per seed point and save them in a case file",
        description=(
            "Segments one lesion per seed (patient coordinates, LPS mm) with the click tool's "
            "method: on the PET when the folder holds one (adaptive threshold by default, or a fixed "
            "percentage of SUVmax; docs/segmentation.md), otherwise CT region growing. Creates the case "
            "file, or extends it when it exists."
        ),
    )
    p.add_argument("images", metavar="IMAGES", help="folder with the CT (and PET)")
    p.add_argument("--seed", action="append", required=True, metavar="X,Y,Z",
                   help="seed point in mm (LPS); repeat for several lesions")
    p.add_argument("--site", default=None,
                   help=f"site of the new lesions ({', '.join(s.value for s in Site)}); without it each lesion's "
                        "site and side are proposed from the organ structures (--structures, and structure sets "
                        "in IMAGES) or the CT's anatomy, stored as proposed for a user to confirm")
    p.add_argument("--structures", metavar="RTSTRUCT", action="append", default=[],
                   help="RT Structure Set whose organ structures (LIVER, Lung_R, ...) place the lesions; "
                        "structure sets in IMAGES (or recorded in the case) are used too")
    p.add_argument("--kind", default="metastasis", help="primary or metastasis")
    p.add_argument("--out", metavar="CASE.json", default=DEFAULT_CASE,
                   help=f"case file to create or extend (default: {DEFAULT_CASE})")
    p.add_argument("--pet-method", choices=[m.value for m in PetMethod], default=None,
                   help="PET threshold: adaptive (size-corrected %% of SUVmax, the default) or fixed "
                        "(--pet-threshold %% of SUVmax)")
    p.add_argument("--pet-threshold", type=float, metavar="PCT", default=None,
                   help="fixed method: %% of the local SUVmax, of the uptake above the background "
                        "(default 40; given alone it selects --pet-method fixed)")
    p.add_argument("--pet-fwhm", type=float, metavar="MM", default=None,
                   help="adaptive method: the PET's reconstructed resolution, FWHM in mm (default 5.5)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_segment)


def segment_params(args) -> SegmentParams:
    """The click tool's settings from --pet-method, --pet-threshold and --pet-fwhm."""
    method = args.pet_method or ("fixed" if args.pet_threshold is not None else "adaptive")
    if method == "adaptive" and args.pet_threshold is not None:
        raise OligoPlanError("--pet-threshold applies to --pet-method fixed; the adaptive method finds "
                             "its own threshold (set the scanner's resolution with --pet-fwhm)")
    if method == "fixed" and args.pet_fwhm is not None:
        raise OligoPlanError("--pet-fwhm applies to --pet-method adaptive; the fixed method uses "
                             "--pet-threshold % of SUVmax")
    given = {"pet_method": method}  # the rest: core's defaults
    if args.pet_threshold is not None:
        given["pet_fraction"] = args.pet_threshold / 100.0
    if args.pet_fwhm is not None:
        given["pet_fwhm_mm"] = args.pet_fwhm
    try:
        return SegmentParams(**given)
    except ValueError as exc:
        raise OligoPlanError(f"{exc} (--pet-threshold PCT, --pet-fwhm MM)") from None


def parse_seed(text: str) -> tuple[float, float, float]:
    try:
        values = tuple(float(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or not all(math.isfinite(v) for v in values):
        raise OligoPlanError(f"--seed '{text}': expected three numbers X,Y,Z in mm, e.g. --seed -60.5,20,110")
    return values  # type: ignore[return-value]


def cmd_segment(args) -> int:
    seeds = [parse_seed(s) for s in args.seed]
    params = segment_params(args)
    try:
        site = Site.parse(args.site) if args.site is not None else None
        kind = LesionKind.parse(args.kind)
    except ValueError as exc:
        raise OligoPlanError(str(exc)) from None
    out = Path(args.out)
    try:
        workspace = open_folder(args.images)
    except NoImagesError as exc:
        raise NoImagesError(f"{exc}; {images_hint()}") from None
    if out.exists():  # a bad case file or other images are refused before the slow part
        check_case_images(load_case(out), workspace)
    volume = workspace.segmentation_volume
    pet_options = [flag for flag, value in (("--pet-method", args.pet_method), ("--pet-threshold", args.pet_threshold),
                                            ("--pet-fwhm", args.pet_fwhm)) if value is not None]
    if volume.modality is not Modality.PT and pet_options:  # a PET alone is segmented with the PET method
        print(f"oligoplan segment: warning: {args.images} holds no PET; {', '.join(pet_options)} "
              f"ignored, the lesions are grown on the {volume.info.modality.value}", file=sys.stderr)
    results = []
    for seed in seeds:
        try:
            results.append((seed, workspace.segment_lesion(seed, params)))
        except SegmentationError as exc:
            raise SegmentationError(f"seed {','.join(f'{v:g}' for v in seed)}: {exc}; nothing was saved") from None
    new: list[Lesion] = []
    reopened: list[str] = []
    proposals: dict[int, object] = {}  # per seed, made once (the lock may make add_lesions run again)

    def proposal(n: int, case: Case, mask):
        if n not in proposals:
            if "structures" not in proposals:
                proposals["structures"] = _structures(case, workspace, args.structures)
            proposals[n] = propose_site(mask, workspace.volume_for(mask.series_uid),
                                        structures=proposals["structures"], ct=workspace.ct, pet=workspace.pet)
        return proposals[n]

    def add_lesions(case: Case) -> None:
        """Under the case file's lock, on the case as it is on disk now (another writer's lesions kept)."""
        check_case_images(case, workspace)
        new.clear()
        for n, (seed, result) in enumerate(results):
            lesion_id = case.lesions.new_id()
            lesion = Lesion(lesion_id, label=lesion_id, site=site or Site.UNKNOWN, kind=kind, point_mm=seed,
                            mask=result.mask, segmentation=result.record)
            if site is None:
                lesion = lesion.with_proposal(proposal(n, case, result.mask))
            # labelled after the site it has (or is proposed), as the window's lesion tools label them
            label = new_label(lesion.site, [other.label for other in case.lesions] + [other.label for other in new])
            new.append(lesion.with_changes(label=label))
        for problem in case.integrity_warnings:  # the trail is kept as it is; the new lesions are added after it
            print(f"oligoplan segment: warning: {out.name}: {problem}", file=sys.stderr)
        case.review.reopened.connect(reopened.append)
        stack = UndoStack()
        for lesion in new:
            stack.push(AddLesion(case.lesions, lesion))
        case.review.reopened.disconnect(reopened.append)

    update_case(out, add_lesions, new=lambda: Case(images=workspace.image_refs()))
    for message in reopened:  # an approved or reviewed case is a draft again: say so, as the window does
        print(f"oligoplan segment: note: {message}", file=sys.stderr)
    rows = [lesion_row(lesion, workspace) for lesion in new]
    if args.json:
        print(json.dumps({"case": str(out), "lesions": rows}, indent=2))
    else:
        print(f"{len(rows)} lesion(s) segmented on {volume.info.modality.value}; case saved to {out}")
        for r, lesion in zip(rows, new):
            print(f"  {r['id']} {lesion.site_text}, {lesion.site_decided_text}: {_fmt(r['volume_cc'], 'cm3')}, "
                  f"axial {_fmt(r['longest_axial_diameter_mm'], 'mm')}, "
                  f"3D {_fmt(r['longest_3d_diameter_mm'], 'mm')}, short axis {_fmt(r['short_axis_mm'], 'mm')}, "
                  f"centroid ({', '.join(f'{v:.1f}' for v in r['centroid_mm'])}) mm, "
                  f"HU {_fmt(r['hu_mean'], '')}, SUVmax {_fmt(r['suv_max'], '')}")
            print(f"    {lesion.segmentation.describe()}")
    return 0


def _structures(case: Case, workspace: Workspace, paths: list[str]) -> list:
    """The structures that place new lesions: those of --structures and of the case's (or the
    folder's) structure sets, on the primary image; one that cannot be read is reported and skipped."""
    found = case_structure_sets(case, workspace.scan, workspace.primary)
    sets = list(found.placed)
    for path, reason in found.refused:
        print(f"oligoplan segment: warning: {Path(path).name}: {reason}; its structures do not place the lesions",
              file=sys.stderr)
    for path in paths:
        if not Path(path).is_file():
            raise OligoPlanError(f"--structures {path}: no such file; give the RT Structure Set (RTSTRUCT) file")
        try:
            sets.append(read_rtstruct(path, workspace.primary))
        except OligoPlanError as exc:
            raise OligoPlanError(f"--structures {path}: {exc}; nothing was saved") from None
    return [s for structure_set in sets for s in structure_set.structures]


def lesion_row(lesion: Lesion, workspace: Workspace) -> dict:
    m = measure_on(lesion, workspace.volumes)  # SUV on the PET, also a PET alone (as check and export measure)
    return {
        "id": lesion.id,
        "site": lesion.site.value,
        "side": lesion.laterality.value,
        "site_source": lesion.site_source_text,
        "kind": lesion.kind.value,
        "volume_cc": _round(m.volume_cc, 3),
        "centroid_mm": [round(v, 2) for v in m.centroid_mm] if m.centroid_mm else None,
        "longest_axial_diameter_mm": _round(m.longest_axial_diameter_mm, 2),
        "longest_3d_diameter_mm": _round(m.longest_3d_diameter_mm, 2),
        "short_axis_mm": _round(m.short_axis_mm, 2),
        "hu_mean": _round(m.hu_mean, 1),
        "suv_max": _round(m.suv_max, 3),
        "suv_mean": _round(m.suv_mean, 3),
        "suv_peak": _round(m.suv_peak, 3),
    }


def _round(value, digits):
    return None if value is None else round(float(value), digits)


def _fmt(value, unit: str) -> str:
    return "n/a" if value is None else f"{value:.1f}{(' ' + unit) if unit else ''}"

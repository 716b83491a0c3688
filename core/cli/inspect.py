"""`oligoplan inspect`: the series, structure sets, segmentations and skipped files of a folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from core.cli.arg_types import EXIT_OK, EXIT_USAGE
from core.errors import NoImagesError


def register(subparsers) -> None:
    p = subparsers.add_parser("inspect", help="list the series, structure sets, segmentations and skipped files of a folder")
    p.add_argument("path", metavar="PATH", help="folder (searched recursively) or file")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_inspect)


def inspect_folder(path: str | Path) -> dict:
    """The `oligoplan inspect --json` document for a folder."""
    from core.dicom import scan_folder

    result = scan_folder(path)
    return {
        "series": [
            {
                "series_uid": e.info.series_uid,
                "modality": e.info.modality.value,
                "description": e.info.description,
                "n_slices": e.n_slices,
                "shape": list(e.shape),
                "spacing_mm": [round(v, 4) for v in e.spacing_mm],
                "warnings": list(e.warnings),
            }
            for e in result.series
        ],
        "structure_sets": [s.to_json() for s in result.structure_sets],
        "segmentations": [s.to_json() for s in result.segmentations],
        "skipped": [{"path": s.path, "reason": s.reason} for s in result.skipped],
    }


def cmd_inspect(args) -> int:
    if not Path(args.path).exists():
        raise NoImagesError(f"{args.path}: no such folder or file; check the path")
    doc = inspect_folder(args.path)
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        _print_inspect(doc)
    if not doc["series"]:
        n_skipped = len(doc["skipped"])
        where = '"skipped" in the JSON' if args.json else "the list above"
        print(
            f"oligoplan inspect: no image series found in {args.path}"
            + (f" ({n_skipped} file(s) skipped: {where} gives each reason)" if n_skipped else "")
            + "; give a folder (or file) of CT, PET or MR DICOM images",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return EXIT_OK


def _print_inspect(doc: dict) -> None:
    print(f"{len(doc['series'])} image series")
    for s in doc["series"]:
        z, y, x = s["shape"]
        dz, dy, dx = s["spacing_mm"]
        step = f"{dz:g}" if dz else "?"  # one slice without a thickness: no step, never "0 mm"
        print(f"  {s['modality']:<3} {s['description'] or '(no description)'}: "
              f"{z} x {y} x {x} voxels, {step} x {dy:g} x {dx:g} mm  [{s['series_uid']}]")
        for w in s["warnings"]:
            print(f"      warning: {w}")
    on = {s["series_uid"]: f"  (on {s['modality']} '{s['description'] or s['series_uid']}')" for s in doc["series"]}
    if doc["structure_sets"]:
        print(f"{len(doc['structure_sets'])} structure set(s)")
        for ss in doc["structure_sets"]:  # three "RTstruct: GTV_Mass, GTV_Edema" lines said not which images
            names = ", ".join(r["name"] for r in ss["rois"])
            print(f"  {ss['label'] or '(no label)'}: {len(ss['rois'])} ROI(s): {names}"
                  + on.get(ss.get("referenced_series_uid") or "", ""))
            for w in ss["warnings"]:
                print(f"      warning: {w}")
    if doc.get("segmentations"):
        print(f"{len(doc['segmentations'])} segmentation(s) (DICOM SEG)")
        for seg in doc["segmentations"]:
            names = ", ".join(s["label"] for s in seg["segments"])
            print(f"  {seg['label'] or '(no label)'}: {len(seg['segments'])} segment(s): {names}"
                  + on.get(seg.get("referenced_series_uid") or "", ""))
            for w in seg["warnings"]:
                print(f"      warning: {w}")
    if doc["skipped"]:
        print(f"{len(doc['skipped'])} file(s) skipped")
        for s in doc["skipped"]:
            reason, name = s["reason"], Path(s["path"]).name
            if reason.startswith(f"{name}: "):  # the reason names the file too
                reason = reason[len(name) + 2:]
            print(f"  {s['path']}: {reason}")

"""`oligoplan bench ...`: speed and memory figures, compared in the same run."""

from __future__ import annotations

import json
from pathlib import Path

from core.errors import NoImagesError, StructureSetError


def register(subparsers) -> None:
    bench = subparsers.add_parser("bench", help="print speed and memory figures")
    kinds = bench.add_subparsers(dest="bench_kind", metavar="KIND", required=True,
                                 parser_class=type(bench))
    load = kinds.add_parser("load", help="load a CT series (generates a 300-slice 512x512 CT without PATH)")
    load.add_argument("path", nargs="?", metavar="PATH")
    load.add_argument("--repeats", type=int, default=3, help="runs per contender (median reported)")
    load.add_argument("--cold", action="store_true", help="empty the page cache before every run (root only)")
    load.add_argument("--json", action="store_true")
    load.set_defaults(func=cmd_bench_load)
    render = kinds.add_parser("render", help="slice update (window/level + paint + crosshair) in a 1024x1024 view, "
                              "and the rotating PET MIP's frame and turn times")
    render.add_argument("--n", type=int, default=200, help="updates to time")
    render.add_argument("--json", action="store_true")
    render.set_defaults(func=cmd_bench_render)
    segment = kinds.add_parser("segment", help="one-click segmentation of a 20 mm lesion on a 512x512 CT (and PET)")
    segment.add_argument("--n", type=int, default=30, help="clicks to time per modality")
    segment.add_argument("--json", action="store_true")
    segment.add_argument("--gui", action="store_true",
                         help="time from a click on the real view to the preview painted (PET/CT and CT alone)")
    segment.set_defaults(func=cmd_bench_segment)
    pacs = kinds.add_parser("pacs", help="retrieve a 300-slice CT from a local Orthanc, against dcmtk getscu")
    pacs.add_argument("path", nargs="?", metavar="PATH", help="folder to upload (default: the generated CT)")
    pacs.add_argument("--repeats", type=int, default=3, help="runs per contender (median reported)")
    pacs.add_argument("--json", action="store_true")
    pacs.set_defaults(func=cmd_bench_pacs)
    rules = kinds.add_parser("rules", help="verdict panel update after an edit: 20 lesions x every shipped rule set")
    rules.add_argument("--n", type=int, default=30, help="edits to time")
    rules.add_argument("--json", action="store_true")
    rules.set_defaults(func=cmd_bench_rules)
    rtstruct = kinds.add_parser("rtstruct", help="Contour Data of an RT Structure Set: raw-bytes parse against "
                                                 "pydicom's values (default: the 1.2 MB tcia-sts-001 one)")
    rtstruct.add_argument("path", nargs="?", metavar="PATH", help="RTSTRUCT file (default: tcia-sts-001's, "
                                                                  "in ../shared/data)")
    rtstruct.add_argument("--repeats", type=int, default=5, help="runs per contender (best reported)")
    rtstruct.add_argument("--json", action="store_true")
    rtstruct.set_defaults(func=cmd_bench_rtstruct)
    site = kinds.add_parser("site", help="site and side proposal for one lesion on a whole-body-sized CT "
                                         "(500 x 512 x 512)")
    site.add_argument("--n", type=int, default=20, help="proposals to time per lesion")
    site.add_argument("--json", action="store_true")
    site.set_defaults(func=cmd_bench_site)
    detect = kinds.add_parser("detect", help="PET hot-spot candidates on a whole-body PET/CT of about "
                                             "200 x 200 x 500 voxels (made in memory)")
    detect.add_argument("--repeats", type=int, default=3, help="runs (median reported)")
    detect.add_argument("--json", action="store_true")
    detect.set_defaults(func=cmd_bench_detect)
    seg = kinds.add_parser("seg", help="a case of 20 lesions rebuilt from its SEG and SR on a 300-slice CT, against "
                                       "highdicom's plain SEG reader")
    seg.add_argument("--repeats", type=int, default=3, help="runs (median reported)")
    seg.add_argument("--json", action="store_true")
    seg.set_defaults(func=cmd_bench_seg)
    track = kinds.add_parser("track", help="registration of two 300-slice CTs with a known motion, against "
                                           "SimpleITK's textbook pipeline")
    track.add_argument("--slices", type=int, default=300, help="slices per CT")
    track.add_argument("--no-textbook", action="store_true", help="time ours only")
    track.add_argument("--json", action="store_true")
    track.set_defaults(func=cmd_bench_track)


def cmd_bench_load(args) -> int:
    from bench import load

    if args.path:
        check_series_folder(args.path)
    doc = load.run(args.path, repeats=max(1, args.repeats), cold=args.cold)
    print(json.dumps(doc, indent=2) if args.json else load.describe(doc))
    return 0


def cmd_bench_render(args) -> int:
    from bench import render

    doc = render.run(view_px=1024, n=max(10, args.n))
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(f"Slice update in a {doc['view_px']}x{doc['view_px']} view: "
              f"median {doc['median_ms']:.2f} ms, p95 {doc['p95_ms']:.2f} ms (target: median <= 8 ms)")
        mip = doc["mip"]
        print(f"Rotating PET MIP ({' x '.join(map(str, mip['shape']))} voxels, {mip['angles']} angles): "
              f"{mip['frame_median_ms']:.0f} ms a frame, the turn {mip['turn_s']:.1f} s in the background")
    return 0


def cmd_bench_site(args) -> int:
    from bench import site

    doc = site.run(n=max(1, args.n))
    print(json.dumps(doc, indent=2) if args.json else site.describe(doc))
    return 0


def cmd_bench_segment(args) -> int:
    if args.gui:
        from bench import segment_gui

        doc = segment_gui.run(n=max(5, args.n))
        print(json.dumps(doc, indent=2) if args.json else segment_gui.describe(doc))
        return 0
    from bench import segment

    doc = segment.run(n=max(5, args.n))
    print(json.dumps(doc, indent=2) if args.json else segment.describe(doc))
    return 0


def cmd_bench_pacs(args) -> int:
    from bench import pacs

    if args.path:
        check_study_folder(args.path)
    doc = pacs.run(args.path, repeats=max(1, args.repeats))
    print(json.dumps(doc, indent=2) if args.json else pacs.describe(doc))
    return 0


def cmd_bench_rules(args) -> int:
    from bench import rules

    doc = rules.run(n=max(5, args.n))
    print(json.dumps(doc, indent=2) if args.json else rules.describe(doc))
    return 0


def cmd_bench_seg(args) -> int:
    from bench import seg

    doc = seg.run(repeats=max(1, args.repeats))
    print(json.dumps(doc, indent=2) if args.json else seg.describe(doc))
    return 0


def cmd_bench_rtstruct(args) -> int:
    from bench import rtstruct

    path = Path(args.path) if args.path else rtstruct.DEFAULT
    if not path.is_file():
        raise StructureSetError(f"{path}: no such file; give an RT Structure Set file"
                                + ("" if args.path else " (the default is in the shared data folder, absent here)"))
    doc = rtstruct.run(path, repeats=max(1, args.repeats))
    print(json.dumps(doc, indent=2) if args.json else rtstruct.describe(doc))
    return 0


def cmd_bench_detect(args) -> int:
    from bench import detect

    doc = detect.run(repeats=max(1, args.repeats))
    print(json.dumps(doc, indent=2) if args.json else detect.describe(doc))
    return 0


def cmd_bench_track(args) -> int:
    from bench import track

    doc = track.run(slices=max(40, args.slices), with_textbook=not args.no_textbook)
    print(json.dumps(doc, indent=2) if args.json else track.describe(doc))
    return 0


WITHOUT_PATH = "or give no PATH to generate a 300-slice CT"


def _existing_folder(path: str) -> Path:
    folder = Path(path)
    if not folder.exists():
        raise NoImagesError(f"{path}: no such folder; give the folder of one CT series, {WITHOUT_PATH}")
    if not folder.is_dir():
        raise NoImagesError(f"{path}: not a folder; give the folder of one CT series, {WITHOUT_PATH}")
    return folder


def check_series_folder(path: str) -> None:
    """`bench load PATH` reads the files of PATH itself: one image series, no sub-folders."""
    from core.dicom import scan_folder

    folder = _existing_folder(path)
    subfolders = sorted(p.name for p in folder.iterdir() if p.is_dir())
    if subfolders:
        raise NoImagesError(f"{path}: holds sub-folders ({', '.join(subfolders[:3])}); the benchmark reads "
                            f"the files of one series folder, e.g. {folder / subfolders[0]}")
    series = scan_folder(folder).series
    if len(series) != 1:
        found = "no image series" if not series else f"{len(series)} image series"
        raise NoImagesError(f"{path}: {found} found; give the folder of one CT series, {WITHOUT_PATH}")


def check_study_folder(path: str) -> None:
    """`bench pacs PATH` uploads PATH (recursively) and retrieves it: one study."""
    from core.dicom import scan_folder

    series = scan_folder(_existing_folder(path)).series
    studies = {s.info.study_uid for s in series}
    if len(studies) != 1:
        found = "no image series" if not series else f"{len(studies)} studies"
        raise NoImagesError(f"{path}: {found} found; give the folder of one study, {WITHOUT_PATH}")
    compressed = sorted({s.info.modality.value for s in series if _compressed(s)})
    if compressed:
        raise NoImagesError(f"{path}: the {'/'.join(compressed)} files are compressed, which dcmtk getscu "
                            f"(the baseline) does not accept; give a study stored uncompressed, {WITHOUT_PATH}")


def _compressed(series) -> bool:
    """Whether the series' pixel data is compressed (the transfer syntax the scan recorded:
    no file is read again)."""
    from pydicom.uid import UID

    return UID(series.slices[0].pixel_format.transfer_syntax).is_compressed


def cmd_bench_seg(args) -> int:
    from bench import seg

    doc = seg.run(repeats=max(1, args.repeats))
    print(json.dumps(doc, indent=2) if args.json else seg.describe(doc))
    return 0

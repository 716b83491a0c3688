"""`oligoplan open-dicom PATH [--study-uid UID] [--out CASE.json] [--json]`: a case rebuilt from the
newest OligoPlan SR of the study in PATH and the SEG it references (core.rt.open_dicom)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from core.errors import CaseFileError, PacsConfigError


def register(subparsers) -> None:
    from core.cli_pacs import timeout_seconds

    p = subparsers.add_parser(
        "open-dicom",
        help="rebuild a case from the OligoPlan SR and SEG of a study (a folder with the images)",
        description=(
            "Reads the newest OligoPlan measurement report (SR) of the study in PATH and the SEG it "
            "references, and rebuilds the case: lesions (ids, labels, sites, kinds, masks or points). "
            "What the report does not hold (facts, rule sets, review state) is left unknown and said so."
        ),
    )
    p.add_argument("path", metavar="PATH", nargs="?",
                   help="folder holding the images and the exported SR and SEG (or, instead, the PACS options)")
    p.add_argument("--study-uid", metavar="UID",
                   help="the study: needed with the PACS options, or when PATH holds reports of several")
    pacs = p.add_argument_group("from a PACS (instead of PATH): the study is retrieved into the PACS cache")
    pacs.add_argument("--host", help="the PACS's host name or IP address")
    pacs.add_argument("--port", type=int, help="the PACS's DICOM port")
    pacs.add_argument("--called-aet", metavar="AE", help="the PACS's AE title")
    pacs.add_argument("--calling-aet", default=None, metavar="AE", help="our AE title (default: the settings')")
    pacs.add_argument("--timeout", type=timeout_seconds, default=30.0, metavar="S",
                      help="network timeout in seconds (default 30)")
    p.add_argument("--out", metavar="CASE.json", help="write the rebuilt case there (not over an existing file)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_open_dicom)


def _study_folder(args) -> Path:
    """PATH, or the cache folder of the study retrieved from the PACS the options name."""
    peer = [args.host, args.port, args.called_aet]
    if args.path and any(v is not None for v in peer):
        raise PacsConfigError("give PATH or the PACS options (--host, --port, --called-aet), not both")
    if args.path:
        return Path(args.path)
    if any(v is None for v in peer):
        raise PacsConfigError("give PATH (a folder), or all of --host, --port and --called-aet with --study-uid")
    if not args.study_uid:
        raise PacsConfigError("--study-uid is needed with the PACS options: `oligoplan pacs find` lists the studies")
    from core.cli_pacs import _client
    from core.pacs.cache import study_folder
    from core.pacs.retrieve import RetrieveMethod, retrieve_study
    from core.pacs.nodes import DEFAULT_AE_TITLE

    args.calling_aet = args.calling_aet or DEFAULT_AE_TITLE
    folder = study_folder(args.study_uid)
    retrieve_study(_client(args), args.study_uid, None, folder=folder, method=RetrieveMethod.GET)
    return folder


def cmd_open_dicom(args) -> int:
    from core.case import save_case
    from core.rt.open_dicom import rebuild_case

    out = Path(args.out) if args.out else None
    if out is not None and out.exists():
        raise CaseFileError(f"{out}: already exists; give another --out (nothing was overwritten)")
    rebuilt = rebuild_case(_study_folder(args), args.study_uid)
    if out is not None:
        save_case(rebuilt.case, out)
    doc = {
        "case": str(out) if out is not None else None,
        "study_uid": rebuilt.report.study_uid,
        "sr_sop_uid": rebuilt.report.sop_uid,
        "sr_path": rebuilt.report.path,
        "seg_path": rebuilt.seg_path or None,
        "lesions": [{"id": lesion.id, "label": lesion.label, "site": lesion.site.value,
                     "laterality": lesion.laterality.value, "kind": lesion.kind.value,
                     "contoured": lesion.mask is not None} for lesion in rebuilt.case.lesions],
        "warnings": rebuilt.warnings,
    }
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    print(f"{len(doc['lesions'])} lesion(s) rebuilt from {Path(rebuilt.report.path).name}"
          + (f", written to {out}" if out is not None else " (give --out CASE.json to keep them)"))
    for lesion in rebuilt.case.lesions:
        print(f"  {lesion.id} {lesion.label}: {lesion.site_text}, {lesion.kind.value}"
              + ("" if lesion.mask is not None else " (marker point)"))
    for warning in rebuilt.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0

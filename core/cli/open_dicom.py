"""`oligoplan open-dicom PATH [--study-uid UID] [--out CASE.json] [--json]`: a case rebuilt from
its DICOM objects (the newest OligoPlan SR of the study plus its SEG; core.rt.open_dicom).

PATH is a folder holding the images and the objects `oligoplan export --dicom` wrote (a
PACS retrieval, for instance). ``--study-uid`` is needed only when it holds OligoPlan cases
of several studies; ``--sr-uid`` picks a report other than the newest. ``--out`` writes the
rebuilt case file (never over an existing file); without it nothing is written.

Instead of PATH, the `pacs` connection options (``--host H --port P --called-aet AE
[--calling-aet AE]``) and ``--study-uid UID``: the study is retrieved (C-GET, as `oligoplan
pacs get`; what is already cached is not fetched again) into its PACS cache folder
(core.pacs.cache), and the case is rebuilt from that folder.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.errors import OligoPlanError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "open-dicom",
        help="rebuild a case from its DICOM objects (OligoPlan SR + SEG) beside its images",
        description=("Finds the OligoPlan SR reports in PATH (written by `oligoplan export --dicom`), "
                     "takes the newest of the study (or --sr-uid) and rebuilds the case from it and its "
                     "SEG: lesions, sites, kinds, masks, facts, rule sets and review state."),
    )
    p.add_argument("path", metavar="PATH", nargs="?", default=None,
                   help="folder holding the images and the exported SEG and SR (or the PACS options below)")
    p.add_argument("--study-uid", metavar="UID", default=None,
                   help="the study, when PATH holds OligoPlan cases of several studies; with --host, the study "
                        "to retrieve")
    pacs = p.add_argument_group("from a PACS (instead of PATH)")
    pacs.add_argument("--host", default=None, help="the PACS's host name or IP address")
    pacs.add_argument("--port", type=int, default=None, help="the PACS's DICOM port")
    pacs.add_argument("--called-aet", metavar="AE", default=None, help="the PACS's AE title")
    pacs.add_argument("--calling-aet", metavar="AE", default=None, help="our AE title (default as `oligoplan pacs`)")
    pacs.add_argument("--timeout", type=float, default=30.0, metavar="S",
                      help="longest wait for the connection and for each answer, seconds (default 30)")
    p.add_argument("--sr-uid", metavar="UID", default=None,
                   help="rebuild from this report (SOP Instance UID) instead of the newest")
    p.add_argument("--out", metavar="CASE.json", default=None,
                   help="write the rebuilt case file here (an existing file is not overwritten)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_open_dicom)


def cmd_open_dicom(args) -> int:
    from core.case import save_case
    from core.measure import measure_lesion
    from core.rt.open_dicom import rebuild_case

    out = Path(args.out) if args.out else None
    if args.path and args.host:
        raise OligoPlanError("give either PATH or the PACS options (--host ...), not both")
    if out is not None and out.exists():
        raise OligoPlanError(f"--out {out}: the file exists; choose another name (nothing is overwritten)")
    if out is not None and out.suffix.lower() != ".json":
        raise OligoPlanError(f"--out {out}: a case file name ends in .json")
    folder = Path(args.path) if args.path else _retrieve(args)
    rebuilt = rebuild_case(folder, study_uid=args.study_uid, sr_uid=args.sr_uid)
    case = rebuilt.case
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        save_case(case, out)
    if args.json:
        lesions = []
        for lesion in case.lesions:
            m = measure_lesion(lesion, None) if lesion.mask is not None else None
            lesions.append({"id": lesion.id, "label": lesion.label, "site": lesion.site.value,
                            "laterality": lesion.laterality.value, "kind": lesion.kind.value,
                            "treatable": lesion.treatable.value, "contoured": lesion.mask is not None,
                            "volume_cc": None if m is None or m.volume_cc is None else round(m.volume_cc, 3)})
        print(json.dumps({
            "case": str(out) if out is not None else None,
            "report": rebuilt.report.to_json(),
            "seg_sop_uid": rebuilt.seg_uid or None,
            "reports": [r.to_json() for r in rebuilt.reports],
            "lesions": lesions,
            "facts": case.facts,
            "review_state": case.review.state.value,
            "notes": rebuilt.notes,
        }, indent=2, default=str))
        return 0
    print(f"case rebuilt from OligoPlan SR {rebuilt.report.sop_uid} ({rebuilt.report.path.name})"
          + (f" and SEG {rebuilt.seg_uid}" if rebuilt.seg_uid else "")
          + f": {len(case.lesions)} lesion(s), {len(case.facts)} fact(s), review state {case.review.state.value}")
    if len(rebuilt.reports) > 1:
        print(f"{len(rebuilt.reports)} OligoPlan reports in {folder}; the newest of the study was taken "
              "(--sr-uid picks another; --json lists them)")
    print(f"written to {out}" if out is not None else "nothing written: add --out CASE.json to save the case")
    for note in rebuilt.notes:
        print(f"note: {note}")
    return 0


def _retrieve(args) -> Path:
    """The study retrieved from the PACS into its cache folder (what is there is not fetched again)."""
    from core.pacs.client import PacsClient
    from core.pacs.nodes import DEFAULT_AE_TITLE, LocalAE, PacsNode
    from core.pacs.retrieve import retrieve_study

    given = {"--host": args.host, "--port": args.port, "--called-aet": args.called_aet}
    if not any(v is not None for v in given.values()):
        raise OligoPlanError("give the folder of the images and the exported objects (PATH), or the PACS "
                             "options --host --port --called-aet with --study-uid")
    missing = [k for k, v in given.items() if v is None] + ([] if args.study_uid else ["--study-uid"])
    if missing:
        raise OligoPlanError(f"opening a case from a PACS needs {', '.join(missing)} too")
    if not 0 < args.timeout < 1e6:
        raise OligoPlanError(f"--timeout {args.timeout:g}: seconds above 0, e.g. 30")
    node = PacsNode(name="command line", ae_title=args.called_aet, host=args.host, port=args.port)
    client = PacsClient(node, LocalAE(ae_title=args.calling_aet or DEFAULT_AE_TITLE), timeout_s=args.timeout)
    report = retrieve_study(client, args.study_uid)
    return Path(report.folder)

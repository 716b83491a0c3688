"""`oligoplan check CASE.json --compare-sr PATH`: the case's audit trail compared with its SR(s).

PATH is an OligoPlan SR file or a folder holding them (core.rt.sr_compare). Instead of PATH, the
`pacs` connection options of `open-dicom` (``--host H --port P --called-aet AE [--calling-aet AE]
[--study-uid UID]``): the study's SR series are fetched into its PACS cache folder
(core.pacs.reports) and compared; the study is the case's images' own unless --study-uid names it.
"""

from __future__ import annotations

from pathlib import Path

from core.errors import OligoPlanError


def add_compare_sr_options(p) -> None:
    g = p.add_argument_group("compare the audit trail with the case's DICOM SR (export --dicom)")
    g.add_argument("--compare-sr", metavar="PATH", nargs="?", const="", default=None,
                   help="an OligoPlan SR file or a folder holding the case's SR(s); with the PACS options "
                        "below, give --compare-sr alone")
    g.add_argument("--host", default=None, help="the PACS's host name or IP address")
    g.add_argument("--port", type=int, default=None, help="the PACS's DICOM port")
    g.add_argument("--called-aet", metavar="AE", default=None, help="the PACS's AE title")
    g.add_argument("--calling-aet", metavar="AE", default=None, help="our AE title (default as `oligoplan pacs`)")
    g.add_argument("--timeout", type=float, default=30.0, metavar="S",
                   help="longest wait for the connection and for each answer, seconds (default 30)")
    g.add_argument("--study-uid", metavar="UID", default=None,
                   help="the study on the PACS (default: the study of the case's images)")


def compare_sr(args, case):
    """The comparison (core.rt.sr_compare.SrComparison); its differences are added to the case's
    audit-trail warnings."""
    from core.rt.sr_compare import apply_to_case, compare_with_reports

    pacs = any(v is not None for v in (args.host, args.port, args.called_aet))
    if args.compare_sr and pacs:
        raise OligoPlanError("--compare-sr: give either PATH or the PACS options (--host ...), not both")
    if not args.compare_sr and not pacs:
        raise OligoPlanError("--compare-sr needs PATH (an OligoPlan SR or a folder holding it) or the PACS "
                             "options --host --port --called-aet")
    if pacs:
        folder, source = _fetch(args, case)
    else:
        folder, source = Path(args.compare_sr), args.compare_sr
    comparison = compare_with_reports(case, folder, source=source)
    apply_to_case(case, comparison)
    return comparison


def _fetch(args, case) -> tuple[Path, str]:
    from core.pacs.client import PacsClient
    from core.pacs.nodes import DEFAULT_AE_TITLE, LocalAE, PacsNode
    from core.pacs.reports import fetch_reports
    from core.rt.sr_compare import case_study_uid

    given = {"--host": args.host, "--port": args.port, "--called-aet": args.called_aet}
    missing = [k for k, v in given.items() if v is None]
    if missing:
        raise OligoPlanError(f"comparing with the SR on a PACS needs {', '.join(missing)} too")
    if not 0 < args.timeout < 1e6:
        raise OligoPlanError(f"--timeout {args.timeout:g}: seconds above 0, e.g. 30")
    study_uid = args.study_uid or case_study_uid(case)
    if not study_uid:
        raise OligoPlanError("the study of the case's images cannot be read (are they there?); give --study-uid")
    node = PacsNode(name="command line", ae_title=args.called_aet, host=args.host, port=args.port)
    client = PacsClient(node, LocalAE(ae_title=args.calling_aet or DEFAULT_AE_TITLE), timeout_s=args.timeout)
    return fetch_reports(client, study_uid), f"PACS {node.describe()}, study {study_uid}"

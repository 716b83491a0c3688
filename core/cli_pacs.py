"""`oligoplan pacs echo|find|get|send|send-case|cases`: the PACS client from the command line.

Every verb names its peer explicitly (``--host --port --called-aet``); our AE
title is ``--calling-aet`` (default OLIGOPLAN). Errors are one line and exit 2.
``send-case`` exits 3 when the PACS holds a newer version of the case (nothing sent).
"""

from __future__ import annotations

import json
import sys

from core.cli_types import finite_number
from core.errors import OligoPlanError, RetrieveIncompleteError
from core.pacs.nodes import DEFAULT_AE_TITLE, DEFAULT_BIND_ADDRESS, DEFAULT_LISTEN_PORT, LocalAE, PacsNode

LEVELS = ("patient", "study", "series")


def register(subparsers) -> None:
    pacs = subparsers.add_parser("pacs", help="query, retrieve from and send to a PACS (DICOM network)")
    verbs = pacs.add_subparsers(dest="pacs_verb", metavar="VERB", required=True, parser_class=type(pacs))

    echo = verbs.add_parser("echo", help="check that the PACS answers (C-ECHO)")
    _add_peer(echo)
    echo.set_defaults(func=cmd_echo)

    find = verbs.add_parser("find", help="search patients, studies or series (C-FIND)")
    _add_peer(find)
    find.add_argument("--level", choices=LEVELS, default="study", help="what to list (default: study)")
    find.add_argument("--patient-id", default="", metavar="ID",
                      help="the exact patient ID (matched literally: * and ? are not wildcards here)")
    find.add_argument("--patient-name", default="", metavar="PATTERN", help="wildcards * and ? allowed")
    find.add_argument("--study-uid", default="", metavar="UID")
    find.add_argument("--modality", default="", metavar="M", help="e.g. CT, PT, MR")
    find.add_argument("--date-from", default="", metavar="YYYY-MM-DD", help="study date from (inclusive)")
    find.add_argument("--date-to", default="", metavar="YYYY-MM-DD", help="study date to (inclusive)")
    find.add_argument("--accession-number", default="", metavar="ACC",
                      help="the study's accession number (as the PACS dialog's Accession field; matched literally)")
    find.add_argument("--json", action="store_true", help="print JSON")
    find.set_defaults(func=cmd_find)

    get = verbs.add_parser("get", help="retrieve a study or series into a folder (C-GET, or C-MOVE with --move)")
    _add_peer(get)
    get.add_argument("--study-uid", required=True, metavar="UID")
    get.add_argument("--series-uid", action="append", default=[], metavar="UID",
                     help="retrieve only this series (repeat for several)")
    get.add_argument("--out", required=True, metavar="DIR",
                     help="folder for the study (one subfolder per series); what is there already is skipped")
    get.add_argument("--move", action="store_true",
                     help="C-MOVE to our own storage SCP instead of C-GET (the PACS must know our AE title)")
    get.add_argument("--listen-port", type=int, default=None, metavar="P",
                     help=f"port of our storage SCP for C-MOVE (with --move: default {DEFAULT_LISTEN_PORT}); "
                          "without --move, a PACS that refuses C-GET is asked by C-MOVE to this port")
    get.add_argument("--listen-address", default=DEFAULT_BIND_ADDRESS, metavar="ADDR",
                     help=f"address our storage SCP binds to for C-MOVE (--move, or a refused C-GET; "
                          f"default {DEFAULT_BIND_ADDRESS})")
    get.add_argument("--store-aet", default=None, metavar="AE",
                     help="the AE title the PACS sends C-MOVE results from, when not --called-aet "
                          "(our storage SCP accepts only these two)")
    get.add_argument("--json", action="store_true", help="print JSON")
    get.set_defaults(func=cmd_get)

    send = verbs.add_parser("send", help="send DICOM files or folders to the PACS (C-STORE)")
    _add_peer(send)
    send.add_argument("paths", nargs="+", metavar="PATH", help="files, or folders searched recursively")
    send.add_argument("--json", action="store_true", help="print JSON")
    send.set_defaults(func=cmd_send)

    send_case = verbs.add_parser(
        "send-case", help="send a case to the PACS as DICOM (SEG, SR, summary PDF) with the images it lacks",
        description="Exports the case as `oligoplan export --dicom` does and sends it (C-STORE) as a new "
                    "OligoPlan SR; the case's images the PACS already holds (C-FIND at IMAGE level) are not "
                    "sent again. When the PACS holds a version of the case made after the one this case was "
                    "opened from or last sent as, nothing is sent and the exit status is 3. The case file "
                    "records the SR sent (\"pacs_base\").")
    _add_peer(send_case)
    send_case.add_argument("case", metavar="CASE.json", help="the case file (rewritten to record the SR sent)")
    send_case.add_argument("--name", default=None, metavar="NAME",
                           help="who sends, recorded in the SR as its author (default: the name of the case's "
                                "last audit entry)")
    send_case.add_argument("--role", default=None, metavar="ROLE", help="their role, recorded with the name")
    send_case.add_argument("--force", action="store_true",
                           help="send even when the PACS holds a newer version (a new SR; nothing is replaced)")
    send_case.add_argument("--json", action="store_true", help="print JSON")
    send_case.set_defaults(func=cmd_send_case)

    cases = verbs.add_parser("cases", help="list a study's OligoPlan cases (SRs) on the PACS, newest first")
    _add_peer(cases)
    cases.add_argument("--study-uid", required=True, metavar="UID")
    cases.add_argument("--json", action="store_true", help="print JSON")
    cases.set_defaults(func=cmd_cases)


def _add_peer(p) -> None:
    p.add_argument("--host", required=True, help="the PACS's host name or IP address")
    p.add_argument("--port", required=True, type=int, help="the PACS's DICOM port")
    p.add_argument("--called-aet", required=True, metavar="AE", help="the PACS's AE title")
    p.add_argument("--calling-aet", default=DEFAULT_AE_TITLE, metavar="AE",
                   help=f"our AE title (default {DEFAULT_AE_TITLE})")
    p.add_argument("--timeout", type=timeout_seconds, default=30.0, metavar="S",
                   help="longest wait for the connection and for each answer, seconds (default 30)")


#: --timeout: a finite number of seconds above 0 (bad values exit 2)
timeout_seconds = finite_number("seconds above 0, e.g. 30", above_zero=True)


def check_out_folder(out: str) -> None:
    """Check ``pacs get --out`` before anything is asked of the PACS: a folder that cannot
    hold the files would make every arriving instance fail, and the PACS then reports a
    refused retrieve. Nothing is created here (a study that is not found leaves no folder).
    The check is core.pacs.retrieve.check_folder_writable, with the option in the message."""
    from core.pacs.retrieve import check_folder_writable

    check_folder_writable(out, label=f"--out {out}", todo="choose a folder you can write to")


def _client(args):
    from core.pacs.client import PacsClient

    node = PacsNode(name="command line", ae_title=args.called_aet, host=args.host, port=args.port,
                    store_ae_title=getattr(args, "store_aet", None))
    listen_port = getattr(args, "listen_port", None)
    if listen_port is None and getattr(args, "move", False):
        listen_port = DEFAULT_LISTEN_PORT
    local = LocalAE(ae_title=args.calling_aet, listen_port=listen_port,
                    bind_address=getattr(args, "listen_address", DEFAULT_BIND_ADDRESS))
    return PacsClient(node, local, timeout_s=args.timeout)


def cmd_echo(args) -> int:
    client = _client(args)
    seconds = client.echo()
    print(f"{client.node.describe()} answered the echo in {seconds * 1000:.0f} ms")
    return 0


def cmd_find(args) -> int:
    from core.pacs.query import FindQuery

    query = FindQuery(level=args.level, patient_id=args.patient_id, patient_name=args.patient_name,
                      study_uid=args.study_uid, modality=args.modality, date_from=args.date_from,
                      date_to=args.date_to, accession_number=args.accession_number)
    results = _client(args).find(query)
    if args.json:
        print(json.dumps({"results": [r.to_json() for r in results]}, indent=2))
        return 0
    noun = {"patient": "patient(s)", "study": "stud(y/ies)", "series": "series"}[args.level]
    print(f"{len(results)} {noun} found")
    for r in results:
        fields = [r.patient_id or "", r.patient_name or ""]
        if args.level != "patient":
            fields += [r.study_date or "", r.modality or "", r.description or ""]
        fields.append(f"{r.n_instances if r.n_instances is not None else '?'} instance(s)")
        uid = r.series_uid or r.study_uid
        print("  " + "  ".join(f for f in fields if f) + (f"  [{uid}]" if uid else ""))
    return 0


def cmd_get(args) -> int:
    from core.pacs.retrieve import RetrieveMethod, retrieve_study

    client = _client(args)
    check_out_folder(args.out)
    method = RetrieveMethod.MOVE if args.move else RetrieveMethod.GET
    try:
        report = retrieve_study(client, args.study_uid, args.series_uid or None, folder=args.out, method=method)
    except RetrieveIncompleteError as exc:
        if args.json and exc.report is not None:
            print(json.dumps(exc.report.to_json(), indent=2))
        raise
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(report.summary())
        for s in report.series:
            print(f"  {s.modality or '?':<8} {s.description or '(no description)'}: {len(s.present)} instance(s)"
                  f" ({s.received} received, {s.before} already there)")
    return 0


def cmd_send(args) -> int:
    from core.pacs.send import send_files

    client = _client(args)
    report = send_files(client, args.paths)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(f"{report.summary()} to {client.node.describe()}")
        for path, message in report.warnings:
            print(f"  warning: {path}: {message}")
        for path, reason in report.failed + report.not_dicom:
            print(f"  not sent: {path}: {reason}", file=sys.stderr)
    return 0 if report.ok else 2


#: `pacs send-case`: the PACS holds a newer version of the case; nothing was sent
EXIT_NEWER_ON_PACS = 3


def _author(args, case) -> tuple[str, str] | None:
    """(name, role) given, else those of the case's last audit entry that names someone."""
    if args.name is not None:
        if not args.name.strip():
            raise OligoPlanError("--name is empty: give the sender's name, or leave the option out")
        return args.name.strip(), (args.role or "").strip()
    last = next((e for e in reversed(list(case.audit)) if str(e.who).strip()), None)
    if last is None:
        return None
    return str(last.who).strip(), (args.role if args.role is not None else str(last.role)).strip()


def cmd_send_case(args) -> int:
    from pathlib import Path

    from core.case import load_case, save_case
    from core.errors import NewerCaseOnPacs
    from core.pacs.case_store import send_case

    path = Path(args.case)
    case = load_case(path)
    client = _client(args)
    try:
        report = send_case(client, case, path, author=_author(args, case), force=args.force)
    except NewerCaseOnPacs as exc:
        if args.json:
            print(json.dumps({"sent": False, "reason": "newer_on_pacs", "message": str(exc), "base": exc.base,
                              "newer": [c.to_json() for c in exc.newer]}, indent=2))
        print(f"oligoplan pacs send-case: {exc}", file=sys.stderr)
        return EXIT_NEWER_ON_PACS
    saved = ""
    if "pacs_base" in case.extra and report.sr_sop_uid == case.extra["pacs_base"]["sr_sop_uid"]:
        try:
            save_case(case, path)
        except (OligoPlanError, OSError) as exc:
            saved = f"the case was sent, but {path.name} could not record it ({exc}); save it again"
    if args.json:
        print(json.dumps({"sent": report.ok, **report.to_json()}, indent=2))
    else:
        print(f"{report.summary()} to {client.node.describe()}")
        if report.sr_sop_uid and report.ok:
            print(f"  SR {report.sr_sop_uid}; {path.name} records it as the case's base")
        for c in report.forced_past:
            print(f"  note: sent past the newer {c.describe()} (--force); it stays on the PACS")
        for note in report.notes:
            print(f"  note: {note}")
        for f, reason in report.send.failed + report.send.not_dicom:
            print(f"  not sent: {Path(f).name}: {reason}", file=sys.stderr)
    if saved:
        print(f"oligoplan pacs send-case: warning: {saved}", file=sys.stderr)
    return 0 if report.ok and not saved else 2


def cmd_cases(args) -> int:
    from core.pacs.case_store import list_cases

    client = _client(args)
    cases = list_cases(client, args.study_uid)
    if args.json:
        print(json.dumps({"study_uid": args.study_uid, "cases": [c.to_json() for c in cases]}, indent=2))
        return 0
    print(f"{len(cases)} OligoPlan case version(s) of study {args.study_uid} on {client.node.describe()}, newest first")
    for c in cases:
        print(f"  {c.when.replace('T', ' ')}  {c.state_text:<9} {c.author or '(author not recorded)'}"
              + (f" ({c.role})" if c.role else "") + f"  [{c.sr_sop_uid}]")
    return 0

"""The headless face of `oligoplan`: subcommands over the same core.

Every subcommand prints a human summary, or JSON with ``--json``, and exits
0 on success, 2 with a one-line message on bad input (never a traceback).
The GUI launch (no argument, or a folder) is dispatched by ``gui.entry``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Callable

from core.cli_types import finite_number  # noqa: F401 - also imported from here
from core.errors import NoImagesError, OligoPlanError

#: Subcommand name -> function(parser) that adds its arguments and sets func.
Registrar = Callable[[argparse._SubParsersAction], None]

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE = 0, 1, 2
#: what a shell reports for a command killed by SIGPIPE (128 + 13)
EXIT_BROKEN_PIPE = 141


class CliParser(argparse.ArgumentParser):
    """argparse that exits 2 with one line (no usage dump) on bad arguments."""

    def error(self, message: str) -> None:  # noqa: D401 - argparse API
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(extra: list[Registrar] | None = None) -> argparse.ArgumentParser:
    parser = CliParser(
        prog="oligoplan",
        description=(
            "OligoPlan: decision support for SBRT of oligometastatic cancer. "
            "Without a subcommand, opens the GUI (on the sample case, or on PATH)."
        ),
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CliParser)
    _add_inspect(subparsers)
    from core import cli_segment

    cli_segment.register(subparsers)
    from core import cli_pacs

    cli_pacs.register(subparsers)
    from core import cli_export

    cli_export.register(subparsers)
    from core import cli_score

    cli_score.register(subparsers)
    from core import cli_rules

    cli_rules.register(subparsers)
    from core import cli_detect

    cli_detect.register(subparsers)
    from core import cli_signoff

    cli_signoff.register(subparsers)
    from core import cli_open_dicom

    cli_open_dicom.register(subparsers)
    from core import cli_track

    cli_track.register(subparsers)
    for register in extra or []:
        register(subparsers)
    return parser


#: Options whose values are coordinates and may start with a minus sign.
NUMERIC_OPTIONS = ("--seed", "--liver", "--physiological")


def join_negative_values(argv: list[str]) -> list[str]:
    """Turn ``--seed -80,10,5`` into ``--seed=-80,10,5``: argparse would take a
    value starting with '-' for an option, and LPS coordinates are often negative."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        negative_number = nxt is not None and nxt[:1] == "-" and (nxt[1:2].isdigit() or nxt[1:2] == ".")
        if arg in NUMERIC_OPTIONS and negative_number:
            out.append(f"{arg}={nxt}")
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


def run(args: argparse.Namespace) -> int:
    """Run a parsed command; domain errors become one line and exit 2."""
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # inside the try: a closed pipe shows here, not at interpreter exit
        return status
    except BrokenPipeError:
        # the reader went away (`oligoplan ... | head`): stop quietly, as Unix tools do
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except OligoPlanError as exc:
        print(f"{command_name(args)}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{command_name(args)}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the boundary: no traceback for users
        if getattr(args, "debug", False):
            raise
        print(
            f"{command_name(args)}: internal error: {type(exc).__name__}: {exc} "
            "(run with --debug for details and report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


#: dest of the second-level subparsers (``oligoplan pacs get``, ``oligoplan bench load``)
VERB_DESTS = ("pacs_verb", "bench_kind")


def command_name(args: argparse.Namespace) -> str:
    """'oligoplan pacs get': the command as typed, the prefix of its messages."""
    words = [args.command, *(getattr(args, dest, None) for dest in VERB_DESTS)]
    return " ".join(["oligoplan", *(w for w in words if w)])


def _discard_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (e.g. captured output)
        pass
    finally:
        os.close(devnull)  # stdout holds its own copy now


# ---------------------------------------------------------------- inspect
def _add_inspect(subparsers) -> None:
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

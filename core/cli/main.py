"""The headless face of `oligoplan`: subcommands over the same core.

Every subcommand prints a human summary, or JSON with ``--json``, and exits
0 on success, 2 with a one-line message on bad input (never a traceback).
The GUI launch (no argument, or a folder) is dispatched by ``gui.entry``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from core.cli.arg_types import (  # noqa: F401 - also imported from here
    EXIT_BROKEN_PIPE,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    finite_number,
)
from core.errors import OligoPlanError

#: Subcommand name -> function(parser) that adds its arguments and sets func.
Registrar = Callable[[argparse._SubParsersAction], None]


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
    from core.cli import check, detect, export, inspect, open_dicom, pacs, rules, score, segment, signoff, track

    for command in (inspect, segment, pacs, export, score, rules, check, detect, signoff, open_dicom, track):
        command.register(subparsers)  # in this order in --help
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

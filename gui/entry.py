"""The `oligoplan` console entry point.

No argument opens the GUI on the bundled sample case; a folder argument opens
it on that folder; a subcommand runs headless (core.cli) without loading Qt.
"""

from __future__ import annotations

import sys

from core.cli import build_parser, join_negative_values, run
from core.numeric_warnings import keep_numeric_warnings_off_the_console

#: `oligoplan --help`'s line for the benchmarks (the bench package is imported only to run one)
BENCH_HELP = "print speed and memory figures"  # bench.cli gives its parser the same help


def main(argv: list[str] | None = None) -> int:
    keep_numeric_warnings_off_the_console()  # command line and GUI alike
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(extra=[_bench_commands(argv)])
    commands = _subcommand_names(parser)
    if not argv or (argv[0] not in commands and not argv[0].startswith("-")):
        mistyped = _mistyped_command(argv, commands)
        if mistyped:
            print(f"oligoplan: {mistyped}", file=sys.stderr)
            return 2
        return _open_gui(argv[0] if argv else None)
    args = parser.parse_args(join_negative_values(argv))
    if args.command is None:
        return _open_gui(None)
    return run(args)


def _bench_commands(argv: list[str]):
    """The `bench` subcommand: its real parsers (bench.cli) when the command line runs it, else a
    placeholder that names it in `oligoplan --help`, so the shipped entry point never imports the
    bench package (which needs the bench extra and imports the gui) to open the window or run a
    clinical command."""
    if argv and argv[0] == "bench":
        from bench.cli import register

        return register

    def placeholder(subparsers) -> None:
        subparsers.add_parser("bench", help=BENCH_HELP)

    return placeholder


def _open_gui(path: str | None) -> int:
    from core.errors import OligoPlanError

    missing = _missing_display()
    if missing:
        print(f"oligoplan: {missing}", file=sys.stderr)
        return 2
    from core.samples import sample_case_path

    try:
        folder = path or str(sample_case_path())
    except OligoPlanError as exc:
        print(f"oligoplan: {exc}", file=sys.stderr)
        folder = None
    from gui.app import main as gui_main  # Qt is imported only here

    return gui_main(folder)


def _mistyped_command(argv: list[str], commands: set[str]) -> str | None:
    """What is wrong when ``argv[0]`` is neither a command nor a path that exists and looks
    like a mistyped command (close to one, or followed by more arguments), else None: a
    script's `oligoplan inpsect DIR --json` must not open a window."""
    import difflib
    from pathlib import Path

    if not argv or Path(argv[0]).exists():
        return None
    close = difflib.get_close_matches(argv[0], sorted(commands), n=1, cutoff=0.75)
    if not close and len(argv) == 1:
        return None  # `oligoplan missing.json`: the window says what is missing
    hint = f"did you mean `oligoplan {close[0]}`? " if close else ""
    return (f"'{argv[0]}' is not a command, nor a file or folder here; {hint}"
            f"the commands are {', '.join(sorted(commands))} (`oligoplan --help`)")


def _missing_display() -> str | None:
    """Why the window cannot open here (Linux without a display), or None.

    Qt would abort with "no Qt platform plugin could be initialized" and advise
    reinstalling, which does not help; an explicit QT_QPA_PLATFORM is respected.
    """
    import os

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set); run it in a "
            "desktop session or under `xvfb-run -a oligoplan ...`; the subcommands (`oligoplan --help`) "
            "need no display")


def _subcommand_names(parser) -> set[str]:
    for action in parser._actions:  # argparse keeps subparsers here
        if getattr(action, "choices", None) and hasattr(action, "add_parser"):
            return set(action.choices)
    return set()


if __name__ == "__main__":
    sys.exit(main())

"""The `oligoplan` console entry point.

No argument opens the GUI on the bundled sample case; a folder argument opens
it on that folder; a subcommand runs headless (core.cli) without loading Qt.
"""

from __future__ import annotations

import sys

from bench.cli import register as register_bench
from core.cli import build_parser, join_negative_values, run


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(extra=[register_bench])
    commands = _subcommand_names(parser)
    if not argv or (argv[0] not in commands and not argv[0].startswith("-")):
        return _open_gui(argv[0] if argv else None)
    args = parser.parse_args(join_negative_values(argv))
    if args.command is None:
        return _open_gui(None)
    return run(args)


def _open_gui(path: str | None) -> int:
    from core.errors import OligoPlanError
    from core.samples import sample_case_path

    try:
        folder = path or str(sample_case_path())
    except OligoPlanError as exc:
        print(f"oligoplan: {exc}", file=sys.stderr)
        folder = None
    from gui.app import main as gui_main  # Qt is imported only here

    return gui_main(folder)


def _subcommand_names(parser) -> set[str]:
    for action in parser._actions:  # argparse keeps subparsers here
        if getattr(action, "choices", None) and hasattr(action, "add_parser"):
            return set(action.choices)
    return set()


if __name__ == "__main__":
    sys.exit(main())

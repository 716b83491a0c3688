"""What the subcommands share: the exit codes and the argument types (one place, so a subcommand
module never imports the command line's entry module, core.cli.main, back)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Callable

from core.check_options import DEFAULT_CUTOFF_MONTHS, CheckOptions

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE = 0, 1, 2
#: what a shell reports for a command killed by SIGPIPE (128 + 13)
EXIT_BROKEN_PIPE = 141


def finite_number(expected: str, *, above_zero: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number of 0 or more (above 0 with ``above_zero``); any
    other value (text, nan, inf, too small) exits 2 with "'x': expected <expected>"."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or (above_zero and value == 0):
            raise argparse.ArgumentTypeError(f"{text!r}: expected {expected}")
        return value

    return parse


# ------------------------------------------------ the check's options (`check`, `export`, `rules`)
def add_selection_options(p) -> None:
    """--rules, --facts, --rules-file, --cutoff-months, --date (`oligoplan check` and `oligoplan export`)."""
    p.add_argument("--rules", action="append", default=[], metavar="ID[,ID...]",
                   help="rule sets to evaluate (default: the case's own choice, else all)")
    p.add_argument("--facts", metavar="FACTS.json", help="case facts overriding the case's own")
    add_rules_file_option(p)
    p.add_argument("--cutoff-months", type=float, default=DEFAULT_CUTOFF_MONTHS,
                   help="synchronous/metachronous cut-off of the ESTRO-EORTC classification (default 6)")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="evaluation date (default: today)")


def add_rules_file_option(p) -> None:
    """--rules-file FILE (repeatable): `oligoplan rules`, `check` and `export`."""
    p.add_argument("--rules-file", action="append", default=[], metavar="FILE", type=rules_file_path,
                   help="also read this rule-set file (repeatable)")


def rules_file_path(text: str) -> str:
    """``--rules-file``: a file the user named must exist (argparse type; absent: exit 2 in one line).

    A file that is absent is almost always a typo in its path; going on without it would give
    verdicts without the rule set the user asked for. A file that exists but is malformed is
    reported later by core.check_options.catalog_for (a warning; the other rule sets still run).
    """
    if not Path(text).exists():
        raise argparse.ArgumentTypeError(
            f"{text}: no such file (looked in {Path(text).absolute().parent}); check the file's name "
            "and folder, or leave --rules-file out to use the shipped and user rule sets")
    return text


def check_options(args: argparse.Namespace) -> CheckOptions:
    """The typed options of the check that `check` or `export` was asked for (add_selection_options)."""
    ids = [i.strip() for value in args.rules for i in value.split(",") if i.strip()]
    return CheckOptions(rule_ids=tuple(dict.fromkeys(ids)), facts_file=args.facts,
                        rules_files=tuple(args.rules_file), cutoff_months=args.cutoff_months, date=args.date,
                        command=args.command, anonymise=bool(getattr(args, "anonymise", False)))

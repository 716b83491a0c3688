"""How a case is checked from the command line: the options `oligoplan check` and
`oligoplan export` share (--rules, --facts, --rules-file, --cutoff-months, --date)
and :func:`check_with_options`, the one set-up of the check both commands run.

The set-up: the rule catalogue (shipped, the user folder, every ``--rules-file``;
a malformed file is a warning and the rest still load), the rule sets chosen
(``--rules``, else the case's own choice, else all), the facts file overriding
the case's facts, the classification cut-off, the evaluation date and the OAR
flag settings of the user config folder (core.rules.oar_settings).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Callable

from core.errors import FactsError, OligoPlanError
from core.rules.loader import Catalog, load_catalog


def add_selection_options(p) -> None:
    """--rules, --facts, --rules-file, --cutoff-months, --date (`oligoplan check` and `oligoplan export`)."""
    p.add_argument("--rules", action="append", default=[], metavar="ID[,ID...]",
                   help="rule sets to evaluate (default: the case's own choice, else all)")
    p.add_argument("--facts", metavar="FACTS.json", help="case facts overriding the case's own")
    p.add_argument("--rules-file", action="append", default=[], metavar="FILE",
                   help="also read this rule-set file (repeatable)")
    p.add_argument("--cutoff-months", type=float, default=6.0,
                   help="synchronous/metachronous cut-off of the ESTRO-EORTC classification (default 6)")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="evaluation date (default: today)")


def catalog_for(args) -> Catalog:
    """The rule catalogue with ``args.rules_file``; each malformed file is a warning on stderr."""
    catalog = load_catalog(args.rules_file)
    for error in catalog.errors:
        print(f"oligoplan {args.command}: warning: {error}; that rule set was left out", file=sys.stderr)
    return catalog


def selected_ids(args, case_facts: dict | None = None) -> list[str] | None:
    """The ids of ``--rules`` (comma-separated, repeatable), else the case's choice, else None (all)."""
    ids = [i.strip() for value in args.rules for i in value.split(",") if i.strip()]
    if ids:
        return list(dict.fromkeys(ids))
    from core.rules.case_check import case_rule_sets

    return case_rule_sets(case_facts)


def read_facts_file(path: str) -> dict:
    """The case facts of a FACTS.json file, validated (FactsError names the file and the field)."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FactsError(f"{path}: no such facts file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FactsError(f"{path}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise FactsError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(doc, dict):
        raise FactsError(f"{path}: expected an object of case facts, e.g. {{\"ecog\": 1}}")
    from core.rules.facts import CaseFacts

    CaseFacts(doc, where=p.name)  # validate with the file's name in the message
    return doc


def parse_date(text: str | None) -> date | None:
    """``--date`` as a date (None: today)."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise OligoPlanError(f"--date {text!r}: write the date as YYYY-MM-DD") from None


def check_with_options(args, case, *, open_images: Callable[[], object] | None = None):
    """Check ``case`` as the options in ``args`` say (core.rules.case_check.CaseCheck).

    ``open_images`` returns the case's images (core.rules.case_check.CaseImages)
    when the caller has its own way to open them (the export's job opens them
    once for every step); it is called after the options are read, so a bad
    option is reported before missing images. Without it the check opens the
    images itself. The check's warnings are in the result, for the caller to show.
    """
    from core.rules.case_check import check_case
    from core.rules.oar_settings import load_oar_settings

    catalog = catalog_for(args)
    rule_sets = catalog.select(selected_ids(args, case.facts))
    overrides = read_facts_file(args.facts) if args.facts else None
    if args.cutoff_months < 0:
        raise OligoPlanError(f"--cutoff-months {args.cutoff_months:g}: must be 0 or more")
    today = parse_date(args.date)
    images = open_images() if open_images is not None else None
    return check_case(case, rule_sets, facts_override=overrides, today=today, cutoff_months=args.cutoff_months,
                      images=images, oar_settings=load_oar_settings())

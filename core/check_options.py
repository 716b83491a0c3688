"""How a case is checked from the command line: the options `oligoplan check` and
`oligoplan export` share (--rules, --facts, --rules-file, --cutoff-months, --date)
and :func:`check_with_options`, the one set-up of the check both commands run.

The set-up: the rule catalogue (shipped, the user folder, every ``--rules-file``;
a malformed file is a warning and the rest still load, an absent one exits 2),
the rule sets chosen (``--rules``, else the case's own choice, else all), the
facts file overriding the case's facts (a key that is not a case fact, in
either, is a warning naming the closest fact), the classification cut-off, the evaluation date and the OAR
flag settings of the user config folder (core.rules.oar_settings).
"""

from __future__ import annotations

import json
import math
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
    add_rules_file_option(p)
    p.add_argument("--cutoff-months", type=float, default=6.0,
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
    reported later by :func:`catalog_for` (a warning; the other rule sets still run).
    """
    import argparse

    if not Path(text).exists():
        raise argparse.ArgumentTypeError(
            f"{text}: no such file (looked in {Path(text).absolute().parent}); check the file's name "
            "and folder, or leave --rules-file out to use the shipped and user rule sets")
    return text


def catalog_for(args) -> Catalog:
    """The rule catalogue with ``args.rules_file``; each malformed file is a warning on stderr."""
    catalog = load_catalog(args.rules_file)
    for text in catalog_warnings(catalog):
        print(f"oligoplan {args.command}: warning: {text}", file=sys.stderr)
    return catalog


def catalog_warnings(catalog: Catalog) -> list[str]:
    """One warning per rule-set file that was left out (malformed), naming the file, field and problem."""
    return [f"{error}; that rule set was left out" for error in catalog.errors]


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


def warn_unknown_facts(args, raw: dict | None, where: str, catalog: Catalog) -> list[str]:
    """One warning line on stderr per key of ``raw`` that is not a case fact (a typo such as
    "ecgo" would silently leave the fact unknown); returns the warnings' texts (for the JSON).
    Keys a rule set of ``catalog`` reads (a local protocol's own facts) and the case's rule-set
    choice are facts too. The evaluation is unchanged."""
    from core.rules.case_check import RULE_SETS_KEY
    from core.rules.facts import unknown_fact_keys, unknown_fact_text
    from core.rules.schema import iter_criteria

    read = {c.fact for r in catalog for c in iter_criteria(r.criteria) if c.fact}
    texts = [unknown_fact_text(key, closest, where)
             for key, closest in unknown_fact_keys(raw, [RULE_SETS_KEY, *sorted(read)])]
    for text in texts:
        print(f"oligoplan {args.command}: warning: {text}", file=sys.stderr)
    return texts


def altered_trail_warnings(args, case, case_name: str) -> list[str]:
    """One warning line on stderr per problem found in the case's audit trail when it was read
    (a hand-edited entry breaks the hash chain: a sign-off in it is not to be relied on);
    returns the texts (for the JSON). The check itself is unchanged."""
    texts = [f"{case_name}: {problem}" for problem in getattr(case, "integrity_warnings", ())]
    for text in texts:
        print(f"oligoplan {args.command}: warning: {text}", file=sys.stderr)
    return texts


def parse_date(text: str | None) -> date | None:
    """``--date`` as a date (None: today)."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        if len(text) == 10 and text[4] == text[7] == "-" and text.replace("-", "").isdigit():  # 2024-02-30
            raise OligoPlanError(f"--date {text!r}: there is no such day; check the month and the day") from None
        raise OligoPlanError(f"--date {text!r}: write the date as YYYY-MM-DD") from None


def check_with_options(args, case, *, open_images: Callable[[], object] | None = None):
    """Check ``case`` as the options in ``args`` say (core.rules.case_check.CaseCheck).

    ``open_images`` returns the case's images (core.rules.case_check.CaseImages)
    when the caller has its own way to open them (the export's job opens them
    once for every step); it is called after the options are read, so a bad
    option is reported before missing images. Without it the check opens the
    images itself. The check's warnings are in the result, for the caller to show (those of the
    set-up, an audit trail changed outside OligoPlan, malformed rule files and facts keys that are
    not case facts, are printed on stderr already: ``result.setup_warnings``).
    """
    from core.rules.case_check import check_case
    from core.rules.oar_settings import load_oar_settings

    catalog = catalog_for(args)
    rule_sets = catalog.select(selected_ids(args, case.facts))
    overrides = read_facts_file(args.facts) if args.facts else None
    case_name = case.name_in_messages("case")
    shown = altered_trail_warnings(args, case, case_name) + catalog_warnings(catalog) + warn_unknown_facts(
        args, case.facts, f"{case_name}: facts", catalog)
    if overrides:
        facts_name = "the facts file" if getattr(args, "anonymise", False) else Path(args.facts).name
        shown += warn_unknown_facts(args, overrides, facts_name, catalog)
    if not math.isfinite(args.cutoff_months):  # nan/inf parse as floats; NaN is not even valid JSON
        raise OligoPlanError(f"--cutoff-months {args.cutoff_months:g}: expected a number of months, 0 or more, "
                             "e.g. 6")
    if args.cutoff_months < 0:
        raise OligoPlanError(f"--cutoff-months {args.cutoff_months:g}: must be 0 or more")
    today = parse_date(args.date)
    images = open_images() if open_images is not None else None
    result = check_case(case, rule_sets, facts_override=overrides, today=today, cutoff_months=args.cutoff_months,
                        images=images, oar_settings=load_oar_settings())
    # printed on stderr already; in the warnings too, so the JSON of check and of the summary has them
    result.setup_warnings = shown
    result.warnings = shown + result.warnings
    return result

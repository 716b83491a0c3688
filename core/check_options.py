"""How a case is checked as `oligoplan check` and `oligoplan export` are asked to (--rules, --facts,
--rules-file, --cutoff-months, --date): :class:`CheckOptions`, built by the command line
(core.cli.arg_types.check_options) or with its defaults by the gui's DICOM export, and
:func:`check_with_options`, the one set-up of the check both commands run. No argparse here.

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
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from core.errors import FactsError, OligoPlanError

if TYPE_CHECKING:
    from core.rules.loader import Catalog

DEFAULT_CUTOFF_MONTHS = 6.0


@dataclass(frozen=True)
class CheckOptions:
    """What a check was asked for; the defaults are a check with the case's own choices."""

    #: rule-set ids of --rules, in order, without repeats (empty: the case's own choice, else all)
    rule_ids: tuple[str, ...] = ()
    #: --facts: a FACTS.json whose facts override the case's own
    facts_file: str | None = None
    #: --rules-file: rule-set files read besides the shipped and user ones
    rules_files: tuple[str, ...] = ()
    #: synchronous/metachronous cut-off of the ESTRO-EORTC classification (checked by check_with_options)
    cutoff_months: float = DEFAULT_CUTOFF_MONTHS
    #: --date as typed, YYYY-MM-DD (None: today; read by parse_date when the check runs, so that a bad
    #: date is reported where it always was: after the set-up's warnings)
    date: str | None = None
    #: the subcommand whose warnings these are: "oligoplan check: warning: ..."
    command: str = "check"
    #: an anonymised export: warnings name "the facts file", not its file name
    anonymise: bool = False


def catalog_for(rules_files: Sequence[str], command: str) -> Catalog:
    """The rule catalogue with ``rules_files``; each malformed file is a warning on stderr, named
    after ``command`` ("oligoplan rules: warning: ...")."""
    from core.rules.loader import load_catalog

    catalog = load_catalog(list(rules_files))
    for text in catalog_warnings(catalog):
        print(f"oligoplan {command}: warning: {text}", file=sys.stderr)
    return catalog


def catalog_warnings(catalog: Catalog) -> list[str]:
    """One warning per rule-set file that was left out (malformed), naming the file, field and problem."""
    return [f"{error}; that rule set was left out" for error in catalog.errors]


def selected_ids(options: CheckOptions, case_facts: dict | None = None) -> list[str] | None:
    """The ids of ``--rules``, else the case's choice, else None (all)."""
    if options.rule_ids:
        return list(options.rule_ids)
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


def warn_unknown_facts(command: str, raw: dict | None, where: str, catalog: Catalog) -> list[str]:
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
        print(f"oligoplan {command}: warning: {text}", file=sys.stderr)
    return texts


def altered_trail_warnings(command: str, case, case_name: str) -> list[str]:
    """One warning line on stderr per problem found in the case's audit trail when it was read
    (a hand-edited entry breaks the hash chain: a sign-off in it is not to be relied on);
    returns the texts (for the JSON). The check itself is unchanged."""
    texts = [f"{case_name}: {problem}" for problem in getattr(case, "integrity_warnings", ())]
    for text in texts:
        print(f"oligoplan {command}: warning: {text}", file=sys.stderr)
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


def check_with_options(options: CheckOptions, case, *, open_images: Callable[[], object] | None = None):
    """Check ``case`` as ``options`` say (core.rules.case_check.CaseCheck).

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

    catalog = catalog_for(options.rules_files, options.command)
    rule_sets = catalog.select(selected_ids(options, case.facts))
    overrides = read_facts_file(options.facts_file) if options.facts_file else None
    case_name = case.name_in_messages("case")
    shown = altered_trail_warnings(options.command, case, case_name) + catalog_warnings(catalog) + warn_unknown_facts(
        options.command, case.facts, f"{case_name}: facts", catalog)
    if overrides:
        facts_name = "the facts file" if options.anonymise else Path(options.facts_file).name
        shown += warn_unknown_facts(options.command, overrides, facts_name, catalog)
    if not math.isfinite(options.cutoff_months):  # nan/inf parse as floats; NaN is not even valid JSON
        raise OligoPlanError(f"--cutoff-months {options.cutoff_months:g}: expected a number of months, 0 or more, "
                             "e.g. 6")
    if options.cutoff_months < 0:
        raise OligoPlanError(f"--cutoff-months {options.cutoff_months:g}: must be 0 or more")
    today = parse_date(options.date)
    images = open_images() if open_images is not None else None
    result = check_case(case, rule_sets, facts_override=overrides, today=today, cutoff_months=options.cutoff_months,
                        images=images, oar_settings=load_oar_settings())
    # printed on stderr already; in the warnings too, so the JSON of check and of the summary has them
    result.setup_warnings = shown
    result.warnings = shown + result.warnings
    return result

"""`oligoplan rules` and `oligoplan check`: the rule sets, and a case checked against them."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

from core.errors import FactsError, OligoPlanError
from core.rules.engine import VERDICT_TEXT, Evaluation
from core.rules.loader import Catalog, load_catalog

STATUS_MARK = {"pass": "PASS", "fail": "FAIL", "unknown": "UNKN"}


def register(subparsers) -> None:
    p = subparsers.add_parser("rules", help="list the rule sets (shipped, user folder, --rules-file)")
    p.add_argument("--rules-file", action="append", default=[], metavar="FILE",
                   help="also read this rule-set file (repeatable)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_rules)

    c = subparsers.add_parser(
        "check", help="check a case against rule sets",
        description="Counts the case's lesions, classifies it (ESTRO-EORTC), flags lesions near organs "
                    "at risk and evaluates every rule set: eligible, not_eligible or undetermined, with "
                    "each criterion's value, threshold and source. Decision support, not a treatment order. "
                    "OAR flag settings (ultracentral structures and margin...) are read from oar_flags.json "
                    "in the user config folder when it exists (docs/rules.md).")
    c.add_argument("case", metavar="CASE.json", help="case file")
    add_selection_options(c)
    c.add_argument("--json", action="store_true", help="print JSON")
    c.set_defaults(func=cmd_check)


def add_selection_options(p) -> None:
    """--rules, --facts, --rules-file, --cutoff-months, --date (also used by `oligoplan export`)."""
    p.add_argument("--rules", action="append", default=[], metavar="ID[,ID...]",
                   help="rule sets to evaluate (default: the case's own choice, else all)")
    p.add_argument("--facts", metavar="FACTS.json", help="case facts overriding the case's own")
    p.add_argument("--rules-file", action="append", default=[], metavar="FILE",
                   help="also read this rule-set file (repeatable)")
    p.add_argument("--cutoff-months", type=float, default=6.0,
                   help="synchronous/metachronous cut-off of the ESTRO-EORTC classification (default 6)")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="evaluation date (default: today)")


def catalog_for(args) -> Catalog:
    catalog = load_catalog(args.rules_file)
    for error in catalog.errors:
        print(f"oligoplan {args.command}: warning: {error}; that rule set was left out", file=sys.stderr)
    return catalog


def selected_ids(args, case_facts: dict | None = None) -> list[str] | None:
    ids = [i.strip() for value in args.rules for i in value.split(",") if i.strip()]
    if ids:
        return list(dict.fromkeys(ids))
    from core.rules.case_check import case_rule_sets

    return case_rule_sets(case_facts)


def read_facts_file(path: str) -> dict:
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
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise OligoPlanError(f"--date {text!r}: write the date as YYYY-MM-DD") from None


def run_check(args):
    """Load the case and evaluate it (shared with `oligoplan export`)."""
    from core.case import load_case
    from core.rules.case_check import check_case

    case = load_case(args.case)
    catalog = catalog_for(args)
    rule_sets = catalog.select(selected_ids(args, case.facts))
    overrides = read_facts_file(args.facts) if args.facts else None
    if args.cutoff_months < 0:
        raise OligoPlanError(f"--cutoff-months {args.cutoff_months:g}: must be 0 or more")
    from core.rules.oar_settings import load_oar_settings

    result = check_case(case, rule_sets, facts_override=overrides, today=parse_date(args.date),
                        cutoff_months=args.cutoff_months, oar_settings=load_oar_settings())
    for warning in result.warnings:
        print(f"oligoplan {args.command}: warning: {warning}", file=sys.stderr)
    return case, result


def cmd_rules(args) -> int:
    catalog = catalog_for(args)
    if args.json:
        print(json.dumps({"rule_sets": [r.to_json() for r in catalog],
                          "errors": [str(e) for e in catalog.errors]}, indent=2, ensure_ascii=False))
        return 0
    print(f"{len(catalog)} rule sets")
    for r in catalog:
        origin = "" if r.builtin else f"  [{r.path}]"
        print(f"  {r.id:<22} {r.title}")
        print(f"  {'':<22} version {r.version}; {r.sources[0]}{origin}")
    return 0


def cmd_check(args) -> int:
    case, result = run_check(args)
    ev = result.evaluation
    if args.json:
        doc = ev.to_json()
        doc["warnings"] = result.warnings
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        print(describe(ev))
    return 0


def describe(ev: Evaluation) -> str:
    """The human summary of a check."""
    counts = ev.counts()
    lines = ["Decision support only: every verdict must be checked against the protocol it cites."]
    sites = ", ".join(f"{k} {v}" for k, v in counts["by_site"].items()) or "none"
    lines.append(f"Metastases: {counts['total']} ({sites})" +
                 (f"; primary marked: {counts['primary']}" if counts["primary"] else ""))
    cls = ev.classification
    text = cls.label if not cls.missing else f"unknown (needs {', '.join(cls.missing)})"
    lines.append(f"ESTRO-EORTC class: {text} [cut-off {cls.cutoff_months:g} months; not verified]")
    if ev.oar is None:
        lines.append("Organs at risk: none available, OAR flags unknown")
    else:
        for entry in ev.oar.lesions:
            flags = ", ".join(entry.raised) or "no flag"
            near = sorted(entry.distances_mm.items(), key=lambda kv: kv[1])[:2]
            lines.append(f"  {entry.lesion_id}: {flags} (nearest: "
                         + ", ".join(f"{k} {v:.1f} mm" for k, v in near) + ")")
    for r in ev.results:
        lines.append("")
        lines.append(f"{r.id} (version {r.version}): {VERDICT_TEXT[r.verdict].upper()}")
        for c in r.criteria:
            lines.extend(_criterion_lines(c, "  "))
    return "\n".join(lines)


def _criterion_lines(c, indent: str) -> list[str]:
    mark = STATUS_MARK[c.status]
    unverified = "" if c.verified else "  [unverified threshold: check the protocol]"
    lesions = f"  lesions {', '.join(c.lesions)}" if c.lesions and c.status != "pass" else ""
    value = c.value_with_unit if c.value is not None or c.status != "pass" else c.reason
    out = [f"{indent}{mark} {c.title}: {value} (needs {c.threshold_text or 'n/a'})"
           f"{unverified}{lesions}" + (f"  - {c.reason}" if c.reason and c.status != "pass" else "")]
    for child in c.children:
        out.extend(_criterion_lines(child, indent + "    "))
    return out

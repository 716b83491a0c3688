"""`oligoplan rules` and `oligoplan check`: the rule sets, and a case checked against them."""

from __future__ import annotations

import json
import sys

from core.check_options import add_rules_file_option, add_selection_options, catalog_for, check_with_options
from core.rules.engine import VERDICT_TEXT, Evaluation
from core.rules.facts import fact_names

STATUS_MARK = {"pass": "PASS", "fail": "FAIL", "unknown": "UNKN"}


def register(subparsers) -> None:
    p = subparsers.add_parser("rules", help="list the rule sets (shipped, user folder, --rules-file)")
    add_rules_file_option(p)
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
    from core.case import load_case

    result = check_with_options(args, load_case(args.case))
    for warning in result.warnings[len(result.setup_warnings):]:  # the set-up's are printed already
        print(f"oligoplan {args.command}: warning: {warning}", file=sys.stderr)
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
    proposed = [f"{m.id} {m.site}" for m in ev.lesions if not m.site_confirmed and m.site != "unknown"]
    if proposed:  # a proposal is shown as one: the counts and verdicts below rest on it
        lines.append(f"  sites proposed, not confirmed by a user: {', '.join(proposed)} (counted as proposed; "
                     "confirm or change each in the window's lesion table, or give --site to segment)")
    cls = ev.classification
    text = cls.label if not cls.missing else f"unknown (needs {fact_names(cls.missing)})"
    if cls.problems:
        text = f"unknown ({'; '.join(cls.problems)})"
    lines.append(f"ESTRO-EORTC class: {text} [cut-off {cls.cutoff_months:g} months; not verified]")
    if ev.oar is None:
        lines.append("Organs at risk: none available, OAR flags unknown")
    else:
        for entry in ev.oar.lesions:
            flags = ", ".join(entry.raised) or "no flag"
            near = sorted(entry.distances_mm.items(), key=lambda kv: kv[1])[:2]
            lines.append(f"  {entry.lesion_id}: {flags} (nearest: "
                         + ", ".join(f"{k} {v:.1f} mm" for k, v in near) + ")")
    for score in ev.scores:
        lines.append(f"{score.title}: {score.summary} [{score.source}]")
        lines.extend(f"  {line}" for line in score.factor_lines())
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

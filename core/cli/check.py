"""`oligoplan check`: a case checked against rule sets (the set-up shared with `export`:
core.check_options)."""

from __future__ import annotations

import json
import sys

from core.check_options import check_with_options
from core.cli.arg_types import add_selection_options, check_options
from core.cli.compare_sr import add_compare_sr_options, compare_sr
from core.rules.engine import VERDICT_TEXT, Evaluation
from core.rules.facts import fact_names
from core.rules.outcome import CriterionStatus

STATUS_MARK = {CriterionStatus.PASS: "PASS", CriterionStatus.FAIL: "FAIL", CriterionStatus.UNKNOWN: "UNKN"}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "check", help="check a case against rule sets",
        description="Counts the case's lesions, classifies it (ESTRO-EORTC), flags lesions near organs "
                    "at risk and evaluates every rule set: eligible, not_eligible or undetermined, with "
                    "each criterion's value, threshold and source. Decision support, not a treatment order. "
                    "OAR flag settings (ultracentral structures and margin...) are read from oar_flags.json "
                    "in the user config folder when it exists (docs/rules.md).")
    p.add_argument("case", metavar="CASE.json", help="case file")
    add_selection_options(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    add_compare_sr_options(p)
    p.set_defaults(func=cmd_check)


def cmd_check(args) -> int:
    from core.case import load_case

    case = load_case(args.case)
    # before the check: its differences join the audit trail's warnings (stderr, JSON, as those do)
    comparison = compare_sr(args, case) if args.compare_sr is not None else None
    result = check_with_options(check_options(args), case)
    for warning in result.warnings[len(result.setup_warnings):]:  # the set-up's are printed already
        print(f"oligoplan {args.command}: warning: {warning}", file=sys.stderr)
    ev = result.evaluation
    if args.json:
        doc = ev.to_json()
        doc["warnings"] = result.warnings
        if comparison is not None:
            doc["sr_comparison"] = comparison.to_json()
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        print(describe(ev))
        if comparison is not None:
            print("")
            print("Audit trail compared with the DICOM SR (" + comparison.source + "):")
            print("\n".join(f"  {line}" for line in comparison.text_lines()))
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
    lines.extend(fact_source_lines(ev))
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


def fact_source_lines(ev: Evaluation) -> list[str]:
    """The facts not entered but derived from the prior scan (marked DERIVED), and those entered over a
    derived value, each with its source."""
    lines = []
    for key, source in ev.fact_sources.items():
        value = ev.facts.get(key)
        if source["derived"]:
            lines.append(f"  DERIVED {fact_names([key])} = {value} ({source['source']}: {source['reason']}; "
                         "not entered: confirm or override it)")
        elif "overrides" in source:
            over = source["overrides"]
            lines.append(f"  entered {fact_names([key])} = {value} (overrides {over['value']}, "
                         f"{over['source']})")
    return (["Facts from the comparison with the prior scan:"] + lines) if lines else []


def _criterion_lines(c, indent: str) -> list[str]:
    mark = STATUS_MARK[c.status]
    unverified = "" if c.verified else "  [unverified threshold: check the protocol]"
    met = c.status is CriterionStatus.PASS
    lesions = f"  lesions {', '.join(c.lesions)}" if c.lesions and not met else ""
    value = c.value_with_unit if c.value is not None or not met else c.reason
    out = [f"{indent}{mark} {c.title}: {value} (needs {c.threshold_text or 'n/a'})"
           f"{unverified}{lesions}" + (f"  - {c.reason}" if c.reason and not met else "")]
    for child in c.children:
        out.extend(_criterion_lines(child, indent + "    "))
    return out

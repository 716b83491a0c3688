"""`oligoplan rules`: the rule sets (shipped, user folder, --rules-file)."""

from __future__ import annotations

import json

from core.check_options import catalog_for
from core.cli.arg_types import add_rules_file_option


def register(subparsers) -> None:
    p = subparsers.add_parser("rules", help="list the rule sets (shipped, user folder, --rules-file)")
    add_rules_file_option(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_rules)


def cmd_rules(args) -> int:
    catalog = catalog_for(args.rules_file, args.command)
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

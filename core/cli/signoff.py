"""`oligoplan signoff CASE.json --state reviewed|approved --name NAME --role ROLE [--comment TEXT]`.

The sign-off of the Review menu for scripts: the same core function
(:meth:`core.review.CaseReview.sign`), so the same rules (draft -> reviewed ->
approved, one step at a time, a name is needed) and the same audit entry (name,
role, UTC time, comment and the digest of the lesions and facts signed). The case
file is rewritten atomically only when the step is allowed; a refusal leaves it as
it was and exits 2 with the reason.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from core.errors import ReviewError

#: the states a sign-off leads to (draft is reached by editing a case, never by signing)
SIGN_STATES = ("reviewed", "approved")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "signoff",
        help="sign off a case (reviewed, then approved), as Review > Sign off does",
        description=(
            "Moves the case one step on, draft -> reviewed -> approved, and records who signed "
            "(name, role, time in UTC, comment, digest of the lesions and facts) in its audit trail. "
            "A step out of order, or signing an approved case, is refused and the file is left as it was."
        ),
    )
    p.add_argument("case", metavar="CASE.json", help="the case file to sign off (rewritten in place)")
    p.add_argument("--state", required=True, choices=SIGN_STATES,
                   help="the state the case goes to: reviewed (from draft) or approved (from reviewed)")
    p.add_argument("--name", required=True, metavar="NAME", help="who signs, as recorded in the audit trail")
    p.add_argument("--role", required=True, metavar="ROLE",
                   help="their role, e.g. 'medical physicist', 'radiation oncologist', 'trainee'")
    p.add_argument("--comment", default="", metavar="TEXT", help="a comment recorded with the sign-off")
    p.add_argument("--json", action="store_true", help="print the sign-off and the case's review state as JSON")
    p.set_defaults(func=cmd_signoff)


def _role_text(role: str) -> str:
    """A known role in its usual words ("radiation_oncologist" -> "radiation oncologist"); any other
    non-empty title as given (the Review menu's role box takes a local title too)."""
    from core.review import Role

    role = str(role).strip()
    if not role:
        raise ReviewError("--role is empty: give the signer's role, e.g. 'medical physicist'")
    try:
        return Role.parse(role).value
    except ReviewError:
        return role


def cmd_signoff(args) -> int:
    from core.case import load_case, save_case

    path = Path(args.case)
    case = load_case(path)
    if not str(args.name).strip():
        raise ReviewError("--name is empty: a sign-off needs the signer's name")
    signoff = case.review.sign(args.state, args.comment, name=args.name, role=_role_text(args.role))
    save_case(case, path)
    if args.json:
        print(json.dumps({"signoff": signoff.to_json(), "review": {
            "state": case.review.state.value, "status": case.review.status_text()}}, indent=2))
    else:
        print(f"{path.name}: {case.review.status_text()}")
    for warning in case.integrity_warnings:
        print(f"oligoplan signoff: warning: {warning}", file=sys.stderr)
    return 0

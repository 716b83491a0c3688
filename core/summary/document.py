"""The candidacy summary as one plain document (dict), the source of the PDF, JSON and CSV.

Content: identification (or "anonymised": no patient name, ID, birth date or
UIDs), the case facts, one row per lesion (site, kind, size, volume, SUVmax,
OAR flags), counts per organ, each rule set's verdict with every criterion
and its source, the ESTRO-EORTC class, the prognostic scores (Fong), unverified thresholds marked, the
rule-set versions, the date, the author, the review state (draft / reviewed /
approved, who and when) and the decision-support statement.
"""

from __future__ import annotations

import getpass
from datetime import datetime, timezone

import core
from core.rules.engine import VERDICT_TEXT, Evaluation

TITLE = "SBRT candidacy summary"
DISCLAIMER = ("Decision support only, not a treatment order: every verdict must be checked by the treating "
              "physician against the protocol it cites. Thresholds marked † are not verified against the "
              "primary protocol text.")

LESION_COLUMNS = (
    ("number", "#"), ("id", "ID"), ("label", "Label"), ("site", "Site"), ("laterality", "Side"),
    # how the site was decided: proposed (from a structure or the CT), confirmed, or chosen by the user
    ("site_decided", "Site decided"),
    # two diameters, named apart: the rule sets' size criteria use the 3D one; RECIST 1.1 (and the
    # lesion table in the gui) the axial one. The keys (JSON) stay as documented.
    ("kind", "Kind"), ("treatable", "Treatable"), ("longest_diameter_mm", "Longest 3D diameter (mm)"),
    ("longest_axial_diameter_mm", "Longest axial diameter, RECIST 1.1 (mm)"), ("volume_cc", "Volume (cm3)"),
    ("suv_max", "SUVmax"), ("oar_flags", "OAR flags"), ("nearest_oar", "Nearest OAR"),
)


def default_author() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in containers
        return ""


def review_summary(review) -> dict:
    """The review state of a case (core.review.CaseReview) for the summary: state, the line shown
    beside the author ("Approved by ... UTC"), whether the audit trail was changed outside
    OligoPlan (``trail_altered``) and every sign-off in force (staff, not the patient)."""
    signoffs = review.signoffs
    return {"state": review.state.value, "status": review.status_text(),
            # the file's audit trail was changed outside OligoPlan: the sign-offs are not to be relied on
            "trail_altered": bool(review.case.integrity_warnings),
            "signoffs": [{k: v for k, v in s.to_json().items() if k != "content_digest"} for s in signoffs]}


def build_summary(evaluation: Evaluation, *, workspace=None, anonymise: bool = False, author: str | None = None,
                  warnings: list[str] | None = None, case_name: str = "", review=None) -> dict:
    """The summary document of an evaluated case (see the module docstring); ``review``: the
    case's core.review.CaseReview (None: "not recorded")."""
    ev = evaluation
    oar = ev.oar
    rows = []
    for n, m in enumerate(ev.lesions, start=1):
        entry = oar.for_lesion(m.id) if oar is not None else None
        nearest = ""
        if entry is not None and entry.distances_mm:
            inside = [k for k, d in entry.distances_mm.items() if d == 0.0]
            outside = sorted((d, k) for k, d in entry.distances_mm.items() if d > 0.0)
            parts = [f"touches {k}" for k in inside] + [f"{k} {d:.1f} mm" for d, k in outside[:1]]
            nearest = "; ".join(parts)
        row = m.to_json()
        row.update(number=n, oar_flags=", ".join(entry.raised) if entry is not None else "not checked",
                   nearest_oar=nearest)
        rows.append(row)
    unverified = sorted({f"{r.id}:{c.id}" for r in ev.results for c in _walk(r.criteria) if not c.verified})
    return {
        "title": TITLE,
        "disclaimer": DISCLAIMER,
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "evaluated_on": ev.today.isoformat(),
        "author": default_author() if author is None else author,
        "review": review_summary(review) if review is not None else
        {"state": None, "status": "review state not recorded", "trail_altered": False, "signoffs": []},
        "app_version": core.__version__,
        "case": "" if anonymise else case_name,
        "patient": _identification(workspace, anonymise),
        "facts": ev.facts.to_json(),
        # where each known fact came from: entered, or derived from the prior scan (core.rules.case_check)
        "fact_sources": dict(ev.fact_sources),
        "classification": ev.classification.to_json(),
        "scores": [score.to_json() for score in ev.scores],
        "counts": ev.counts(),
        "lesions": rows,
        "rule_sets": [
            {**r.to_json(), "verdict_text": VERDICT_TEXT[r.verdict]} for r in ev.results
        ],
        "rule_set_versions": {r.id: r.version for r in ev.results},
        "unverified_thresholds": unverified,
        "oar_flags": oar.to_json() if oar is not None else [],
        "oar_settings": vars(oar.settings) if oar is not None else None,
        "warnings": list(warnings or []),
    }


def _walk(results):
    for r in results:
        yield r
        yield from _walk(r.children)


def _identification(workspace, anonymise: bool) -> dict:
    if anonymise:
        return {"anonymised": True}
    if workspace is None:
        return {"anonymised": False, "name": "", "id": "", "study_date": "", "study_description": "",
                "images": []}
    info = workspace.primary.info
    images = [v.info.title for v in (workspace.primary, workspace.pet) if v is not None]
    return {"anonymised": False, "name": info.patient_name, "id": info.patient_id,
            "study_date": info.study_date, "study_description": info.study_description,
            "study_uid": info.study_uid, "images": images}

"""The comparison with the prior scan in the summary: the timeline section and its side-by-side images.

:func:`tracking_section` turns the case's stored comparison (core.tracking.stored; written by
`oligoplan track --out`) into the summary's ``"tracking"`` part (JSON; the PDF's timeline page):
lesion counts per date, each lesion's size (longest axial diameter, short axis for nodes) and
SUVpeak at both dates with the change and the status and the rule that decided it, and the
derived facts marked as derived (or as the user's value where the user gave one). Dates are ISO,
so an anonymised export shifts them as it shifts every other date (core.export_privacy); labels
are generic there as elsewhere.

:func:`comparison_pictures` makes the key images of the new and progressing lesions: the current
axial slice at the lesion beside the prior scan resampled onto it through the stored registration.
When the prior images cannot be opened, it says why instead (never an exception).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from core.codes import Site
from core.display import site_window, window_range
from core.lesions import Lesion
from core.tracking.derived import effective_facts
from core.tracking.status import LesionStatus
from core.tracking.stored import StoredLesion, StoredTracking, read_tracking

#: the rule that decided a carried-over lesion's status, as the page names it
RULE_TEXT = {"PET": "PERCIST 1.0", "CT": "RECIST 1.1", "not found": "not found", "unknown": "not measurable",
             "": "not stored"}
#: the lesions shown side by side with the prior scan
KEY_STATUSES = (LesionStatus.NEW, LesionStatus.PROGRESSING)
MAX_COMPARISON_IMAGES = 12


def tracking_section(case, summary: dict, anonymise: bool = False) -> dict | None:
    """The summary's ``"tracking"`` part, or None when the case holds no comparison."""
    stored = read_tracking(case)
    if stored is None:
        return None
    rows = {r["id"]: r for r in summary.get("lesions") or []}
    labels = _labels(case, stored, anonymise)
    lesions = [_lesion_entry(t, labels, rows.get(t.id)) for t in stored.lesions]
    new = [_new_entry(n, labels, rows.get(n.id), stored.new_accepted and n.id in rows) for n in stored.new]
    disappeared = sum(t.status is LesionStatus.DISAPPEARED for t in stored.lesions)
    count_prior = stored.count_prior if stored.count_prior is not None else len(stored.lesions)
    count_current = stored.count_current if stored.count_current is not None else (
        len(stored.lesions) - disappeared + len(stored.new))
    pet_decided = any(t.decided_by == "PET" for t in stored.lesions)
    # the note on SUL vs SUVbw (as the comparison says) wherever a peak is shown
    peaks = pet_decided or any(v is not None and v.suv_peak is not None
                               for t in stored.lesions for v in (t.prior, t.current))
    return {
        "dates": {"prior": stored.prior_date, "current": stored.current_date},
        "counts": {"prior": count_prior, "current": count_current, "new": len(stored.new),
                   "disappeared": disappeared},
        "new_searched": stored.new_searched,
        "peak_measure": "SUVpeak (body weight)" if stored.sul_note or not pet_decided else "SULpeak",
        "sul_note": stored.sul_note if peaks else "",
        "lesions": lesions,
        "new": new,
        "derived_facts": _derived(case, stored),
        "key_lesions": [e["id"] for e in lesions if e["status"] == LesionStatus.PROGRESSING.value]
        + [e["id"] for e in new],
    }


def _labels(case, stored: StoredTracking, anonymise: bool) -> dict[str, str]:
    """Lesion id -> label shown: the current case's label, else the prior one stored; generic
    ("Lung 1") in an anonymised export, numbered after the current case's lesions as elsewhere."""
    current = list(getattr(case, "lesions", []) or [])
    ids = {lesion.id for lesion in current}
    only_prior = [t for t in stored.lesions if t.id not in ids]
    if anonymise:
        from core.export_privacy import generic_labels

        ghosts = [SimpleNamespace(id=t.id, site=_site(t.site)) for t in only_prior]
        ghosts += [SimpleNamespace(id=n.id, site=_site(n.site)) for n in stored.new if n.id not in ids]
        return generic_labels(current + ghosts)
    out = {t.id: t.label or t.id for t in only_prior}
    out.update({n.id: n.id for n in stored.new if n.id not in ids})
    out.update({lesion.id: lesion.label or lesion.id for lesion in current})
    return out


def _site(value: str):
    try:
        return Site.parse(value)
    except ValueError:
        return None


def _change_pct(before, after) -> float | None:
    if before is None or after is None or before <= 0:
        return None
    return round(100.0 * (after - before) / before, 1)


def _lesion_entry(t: StoredLesion, labels: dict[str, str], row: dict | None) -> dict:
    prior, current = t.prior, t.current
    measure = (prior or current).size_measure if (prior or current) else "longest_axial_diameter_mm"
    p_size, c_size = (prior.size_mm if prior else None), (current.size_mm if current else None)
    p_peak, c_peak = (prior.suv_peak if prior else None), (current.suv_peak if current else None)
    beside = ""
    if t.decided_by == "PET" and t.ct_status is not None:
        beside = f"CT: {t.ct_status.value}"  # the CT status shown beside the PET one that decides
    return {
        "id": t.id, "label": labels.get(t.id, t.id), "site": t.site or (row or {}).get("site") or "",
        "status": t.status.value, "decided_by": t.decided_by, "rule": RULE_TEXT.get(t.decided_by, t.decided_by),
        "beside": beside,
        "size_measure": "short axis" if measure == "short_axis_mm" else "longest axial diameter",
        "prior_size_mm": p_size, "current_size_mm": c_size, "size_change_pct": _change_pct(p_size, c_size),
        "prior_peak": p_peak, "current_peak": c_peak, "peak_change_pct": _change_pct(p_peak, c_peak),
        "centroid_mm": (row or {}).get("centroid_mm"),
    }


def _new_entry(n, labels: dict[str, str], row: dict | None, accepted: bool) -> dict:
    size = None
    if row is not None:
        node = row.get("site") in ("regional_lymph_node", "distant_lymph_node")
        size = row.get("short_axis_mm") if node else row.get("longest_axial_diameter_mm")
    return {
        "id": n.id, "label": labels.get(n.id, n.id), "site": (row or {}).get("site") or n.site,
        "status": LesionStatus.NEW.value, "accepted": accepted,
        "rule": "found now" if accepted else "listed only",  # accepted into the case, or only listed
        "current_size_mm": size, "current_peak": (row or {}).get("suv_peak"),
        "suv_max": (row or {}).get("suv_max", n.suv_max), "volume_cc": (row or {}).get("volume_cc", n.volume_cc),
        "centroid_mm": (row or {}).get("centroid_mm") or (list(n.centroid_mm) if n.centroid_mm else None),
    }


def _derived(case, stored: StoredTracking) -> list[dict]:
    from core.rules.facts import FIELD_BY_KEY

    user = dict(getattr(case, "facts", None) or {})
    _, provenance = effective_facts(user, stored.derived)
    out = []
    for key, fact in stored.derived.items():
        spec = FIELD_BY_KEY.get(key)
        state = provenance.get(key) or ("confirmed" if key in user and user[key] == fact.value else "derived")
        out.append({"key": key, "label": spec.label if spec is not None else key.replace("_", " ").capitalize(),
                    "value": fact.value, "derived": True, "reason": fact.reason, "state": state,
                    "user_value": user.get(key) if state in ("overridden", "confirmed") else None})
    return out


# ------------------------------------------------------------------ side-by-side images
@dataclass
class ComparisonPair:
    entry: dict  # the section's lesion or new-lesion entry
    current: object | None  # core.summary.images.Picture
    prior: object | None
    prior_note: str = ""  # "not present" for a new lesion


@dataclass
class Comparison:
    pairs: list[ComparisonPair] = field(default_factory=list)
    #: why there are no images (the prior images are not available...); "" when there are
    unavailable: str = ""


def comparison_pictures(case, workspace, section: dict | None, anonymise: bool = False) -> Comparison | None:
    """The side-by-side key images of the section's new and progressing lesions (None: no section)."""
    if section is None:
        return None
    entries = {e["id"]: e for e in section["lesions"] + section["new"]}
    wanted = [entries[i] for i in section["key_lesions"] if i in entries]
    if not wanted:
        return Comparison()
    if workspace is None or workspace.ct is None:
        return Comparison(unavailable="the current CT is not available at export time: no side-by-side images")
    stored = read_tracking(case)
    if stored is None or stored.transform is None:
        return Comparison(unavailable="the comparison stores no registration: no side-by-side images; "
                                      "compare with the prior scan again (oligoplan track)")
    prior_case, prior_ws, why = _open_prior(case, stored, anonymise)
    if prior_ws is None or prior_ws.ct is None:
        return Comparison(unavailable=why or "the prior images hold no CT")
    from core.summary.images import axial_key_image, prior_key_image

    ct, prior_ct = workspace.ct, prior_ws.ct
    to_prior = stored.transform.inverse()
    out = Comparison()
    for entry in wanted[:MAX_COMPARISON_IMAGES]:
        centre = entry.get("centroid_mm")
        window = window_range(site_window(entry.get("site") or ""))
        lesion = case.lesions[entry["id"]] if entry["id"] in case.lesions else None
        grid = workspace.volume_for(lesion.mask.series_uid) if lesion is not None and lesion.mask is not None \
            else None
        if lesion is None and centre is not None:  # a new lesion listed, not accepted into the case
            lesion = Lesion(entry["id"], entry["id"], point_mm=tuple(centre))
        current = axial_key_image(ct, lesion, grid, centre, window=window) if lesion is not None else None
        prior_lesion = None
        if entry["status"] != LesionStatus.NEW.value and entry["id"] in prior_case.lesions:
            prior_lesion = prior_case.lesions[entry["id"]]
        prior_grid = prior_ws.volume_for(prior_lesion.mask.series_uid) \
            if prior_lesion is not None and prior_lesion.mask is not None else None
        prior = prior_key_image(ct, centre, prior_ct, to_prior, prior_lesion, prior_grid, window=window)
        note = "not present" if entry["status"] == LesionStatus.NEW.value else ""
        out.pairs.append(ComparisonPair(entry, current, prior, note))
    return out


def _open_prior(case, stored: StoredTracking, anonymise: bool):
    """(prior case, its workspace, why not) for the stored prior case path; never raises."""
    from core.case import load_case
    from core.errors import OligoPlanError
    from core.rt.case_images import open_case_images

    if not stored.prior_case:
        return None, None, "the comparison does not name the prior case file: no side-by-side images"
    path = Path(stored.prior_case)
    if not path.is_absolute() and getattr(case, "path", None) is not None:
        path = case.path.parent / path
    shown = "the prior case file" if anonymise else f"the prior case file {path.name}"
    if not path.is_file():
        return None, None, (f"Prior images not available at export time: {shown} was not found. Put it (and its "
                            "images) back where the comparison says and export again")
    try:
        prior_case = load_case(path)
        return prior_case, open_case_images(prior_case, path.resolve().parent), ""
    except (OligoPlanError, OSError, ValueError) as exc:
        detail = "" if anonymise else f" ({exc})"
        return None, None, (f"Prior images not available at export time: the images of {shown} could not be "
                            f"opened{detail}. Put them back where the prior case says and export again")

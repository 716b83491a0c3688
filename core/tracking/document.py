"""The comparison with the prior scan as documents: the `oligoplan track --json` report and the case
file's ``"tracking"`` record (core.tracking.record), one home for both writers.

* :func:`track_json`: the `track --json` document (without "derived_facts").
* :func:`tracking_record`: the case file's record from that document (`track --out`).
* :func:`judged_record`: the same record from the comparison as the user has judged it in the
  window (Compare with prior): statuses overridden, rejected proposals left out or unknown
  (core.tracking.compare.with_user_decisions), with the facts derived from that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Collection

from core.lesions import Lesion
from core.measure import Measurements
from core.tracking.compare import with_user_decisions
from core.tracking.derived import derive_facts, derived_to_json
from core.tracking.record import TrackingRecord, iso_date
from core.tracking.status import LesionStatus, size_mm_for
from core.tracking.tracker import TrackedLesion, TrackResult

SUL_HINT = "give --height-m and --sex for SULpeak (PERCIST)"


def track_json(result: TrackResult, prior_date: str = "", current_date: str = "",
               sul_factors: tuple[float | None, float | None] = (None, None)) -> dict:
    """The `oligoplan track --json` document (without "derived_facts")."""
    warnings = [w if w != result.sul_note else f"{w}; {SUL_HINT}" for w in result.warnings]
    return {
        "registration": result.registration.to_json(),
        "lesions": [_lesion_json(t, prior_date, current_date, sul_factors) for t in result.lesions],
        "new": [{"id": n.id, "centroid_mm": _point(n.candidate.centroid_mm), "site": n.candidate.site.value,
                 "volume_cc": _round(n.values.volume_cc, 3), "suv_max": _round(n.values.suv_max, 2)}
                for n in result.new],
        "counts": {"prior": result.count_prior, "current": result.count_current},
        "warnings": warnings,
    }


def tracking_record(doc: dict, prior_path: Path, prior_date: str, current_date: str,
                    result: TrackResult | None = None, accept_new: bool = False) -> TrackingRecord:
    """The case file's "tracking" (core.tracking.record) from the `track --json` document; with the
    ``result``, also what the summary PDF's timeline page shows (core.tracking.stored reads it back):
    each prior lesion's label and site, the new lesions whether accepted or not, and the SUL note."""
    prior_by_id = {t.prior.id: t.prior for t in result.lesions} if result is not None else {}
    lesions = [{**item, **({"label": prior_by_id[item["id"]].label, "site": prior_by_id[item["id"]].site.value}
                           if item["id"] in prior_by_id else {})} for item in doc["lesions"]]
    more = {} if result is None else {"new": doc["new"], "new_accepted": bool(accept_new),
                                      "new_searched": result.new_searched, "sul_note": result.sul_note}
    return TrackingRecord.from_json({
        "prior_case": str(prior_path.resolve()), "prior_date": iso_date(prior_date),
        "current_date": iso_date(current_date), "registration": doc["registration"],
        "lesions": lesions,
        "statuses": {item["id"]: item["status"] for item in doc["lesions"]},
        "new_listed": doc["new"], "counts": doc["counts"], "derived_facts": doc["derived_facts"], **more})


def _lesion_json(t: TrackedLesion, prior_date: str, current_date: str,
                 sul_factors: tuple[float | None, float | None] = (None, None)) -> dict:
    centre = t.current_values.centroid_mm if t.current_values is not None else t.carried_mm
    return {
        "id": t.prior.id,
        "prior_id": t.prior.id,
        "status": t.status.value,
        "centroid_mm": _point(centre),
        "prior": _values(t.prior, t.prior_values, prior_date, sul_factors[0]),
        "current": (_values(t.prior, t.current_values, current_date, sul_factors[1])
                    if t.current_values is not None else None),
        "ct_status": t.decision.ct_status.value if t.decision.ct_status else None,
        "pet_status": t.decision.pet_status.value if t.decision.pet_status else None,
        "decided_by": t.decision.decided_by,
        "note": t.decision.note,
    }


def _values(lesion: Lesion, m: Measurements, date: str, sul_factor: float | None = None) -> dict:
    size, measure = size_mm_for(lesion.site, m.longest_axial_diameter_mm, m.short_axis_mm)
    sul_peak = None if m.suv_peak is None or sul_factor is None else m.suv_peak * sul_factor
    return {
        "date": iso_date(date) or date or None,
        "size_mm": _round(size, 1),
        "size_measure": measure,
        "longest_axial_diameter_mm": _round(m.longest_axial_diameter_mm, 1),
        "short_axis_mm": _round(m.short_axis_mm, 1),
        "volume_cc": _round(m.volume_cc, 3),
        "suv_max": _round(m.suv_max, 2),
        "suv_peak": _round(m.suv_peak, 2),
        # PERCIST's SULpeak (lean body mass); null without height, sex and weight (then SUVpeak decides)
        "sul_peak": _round(sul_peak, 2),
    }


def _point(values) -> list[float]:
    return [round(float(v), 2) for v in values]


def _round(value, digits: int):
    return None if value is None else round(float(value), digits)


def judged_record(result: TrackResult, overrides: dict[str, LesionStatus], rejected: Collection[str], *,
                  prior_path: Path, prior_date: str = "", current_date: str = "",
                  prior_unreviewed: int = 0) -> TrackingRecord:
    """The case's "tracking" as `track --out` writes it, from ``result`` as the user has judged it:
    ``overrides`` (prior id -> status chosen), ``rejected`` (ids of carried-over or new proposals the
    user rejected). New lesions not rejected are listed with ``new_accepted`` (those the user confirmed
    are lesions of the case; the others stay listed only). ``prior_unreviewed``: PET candidates the
    prior case had not reviewed (then its history is not derived, as in `track`)."""
    judged = with_user_decisions(result, overrides, rejected)
    doc = track_json(judged, prior_date, current_date)
    doc["derived_facts"] = derived_to_json(derive_facts(judged, prior_unreviewed=prior_unreviewed))
    return tracking_record(doc, prior_path, prior_date, current_date, judged, accept_new=True)

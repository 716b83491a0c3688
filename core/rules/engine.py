"""Evaluate rule sets against a case: a pure function of lesions, facts, OAR flags and rule sets.

Every criterion gives ``pass``, ``fail`` or ``unknown`` with the measured
value, the threshold, the lesions involved, the source and whether the
threshold is verified. A fact the criterion needs and the case lacks gives
``unknown``, never a pass. A rule set is ``not_eligible`` when any criterion
fails, ``undetermined`` when none fails but one is unknown, ``eligible``
when all pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Iterable, Sequence

from core.codes import LesionKind, Treatability
from core.rules.classification import DEFAULT_CUTOFF_MONTHS, Classification, classify
from core.rules.counting import (UNKNOWN_SITE, DistanceFn, LesionInfo, Unit, count_units, counted_lesions,
                                 counts_by_organ, not_measured_text)
from core.rules.dates import Interval, interval
from core.rules.facts import FIELD_BY_KEY, CaseFacts, fact_names
from core.rules.outcome import CriterionStatus, FlagStatus, Verdict, verdict_of
from core.rules.scores import scores
from core.rules.schema import OAR_FLAG_TEXT, CountUnit, Criterion, RuleSet, threshold_text

PASS, FAIL, UNKNOWN = CriterionStatus.PASS, CriterionStatus.FAIL, CriterionStatus.UNKNOWN
ELIGIBLE, NOT_ELIGIBLE, UNDETERMINED = Verdict.ELIGIBLE, Verdict.NOT_ELIGIBLE, Verdict.UNDETERMINED
VERDICT_TEXT = {v: v.text for v in Verdict}


@dataclass(frozen=True)
class CriterionResult:
    id: str
    title: str
    status: CriterionStatus
    value: Any
    threshold: Any
    threshold_text: str
    unit: str
    source: str
    verified: bool
    lesions: tuple[str, ...] = ()
    reason: str = ""
    note: str = ""
    children: tuple["CriterionResult", ...] = ()

    @property
    def value_text(self) -> str:
        """The value without its unit ("56.9", "3", "unknown"), as the verdict panel's Value column shows it."""
        return value_with_unit(self.value, "")

    @property
    def value_with_unit(self) -> str:
        """The value as a sentence reads it: "56.9 months", "22.1 mm", "0 not treatable"."""
        return value_with_unit(self.value, self.unit)

    def to_json(self) -> dict:
        out = {
            "id": self.id, "status": self.status.value, "value": _jsonable(self.value),
            "threshold": _jsonable(self.threshold), "source": self.source, "verified": self.verified,
            "lesions": list(self.lesions), "title": self.title, "threshold_text": self.threshold_text,
            "unit": self.unit, "reason": self.reason,
        }
        if self.note:
            out["note"] = self.note
        if self.children:
            out["criteria"] = [c.to_json() for c in self.children]
        return out


@dataclass(frozen=True)
class RuleSetResult:
    id: str
    title: str
    version: str
    verdict: Verdict
    criteria: tuple[CriterionResult, ...]
    sources: tuple[str, ...]
    total: int
    by_organ: dict[str, int]
    counting_unit: CountUnit

    @property
    def has_unverified(self) -> bool:
        return any(not c.verified for c in _walk(self.criteria))

    def failed(self) -> list[CriterionResult]:
        return [c for c in self.criteria if c.status == FAIL]

    def to_json(self) -> dict:
        return {
            "id": self.id, "version": self.version, "verdict": self.verdict.value,
            "criteria": [c.to_json() for c in self.criteria],
            "title": self.title, "sources": list(self.sources),
            "counted": {"unit": self.counting_unit.value, "total": self.total, "by_site": dict(self.by_organ)},
            "unverified_thresholds": self.has_unverified,
        }


def _walk(results: Iterable[CriterionResult]):
    for r in results:
        yield r
        yield from _walk(r.children)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return round(value, 2)
    return value


@dataclass
class Context:
    """Everything a criterion may look at."""

    lesions: Sequence[LesionInfo]
    facts: CaseFacts
    classification: Classification
    today: date
    oar: Any = None  # core.rules.oar.OarReport or None (no organs at risk available)
    distance: DistanceFn | None = None
    #: PET candidates not yet accepted or rejected (core.candidates): every verdict is undetermined
    unreviewed_candidates: int = 0


# ------------------------------------------------------------------ compare
def compare(value: Any, op: str, threshold: Any) -> bool:
    if op == "<=":
        return value <= threshold
    if op == "<":
        return value < threshold
    if op == ">=":
        return value >= threshold
    if op == ">":
        return value > threshold
    if op == "==":
        return value == threshold
    if op == "!=":
        return value != threshold
    if op == "in":
        return value in threshold
    if op == "not_in":
        return value not in threshold
    if op == "between":
        return threshold[0] <= value <= threshold[1]
    raise ValueError(f"unknown comparison {op!r}")


# ------------------------------------------------------------------ evaluate
def evaluate_rule_set(rule_set: RuleSet, ctx: Context) -> RuleSetResult:
    units = count_units(ctx.lesions, rule_set.counting, ctx.distance)
    results = []
    scope = _scope(rule_set, ctx)
    if scope is not None:
        results.append(scope)
    for criterion in rule_set.criteria:
        results.append(_evaluate(criterion, rule_set, ctx, units))
    verdict = verdict_of(r.status for r in results)
    if ctx.unreviewed_candidates:  # a candidate may be a lesion: the count is not known yet
        results.insert(0, _candidates_pending(ctx.unreviewed_candidates))
        verdict = UNDETERMINED
    return RuleSetResult(
        id=rule_set.id, title=rule_set.title, version=rule_set.version, verdict=verdict,
        criteria=tuple(results), sources=rule_set.sources, total=len(units),
        by_organ=counts_by_organ(units), counting_unit=rule_set.counting.unit,
    )


def _candidates_pending(n: int) -> CriterionResult:
    from core.candidates import pending_text

    return CriterionResult(id="pet_candidates_reviewed", title="PET candidates reviewed", status=UNKNOWN, value=n,
                           threshold=0, threshold_text="every candidate accepted or rejected", unit="unreviewed",
                           source="OligoPlan", verified=True, reason=pending_text(n))


def value_with_unit(value: Any, unit: str) -> str:
    """A criterion's measured value with its unit (numbers only; "unknown" when missing)."""
    if value is None:
        return "unknown"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    number = f"{value:.1f}" if isinstance(value, float) else str(value)
    return f"{number} {unit}" if unit else number


def _result(c: Criterion, status: CriterionStatus, value: Any, lesions=(), reason: str = "", children=()) -> CriterionResult:
    return CriterionResult(
        id=c.id, title=c.title, status=status, value=value, threshold=c.threshold,
        threshold_text=c.threshold_text, unit=c.unit, source=c.source, verified=c.verified,
        lesions=tuple(lesions), reason=reason, note=c.note, children=tuple(children),
    )


def _scope(rule_set: RuleSet, ctx: Context) -> CriterionResult | None:
    scope = rule_set.scope
    if not scope.primary_sites and not scope.histology:
        return None
    wanted = []
    status, value, reasons = PASS, [], []
    if scope.primary_sites:
        wanted.append(" or ".join(scope.primary_sites))
        site = ctx.facts.get("primary_site")
        value.append(site)
        if site is None:
            status, reasons = UNKNOWN, ["primary site unknown"]
        elif site not in scope.primary_sites:
            status, reasons = FAIL, [f"primary site {site} is outside the scope"]
    if scope.histology and status != FAIL:
        wanted.append("histology " + " / ".join(scope.histology))
        histology = ctx.facts.get("histology")
        value.append(histology)
        if histology is None:
            status = UNKNOWN
            reasons.append("histology unknown")
        elif not any(h in histology.lower() for h in scope.histology):
            status, reasons = FAIL, [f"histology {histology!r} is outside the scope"]
    return CriterionResult(
        # the title names only what this criterion checks (primary site, histology): any other scope
        # condition (HER2, EGFR/ALK, recurrence...) is a criterion of its own over a case fact
        id="scope", title=scope_title(scope), status=status,
        value=" / ".join(str(v) if v is not None else "unknown" for v in value),
        threshold=list(scope.primary_sites) + list(scope.histology), threshold_text="; ".join(wanted),
        unit="", source=rule_set.source, verified=True, reason="; ".join(reasons),
    )


def scope_title(scope) -> str:
    """The title of the criterion ``scope``: it names what it checks (primary site, histology), never the
    rule set's whole scope description."""
    if scope.primary_sites and scope.histology:
        return "Primary site and histology in the trial's scope"
    return "Primary site in the trial's scope" if scope.primary_sites else "Histology in the trial's scope"


def _evaluate(c: Criterion, rule_set: RuleSet, ctx: Context, units: list[Unit]) -> CriterionResult:
    handler = _HANDLERS[c.type]
    result = handler(c, rule_set, ctx, units)
    if result.status == FAIL and c.if_not_met == UNKNOWN:
        # the source does not settle this case (e.g. induced disease): unknown, never a pass
        reason = "; ".join(t for t in (result.reason, f"unknown, not fail: {c.note}") if t)
        result = replace(result, status=UNKNOWN, reason=reason)
    return result


def _ids(units: Iterable[Unit]) -> list[str]:
    return [i for u in units for i in u.lesion_ids]


def _over_range(low: int, high: int, op: str, threshold) -> bool | None:
    """compare() for every count from low to high: its one outcome, or None when they differ."""
    outcomes = {compare(v, op, threshold) for v in range(low, max(low, high) + 1)}
    return outcomes.pop() if len(outcomes) == 1 else None


def _site_unknown(lesions) -> list[str]:
    return [m.id for m in lesions if m.site == UNKNOWN_SITE]


def _unknown_text(ids: Sequence[str]) -> str:
    return f"site unknown for {', '.join(ids)}: confirm or choose the site in the lesion table"


def _count(c, rule_set, ctx, units):
    n = len(units)
    unit = rule_set.counting.unit
    unknown = _site_unknown(counted_lesions(ctx.lesions, rule_set.counting))
    counting = rule_set.counting
    low = n
    if unknown and (not counting.count_brain or not counting.count_regional_nodes or unit is CountUnit.SITES):
        # a lesion of unknown site may be one that is not counted, or join a site already counted
        known = [m for m in ctx.lesions if m.site != UNKNOWN_SITE]
        low = min(n, len(count_units(known, counting, ctx.distance)))
    ok = _over_range(low, n, c.op, c.threshold)
    if ok is None:
        return _result(c, UNKNOWN, n, _ids(units), f"{low} to {n} {c.unit or unit} counted "
                       f"({threshold_text(c.op, c.threshold, c.unit)} allowed); {_unknown_text(unknown)}")
    return _result(c, PASS if ok else FAIL, n, _ids(units),
                   f"{n} {c.unit or unit} counted ({threshold_text(c.op, c.threshold, c.unit)} allowed)")


def _per_organ(c, rule_set, ctx, units):
    counts: dict[str, list[Unit]] = {}
    unknown_units = [u for u in units if u.organ == UNKNOWN_SITE]
    for u in units:
        if u.organ == UNKNOWN_SITE or c.sites and u.organ not in c.sites or u.organ in c.exclude_sites:
            continue
        counts.setdefault(u.organ, []).append(u)
    extra = len(unknown_units)  # each may lie in any organ, this criterion's or another
    if not counts and not extra:
        return _result(c, PASS, 0, (), "no counted lesion in any organ")
    outcome = {k: _over_range(len(v), len(v) + extra, c.op, c.threshold) for k, v in counts.items()}
    bad = [k for k, ok in outcome.items() if ok is False]
    worst = max(counts, key=lambda k: len(counts[k])) if counts else None
    if bad:
        lesions = [i for k in bad for i in _ids(counts[k])]
        return _result(c, FAIL, len(counts[bad[0]]), lesions,
                       "; ".join(f"{len(counts[k])} in {k}" for k in bad))
    unknown_ids = _ids(unknown_units)
    if extra and (None in outcome.values() or _over_range(1, extra, c.op, c.threshold) is not True):
        value = len(counts[worst]) if worst else 0
        return _result(c, UNKNOWN, value, unknown_ids + (_ids(counts[worst]) if worst else []),
                       _unknown_text(unknown_ids))
    if worst is None:
        return _result(c, PASS, extra, unknown_ids, f"at most {extra} in one organ, whatever the unknown sites")
    reason = f"at most {len(counts[worst])} ({worst})"
    if extra:
        reason += f", within the limit even if {', '.join(unknown_ids)} (site unknown) were there too"
    return _result(c, PASS, len(counts[worst]), _ids(counts[worst]), reason)


def _organ_count(c, rule_set, ctx, units):
    organs = list(dict.fromkeys(o for u in units for o in u.organs if o != UNKNOWN_SITE))
    unknown_units = [u for u in units if all(o == UNKNOWN_SITE for o in u.organs)]
    ok = _over_range(len(organs), len(organs) + len(unknown_units), c.op, c.threshold)
    if ok is None:
        return _result(c, UNKNOWN, len(organs), _ids(units), _unknown_text(_ids(unknown_units)))
    return _result(c, PASS if ok else FAIL, len(organs), _ids(units), ", ".join(organs) or "no organ")


def _lesion(c, rule_set, ctx, units):
    counted = counted_lesions(ctx.lesions, rule_set.counting)
    by_site = bool(c.sites or c.exclude_sites)
    # a lesion of unknown site may be one this criterion applies to: it passes or is unknown, never fails
    maybe = [m for m in counted if by_site and m.site == UNKNOWN_SITE]
    applies = [m for m in counted if (not c.sites or m.site in c.sites) and m.site not in c.exclude_sites
               and m not in maybe] + maybe
    if not applies:
        return _result(c, PASS, None, (), "no lesion this criterion applies to")
    failed, unknown, values, site_unknown = [], [], [], []
    for m in applies:
        value = m.measure(c.measure)
        ok = None if value is None else compare(value, c.op, c.threshold)
        if value is not None:
            values.append(value)
        if not ok and c.alternative is not None:
            alt = m.measure(c.alternative.measure)
            if alt is not None and compare(alt, c.alternative.op, c.alternative.threshold):
                ok = True
            elif ok is False and alt is None:
                ok = None
        if ok is False and m in maybe:
            site_unknown.append(m.id)
        elif ok is None:
            unknown.append(m)
        elif not ok:
            failed.append(m.id)
    largest = max(values) if values else None
    if failed:
        return _result(c, FAIL, largest, failed, f"{', '.join(failed)} outside the limit")
    if unknown or site_unknown:
        reasons = ([not_measured_text(unknown)] if unknown else []) + \
            ([f"{', '.join(site_unknown)} outside the limit, but whether the criterion applies is unknown "
              f"({_unknown_text(site_unknown)})"] if site_unknown else [])
        return _result(c, UNKNOWN, largest, [m.id for m in unknown] + site_unknown, "; ".join(reasons))
    return _result(c, PASS, largest, [m.id for m in applies], f"largest {largest:.1f} {c.unit}")


def _sites_allowed(c, rule_set, ctx, units):
    counted = counted_lesions(ctx.lesions, rule_set.counting)
    outside = [m.id for m in counted if m.site not in c.threshold and m.site != UNKNOWN_SITE]
    unknown = [m.id for m in counted if m.site == UNKNOWN_SITE and UNKNOWN_SITE not in c.threshold]
    sites = sorted({m.site for m in counted})
    if outside:
        return _result(c, FAIL, ", ".join(sites), outside, f"{', '.join(outside)} outside the allowed sites")
    if unknown:
        return _result(c, UNKNOWN, ", ".join(sites), unknown, _unknown_text(unknown))
    return _result(c, PASS, ", ".join(sites) or "none", [m.id for m in counted])


def _treatable(c, rule_set, ctx, units):
    """Pass when the case fact says yes or every counted lesion is assessed treatable; fail when the
    fact says no or any lesion is not treatable; unknown otherwise (a lesion starts not assessed)."""
    counted = counted_lesions(ctx.lesions, rule_set.counting)
    untreatable = [m.id for m in counted if m.treatable == Treatability.NO.value]
    not_assessed = [m.id for m in counted if m.treatable == Treatability.NOT_ASSESSED.value]
    case = ctx.facts.get("all_lesions_treatable")
    label = FIELD_BY_KEY["all_lesions_treatable"].label.lower()
    unit = c.unit or "not treatable"  # "0 not treatable", not a bare "0"
    if untreatable:
        also = f" (although the case fact says {label}: yes)" if case == "yes" else ""
        result = _result(c, FAIL, len(untreatable), untreatable,
                         f"{', '.join(untreatable)} assessed not treatable{also}")
    elif case == "no":
        result = _result(c, FAIL, None, (), "case fact: not all lesions are safely treatable")
    elif case == "yes":
        result = _result(c, PASS, 0, (), f"case fact: {label} (the physician's assessment for the case)")
    elif not counted:
        result = _result(c, PASS, 0, (), "no counted lesion")
    elif not_assessed:
        result = _result(c, UNKNOWN, None, not_assessed,
                         f"treatability not assessed for {', '.join(not_assessed)}: set each lesion's Treat "
                         f"column, or the case fact '{label}'")
    else:
        result = _result(c, PASS, 0, [m.id for m in counted], "every lesion assessed treatable")
    return replace(result, unit=unit)


def _fact(c, rule_set, ctx, units):
    value = ctx.facts.get(c.fact)
    label = FIELD_BY_KEY[c.fact].label if c.fact in FIELD_BY_KEY else c.fact
    if value is None:
        return _result(c, UNKNOWN, None, (), f"{label} unknown: enter it in the case facts ({c.fact})")
    try:
        ok = compare(value, c.op, c.threshold)
    except TypeError:
        return _result(c, UNKNOWN, value, (), f"{label} {value!r} cannot be compared with {c.threshold!r}")
    derived = ctx.facts.derived.get(c.fact)
    return _result(c, PASS if ok else FAIL, value, (), f"{label}: {value}" + (
        f" ({derived}, not entered: confirm or override it in the case facts)" if derived else ""))


def _interval(c, rule_set, ctx, units):
    span: Interval = interval(ctx.facts, c.start, c.end, ctx.today, c.unit or "months")
    exempt = _exempt(c, rule_set, ctx)  # True, False or None (unknown)
    if span.problem:
        # dates that cannot be right are never a pass, not even for an exempt case
        return _result(c, UNKNOWN, None, (), span.problem)
    if span.missing:
        if exempt:
            return _result(c, PASS, None, (), "exempt: " + c.note if c.note else "exempt")
        return _result(c, UNKNOWN, None, (), f"{fact_names(span.missing)} unknown")
    value, text = span.value, span.text()
    if compare(value, c.op, c.threshold):
        return _result(c, PASS, value, (), text)
    if exempt:
        return _result(c, PASS, value, (), f"{text}, but exempt ({c.note or 'exemption'})")
    if exempt is None:
        why = "a lesion's site is unknown" if ctx.facts.get("primary_site") is not None else "primary site unknown"
        return _result(c, UNKNOWN, value, (), f"{text}; whether the exemption applies is unknown ({why})")
    return _result(c, FAIL, value, (), text)


def _exempt(c, rule_set, ctx) -> bool | None:
    if not c.exempt_primary_sites:
        return False
    counted = counted_lesions(ctx.lesions, rule_set.counting)
    in_sites = bool(counted) and all(m.site in c.exempt_lesion_sites or m.site == UNKNOWN_SITE
                                     for m in counted) if c.exempt_lesion_sites else True
    if not in_sites:
        return False
    site = ctx.facts.get("primary_site")
    if site is None:
        return None
    if c.exempt_lesion_sites and _site_unknown(counted) and site in c.exempt_primary_sites:
        return None  # exempt only if the lesions of unknown site are in the exempt sites
    return site in c.exempt_primary_sites


def _classification(c, rule_set, ctx, units):
    cls = ctx.classification
    value = cls.field_value(c.field)
    if cls.problems:
        return _result(c, UNKNOWN, None, (), "ESTRO-EORTC class unknown: " + "; ".join(cls.problems))
    if value is None:
        missing = fact_names(cls.missing) or "the facts"
        return _result(c, UNKNOWN, None, (), f"ESTRO-EORTC {c.field} unknown: needs {missing}")
    ok = compare(value, c.op, c.threshold)
    derived = fact_names(ctx.facts.derived)
    return _result(c, PASS if ok else FAIL, value, (), f"{cls.label}" + (
        f" (from {derived} derived from the prior scan, not entered)" if derived else ""))


def _oar_flag(c, rule_set, ctx, units):
    if ctx.oar is None:
        return _result(c, UNKNOWN, None, (), "no organs at risk available (import an RTSTRUCT)")
    counted = {m.id for m in counted_lesions(ctx.lesions, rule_set.counting)}
    flagged, unknown = [], []
    for entry in ctx.oar.lesions:
        if entry.lesion_id not in counted:
            continue
        status = entry.status(c.flag)
        if status is FlagStatus.FLAGGED:
            flagged.append(entry.lesion_id)
        elif status is FlagStatus.UNKNOWN:
            unknown.append(entry.lesion_id)
    flag = OAR_FLAG_TEXT.get(c.flag, c.flag)  # "central lung lesion", not "central_lung"
    if flagged:
        return _result(c, FAIL, len(flagged), flagged, f"{', '.join(flagged)}: {flag}")
    if unknown:
        return _result(c, UNKNOWN, None, unknown, f"{flag}: unknown for {', '.join(unknown)}")
    return _result(c, PASS, 0, (), f"no {flag}")


def _combine(c, rule_set, ctx, units):
    children = [_evaluate(sub, rule_set, ctx, units) for sub in c.criteria]
    statuses = [ch.status for ch in children]
    if c.type == "any_of":
        status = PASS if PASS in statuses else FAIL if all(s == FAIL for s in statuses) else UNKNOWN
    else:
        status = FAIL if FAIL in statuses else PASS if all(s == PASS for s in statuses) else UNKNOWN
    involved = [ch for ch in children if ch.status == status] or children
    lesions = list(dict.fromkeys(i for ch in involved for i in ch.lesions))
    reason = "; ".join(f"{ch.title}: {ch.status}" for ch in children)
    return _result(c, status, sum(s == PASS for s in statuses), lesions, reason, children)


_HANDLERS = {
    "count": _count, "per_organ": _per_organ, "organ_count": _organ_count, "lesion": _lesion,
    "sites_allowed": _sites_allowed, "treatable": _treatable, "fact": _fact, "interval": _interval,
    "classification": _classification, "oar_flag": _oar_flag, "any_of": _combine, "all_of": _combine,
}


# ------------------------------------------------------------------ a whole case
@dataclass
class Evaluation:
    """The result of checking one case against several rule sets."""

    lesions: list[LesionInfo]
    facts: CaseFacts
    classification: Classification
    results: list[RuleSetResult]
    oar: Any = None
    today: date = field(default_factory=date.today)
    #: prognostic scores (core.rules.scores.Score), e.g. the Fong score
    scores: list = field(default_factory=list)
    #: where each known fact came from: {key: {"source": "entered" | "derived from prior scan of <date>",
    #: "derived": bool, ...}} (core.rules.case_check.facts_with_derived); empty when not worked out
    fact_sources: dict = field(default_factory=dict)

    def counts(self) -> dict:
        """Metastases per site (every lesion of kind metastasis; the primary apart)."""
        mets = [m for m in self.lesions if m.kind is not LesionKind.PRIMARY]
        by_site: dict[str, int] = {}
        for m in mets:
            by_site[m.site] = by_site.get(m.site, 0) + 1
        from core.codes import Site

        order = [s.value for s in Site]
        return {"total": len(mets), "by_site": {k: by_site[k] for k in sorted(by_site, key=order.index)},
                "primary": sum(1 for m in self.lesions if m.kind is LesionKind.PRIMARY)}

    def to_json(self) -> dict:
        """The `oligoplan check --json` document."""
        return {
            "counts": self.counts(),
            "classification": self.classification.to_json(),
            "rule_sets": [r.to_json() for r in self.results],
            "oar_flags": self.oar.to_json() if self.oar is not None else [],
            "facts": self.facts.to_json(),
            "scores": [s.to_json() for s in self.scores],
            "evaluated_on": self.today.isoformat(),
            "fact_sources": dict(self.fact_sources),
        }


def evaluate(
    rule_sets: Sequence[RuleSet],
    lesions: Sequence[LesionInfo],
    facts: CaseFacts | dict | None = None,
    *,
    oar=None,
    today: date | None = None,
    cutoff_months: float = DEFAULT_CUTOFF_MONTHS,
    distance: DistanceFn | None = None,
    unreviewed_candidates: int = 0,
) -> Evaluation:
    """Check ``lesions`` and ``facts`` against every rule set (pure; no I/O). With
    ``unreviewed_candidates`` every rule set is undetermined and says why."""
    facts = facts if isinstance(facts, CaseFacts) else CaseFacts(facts or {})
    today = today or date.today()
    cls = classify(facts, cutoff_months, today)
    ctx = Context(list(lesions), facts, cls, today, oar, distance, unreviewed_candidates)
    results = [evaluate_rule_set(rs, ctx) for rs in rule_sets]
    return Evaluation(list(lesions), facts, cls, results, oar, today, scores(lesions, facts, today))

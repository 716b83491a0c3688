"""Rule sets as data: the dataclasses and the validation of a rule-set file.

A rule set is one JSON file (schema ``oligoplan.ruleset`` version 1,
documented in docs/rules.md). :func:`rule_set_from_json` checks every field
and raises :class:`core.errors.RuleSetError` whose message names the file,
the field (as a path, e.g. ``criteria[2].threshold``) and the problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.codes import Site
from core.errors import RuleSetError
from core.rules.facts import FIELD_BY_KEY, FactKind
from core.rules.outcome import CriterionStatus

SCHEMA = "oligoplan.ruleset"
SCHEMA_VERSION = 1

OPS = ("<=", "<", ">=", ">", "==", "!=", "in", "not_in", "between")


class CountUnit(StrEnum):
    """What one counted unit of a rule set is (docs/rules.md, "Counting")."""

    LESIONS = "lesions"  # each lesion
    SITES = "sites"  # each lesion, except that the distant lymph nodes of one side form one site


COUNT_UNITS = tuple(CountUnit)
MEASURES = {
    "longest_diameter_mm": "mm",  # longest 3D diameter (the maximal dimension)
    "longest_axial_diameter_mm": "mm",
    "short_axis_mm": "mm",
    "volume_cc": "cm³",
}
#: How each measure reads in clinician text ("longest diameter ≤ 50 mm or volume < 250 cm³").
MEASURE_TEXT = {
    "longest_diameter_mm": "longest diameter",
    "longest_axial_diameter_mm": "longest axial diameter",
    "short_axis_mm": "short axis",
    "volume_cc": "volume",
}
CLASSIFICATION_FIELDS = ("class", "genesis", "timing", "state")
OAR_FLAGS = ("central_lung", "ultracentral_lung", "spinal_cord", "brain_size")
#: How each organ-at-risk flag reads in clinician text.
OAR_FLAG_TEXT = {
    "central_lung": "central lung lesion",
    "ultracentral_lung": "ultracentral lung lesion",
    "spinal_cord": "lesion too close to the spinal cord",
    "brain_size": "brain lesion above the size limit",
}
#: What a criterion whose condition is not met gives: "fail" (the default) or "unknown"
#: (the source does not say, e.g. about induced disease: the physician must check the protocol).
IF_NOT_MET = (CriterionStatus.FAIL, CriterionStatus.UNKNOWN)
CRITERION_TYPES = (
    "count", "per_organ", "organ_count", "lesion", "sites_allowed", "treatable", "fact",
    "interval", "classification", "oar_flag", "any_of", "all_of",
)
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class Counting:
    """What a rule set counts (see docs/rules.md, "Counting")."""

    unit: CountUnit = CountUnit.LESIONS  # or SITES: distant nodes of one side form one site
    count_primary: bool = False
    count_brain: bool = True
    count_regional_nodes: bool = True
    merge_distance_mm: float | None = None  # lesions whose surfaces are this close count as one

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit", CountUnit(self.unit))  # the Enum or its word


@dataclass(frozen=True)
class Scope:
    description: str
    primary_sites: tuple[str, ...] = ()  # empty: any primary
    histology: tuple[str, ...] = ()  # empty: any; else one must occur in the histology text


@dataclass(frozen=True)
class Criterion:
    """One criterion of a rule set. Which fields matter depends on ``type``."""

    id: str
    type: str
    title: str
    verified: bool
    op: str = ""
    threshold: Any = None
    unit: str = ""
    source: str = ""
    note: str = ""
    fact: str = ""  # type fact
    measure: str = ""  # type lesion
    alternative: "Criterion | None" = None  # type lesion: passes when this one passes instead
    sites: tuple[str, ...] = ()  # type lesion / per_organ: only these sites
    exclude_sites: tuple[str, ...] = ()
    start: str = ""  # type interval: fact key of the start date
    end: str = ""  # type interval: fact key, or "today"
    exempt_primary_sites: tuple[str, ...] = ()  # type interval
    exempt_lesion_sites: tuple[str, ...] = ()
    field: str = ""  # type classification
    flag: str = ""  # type oar_flag
    criteria: tuple["Criterion", ...] = ()  # any_of / all_of
    if_not_met: CriterionStatus = CriterionStatus.FAIL  # or UNKNOWN (IF_NOT_MET)

    @property
    def threshold_text(self) -> str:
        """The threshold as a clinician writes it: '≤ 50 mm or volume < 250 cm³', 'no', 'partial or stable'."""
        if self.type == "treatable":
            return "every lesion treatable"
        if self.type == "sites_allowed":
            return "only " + ", ".join(self.threshold)
        if self.type == "oar_flag":
            return f"no {OAR_FLAG_TEXT.get(self.flag, self.flag)}"
        if self.type in ("any_of", "all_of"):
            return "any one of these" if self.type == "any_of" else "all of these"
        text = threshold_text(self.op, self.threshold, self.unit)
        if self.alternative is not None:
            alt = self.alternative
            text += f" or {MEASURE_TEXT.get(alt.measure, alt.measure)} {alt.threshold_text}"
        return text


@dataclass(frozen=True)
class RuleSet:
    id: str
    title: str
    version: str
    protocol_date: str
    scope: Scope
    sources: tuple[str, ...]
    counting: Counting
    criteria: tuple[Criterion, ...]
    notes: str = ""
    path: str = ""  # where it was read from
    builtin: bool = False

    @property
    def source(self) -> str:
        return self.sources[0]

    def to_json(self) -> dict:
        """The summary `oligoplan rules --json` shows: ``source`` is the
        primary citation (issue 5's contract), ``sources`` all of them."""
        return {
            "id": self.id, "title": self.title, "version": self.version,
            "protocol_date": self.protocol_date, "scope": self.scope.description,
            "source": self.source, "sources": list(self.sources), "builtin": self.builtin, "path": self.path,
            "unverified_thresholds": [c.id for c in iter_criteria(self.criteria) if not c.verified],
        }


def iter_criteria(criteria):
    for c in criteria:
        yield c
        yield from iter_criteria(c.criteria)


_OP_TEXT = {"<=": "≤", "<": "<", ">=": "≥", ">": ">", "==": "=", "!=": "≠"}


def threshold_text(op: str, threshold: Any, unit: str = "") -> str:
    """'≤ 5 mm', '1–5 metastases', 'in liver, bone'."""
    u = f" {unit}" if unit else ""
    if op == "between":
        return f"{_num(threshold[0])}–{_num(threshold[1])}{u}"
    if op in ("in", "not_in"):
        items = [str(v) for v in threshold]
        listed = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
        return listed if op == "in" else f"not {listed}"
    if not op:
        return ""
    if isinstance(threshold, str) and op in ("==", "!="):  # a choice: "no", "not progression"
        return threshold if op == "==" else f"not {threshold}"
    return f"{_OP_TEXT.get(op, op)} {_num(threshold)}{u}"


def _num(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


# ------------------------------------------------------------- validation
class _Reader:
    """Typed access to one JSON object, with the file and field path in every error."""

    def __init__(self, doc: Any, where: str, path: str = "") -> None:
        self.where = where
        self.path = path
        if not isinstance(doc, dict):
            self.fail("", f"expected an object, found {_type(doc)}")
        self.doc = doc

    def fail(self, key: str, problem: str):
        name = ".".join(p for p in (self.path, key) if p) or "(top level)"
        raise RuleSetError(f"{self.where}: {name}: {problem}")

    def child(self, key: str, value: Any) -> "_Reader":
        return _Reader(value, self.where, ".".join(p for p in (self.path, key) if p))

    def get(self, key: str, types, required: bool = True, default: Any = None):
        if key not in self.doc:
            if required:
                self.fail(key, "missing (required)")
            return default
        value = self.doc[key]
        if value is None and not required:
            return default
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            self.fail(key, f"expected {_names(types)}, found {value!r}")
        if not isinstance(value, types):
            self.fail(key, f"expected {_names(types)}, found {_type(value)} {value!r}")
        return value

    def text(self, key: str, required: bool = True, default: str = "") -> str:
        value = self.get(key, str, required, default)
        if required and not value.strip():
            self.fail(key, "must not be empty")
        return value

    def texts(self, key: str, required: bool = False) -> tuple[str, ...]:
        value = self.get(key, list, required, [])
        for n, item in enumerate(value):
            if not isinstance(item, str):
                self.fail(f"{key}[{n}]", f"expected text, found {_type(item)} {item!r}")
        return tuple(value)

    def sites(self, key: str) -> tuple[str, ...]:
        out = []
        for n, item in enumerate(self.texts(key)):
            try:
                out.append(Site.parse(item).value)
            except ValueError as exc:
                self.fail(f"{key}[{n}]", str(exc))
        return tuple(out)

    def unknown_keys(self, allowed: set[str]) -> None:
        extra = sorted(set(self.doc) - allowed)
        if extra:
            self.fail(extra[0], f"unknown field (allowed: {', '.join(sorted(allowed))})")


def _type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false",
            type(None): "null"}.get(type(value), type(value).__name__)


def _names(types) -> str:
    types = types if isinstance(types, tuple) else (types,)
    names = {str: "text", int: "a number", float: "a number", bool: "true/false", list: "a list",
             dict: "an object"}
    return " or ".join(dict.fromkeys(names.get(t, t.__name__) for t in types))


_NUMBER = (int, float)
_TOP_FIELDS = {"schema", "schema_version", "id", "title", "version", "protocol_date", "scope",
               "sources", "counting", "criteria", "notes"}
_CRITERION_FIELDS = {"id", "type", "title", "verified", "op", "threshold", "unit", "source", "note",
                     "fact", "measure", "or", "sites", "exclude_sites", "from", "to", "exempt",
                     "field", "flag", "criteria", "if_not_met"}


def rule_set_from_json(doc: Any, where: str, *, builtin: bool = False) -> RuleSet:
    """Validate a parsed rule-set file; RuleSetError names ``where``, the field and the problem."""
    r = _Reader(doc, where)
    r.unknown_keys(_TOP_FIELDS)
    if r.get("schema", str) != SCHEMA:
        r.fail("schema", f"expected \"{SCHEMA}\", found {r.doc['schema']!r}")
    version = r.get("schema_version", int)
    if version != SCHEMA_VERSION:
        r.fail("schema_version", f"{version} is not supported (this OligoPlan reads {SCHEMA_VERSION})")
    rid = r.text("id")
    if not _ID.match(rid):
        r.fail("id", f"{rid!r} must be lower case letters, digits, '.', '_' or '-'")
    scope_r = r.child("scope", r.get("scope", dict))
    scope_r.unknown_keys({"description", "primary_sites", "histology"})
    primary_sites = scope_r.texts("primary_sites")
    from core.rules.facts import PRIMARY_SITES

    for n, site in enumerate(primary_sites):
        if site not in PRIMARY_SITES:
            scope_r.fail(f"primary_sites[{n}]", f"{site!r} is not one of {', '.join(PRIMARY_SITES)}")
    scope = Scope(scope_r.text("description"), primary_sites, tuple(h.lower() for h in scope_r.texts("histology")))
    sources = r.texts("sources", required=True)
    if not sources:
        r.fail("sources", "needs at least one citation")
    counting = _counting(r.child("counting", r.get("counting", dict)))
    crit_list = r.get("criteria", list)
    if not crit_list:
        r.fail("criteria", "needs at least one criterion")
    criteria = _criteria(r, "criteria", crit_list, sources[0])
    return RuleSet(
        id=rid, title=r.text("title"), version=r.text("version"),
        protocol_date=r.text("protocol_date", required=False), scope=scope, sources=sources,
        counting=counting, criteria=criteria, notes=r.text("notes", required=False),
        path=where, builtin=builtin,
    )


def _counting(r: _Reader) -> Counting:
    r.unknown_keys({"unit", "count_primary", "count_brain", "count_regional_nodes", "merge_distance_mm"})
    unit = r.get("unit", str)
    if unit not in COUNT_UNITS:
        r.fail("unit", f"{unit!r} is not one of {', '.join(COUNT_UNITS)}")
    merge = r.get("merge_distance_mm", _NUMBER, required=False)
    if merge is not None and merge < 0:
        r.fail("merge_distance_mm", f"{merge} must be 0 or more (or null for no merging)")
    return Counting(
        unit=unit,
        count_primary=r.get("count_primary", bool),
        count_brain=r.get("count_brain", bool),
        count_regional_nodes=r.get("count_regional_nodes", bool),
        merge_distance_mm=None if merge is None else float(merge),
    )


def _criteria(parent: _Reader, key: str, items: list, default_source: str) -> tuple[Criterion, ...]:
    out, seen = [], set()
    for n, item in enumerate(items):
        c = _criterion(parent.child(f"{key}[{n}]", item), default_source)
        if c.id in seen:
            parent.fail(f"{key}[{n}].id", f"{c.id!r} is used twice")
        seen.add(c.id)
        out.append(c)
    return tuple(out)


def _criterion(r: _Reader, default_source: str, *, nested_alt: bool = False) -> Criterion:
    r.unknown_keys(_CRITERION_FIELDS)
    ctype = r.get("type", str) if not nested_alt else "lesion"
    if ctype not in CRITERION_TYPES:
        r.fail("type", f"{ctype!r} is not one of {', '.join(CRITERION_TYPES)}")
    cid = r.text("id") if not nested_alt else r.text("id", required=False, default="or")
    kw: dict[str, Any] = dict(
        id=cid, type=ctype,
        title=r.text("title", required=not nested_alt, default=""),
        verified=r.get("verified", bool) if not nested_alt else True,
        source=r.text("source", required=False) or default_source,
        note=r.text("note", required=False),
        unit=r.text("unit", required=False),
    )
    if not nested_alt:
        if_not_met = r.get("if_not_met", str, required=False, default="fail")
        if if_not_met not in IF_NOT_MET:
            r.fail("if_not_met", f"{if_not_met!r} is not one of {', '.join(IF_NOT_MET)}")
        if if_not_met == CriterionStatus.UNKNOWN and not kw["note"].strip():
            r.fail("note", "a criterion with if_not_met \"unknown\" needs a note saying what to check")
        kw["if_not_met"] = CriterionStatus(if_not_met)
    if ctype in ("any_of", "all_of"):
        subs = r.get("criteria", list)
        if len(subs) < 2:
            r.fail("criteria", f"{ctype} needs at least two criteria")
        kw["criteria"] = _criteria(r, "criteria", subs, kw["source"])
        return Criterion(**kw)
    if ctype == "treatable":
        return Criterion(**kw)
    if ctype == "oar_flag":
        flag = r.get("flag", str)
        if flag not in OAR_FLAGS:
            r.fail("flag", f"{flag!r} is not one of {', '.join(OAR_FLAGS)}")
        return Criterion(**kw, flag=flag)
    if ctype == "sites_allowed":
        kw.update(op="in", threshold=r.sites("threshold"))
        if not kw["threshold"]:
            r.fail("threshold", "list at least one site")
        return Criterion(**kw)
    op = r.get("op", str)
    if op not in OPS:
        r.fail("op", f"{op!r} is not one of {', '.join(OPS)}")
    kw["op"] = op
    if ctype == "fact":
        fact = r.text("fact")
        kw["fact"] = fact
        spec = FIELD_BY_KEY.get(fact)
        numeric_fact = spec is not None and spec.kind in (FactKind.INTEGER, FactKind.NUMBER)
        ordered = op in ("<=", "<", ">=", ">", "between")
        if ordered and spec is not None and not numeric_fact and spec.kind is not FactKind.DATE:
            r.fail("op", f"'{op}' needs a numeric fact; {fact} is {spec.kind.value}")
        kw["threshold"] = _threshold(r, op, numeric=ordered or numeric_fact)
        if spec is not None and spec.choices and op in ("in", "not_in", "==", "!="):
            values = kw["threshold"] if op in ("in", "not_in") else [kw["threshold"]]
            for v in values:
                if str(v) not in spec.choices:
                    r.fail("threshold", f"{v!r} is not a value of fact {fact} ({', '.join(spec.choices)})")
        return Criterion(**kw)
    if ctype == "classification":
        fld = r.get("field", str)
        if fld not in CLASSIFICATION_FIELDS:
            r.fail("field", f"{fld!r} is not one of {', '.join(CLASSIFICATION_FIELDS)}")
        kw.update(field=fld, threshold=_threshold(r, op, numeric=False))
        return Criterion(**kw)
    kw["threshold"] = _threshold(r, op, numeric=True)
    if ctype == "lesion":
        measure = r.get("measure", str)
        if measure not in MEASURES:
            r.fail("measure", f"{measure!r} is not one of {', '.join(MEASURES)}")
        kw.update(measure=measure, unit=kw["unit"] or MEASURES[measure],
                  sites=r.sites("sites"), exclude_sites=r.sites("exclude_sites"))
        if "or" in r.doc:
            kw["alternative"] = _criterion(r.child("or", r.doc["or"]), kw["source"], nested_alt=True)
    elif ctype == "per_organ":
        kw.update(sites=r.sites("sites"), exclude_sites=r.sites("exclude_sites"))
    elif ctype == "interval":
        kw["start"] = _date_fact(r, "from")
        kw["end"] = _date_fact(r, "to", allow_today=True)
        if kw["unit"] not in ("months", "days"):
            r.fail("unit", f"{kw['unit']!r} must be months or days")
        if "exempt" in r.doc:
            ex = r.child("exempt", r.get("exempt", dict))
            ex.unknown_keys({"primary_sites", "lesion_sites"})
            kw.update(exempt_primary_sites=ex.texts("primary_sites"), exempt_lesion_sites=ex.sites("lesion_sites"))
    return Criterion(**kw)


def _date_fact(r: _Reader, key: str, allow_today: bool = False) -> str:
    name = r.text(key)
    if allow_today and name == "today":
        return name
    spec = FIELD_BY_KEY.get(name)
    if spec is None or spec.kind is not FactKind.DATE:
        dates = ", ".join(f.key for f in FIELD_BY_KEY.values() if f.kind is FactKind.DATE)
        r.fail(key, f"{name!r} is not a date fact (one of {dates}{', today' if allow_today else ''})")
    return name


def _threshold(r: _Reader, op: str, *, numeric: bool) -> Any:
    if "threshold" not in r.doc:
        r.fail("threshold", "missing (required)")
    value = r.doc["threshold"]
    if op == "between":
        if not (isinstance(value, list) and len(value) == 2 and all(_is_num(v) for v in value)):
            r.fail("threshold", f"op 'between' needs [low, high] numbers, found {value!r}")
        if value[0] > value[1]:
            r.fail("threshold", f"low {value[0]} is above high {value[1]}")
        return tuple(value)
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            r.fail("threshold", f"op '{op}' needs a non-empty list, found {value!r}")
        return tuple(value)
    if numeric and not _is_num(value):
        r.fail("threshold", f"op '{op}' needs a number, found {_type(value)} {value!r}")
    if not numeric and not isinstance(value, (str, int, float)):
        r.fail("threshold", f"expected text or a number, found {_type(value)}")
    return value


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)

"""Checking a case file's JSON before anything is built from it (docs/case-file.md).

:func:`parse_case_text` reads the text with hooks that refuse what JSON allows
but a case never holds (NaN, Infinity, numbers beyond 64 bits, nesting deeper
than :data:`MAX_DEPTH`), naming the field where it is; :func:`validate_case_doc` checks every known field
(types, ranges, masks inside their grid, offsets non-negative whole numbers,
``"treatable"`` yes / no / not assessed, or the true/false of files before version 3) and raises :class:`core.errors.CaseFileError`
naming the field's path (``lesions[2].mask.offset[0]``) and the problem.

Fields this OligoPlan does not know (written by a newer version) are not
refused: they are kept as they are and written back on save (core.case).

Adding a field is one line in a table: ``LESION_FIELDS["side"] = optional(one_of(...))``.
A check is a function ``check(value, at)`` that raises :class:`Invalid` on a bad value.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable

from core.codes import Laterality, LesionKind, Site, SiteSource, Treatability
from core.errors import CaseFileError
from core.segment_record import SegmentRecord

#: deeper nesting than this is refused (a case file is about 6 levels deep)
MAX_DEPTH = 64
#: at most this many voxels in one lesion's mask box (256 MiB as booleans)
MAX_MASK_VOXELS = 1 << 28
#: at most this many voxels in the image grid a mask declares (a large whole-body CT is ~0.5 G)
MAX_GRID_VOXELS = 1 << 32
#: a case file larger than this is not read (a case with a hundred contoured lesions is a few MB)
MAX_CASE_BYTES = 256 << 20
#: integers beyond 64 bits are refused while reading (before Python builds a 4,000-digit number)
_MAX_INT_DIGITS = 19

Check = Callable[[Any, str], None]


class Invalid(ValueError):
    """A field's value is wrong: ``at`` is its path in the file, ``problem`` what is wrong."""

    def __init__(self, at: str, problem: str) -> None:
        super().__init__(f"{at}: {problem}")
        self.at, self.problem = at, problem


# ------------------------------------------------------------------ reading
class _Refused(str):
    """A number read as text because a case cannot hold it (NaN, Infinity, beyond 64 bits):
    :func:`check_values` names its field. Nothing big is ever built from it."""


def _parse_int(text: str):
    digits = len(text.lstrip("-"))
    if digits > _MAX_INT_DIGITS or abs(int(text)) >= 1 << 63:
        return _Refused(f"a {digits}-digit integer ({text[:8]}...) is beyond 64 bits; no case field holds one")
    return int(text)


def _parse_float(text: str):
    value = float(text)
    return value if math.isfinite(value) else _Refused(f"{text[:20]} is not a finite number")


def _parse_constant(text: str):
    return _Refused(f"{text} is not a finite number")


def parse_case_text(text: str, name: str):
    """The JSON of a case file; CaseFileError (one line) for anything a case cannot hold."""
    try:
        doc = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)
    except RecursionError:
        raise CaseFileError(f"{name}: nested deeper than a case file can be; {LEFT_AS_IS}") from None
    except json.JSONDecodeError as exc:
        raise CaseFileError(f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                            f"{LEFT_AS_IS}") from None
    except (ValueError, MemoryError) as exc:  # e.g. Python's own limit on integer digits
        raise CaseFileError(f"{name}: {exc}; {LEFT_AS_IS}") from None
    try:
        check_values(doc)
    except Invalid as exc:
        raise CaseFileError(f"{name}: {exc.at}: {exc.problem}; {LEFT_AS_IS}") from None
    return doc


LEFT_AS_IS = "the file was left as it is; correct it, or restore it from a backup or the recovery file"


def check_values(doc) -> None:
    """Every value anywhere in ``doc`` (known field or not): no refused number, nesting at most MAX_DEPTH."""
    stack = [(doc, "", 1)] if isinstance(doc, (dict, list)) else []
    while stack:
        value, at, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Invalid(at if len(at) < 60 else at[:59] + "…",
                          f"nested more than {MAX_DEPTH} levels deep; a case file is a few levels deep")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            if isinstance(child, (dict, list)):
                stack.append((child, _path(at, key), depth + 1))
            elif isinstance(child, _Refused):
                raise Invalid(_path(at, key), str(child))


def _path(at: str, key) -> str:
    """``lesions[0].mask``: the path of ``key`` (an object's key, or a list index) below ``at``."""
    if isinstance(key, int):
        return f"{at}[{key}]"
    return f"{at}.{key}" if at else key


# -------------------------------------------------------------- the checks
def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"text {value[:40]!r}"
    if isinstance(value, (int, float)):
        return f"{value!r}"
    return "a list" if isinstance(value, list) else "an object"


def text(value, at: str) -> None:
    if not isinstance(value, str):
        raise Invalid(at, f"expected text, found {_kind(value)}")


def nonempty_text(value, at: str) -> None:
    text(value, at)
    if not value.strip():
        raise Invalid(at, "must not be empty")


def boolean(value, at: str) -> None:
    if not isinstance(value, bool):
        raise Invalid(at, f"expected true or false, found {_kind(value)}")


def whole(minimum: int = 0) -> Check:
    def check(value, at: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise Invalid(at, f"expected a whole number >= {minimum}, found {_kind(value)}")
    return check


def number(value, at: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Invalid(at, f"expected a finite number, found {_kind(value)}")


def optional(check: Check) -> Check:
    def checked(value, at: str) -> None:
        if value is not None:
            check(value, at)
    return checked


def one_of(parse: Callable[[Any], Any]) -> Check:
    """A word one of an Enum's ``parse`` accepts (its ValueError message says which words)."""
    def check(value, at: str) -> None:
        text(value, at)
        try:
            parse(value)
        except ValueError as exc:
            raise Invalid(at, str(exc)) from None
    return check


def list_of(item: Check, length: int | None = None) -> Check:
    def check(value, at: str) -> None:
        if not isinstance(value, list):
            raise Invalid(at, f"expected a list, found {_kind(value)}")
        if length is not None and len(value) != length:
            raise Invalid(at, f"expected {length} values, found {len(value)}")
        for n, v in enumerate(value):
            item(v, f"{at}[{n}]")
    return check


def obj(fields: dict[str, Check], required: tuple[str, ...] = (), then: Check | None = None,
        strict: bool = False) -> Check:
    """An object whose known ``fields`` are checked; fields not in the table are left alone (kept),
    or, when ``strict`` (an object OligoPlan rebuilds and could not keep them in), refused."""
    def check(value, at: str) -> None:
        if not isinstance(value, dict):
            raise Invalid(at, f"expected an object, found {_kind(value)}")
        unknown = sorted(set(value) - set(fields)) if strict else []
        if unknown:
            raise Invalid(at, f"unknown field(s) {', '.join(unknown)}: the file was made by a newer OligoPlan; "
                          "open it with that version (saving it here would lose them)")
        for key in required:
            if key not in value:
                raise Invalid(at, f"missing field '{key}'")
        for key, field_check in fields.items():
            if key in value:
                field_check(value[key], f"{at}.{key}" if at else key)
        if then is not None:
            then(value, at)
    return check


def _mask_fits(mask: dict, at: str) -> None:
    """The box lies inside its grid, neither declares more voxels than a case can hold, runs add up."""
    grid, offset, shape = mask["grid_shape"], mask["offset"], mask["shape"]
    grid_voxels, box_voxels = math.prod(grid), math.prod(shape)
    if grid_voxels > MAX_GRID_VOXELS:
        raise Invalid(f"{at}.grid_shape", f"declares {grid_voxels:,} voxels, more than any image "
                      f"OligoPlan opens ({MAX_GRID_VOXELS:,})")
    for axis, (o, n, g) in enumerate(zip(offset, shape, grid)):
        if o + n > g:
            raise Invalid(f"{at}.offset", f"the box {list(shape)} at {list(offset)} reaches past the image grid "
                          f"{list(grid)} (axis {axis}: {o} + {n} > {g})")
    if box_voxels > MAX_MASK_VOXELS:
        raise Invalid(f"{at}.shape", f"declares {box_voxels:,} voxels, more than a lesion mask may hold "
                      f"({MAX_MASK_VOXELS:,})")
    runs = mask["rle"]
    if len(runs) > box_voxels + 1 or sum(runs) != box_voxels:
        raise Invalid(f"{at}.rle", f"the run lengths add up to {sum(runs):,}, expected {box_voxels:,} "
                      f"for the box {list(shape)}")


def _segmentation(value, at: str) -> None:
    try:
        SegmentRecord.from_json(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(at, str(exc)) from None


def _laterality(value) -> Laterality:
    return Laterality.parse(value or "")


MASK_FIELDS: dict[str, Check] = {
    "series_uid": nonempty_text,
    "grid_shape": list_of(whole(1), 3),
    "offset": list_of(whole(0), 3),
    "shape": list_of(whole(1), 3),
    "rle": list_of(whole(0)),
}

def _treatable(value, at: str) -> None:
    """Since version 3 "yes", "no" or "not assessed"; older files hold a JSON true/false
    (core.lesion_json.treatability_from_json says how those read). Text such as "false" is refused."""
    if isinstance(value, bool):
        return
    if not isinstance(value, str):
        raise Invalid(at, f"expected yes, no or not assessed, found {_kind(value)}")
    one_of(Treatability.parse)(value, at)


#: every lesion field this OligoPlan reads, and its check (a new field: one line here)
LESION_FIELDS: dict[str, Check] = {
    "id": nonempty_text,
    "label": text,
    "site": one_of(Site.parse),
    "site_code": optional(obj({"value": text, "scheme": text, "meaning": text})),
    "laterality": optional(one_of(_laterality)),
    # how the site was decided (written for proposed sites only; absent: chosen by the user)
    "site_source": optional(one_of(SiteSource.parse)),
    "site_detail": optional(text),
    "site_confirmed": optional(boolean),
    "kind": one_of(LesionKind.parse),
    "treatable": _treatable,
    "notes": text,
    "point_mm": optional(list_of(number, 3)),
    "mask": optional(obj(MASK_FIELDS, required=tuple(MASK_FIELDS), then=_mask_fits, strict=True)),
    "segmentation": optional(_segmentation),
    # the lesion's id in the prior visit's case (carried over and confirmed in Compare with prior)
    "prior_id": optional(text),
}


def _point_or_mask(lesion: dict, at: str) -> None:
    if lesion.get("point_mm") is None and lesion.get("mask") is None:
        raise Invalid(at, "a lesion needs a marker point (point_mm) or a mask")


IMAGE_FIELDS: dict[str, Check] = {
    "folder": text, "series_uid": nonempty_text, "frame_of_reference_uid": text, "modality": text,
}
STRUCTURE_SET_FIELDS: dict[str, Check] = {
    "path": text, "sop_uid": text, "label": text, "hidden_rois": list_of(whole(0)),
}
SIGNOFF_FIELDS: dict[str, Check] = {
    "state": text, "name": text, "role": text, "when": text, "comment": text, "content_digest": text,
}

def _derived_facts(value, at: str) -> None:
    """``tracking.derived_facts``: each an object with a ``value`` a case fact may hold (core.rules.facts)."""
    from core.errors import FactsError
    from core.rules.facts import parse_fact

    obj({})(value, at)
    for key, item in value.items():
        where = f"{at}.{key}"
        obj({"value": lambda v, a: None, "derived": boolean, "confirmed": boolean, "source": text, "reason": text},
            required=("value",))(item, where)
        try:
            parse_fact(str(key), item["value"], at)
        except FactsError as exc:
            raise Invalid(f"{where}.value", str(exc).split(": ", 1)[-1]) from None


def _lesion_status(value) -> object:
    from core.tracking.status import LesionStatus

    return LesionStatus.parse(value)


def _each(check: Check, value: dict, at: str) -> None:
    for key, item in value.items():
        check(item, f"{at}.{key}")


def _iso_date(value, at: str) -> None:
    from datetime import date

    text(value, at)
    try:
        date.fromisoformat(value)
    except ValueError:
        raise Invalid(at, f"{value!r} is not a date written YYYY-MM-DD") from None


#: ``tracking``: what `oligoplan track` found against the prior scan (core.tracking.record)
TRACKING_FIELDS: dict[str, Check] = {
    "prior_case": text,
    "prior_date": optional(_iso_date),
    "current_date": optional(_iso_date),
    "registration": obj({}),
    "lesions": list_of(obj({"id": nonempty_text, "prior_id": text, "status": one_of(_lesion_status),
                            "prior": optional(obj({})), "current": optional(obj({}))}, required=("id", "status"))),
    "statuses": obj({}, then=lambda value, at: _each(one_of(_lesion_status), value, at)),
    "new_listed": list_of(obj({"id": nonempty_text, "centroid_mm": list_of(number, 3)})),
    "counts": obj({"prior": whole(0), "current": whole(0)}),
    "derived_facts": _derived_facts,
}

#: the top-level fields; ``audit`` is read by core.audit, whose problems are warnings (never a refusal)
CASE_FIELDS: dict[str, Check] = {
    "app_version": text,
    "saved_at": text,
    "images": list_of(obj(IMAGE_FIELDS, required=("folder", "series_uid"))),
    "structure_sets": list_of(obj(STRUCTURE_SET_FIELDS, required=("path", "sop_uid"))),
    "next_lesion_number": whole(1),
    "lesions": list_of(obj(LESION_FIELDS, required=("id",), then=_point_or_mask)),
    "facts": obj({}),
    # history lines (an earlier OligoPlan's list, kept as read) and listed sign-offs (rebuilt on save):
    # a field they could not keep refuses the file
    "history": list_of(obj({"when": text, "who": text, "what": text}, strict=True)),
    "review": optional(obj({"state": text, "signoffs": list_of(obj(SIGNOFF_FIELDS, strict=True))})),
    "recovery_of": optional(text),
    "case_uid": optional(text),
    "recovery_base_digest": optional(text),
    # PET hot-spot candidates (core.candidates reads them and names a bad one)
    "pet_candidates": optional(obj({"candidates": list_of(obj({})), "suppressed": list_of(obj({}))})),
    # comparison with the prior scan (`oligoplan track`): statuses, counts, derived facts
    "tracking": optional(obj(TRACKING_FIELDS)),
}
#: top-level fields this OligoPlan writes itself (anything else is kept as found)
KNOWN_TOP = frozenset(CASE_FIELDS) | {"schema", "schema_version", "audit"}
KNOWN_LESION = frozenset(LESION_FIELDS)
KNOWN_IMAGE = frozenset(IMAGE_FIELDS)
KNOWN_STRUCTURE_SET = frozenset(STRUCTURE_SET_FIELDS)


def validate_case_doc(doc: dict, name: str) -> None:
    """Check every known field of a case's JSON; CaseFileError names the first bad one."""
    try:
        obj(CASE_FIELDS)(doc, "")
    except Invalid as exc:
        raise CaseFileError(f"{name}: {exc.at}: {exc.problem}; {LEFT_AS_IS}") from None

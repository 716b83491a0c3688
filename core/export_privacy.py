"""What an anonymised export does with the patient's data beyond the DICOM headers (issue 14).

One :class:`AnonymisePolicy` serves one export, every file of it (summary PDF, JSON, CSV and the
DICOM RTSTRUCT, SEG and SR through core.rt.anonymise):

* Lesion labels are typed by the user and may hold a name or a record number: they become
  generic, the site and a number per site ("Liver 1", "Lung 2"; :func:`generic_labels`).
* Free text (the histology and any other free-text fact, sign-off comments) is left out,
  unless the user reviewed it for this export (the gui's export dialog, ``--keep-free-text``).
  Lesion notes are never written to an export.
* The author is left out, or replaced by the name the user gives for this export; the login
  name is never used. People who signed the case off become "Reviewer 1", "Reviewer 2"...
* Dates: every absolute date (facts, evaluation day, generation time, sign-offs, and every
  DICOM DA/DT) moves by the same number of days, ``date_shift_days``, drawn at random per
  export and never written out; intervals between dates (what the rules use) hold. The
  verdicts are computed on the real dates before anything is shifted.
* The patient's name, ID, study and the case file's name are left out (core.summary.document).

:meth:`AnonymisePolicy.statement` is what the summary says about it (PDF page 1, JSON
``"anonymisation"``).
"""

from __future__ import annotations

import copy
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

#: The range of the per-export date shift, in days (always into the past: 1 to 10 years).
DATE_SHIFT_RANGE_DAYS = (-3652, -366)
FREE_TEXT_LEFT_OUT = "[free text left out]"
AUTHOR_LEFT_OUT = ""
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def random_date_shift_days() -> int:
    low, high = DATE_SHIFT_RANGE_DAYS
    return low + secrets.randbelow(high - low + 1)


@dataclass(frozen=True)
class AnonymisePolicy:
    """How one anonymised export treats free text, the author and dates."""

    date_shift_days: int
    #: the user reviewed the free text (facts, sign-off comments) and keeps it in this export
    keep_free_text: bool = False
    #: the author written in the export ("" = left out)
    author: str = AUTHOR_LEFT_OUT

    @classmethod
    def new(cls, keep_free_text: bool = False, author: str | None = None) -> "AnonymisePolicy":
        """A policy with a fresh random date shift (one per export)."""
        return cls(random_date_shift_days(), bool(keep_free_text), (author or "").strip())

    def statement(self) -> dict:
        """What was anonymised, for the summary (JSON ``"anonymisation"``; PDF page 1)."""
        return {
            "patient": "patient name, ID, birth date, study and case file name left out",
            "lesion_labels": "generic (site and number, e.g. Liver 1)",
            "free_text": ("kept: reviewed by the user at export" if self.keep_free_text
                          else "left out (histology, other free-text facts, sign-off comments)"),
            "lesion_notes": "not exported",
            "author": "replaced by the name given at export" if self.author else "left out",
            "reviewers": "named Reviewer 1, Reviewer 2 and so on",
            "dates": "shifted by one offset for every file of this export (not stated); "
                     "intervals between dates kept; verdicts computed on the real dates",
            "dicom": "DICOM PS3.15 E.1-1 basic profile; clean descriptors, clean structured content, "
                     "modified dates options",
        }


    # ------------------------------------------------------------ values
    def shift_date(self, day: date) -> date:
        return day + timedelta(days=self.date_shift_days)

    def shift_dates_in(self, text: str) -> str:
        """``text`` with every ISO date (YYYY-MM-DD, also inside timestamps) shifted."""
        def shifted(m: re.Match) -> str:
            try:
                day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return "[date left out]"
            return self.shift_date(day).isoformat()
        return _ISO_DATE.sub(shifted, text)


def statement_lines(s: dict) -> list[str]:
    """The statement (:meth:`AnonymisePolicy.statement`) as the lines the PDF prints."""
    return [
        f"Anonymised: {s['patient']}; lesion labels {s['lesion_labels']}; lesion notes {s['lesion_notes']}; "
        f"author {s['author']}; reviewers {s['reviewers']}.",
        f"Free text {s['free_text']}. Dates {s['dates']}.",
    ]


def generic_labels(lesions) -> dict[str, str]:
    """Lesion id -> "Liver 1", "Lung 2"... (site, then a number per site, in lesion order)."""
    counts: dict[str, int] = {}
    out = {}
    for lesion in lesions:
        site = getattr(getattr(lesion, "site", None), "label", None) or "Lesion"
        counts[site] = counts.get(site, 0) + 1
        out[lesion.id] = f"{site} {counts[site]}"
    return out


def anonymised_case(case, policy: AnonymisePolicy):
    """A copy of ``case`` for the DICOM writers: generic labels, no notes (the original is unchanged)."""
    from core.lesions import LesionSet

    labels = generic_labels(case.lesions)
    lesions = [lesion.with_changes(label=labels[lesion.id], notes="") for lesion in case.lesions]
    out = copy.copy(case)
    out.lesions = LesionSet(lesions)
    return out


def is_free_text_fact(key: str, value) -> bool:
    """A fact the user typed as free text: a standard text fact (histology) or any non-standard
    fact given as text (a local rule set's); choices, dates and numbers are not."""
    from core.rules.facts import FIELD_BY_KEY, FactKind

    spec = FIELD_BY_KEY.get(key)
    return isinstance(value, str) and bool(value.strip()) and (spec is None or spec.kind is FactKind.TEXT)


def free_text_items(case) -> list[tuple[str, str]]:
    """(what, text) of the free text an anonymised export would write only when the user reviewed
    it: free-text facts and sign-off comments (what the export dialog shows for review)."""
    from core.rules.facts import FIELD_BY_KEY

    items = []
    for key, value in (getattr(case, "facts", None) or {}).items():
        if is_free_text_fact(key, value):
            spec = FIELD_BY_KEY.get(key)
            items.append((spec.label if spec is not None else key, value.strip()))
    review = getattr(case, "review", None)
    for signoff in (review.signoffs if review is not None else []):
        if signoff.comment:
            items.append((f"Sign-off comment ({signoff.state.value})", signoff.comment))
    return items


def free_text_values(case, facts: dict) -> list[str]:
    """The free text of a case the user typed: lesion notes, free-text facts (the standard TEXT
    facts and any non-standard fact given as text)."""
    values = [lesion.notes for lesion in case.lesions if lesion.notes]
    return values + [value for key, value in facts.items() if is_free_text_fact(key, value)]


def image_identifiers(workspace) -> list[str]:
    """The patient's name parts and ID from the image headers of ``workspace`` (None: none)."""
    out = []
    for volume in (getattr(workspace, "primary", None), getattr(workspace, "pet", None)):
        info = getattr(volume, "info", None)
        if info is None:
            continue
        out += [p for p in re.split(r"[\^=\s,]+", str(info.patient_name or "")) if len(p) >= 3]
        if info.patient_id:
            out.append(str(info.patient_id))
    return out


def anonymise_summary(summary: dict, policy: AnonymisePolicy, case, identifiers=()) -> dict:
    """The summary document (core.summary.document.build_summary) as an anonymised export writes it.

    Also the rule sets' results: a criterion's value or note that quotes a label, the histology or
    a date is rewritten like the rest (the verdicts themselves were computed on the real case).

    ``identifiers``: more text to replace wherever it appears (the patient's name parts and ID
    from the image headers, the author the summary was built with)."""
    doc = copy.deepcopy(summary)
    replace: dict[str, str] = {}
    labels = generic_labels(case.lesions)
    for lesion in case.lesions:
        if _worth_replacing(lesion.label, lesion.id):
            replace[lesion.label.strip()] = labels[lesion.id]
        if lesion.notes and lesion.notes.strip():
            replace[lesion.notes.strip()] = FREE_TEXT_LEFT_OUT
    facts = doc.get("facts") or {}
    if not policy.keep_free_text:
        for text in free_text_values(case, facts):
            replace.setdefault(text.strip(), FREE_TEXT_LEFT_OUT)
        for key, value in list(facts.items()):
            if is_free_text_fact(key, value):
                facts[key] = FREE_TEXT_LEFT_OUT
    review = doc.get("review") or {}
    reviewers: dict[str, str] = {}  # one number per person, in order of first sign-off
    for signoff in review.get("signoffs") or []:
        name = str(signoff.get("name") or "").strip()
        stand_in = reviewers.setdefault(name.lower(), f"Reviewer {len(reviewers) + 1}")
        if name:  # the role stays: "Reviewed by Reviewer 1 (medical physicist)"
            replace.setdefault(name, stand_in)
        signoff["name"] = stand_in
        if not policy.keep_free_text and signoff.get("comment"):
            replace.setdefault(str(signoff["comment"]).strip(), FREE_TEXT_LEFT_OUT)
            signoff["comment"] = FREE_TEXT_LEFT_OUT
    for text in identifiers:
        if text and len(str(text).strip()) >= 3:
            replace.setdefault(str(text).strip(), "ANONYMOUS")
    original_author = str(doc.get("author") or "").strip()
    if original_author and original_author != policy.author:
        replace.setdefault(original_author, policy.author or "[author left out]")
    for row in doc.get("lesions") or []:
        row["label"] = labels.get(row.get("id"), row.get("label"))
    doc["author"] = policy.author
    doc["case"] = ""
    doc["patient"] = {"anonymised": True}
    pattern = _pattern(replace)
    out = _walk(doc, lambda s: policy.shift_dates_in(_replace(s, pattern, replace)))
    for key in _RULE_CONTENT:  # the rule sets' own text (versions, sources) is not the patient's
        if key in summary:
            out[key] = copy.deepcopy(summary[key])
    if "fact_sources" in doc:  # "derived from prior scan of <date>": the patient's date, though its key is "source"
        out["fact_sources"] = _walk_every(doc["fact_sources"], lambda s: policy.shift_dates_in(s))
    out["anonymisation"] = policy.statement()
    return out


#: Parts of the summary that are rule-set content, written as they are.
_RULE_CONTENT = ("title", "disclaimer", "app_version", "rule_set_versions")


def _worth_replacing(label: str, lesion_id: str) -> bool:
    """A label to replace wherever it appears: not the id, a bare number or a word the summary
    itself uses (a site, kind or side), which would garble the document and hide nothing."""
    from core.codes import Laterality, LesionKind, Site

    text = (label or "").strip()
    if not text or text.lower() == lesion_id.lower() or re.fullmatch(r"[A-Za-z]?\s*\d+", text):
        return False
    words = {str(e.value).lower() for enum in (Site, Laterality, LesionKind) for e in enum}
    return text.lower() not in words


def text_scrubber(case, policy: AnonymisePolicy, identifiers=()):
    """A function that rewrites one line of text (a console note, a warning) as the anonymised
    summary is rewritten: labels generic, free text and identifiers left out, dates shifted."""
    labels = generic_labels(case.lesions)
    replace = {lesion.label.strip(): labels[lesion.id] for lesion in case.lesions
               if _worth_replacing(lesion.label, lesion.id)}
    for text in free_text_values(case, dict(getattr(case, "facts", {}) or {})):
        replace.setdefault(text.strip(), FREE_TEXT_LEFT_OUT)
    for text in identifiers:
        if text and len(str(text).strip()) >= 3:
            replace.setdefault(str(text).strip(), "ANONYMOUS")
    pattern = _pattern(replace)
    return lambda text: policy.shift_dates_in(_replace(str(text), pattern, replace))


def _pattern(replace: dict[str, str]) -> re.Pattern | None:
    if not replace:
        return None
    keys = sorted(replace, key=len, reverse=True)
    return re.compile("|".join(rf"(?<![A-Za-z0-9]){re.escape(k)}(?![A-Za-z0-9])" for k in keys), re.IGNORECASE)


def _replace(text: str, pattern: re.Pattern | None, replace: dict[str, str]) -> str:
    if pattern is None:
        return text
    lower = {k.lower(): v for k, v in replace.items()}
    return pattern.sub(lambda m: lower.get(m.group(0).lower(), "ANONYMOUS"), text)


#: Keys whose values are the rule sets' own text (a scope "adenocarcinoma" is not the patient's
#: histology): written as they are. A criterion's value, reason and note are the case's: rewritten.
RULE_TEXT_KEYS = frozenset({"title", "threshold", "threshold_text", "source", "sources", "unit", "version",
                            "verdict_text", "counted"})


def _walk_every(value, fix):
    """As :func:`_walk`, on every text whatever its key."""
    if isinstance(value, str):
        return fix(value)
    if isinstance(value, dict):
        return {k: _walk_every(v, fix) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk_every(v, fix) for v in value]
    return value


def _walk(value, fix):
    if isinstance(value, str):
        return fix(value)
    if isinstance(value, dict):  # keys are the document's own names (sites, fact keys), never free text
        return {k: copy.deepcopy(v) if k in RULE_TEXT_KEYS else _walk(v, fix) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, fix) for v in value]
    if isinstance(value, tuple):
        return tuple(_walk(v, fix) for v in value)
    return value

"""What the TID 1500 report carries beyond measurements, so that a case can be rebuilt from it.

The measurement report (:mod:`core.rt.sr`) codes each lesion's site and kind (SNOMED CT)
for other readers. OligoPlan's own values, which the codes cannot hold exactly, are TEXT
items under private concepts (coding scheme ``99OLIGOPLAN``):

* in each lesion group (TID 1411, "CONTAINS TEXT" qualitative evaluations): the lesion id,
  site, laterality, kind, treatability, its marker point and notes;
* in a "Qualitative Evaluations" container (DCM 126010, TID 1500 row 12) of the report:
  one item per case fact (the concept meaning is the fact key; a text fact as typed, any
  other value as JSON), one "Rule set" item per rule set chosen, the review state and one
  item per sign-off (JSON: state, name, role, when, comment); the report's author (JSON: name,
  role: who sent it, core.pacs.case_store) when known; and, unless the export is
  anonymised, one "audit trail" item (JSON: the case's ``case_uid``, the chain's ``head`` and
  ``count``, who exported, and each entry's seq, hash, action, time and author, without its
  text) so that a case file can later be compared with what it was when exported
  (core.rt.sr_compare).

An approved case is also a verified document (VerificationFlag VERIFIED, with the last
signer in VerifyingObserverSequence): see :func:`verification`.

:func:`read_case_items` reads all of it back from a report parsed by highdicom.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import highdicom as hd
import highdicom.sr as hsr
from pydicom.dataset import Dataset

SCHEME = "99OLIGOPLAN"
CASE_ITEMS = hd.sr.CodedConcept("126010", "DCM", "Qualitative Evaluations")

LESION_ID = hd.sr.CodedConcept("lesion-id", SCHEME, "OligoPlan lesion id")
LESION_SITE = hd.sr.CodedConcept("lesion-site", SCHEME, "OligoPlan lesion site")
LESION_LATERALITY = hd.sr.CodedConcept("lesion-laterality", SCHEME, "OligoPlan lesion laterality")
LESION_KIND = hd.sr.CodedConcept("lesion-kind", SCHEME, "OligoPlan lesion kind")
LESION_TREATABLE = hd.sr.CodedConcept("lesion-treatable", SCHEME, "Treatable by SBRT")
LESION_POINT = hd.sr.CodedConcept("lesion-point-mm", SCHEME, "OligoPlan marker point (LPS mm, JSON)")
LESION_NOTES = hd.sr.CodedConcept("lesion-notes", SCHEME, "OligoPlan lesion notes")
RULE_SET = hd.sr.CodedConcept("rule-set", SCHEME, "Rule set chosen")
REVIEW_STATE = hd.sr.CodedConcept("review-state", SCHEME, "OligoPlan review state")
SIGN_OFF = hd.sr.CodedConcept("sign-off", SCHEME, "OligoPlan sign-off (JSON)")
#: who made this report (sent it to the PACS): JSON {"name", "role"}; never in an anonymised export
AUTHOR = hd.sr.CodedConcept("author", SCHEME, "OligoPlan report author (JSON)")
AUDIT_TRAIL = hd.sr.CodedConcept("audit-trail", SCHEME, "OligoPlan audit trail at export (JSON)")
#: a fact whose value is text is "fact:KEY"; any other value (number, list, ...) is JSON, "fact-json:KEY"
FACT_TEXT, FACT_JSON = "fact:", "fact-json:"

_CONTAINS = hsr.RelationshipTypeValues.CONTAINS


def _text(concept: hd.sr.CodedConcept, value: str) -> hsr.TextContentItem:
    return hsr.TextContentItem(name=concept, value=str(value), relationship_type=_CONTAINS)


def lesion_items(lesion) -> list[hsr.TextContentItem]:
    """The lesion's own values, for its measurement group."""
    items = [_text(LESION_ID, lesion.id), _text(LESION_SITE, lesion.site.value),
             _text(LESION_KIND, lesion.kind.value), _text(LESION_TREATABLE, lesion.treatable.value)]
    if lesion.laterality.value:
        items.append(_text(LESION_LATERALITY, lesion.laterality.value))
    if lesion.point_mm is not None:
        items.append(_text(LESION_POINT, json.dumps([float(v) for v in lesion.point_mm])))
    if lesion.notes:
        items.append(_text(LESION_NOTES, lesion.notes))
    return items


def add_lesion_items(group, lesion) -> None:
    """Append :func:`lesion_items` to a highdicom measurement group (its container's content)."""
    group[0].ContentSequence.extend(lesion_items(lesion))


def case_items(case, policy=None, author: tuple[str, str] | None = None) -> hsr.ContainerContentItem:
    """The container of the case facts, rule sets and review state.

    ``policy`` (core.export_privacy.AnonymisePolicy) for an anonymised export: free-text facts
    and sign-off comments only when the user kept them, dates shifted, signers' names left out
    unless the policy names an author. ``author`` (name, role): who makes this report; left out of
    an anonymised export."""
    from core.review import RULE_SET_KEYS, CaseReview

    items = []
    for key, value in case.facts.items():
        if value is None:
            continue
        if policy is not None and isinstance(value, str):
            from core.export_privacy import is_free_text_fact

            if is_free_text_fact(key, value) and not policy.keep_free_text:
                continue
            value = policy.shift_dates_in(value)
        if isinstance(value, str):
            items.append(_text(hd.sr.CodedConcept(FACT_TEXT + key, SCHEME, key[:64]), value))
        else:
            items.append(_text(hd.sr.CodedConcept(FACT_JSON + key, SCHEME, key[:64]),
                               json.dumps(value, ensure_ascii=False)))
    for key in RULE_SET_KEYS:
        chosen = case.facts.get(key)
        for name in ([chosen] if isinstance(chosen, str) else chosen or []):
            items.append(_text(RULE_SET, str(name)))
    review = getattr(case, "review", None) or CaseReview(case)
    items.append(_text(REVIEW_STATE, review.state.value))
    for s in review.signoffs:
        doc = {"state": s.state.value, "name": s.name, "role": s.role, "when": s.when, "comment": s.comment}
        if policy is not None:
            doc["name"] = policy.author or ""
            doc["when"] = policy.shift_dates_in(s.when)
            if not policy.keep_free_text:
                doc["comment"] = ""
        items.append(_text(SIGN_OFF, json.dumps(doc, ensure_ascii=False)))
    if author is not None and policy is None and str(author[0]).strip():
        items.append(_text(AUTHOR, json.dumps({"name": str(author[0]).strip(), "role": str(author[1]).strip()},
                                              ensure_ascii=False)))
    if policy is None:  # an anonymised report carries no trail: its names, times and hashes stay home
        items.append(_text(AUDIT_TRAIL, json.dumps(audit_record(case, review), ensure_ascii=False)))
    container = hsr.ContainerContentItem(name=CASE_ITEMS, relationship_type=_CONTAINS)
    container.ContentSequence = items
    return container


def audit_record(case, review=None) -> dict:
    """What the report records of the case's audit trail: enough to find, later, entries removed or
    changed in the case file and a chain rewritten from its start (the entries' text is left out:
    the hashes stand for it)."""
    from core.review import CaseReview

    review = review or getattr(case, "review", None) or CaseReview(case)
    trail = case.audit
    return {"case_uid": getattr(case, "case_uid", ""), "head": trail.head, "count": len(trail),
            "exported_by": review.user, "exported_role": review.role,
            "entries": [{"seq": e.seq, "hash": e.hash, "action": e.action, "when": e.when, "who": e.who}
                        for e in trail]}


def verification(case, policy=None) -> dict:
    """Comprehensive3DSR keywords for the review state: an approved case is VERIFIED by its
    last signer (with --anonymise: the policy's author, or "ANONYMOUS"), and FINAL."""
    from core.review import CaseReview, ReviewState

    review = getattr(case, "review", None) or CaseReview(case)
    signoffs = review.signoffs
    if review.state is not ReviewState.APPROVED or not signoffs:
        return {"is_verified": False, "is_final": False}
    name = signoffs[-1].name if policy is None else (policy.author or "ANONYMOUS")
    return {"is_verified": True, "is_final": True, "verifying_observer_name": _person_name(name),
            "verifying_organization": (signoffs[-1].role or "not recorded")[:64]}


def set_verification_time(sr: Dataset, case, policy=None) -> None:
    """VerificationDateTime of a verified report: when the approval was signed (not when exported)."""
    if getattr(sr, "VerificationFlag", "") != "VERIFIED":
        return
    from core.review import CaseReview

    when = (getattr(case, "review", None) or CaseReview(case)).signoffs[-1].when
    if policy is not None:
        when = policy.shift_dates_in(when)
    digits = "".join(c for c in when[:19] if c.isdigit())
    if len(digits) == 14:
        sr.VerifyingObserverSequence[0].VerificationDateTime = digits


#: Patient and study attributes of Type 2 (present, may be empty) that highdicom copies from the
#: images into the SR and SEG: images without them (minimal or synthetic files) got an internal error
TYPE_2_FROM_IMAGES = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
                      "StudyID", "AccessionNumber", "ReferringPhysicianName")


def with_type_2(ds: Dataset) -> Dataset:
    """``ds`` with its missing Type 2 patient and study attributes present and empty (in place)."""
    for keyword in TYPE_2_FROM_IMAGES:
        if keyword not in ds:
            setattr(ds, keyword, "")
    return ds


def _person_name(name: str) -> str:
    """A sign-off name as a DICOM PN (no ^ or = of its own, 64 characters at most)."""
    return (" ".join(str(name).replace("^", " ").replace("=", " ").split())[:63] or "UNKNOWN") + "^"


@dataclass
class CaseItems:
    """What :func:`read_case_items` found in a report."""

    facts: dict = field(default_factory=dict)
    rule_sets: list[str] = field(default_factory=list)
    review_state: str = "draft"
    signoffs: list[dict] = field(default_factory=list)
    #: who made the report ({"name", "role"}), when it says
    author: dict = field(default_factory=dict)
    #: the audit trail as exported (:func:`audit_record`); None in a report without one (anonymised,
    #: or written before reports carried it)
    audit: dict | None = None
    #: things that could not be read, as sentences
    problems: list[str] = field(default_factory=list)


def _items(container) -> list:
    return list(getattr(container, "ContentSequence", []) or [])


def _concept(item) -> tuple[str, str]:
    code = item.ConceptNameCodeSequence[0]
    value = getattr(code, "CodeValue", None) or getattr(code, "LongCodeValue", "")
    return str(code.CodingSchemeDesignator), str(value)


def read_case_items(root) -> CaseItems:
    """The case container of a report's root content item (``srread(...)`` dataset)."""
    out = CaseItems()
    for container in _items(root):
        if container.ValueType != "CONTAINER" or _concept(container) != ("DCM", "126010"):
            continue
        for item in _items(container):
            if item.ValueType != "TEXT":
                continue
            scheme, value = _concept(item)
            if scheme != SCHEME:
                continue
            text = str(item.TextValue)
            try:
                if value.startswith(FACT_TEXT):
                    out.facts[value[len(FACT_TEXT):]] = text
                elif value.startswith(FACT_JSON):
                    out.facts[value[len(FACT_JSON):]] = json.loads(text)
                elif value == RULE_SET.value:
                    out.rule_sets.append(text)
                elif value == REVIEW_STATE.value:
                    out.review_state = text
                elif value == SIGN_OFF.value:
                    out.signoffs.append(json.loads(text))
                elif value == AUTHOR.value:
                    doc = json.loads(text)
                    out.author = {"name": str(doc.get("name", "")), "role": str(doc.get("role", ""))}
                elif value == AUDIT_TRAIL.value:
                    audit = json.loads(text)
                    if not isinstance(audit, dict) or not isinstance(audit.get("entries"), list):
                        raise ValueError("not an audit record")
                    out.audit = audit
            except ValueError:
                out.problems.append(f"the report item {value} holds {text[:40]!r}, which cannot be read")
    return out


def read_lesion_items(group_container) -> dict[str, str]:
    """The OligoPlan items of one lesion group: {concept value: text}."""
    found = {}
    for item in _items(group_container):
        if item.ValueType == "TEXT":
            scheme, value = _concept(item)
            if scheme == SCHEME:
                found[value] = str(item.TextValue)
    return found

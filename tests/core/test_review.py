"""Sign-off state machine, the audit trail's hash chain, and tampering found on opening."""

import json

import numpy as np
import pytest

from core.audit import AuditAction, AuditTrail
from core.case import SCHEMA_VERSION, Case, load_case, save_case
from core.errors import ReviewError
from core.lesions import AddLesion, Lesion, LesionMask, RemoveLesion, UndoStack, UpdateLesion
from core.review import ReviewState


def make_mask(offset=(2, 3, 4)):
    arr = np.zeros((2, 3, 3), bool)
    arr[0, 1, 1] = arr[1, :, 1] = True
    return LesionMask(offset, arr, (10, 20, 20), "1.2.3")


def new_case(user="A. Physicist", role="medical physicist") -> tuple[Case, UndoStack]:
    case = Case()
    case.review.set_user(user, role)
    return case, UndoStack()


def add(case, stack, site="liver", **kw):
    lesion = Lesion(case.lesions.new_id(), label=kw.pop("label", "Liver 1"), site=site, mask=make_mask(), **kw)
    stack.push(AddLesion(case.lesions, lesion))
    return lesion


def actions(case):
    return [e.action for e in case.audit]


# ------------------------------------------------------------ state machine
def test_draft_reviewed_approved_records_name_role_time_and_comment():
    case, stack = new_case()
    add(case, stack)
    assert case.review.state is ReviewState.DRAFT
    case.review.sign("reviewed", "contours checked against PET")
    assert case.review.state is ReviewState.REVIEWED
    signed = case.review.sign(ReviewState.APPROVED, "treat", name="B. Oncologist", role="radiation oncologist")
    assert case.review.state is ReviewState.APPROVED
    first, second = case.review.signoffs
    assert (first.state, first.name, first.role, first.comment) == (
        ReviewState.REVIEWED, "A. Physicist", "medical physicist", "contours checked against PET")
    assert (second.name, second.role, second.comment) == ("B. Oncologist", "radiation oncologist", "treat")
    assert second == signed and second.when.endswith("+00:00")
    assert case.review.status_text().startswith("Approved by B. Oncologist (radiation oncologist), ")


@pytest.mark.parametrize("steps,attempt,message", [
    ([], "approved", "the case is draft: it can only be marked reviewed now"),
    (["reviewed"], "reviewed", "the case is reviewed: it can only be marked approved now"),
    (["reviewed", "approved"], "approved", "already approved; edit it to reopen it"),
    ([], "signed", "unknown review state 'signed'"),
])
def test_steps_out_of_order_are_refused_and_change_nothing(steps, attempt, message):
    case, stack = new_case()
    for step in steps:
        case.review.sign(step)
    before = len(case.audit)
    with pytest.raises(ReviewError, match=message):
        case.review.sign(attempt)
    assert len(case.audit) == before


def test_a_sign_off_needs_a_name():
    case, _ = new_case(user="")
    with pytest.raises(ReviewError, match="needs your name"):
        case.review.sign("reviewed")
    assert len(case.audit) == 0


def test_editing_an_approved_case_reopens_it_and_says_so():
    case, stack = new_case()
    lesion = add(case, stack)
    case.review.sign("reviewed")
    case.review.sign("approved", name="B. Oncologist", role="radiation oncologist")
    told = []
    case.review.reopened.connect(told.append)
    stack.push(UpdateLesion(case.lesions, lesion.with_changes(label="Liver segment 7")))
    assert case.review.state is ReviewState.DRAFT and case.review.signoffs == []
    assert len(told) == 1 and "approved by B. Oncologist" in told[0] and "reopens it as a draft" in told[0]
    assert actions(case)[-2:] == [AuditAction.REOPENED.value, AuditAction.LESION_RELABELLED.value]
    # a second edit of the draft does not reopen again
    stack.push(RemoveLesion(case.lesions, lesion.id))
    assert len(told) == 1 and actions(case)[-1] == AuditAction.LESION_DELETED.value
    # and the review starts over
    with pytest.raises(ReviewError, match="can only be marked reviewed"):
        case.review.sign("approved")


# -------------------------------------------------------------- recording
def test_every_lesion_change_is_recorded_with_who_and_what():
    case, stack = new_case()
    lesion = add(case, stack)
    stack.push(UpdateLesion(case.lesions, lesion.with_changes(site="lung", laterality="right")))
    stack.push(UpdateLesion(case.lesions, case.lesions[lesion.id].with_changes(mask=make_mask((3, 3, 4)))))
    stack.push(RemoveLesion(case.lesions, lesion.id))
    stack.undo()  # an undo is a change too
    assert actions(case) == ["lesion_added", "lesion_relabelled", "lesion_edited", "lesion_deleted", "lesion_added"]
    entries = list(case.audit)
    assert all(e.who == "A. Physicist" and e.role == "medical physicist" for e in entries)
    assert "site 'liver' -> 'lung'" in entries[1].what and "contour changed" in entries[2].what
    assert entries[3].details["lesion"] == "L1" and entries[3].details["site"] == "lung"
    assert case.audit.intact


def test_facts_and_rule_set_changes_are_recorded_when_saved(tmp_path):
    case, _ = new_case()
    case.facts["ecog"] = 1
    case.facts["rule_sets"] = ["SABR-COMET"]
    save_case(case, tmp_path / "c.json")
    case.facts["ecog"] = 2
    save_case(case, tmp_path / "c.json")
    assert actions(case) == ["rule_sets_changed", "facts_changed", "facts_changed"]
    assert "ecog 1 -> 2" in case.audit[2].what
    assert case.audit[2].details == {"old": {"ecog": 1}, "new": {"ecog": 2}}
    save_case(case, tmp_path / "c.json")  # nothing changed: nothing recorded
    assert len(case.audit) == 3


def test_a_facts_change_in_an_approved_case_reopens_it_at_the_next_sign_or_save(tmp_path):
    case, _ = new_case()
    case.review.sign("reviewed")
    case.facts["ecog"] = 3
    save_case(case, tmp_path / "c.json")
    assert case.review.state is ReviewState.DRAFT
    assert actions(case)[-2:] == ["reopened", "facts_changed"]


# ------------------------------------------------------------ hash chain
def test_the_chain_links_every_entry_to_the_one_before():
    trail = AuditTrail()
    a = trail.append(AuditAction.LESION_ADDED, "added L1", who="x")
    b = trail.append("lesion_deleted", "deleted L1", who="x")
    assert a.prev == "0" * 64 and b.prev == a.hash and a.hash != b.hash
    assert (a.seq, b.seq) == (1, 2) and trail.intact
    with pytest.raises(ValueError, match="unknown audit action 'lesion_eaten'"):
        trail.append("lesion_eaten", "x")


def saved_case(tmp_path):
    case, stack = new_case()
    lesion = add(case, stack)
    stack.push(UpdateLesion(case.lesions, lesion.with_changes(label="Liver 2")))
    case.review.sign("reviewed", "ok")
    path = save_case(case, tmp_path / "case.oligoplan.json")
    return path, json.loads(path.read_text())


def rewrite(path, doc):
    path.write_text(json.dumps(doc, indent=1))
    return load_case(path)


def test_an_untouched_file_opens_without_warnings_in_the_same_state(tmp_path):
    path, doc = saved_case(tmp_path)
    assert doc["schema_version"] == SCHEMA_VERSION and doc["review"]["state"] == "reviewed"
    assert doc["audit"]["count"] == 3 and doc["audit"]["head"] == doc["audit"]["entries"][-1]["hash"]
    case = load_case(path)
    assert case.integrity_warnings == []
    assert case.review.state is ReviewState.REVIEWED and [e.what for e in case.audit] == [
        e["what"] for e in doc["audit"]["entries"]]


def test_a_hand_edited_entry_is_reported_when_the_case_is_opened(tmp_path):
    path, doc = saved_case(tmp_path)
    doc["audit"]["entries"][1]["who"] = "Someone Else"
    case = rewrite(path, doc)  # opens: a warning, not a refusal
    assert len(case.lesions) == 1
    (warning,) = case.integrity_warnings
    assert "audit entry 2" in warning and "Someone Else" in warning and "hash does not match" in warning


def test_a_removed_entry_breaks_the_chain(tmp_path):
    path, doc = saved_case(tmp_path)
    del doc["audit"]["entries"][1]
    warnings = rewrite(path, doc).integrity_warnings
    assert any("numbered 3" in w for w in warnings)
    assert any("does not follow the entry before it" in w for w in warnings)


def test_entries_cut_from_the_end_are_noticed(tmp_path):
    path, doc = saved_case(tmp_path)
    doc["audit"]["entries"].pop()  # the sign-off goes; the state now looks like draft
    doc["review"]["state"] = "draft"
    warnings = rewrite(path, doc).integrity_warnings
    assert any("entries were removed from its end" in w for w in warnings)


def test_a_state_written_by_hand_is_reported_and_the_trail_decides(tmp_path):
    path, doc = saved_case(tmp_path)
    doc["review"]["state"] = "approved"
    case = rewrite(path, doc)
    assert case.review.state is ReviewState.REVIEWED
    assert any("says the case is 'approved', but its audit trail says 'reviewed'" in w
               for w in case.integrity_warnings)


def test_lesions_changed_by_hand_after_a_sign_off_are_reported(tmp_path):
    path, doc = saved_case(tmp_path)
    doc["lesions"][0]["site"] = "bone"
    warnings = rewrite(path, doc).integrity_warnings
    assert any("differ from those reviewed by A. Physicist" in w for w in warnings)


def test_a_damaged_trail_is_reported_and_kept(tmp_path):
    path, doc = saved_case(tmp_path)
    doc["audit"]["entries"][0] = "deleted"
    case = rewrite(path, doc)
    assert any("audit entry 1 is not an object" in w for w in case.integrity_warnings)
    doc["audit"] = "gone"
    assert any("audit trail is not readable" in w for w in rewrite(path, doc).integrity_warnings)


def test_schema_1_files_still_open_and_are_written_in_the_current_schema(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({
        "schema": "oligoplan.case", "schema_version": 1, "images": [], "next_lesion_number": 2,
        "lesions": [{"id": "L1", "label": "L1", "site": "liver", "point_mm": [0, 0, 0]}],
        "facts": {}, "history": [{"when": "2025-01-01T00:00:00+00:00", "who": "", "what": "added L1"}],
    }))
    case = load_case(path)
    assert case.integrity_warnings == [] and case.review.state is ReviewState.DRAFT and len(case.audit) == 0
    assert case.legacy_history == [{"when": "2025-01-01T00:00:00+00:00", "who": "", "what": "added L1"}]
    save_case(case, path)
    doc = json.loads(path.read_text())
    assert doc["schema_version"] == SCHEMA_VERSION
    # the old history is kept as read, not added to: the audit trail records from now on (issue 15)
    assert doc["history"] == [{"when": "2025-01-01T00:00:00+00:00", "who": "", "what": "added L1"}]
    case = load_case(path)
    UndoStack().push(RemoveLesion(case.lesions, "L1"))
    save_case(case, path)
    doc = json.loads(path.read_text())
    assert len(doc["history"]) == 1 and doc["audit"]["entries"][-1]["action"] == "lesion_deleted"

"""Audit trail: removals that leave a trace are reported when the case is opened (issue 14).

Each test removes entries the way a hand editor would, keeping the chain itself
consistent (head and count adjusted), and checks the trace that gives it away.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from core.audit import GENESIS
from core.case import Case, load_case, save_case
from core.lesions import AddLesion, Lesion, LesionSet, RemoveLesion, UndoStack
from core.review import ReviewState

ROOT = Path(__file__).resolve().parents[2]


def signed_case(tmp_path, sign_to=("reviewed",)):
    case, stack = Case(), UndoStack()
    case.review.set_user("A. Physicist", "medical physicist")
    for n in (1, 2):
        stack.push(AddLesion(case.lesions, Lesion(case.lesions.new_id(), label=f"Liver {n}", site="liver",
                                                  point_mm=(n, 0, 0))))
    for state in sign_to:
        case.review.sign(state, "ok")
    path = save_case(case, tmp_path / "case.json")
    return path, json.loads(path.read_text())


def reopen(path, doc):
    path.write_text(json.dumps(doc, indent=1))
    return load_case(path)


def cut_to(doc, n):
    """Keep the first n entries, with head and count made to match (the chain still holds)."""
    entries = doc["audit"]["entries"][:n]
    doc["audit"] = {"entries": entries, "count": len(entries), "head": entries[-1]["hash"] if entries else GENESIS}


def test_an_untouched_signed_case_has_no_warning(tmp_path):
    path, _ = signed_case(tmp_path)
    assert load_case(path).integrity_warnings == []


def test_the_audit_removed_from_a_version_2_case_is_reported(tmp_path):
    path, doc = signed_case(tmp_path)
    del doc["audit"]
    doc["review"] = {"state": "draft", "signoffs": []}
    warnings = reopen(path, doc).integrity_warnings
    assert any("this version 2 case file holds none" in w and "it was removed" in w for w in warnings)
    assert any("no entry made lesions L1, L2" in w for w in warnings)


def test_an_emptied_trail_with_count_and_head_reset_is_reported(tmp_path):
    path, doc = signed_case(tmp_path)
    cut_to(doc, 0)
    doc["review"] = {"state": "draft", "signoffs": []}
    case = reopen(path, doc)
    assert case.review.state is ReviewState.DRAFT
    assert any("no entry made lesions L1, L2" in w for w in case.integrity_warnings)
    assert case.review.status_text().endswith("not to be relied on; see Review > History)")


def test_an_emptied_trail_of_a_case_whose_lesions_were_also_deleted_is_reported_by_the_history(tmp_path):
    """A file an earlier OligoPlan wrote kept a ``history`` list beside the trail (issue 15 made the trail
    the one record; such a file's list is kept as read): its "added Ln" lines still give the removal away.
    A file written since has no such list: there the SR exported from the case finds it (test_sr_compare)."""
    path, doc = signed_case(tmp_path)
    assert "history" not in doc  # the trail is the one record now
    doc["history"] = [{"when": "2025-01-01T00:00:00+00:00", "who": "", "what": f"added L{n} (Liver {n}, liver)"}
                      for n in (1, 2)]
    cut_to(doc, 0)
    doc["lesions"], doc["review"] = [], {"state": "draft", "signoffs": []}
    warnings = reopen(path, doc).integrity_warnings
    assert any("the file's history says lesions L1, L2 were added, but the trail has no entry" in w
               for w in warnings)


def test_sign_offs_cut_with_head_and_count_adjusted_are_reported(tmp_path):
    path, doc = signed_case(tmp_path, sign_to=("reviewed", "approved"))
    assert [e["action"] for e in doc["audit"]["entries"]][-2:] == ["signed_off", "signed_off"]
    cut_to(doc, 2)  # both sign-offs gone; the chain of what is left holds
    doc["review"]["state"] = "draft"  # the state made to agree with the trail; the sign-offs still listed
    case = reopen(path, doc)
    assert not any("ends at entry" in w for w in case.integrity_warnings)  # head/count alone show nothing
    listed = [w for w in case.integrity_warnings if "the file lists a sign-off" in w]
    assert len(listed) == 2 and "(approved by A. Physicist" in listed[1]
    assert "sign-off entries were removed" in listed[1]


def test_a_sign_off_that_was_reopened_is_not_reported_as_cut(tmp_path):
    path, doc = signed_case(tmp_path)
    case = load_case(path)
    UndoStack().push(RemoveLesion(case.lesions, "L2"))  # reopens the reviewed case
    save_case(case, path)
    again = load_case(path)
    assert again.review.state is ReviewState.DRAFT and again.integrity_warnings == []


def test_a_case_built_in_code_records_its_lesions_when_saved(tmp_path):
    case = Case(lesions=LesionSet([Lesion("L1", "Liver 1", site="liver", point_mm=(0, 0, 0))]))
    path = save_case(case, tmp_path / "built.json")
    again = load_case(path)
    assert [(e.action, e.details.get("lesion")) for e in again.audit] == [("lesion_added", "L1")]
    assert again.integrity_warnings == []


def test_a_version_1_case_saved_as_version_2_opens_without_warnings(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({
        "schema": "oligoplan.case", "schema_version": 1, "images": [], "next_lesion_number": 3,
        "lesions": [{"id": "L2", "label": "L2", "site": "liver", "point_mm": [0, 0, 0]}],
        "history": [{"when": "2025-01-01T00:00:00+00:00", "who": "", "what": "added L1 (L1, liver)"},
                    {"when": "2025-01-01T00:00:00+00:00", "who": "", "what": "deleted L1 (L1)"},
                    {"when": "2025-01-01T00:00:00+00:00", "who": "", "what": "added L2 (L2, liver)"}],
    }))
    case = load_case(path)
    assert case.integrity_warnings == []
    save_case(case, path)
    again = load_case(path)
    assert again.integrity_warnings == []
    (entry,) = again.audit
    assert entry.what == "carried over from a version 1 case file (it had no audit trail): L2"
    doc = json.loads(path.read_text())
    cut_to(doc, 0)  # the carried-over entry removed: now L2 has no entry that made it
    assert any("no entry made lesion L2" in w for w in reopen(path, doc).integrity_warnings)


def test_check_prints_the_removed_trail_as_a_warning(tmp_path):
    path, doc = signed_case(tmp_path)
    del doc["audit"]
    path.write_text(json.dumps(doc))
    run = subprocess.run([sys.executable, "-m", "gui.entry", "check", str(path), "--json"], capture_output=True,
                         text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "this version 2 case file holds none" in run.stdout + run.stderr

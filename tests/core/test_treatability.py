"""Per-lesion treatability yes / no / not assessed, the case fact all_lesions_treatable, and old case files
whose "treatable": true was only the default (issue 12)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from core.case import Case, load_case, save_case
from core.codes import Treatability
from core.errors import CaseFileError
from core.lesions import AddLesion, Lesion, UndoStack
from core.rules.counting import LesionInfo
from core.rules.engine import evaluate
from core.rules.loader import load_catalog

CATALOG = load_catalog(user_dir=False)
TODAY = date(2025, 6, 1)


def treat_criterion(states, fact=None):
    lesions = [LesionInfo(f"L{i + 1}", site="liver", longest_diameter_mm=20, treatable=s)
               for i, s in enumerate(states)]
    facts = {"all_lesions_treatable": fact} if fact is not None else {}
    result = evaluate([CATALOG["sabr-comet"]], lesions, facts, today=TODAY).results[0]
    return next(c for c in result.criteria if c.id == "treatable"), result


def test_a_new_lesion_is_not_assessed():
    assert Lesion("L1", "L1", point_mm=(0, 0, 0)).treatable is Treatability.NOT_ASSESSED
    assert LesionInfo("L1").treatable == "not assessed"


@pytest.mark.parametrize("states,fact,status,words", [
    (["yes", "yes"], None, "pass", "every lesion assessed treatable"),
    (["yes", "not assessed"], None, "unknown", "treatability not assessed for L2"),
    (["not assessed", "not assessed"], None, "unknown", "not assessed for L1, L2"),
    (["yes", "no"], None, "fail", "L2 assessed not treatable"),
    (["no", "not assessed"], None, "fail", "L1 assessed not treatable"),
    (["not assessed"], "yes", "pass", "case fact"),
    (["yes", "yes"], "no", "fail", "case fact: not all lesions are safely treatable"),
    (["not assessed"], "unknown", "unknown", "not assessed for L1"),
    # a lesion assessed not treatable outweighs the case fact: never a pass over a recorded "no"
    (["no", "yes"], "yes", "fail", "L1 assessed not treatable (although the case fact says"),
])
def test_the_criterion_passes_fails_or_is_unknown_and_says_which(states, fact, status, words):
    crit, result = treat_criterion(states, fact)
    assert crit.status == status and words in crit.reason, crit.reason
    if status == "unknown":
        assert result.verdict == "undetermined" and crit.value is None


def test_an_untouched_lesion_no_longer_passes_the_treatable_criterion():
    # before issue 12 every lesion started treatable and "All sites safely treatable" passed unassessed
    crit, _ = treat_criterion(["not assessed"])
    assert crit.status != "pass"


def _write(path, version, treatable):
    lesion = {"id": "L1", "label": "L1", "site": "liver", "point_mm": [0, 0, 0]}
    if treatable is not ...:
        lesion["treatable"] = treatable
    path.write_text(json.dumps({"schema": "oligoplan.case", "schema_version": version, "images": [],
                                "next_lesion_number": 2, "lesions": [lesion], "facts": {}}))
    return path


@pytest.mark.parametrize("version,value,expected", [
    (2, True, Treatability.NOT_ASSESSED),  # only the default before issue 12
    (2, False, Treatability.NO),           # a user cleared the box: stays no
    (1, ..., Treatability.NOT_ASSESSED),
    (3, "yes", Treatability.YES),
    (3, "no", Treatability.NO),
    (3, "not assessed", Treatability.NOT_ASSESSED),
])
def test_case_files_old_and_new(tmp_path, version, value, expected):
    case = load_case(_write(tmp_path / "c.json", version, value))
    assert case.lesions["L1"].treatable is expected


def test_the_state_is_written_as_text_and_read_back(tmp_path):
    case = Case()
    UndoStack().push(AddLesion(case.lesions, Lesion("L1", "L1", point_mm=(0, 0, 0), treatable=Treatability.YES)))
    path = save_case(case, tmp_path / "c.json")
    doc = json.loads(path.read_text())
    assert doc["lesions"][0]["treatable"] == "yes" and doc["schema_version"] == 3
    assert load_case(path).lesions["L1"].treatable is Treatability.YES


def test_a_bad_treatable_value_is_refused_naming_the_lesion(tmp_path):
    with pytest.raises(CaseFileError, match=r"lesions\[0\].*treatability 'maybe'"):
        load_case(_write(tmp_path / "c.json", 3, "maybe"))
    with pytest.raises(CaseFileError, match=r"lesions\[0\]\.treatable: expected yes, no or not assessed, found 3"):
        load_case(_write(tmp_path / "c.json", 3, 3))


def test_one_click_cycles_not_assessed_yes_no():
    state = Treatability.NOT_ASSESSED
    seen = []
    for _ in range(3):
        state = state.next
        seen.append(state.value)
    assert seen == ["yes", "no", "not assessed"]


def test_a_case_signed_off_before_the_change_opens_without_a_tampering_warning(tmp_path, monkeypatch):
    import core.case
    import core.lesion_json
    import core.review
    from core.codes import Treatability as T

    original = core.lesion_json.lesion_to_json

    def as_written_before(lesion):  # schema 2 wrote a bool, true by default
        return {**original(lesion), "treatable": lesion.treatable is not T.NO}

    with monkeypatch.context() as m:
        m.setattr(core.case, "lesion_to_json", as_written_before)  # the file written
        m.setattr(core.review, "lesion_to_json", as_written_before)  # the digest signed
        m.setattr(core.case, "SCHEMA_VERSION", 2)
        case = Case()
        stack = UndoStack()
        stack.push(AddLesion(case.lesions, Lesion("L1", "L1", point_mm=(0, 0, 0))))
        stack.push(AddLesion(case.lesions, Lesion("L2", "L2", point_mm=(1, 0, 0), treatable=T.NO)))
        case.review.sign("reviewed", "ok")
        path = save_case(case, tmp_path / "old.json")
    assert json.loads(path.read_text())["lesions"][0]["treatable"] is True
    old = load_case(path)
    assert old.integrity_warnings == [] and old.review.state.value == "reviewed"
    assert [l.treatable for l in old.lesions] == [T.NOT_ASSESSED, T.NO]
    save_case(old, path)  # written as schema 3: still the content that was signed
    assert load_case(path).integrity_warnings == []
    doc = json.loads(path.read_text())
    doc["lesions"][0]["treatable"] = "yes"  # edited by hand after the sign-off
    path.write_text(json.dumps(doc))
    assert any("edited outside OligoPlan" in w for w in load_case(path).integrity_warnings)

"""Issue 15: verdicts, criterion statuses, OAR flag statuses, lesion kinds and voxel value units are
Enums inside core and gui; the JSON holds their words only (plain strings, as before)."""

from __future__ import annotations

import json
from enum import Enum

import numpy as np
import pytest

from core.codes import LesionKind
from core.rules.counting import LesionInfo
from core.rules.engine import evaluate
from core.rules.loader import load_catalog
from core.rules.outcome import CriterionStatus, FlagStatus, Verdict, verdict_of
from core.volume import Modality, SeriesInfo, ValueUnit, Volume

PASS, FAIL, UNKNOWN = CriterionStatus.PASS, CriterionStatus.FAIL, CriterionStatus.UNKNOWN


@pytest.mark.parametrize("statuses, verdict", [
    ([PASS, PASS], Verdict.ELIGIBLE),  # every criterion met: the only way to ELIGIBLE
    ([PASS, UNKNOWN], Verdict.UNDETERMINED),  # one fact unknown: never eligible
    ([UNKNOWN, FAIL, PASS], Verdict.NOT_ELIGIBLE),  # a failed criterion outweighs an unknown one
    ([FAIL], Verdict.NOT_ELIGIBLE),
])
def test_a_rule_set_is_eligible_only_when_every_criterion_passes(statuses, verdict):
    assert verdict_of(statuses) is verdict


def test_the_words_are_those_of_the_json_and_the_panel():
    assert [v.value for v in Verdict] == ["eligible", "not_eligible", "undetermined"]
    assert Verdict.NOT_ELIGIBLE.text == "not eligible"
    assert [s.value for s in CriterionStatus] == ["pass", "fail", "unknown"]
    assert [s.value for s in FlagStatus] == ["flagged", "clear", "unknown", "n/a"]
    assert f"{Verdict.UNDETERMINED}" == "undetermined"  # a message never reads "Verdict.UNDETERMINED"


def _enums_in(doc, where="$") -> list[str]:
    if isinstance(doc, Enum):
        return [f"{where}: {doc!r}"]
    if isinstance(doc, dict):
        return [x for k, v in doc.items() for x in _enums_in(k, f"{where}.key") + _enums_in(v, f"{where}.{k}")]
    if isinstance(doc, (list, tuple)):
        return [x for i, v in enumerate(doc) for x in _enums_in(v, f"{where}[{i}]")]
    return []


def test_an_evaluation_holds_enums_and_its_json_plain_words():
    catalog = load_catalog([])
    lesions = [LesionInfo("L1", site="liver", kind="metastasis", longest_diameter_mm=20.0),
               LesionInfo("P", site="lung", kind="primary", longest_diameter_mm=30.0)]
    ev = evaluate(list(catalog), lesions, {"ecog": 1})  # most facts unknown: undetermined, not eligible
    assert all(isinstance(r.verdict, Verdict) for r in ev.results)
    assert all(isinstance(c.status, CriterionStatus) for r in ev.results for c in r.criteria)
    assert {r.verdict for r in ev.results} <= {Verdict.UNDETERMINED, Verdict.NOT_ELIGIBLE}
    assert [m.kind for m in ev.lesions] == [LesionKind.METASTASIS, LesionKind.PRIMARY]
    assert ev.counts()["primary"] == 1 and ev.counts()["total"] == 1
    doc = ev.to_json()
    assert _enums_in(doc) == []  # strings only at the JSON edge
    assert {r["verdict"] for r in doc["rule_sets"]} <= {"undetermined", "not_eligible"}
    assert json.loads(json.dumps(doc)) == doc


def test_a_lesion_kind_that_is_not_one_is_refused():
    with pytest.raises(ValueError, match="lesion kind"):
        LesionInfo("L1", kind="metastasys")


def _volume(unit) -> Volume:
    info = SeriesInfo(series_uid="1.2.3", modality=Modality.CT)
    return Volume(np.zeros((2, 2, 2), np.int16), np.array([[0, 0, 0], [0, 0, 1.0]]), np.array([1.0, 0, 0]),
                  np.array([0, 1.0, 0]), (1.0, 1.0), info, unit=unit)


def test_a_volume_unit_is_an_enum_and_its_word_is_accepted():
    assert _volume("HU").unit is ValueUnit.HU
    assert _volume("SUVbw").unit is ValueUnit.SUV_BW
    assert _volume("").unit is ValueUnit.AS_STORED and not _volume("").unit  # "as stored" reads as no unit
    with pytest.raises(ValueError):
        _volume("Gy")


def test_a_rule_sets_counting_unit_is_an_enum_and_the_json_says_its_word():
    from core.rules.schema import Counting, CountUnit

    assert Counting(unit="sites").unit is CountUnit.SITES
    with pytest.raises(ValueError):
        Counting(unit="organs")
    rule_set = next(r for r in load_catalog([]) if r.id == "sabr-comet")
    assert rule_set.counting.unit is CountUnit.LESIONS
    (result,) = evaluate([rule_set], [LesionInfo("L1", site="liver")], {}).results
    assert result.to_json()["counted"]["unit"] == "lesions" and type(result.to_json()["counted"]["unit"]) is str

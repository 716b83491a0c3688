"""Case files: round trip, bad files, atomic writes, recovery."""

import json

import numpy as np
import pytest

from core.case import (
    Case, ImageRef, decode_runs, encode_runs, load_case, pending_recoveries, save_case, write_recovery,
)
from core.errors import CaseFileError
from core.lesions import AddLesion, Lesion, LesionMask, UndoStack


def sample_case(tmp_path):
    case = Case(images=[ImageRef(str(tmp_path / "images"), "1.2.3", "1.2.3.9", "CT")])
    arr = np.zeros((3, 4, 5), bool)
    arr[1, 1:3, 2:4] = True
    arr[0, 0, 0] = arr[2, 3, 4] = True
    stack = UndoStack()
    stack.push(AddLesion(case.lesions, Lesion("L1", "Liver 1", site="liver", notes="segment VII",
                                              mask=LesionMask((5, 6, 7), arr, (20, 30, 30), "1.2.3"))))
    stack.push(AddLesion(case.lesions, Lesion("L2", "Lung R", site="lung", laterality="right",
                                              treatable=False, point_mm=(1.5, -2.0, 30.25))))
    return case


def test_runs_encode_and_decode_exactly():
    rng = np.random.default_rng(3)
    for _ in range(20):
        arr = rng.random((4, 5, 6)) > 0.6
        assert np.array_equal(decode_runs(encode_runs(arr), arr.shape), arr)
    with pytest.raises(ValueError, match="expected 120"):
        decode_runs([3, 4], (4, 5, 6))


def test_round_trip_gives_the_same_lesions(tmp_path):
    case = sample_case(tmp_path)
    path = save_case(case, tmp_path / "cases" / "p1.json")
    again = load_case(path)
    assert [l.id for l in again.lesions] == ["L1", "L2"]
    for a, b in zip(case.lesions, again.lesions):
        assert a == b
    assert again.images[0].resolve(path.parent) == (tmp_path / "images").resolve()
    doc = json.loads(path.read_text())
    assert doc["images"][0]["folder"] == "../images"  # relative when possible
    assert doc["lesions"][0]["site_code"]["value"] == "10200004"
    # the audit trail is the one record of the edits; no second list is written (issue 15)
    assert [e.what for e in again.audit] == ["added L1 (Liver 1, liver)", "added L2 (Lung R, lung (right))"]
    assert "history" not in doc and doc["case_uid"] == case.case_uid == again.case_uid
    assert again.lesions.new_id() == "L3"


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ('{"schema": "other"}', "not an OligoPlan case file"),
        ('{"schema": "oligoplan.case", "schema_version": 99}', "schema_version 99 is not supported"),
        ('{"schema": "oligoplan.case", "schema_version": 1, "lesions": [{"id": "L1", "site": "spleen", '
         '"point_mm": [0, 0, 0]}]}', r"lesions\[0\]\.site: unknown site 'spleen'"),
        ('{"schema": "oligoplan.case", "schema_version": 1, "lesions": [{"id": "L1"}]}',
         r"lesions\[0\]: a lesion needs a marker point \(point_mm\) or a mask"),
        ('{"schema": "oligoplan.case", "schema_version": 1, "lesions": [{"id": "L1", "mask": '
         '{"rle": [5], "shape": [2, 2, 2], "offset": [0, 0, 0], "grid_shape": [4, 4, 4], "series_uid": "1"}}]}',
         "run lengths add up to 5"),
        ('{"schema": "oligoplan.case", "schema_version": 1, "lesions": {}}', "lesions: expected a list, found an object"),
    ],
)
def test_bad_case_files_name_the_file_and_the_problem_and_stay_untouched(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CaseFileError, match=message):
        load_case(path)
    assert path.read_text() == content


def test_missing_case_file(tmp_path):
    with pytest.raises(CaseFileError, match="no such case file"):
        load_case(tmp_path / "nope.json")


def test_save_leaves_no_temporary_files(tmp_path):
    case = sample_case(tmp_path)
    save_case(case, tmp_path / "c.json")
    save_case(case, tmp_path / "c.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.json"]


def test_recovery_file_holds_unsaved_work(tmp_path, monkeypatch):
    monkeypatch.setenv("OLIGOPLAN_DATA_DIR", str(tmp_path / "data"))
    case = sample_case(tmp_path)
    path = write_recovery(case)
    assert pending_recoveries() == [path]
    restored = load_case(path)
    assert [l.label for l in restored.lesions] == ["Liver 1", "Lung R"]
    assert restored.images[0].resolve(tmp_path) == (tmp_path / "images").resolve()

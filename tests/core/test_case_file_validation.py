"""Case files are validated before use and before they are saved again (issue 14).

Every bad value is refused with the field's path and the problem (exit 2 on the
command line, one line); the file is never rewritten; fields a newer OligoPlan
wrote are kept on save.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.case import SCHEMA_VERSION, load_case, save_case
from core.case_schema import MAX_DEPTH, MAX_MASK_VOXELS, validate_case_doc
from core.codes import Treatability
from core.errors import CaseFileError
from core.lesions import RemoveLesion, UndoStack, UpdateLesion

ROOT = Path(__file__).resolve().parents[2]
PHANTOM = ROOT / "sample_scans" / "phantom-oligo"
ENV = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}

MASK = {"series_uid": "1.2.3", "grid_shape": [10, 10, 10], "offset": [2, 3, 4], "shape": [2, 1, 1], "rle": [0, 2]}
GOOD = {"schema": "oligoplan.case", "schema_version": 2, "images": [],
        "lesions": [{"id": "L1", "label": "L1", "site": "liver", "treatable": True, "point_mm": [1.0, 2.0, 3.0],
                     "mask": MASK}]}


def with_change(path_and_value: dict) -> dict:
    doc = copy.deepcopy(GOOD)
    for dotted, value in path_and_value.items():
        target, *keys, last = [doc, *dotted.split(".")]
        for k in keys:
            target = target[int(k)] if isinstance(target, list) else target[k]
        target[int(last) if isinstance(target, list) else last] = value
    return doc


def write(tmp_path, doc, name="case.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_the_good_file_loads(tmp_path):
    case = load_case(write(tmp_path, GOOD))
    # a version-2 file's true was only the default: not assessed (issue 12)
    assert case.lesions["L1"].treatable is Treatability.NOT_ASSESSED and case.lesions["L1"].mask.n_voxels == 2


@pytest.mark.parametrize("change, where, problem", [
    ({"lesions.0.treatable": "false"}, "lesions[0].treatable", "unknown treatability 'false'"),
    ({"lesions.0.treatable": 0}, "lesions[0].treatable", "expected yes, no or not assessed, found 0"),
    ({"lesions.0.mask.offset": [-1, 3, 4]}, "lesions[0].mask.offset[0]", "expected a whole number >= 0, found -1"),
    ({"lesions.0.mask.offset": [2, 1.5, 4]}, "lesions[0].mask.offset[1]", "found 1.5"),
    ({"lesions.0.mask.offset": [2, 3, True]}, "lesions[0].mask.offset[2]", "found true"),
    ({"lesions.0.mask.offset": [9, 3, 4]}, "lesions[0].mask.offset",
     "the box [2, 1, 1] at [9, 3, 4] reaches past the image grid [10, 10, 10] (axis 0: 9 + 2 > 10)"),
    ({"lesions.0.mask.grid_shape": [10, 0, 10]}, "lesions[0].mask.grid_shape[1]", "whole number >= 1, found 0"),
    ({"lesions.0.mask.rle": [0, 1]}, "lesions[0].mask.rle", "add up to 1, expected 2"),
    ({"lesions.0.mask.rle": [3, -1]}, "lesions[0].mask.rle[1]", "found -1"),
    ({"lesions.0.mask.series_uid": 5}, "lesions[0].mask.series_uid", "expected text, found 5"),
    ({"lesions.0.mask.spacing": [1, 1, 1]}, "lesions[0].mask",
     "unknown field(s) spacing: the file was made by a newer OligoPlan; open it with that version"),
    ({"history": [{"when": "", "who": "", "what": "added L1", "device": "ws-3"}]}, "history[0]",
     "unknown field(s) device: the file was made by a newer OligoPlan"),
    ({"lesions.0.point_mm": [1, 2]}, "lesions[0].point_mm", "expected 3 values, found 2"),
    ({"lesions.0.point_mm": [1, "2", 3]}, "lesions[0].point_mm[1]", "expected a finite number"),
    ({"lesions.0.label": ["x"]}, "lesions[0].label", "expected text, found a list"),
    ({"lesions.0.kind": "benign"}, "lesions[0].kind", "unknown lesion kind 'benign'"),
    ({"lesions.0.laterality": "up"}, "lesions[0].laterality", "unknown laterality 'up'"),
    ({"lesions.0.id": ""}, "lesions[0].id", "must not be empty"),
    ({"next_lesion_number": 0}, "next_lesion_number", "whole number >= 1, found 0"),
    ({"images": [{"folder": "x", "series_uid": 3}]}, "images[0].series_uid", "expected text"),
    ({"facts": []}, "facts", "expected an object, found a list"),
    ({"review": {"state": "approved", "signoffs": "all"}}, "review.signoffs", "expected a list"),
])
def test_a_bad_value_is_refused_with_its_path_and_the_file_is_untouched(tmp_path, change, where, problem):
    path = write(tmp_path, with_change(change))
    before = path.read_bytes()
    with pytest.raises(CaseFileError) as caught:
        load_case(path)
    assert f"case.json: {where}: " in str(caught.value) and problem in str(caught.value)
    assert "\n" not in str(caught.value)
    assert path.read_bytes() == before


def test_treatable_false_is_read_as_not_treatable(tmp_path):
    assert load_case(write(tmp_path, with_change({"lesions.0.treatable": False}))).lesions["L1"].treatable is Treatability.NO


def test_treatable_no_in_words_is_read_as_not_treatable(tmp_path):
    assert load_case(write(tmp_path, with_change({"lesions.0.treatable": "no"}))).lesions["L1"].treatable is Treatability.NO


def test_a_box_that_ends_on_the_grid_edge_is_inside(tmp_path):
    case = load_case(write(tmp_path, with_change({"lesions.0.mask.offset": [8, 9, 9]})))
    assert case.lesions["L1"].mask.indices().max(axis=0).tolist() == [9, 9, 9]


def test_a_mask_box_at_the_voxel_limit_passes_the_checks_and_one_voxel_more_is_refused(tmp_path):
    side = 1 << 9  # 512 x 512 x 1024 = 2**28 voxels: on the limit (checked, not built: 256 MB)
    on = {"grid_shape": [side, side, 2 * side], "offset": [0, 0, 0], "shape": [side, side, 2 * side],
          "rle": [MAX_MASK_VOXELS - 1, 1]}
    assert side * side * 2 * side == MAX_MASK_VOXELS
    validate_case_doc(with_change({f"lesions.0.mask.{k}": v for k, v in on.items()}), "case.json")
    over = {**on, "grid_shape": [side, side, 2 * side + 1], "shape": [side, side, 2 * side + 1],
            "rle": [MAX_MASK_VOXELS + side * side]}
    with pytest.raises(CaseFileError, match=r"lesions\[0\]\.mask\.shape: declares 268,697,600 voxels, more than "
                                            r"a lesion mask may hold \(268,435,456\)"):
        load_case(write(tmp_path, with_change({f"lesions.0.mask.{k}": v for k, v in over.items()})))


def test_nesting_just_inside_the_limit_loads_and_one_more_level_is_refused(tmp_path):
    def nested(levels):  # the facts object is level 2 of the file, its value starts level 3
        value = {}
        for _ in range(levels - 3):
            value = {"x": value}
        return value

    assert load_case(write(tmp_path, with_change({"facts": {"note": nested(MAX_DEPTH)}})))
    with pytest.raises(CaseFileError, match=f"nested more than {MAX_DEPTH} levels"):
        load_case(write(tmp_path, with_change({"facts": {"note": nested(MAX_DEPTH + 1)}})))


# ------------------------------------------------------ hostile files, command line
def hostile_files() -> dict[str, str]:
    good = json.dumps(GOOD)
    return {
        "NaN": good.replace("[1.0, 2.0, 3.0]", "[1.0, NaN, 3.0]"),
        "Infinity": good.replace("[1.0, 2.0, 3.0]", "[1.0, 2.0, -Infinity]"),
        "1e999": good.replace("[1.0, 2.0, 3.0]", "[1e999, 2.0, 3.0]"),
        "4,000-digit integer": good.replace('"images"', '"next_lesion_number": ' + "7" * 4000 + ', "images"'),
        "6,000-digit integer in an unknown field": good.replace('"images"', '"later": ' + "7" * 6000 + ', "images"'),
        "200k-deep nesting": good.replace('"images"', '"facts": {"a": ' + "[" * 200_000 + "]" * 200_000
                                          + '}, "images"'),
        "mask declaring gigabytes": json.dumps(with_change({"lesions.0.mask": {
            "series_uid": "1", "grid_shape": [4000, 4000, 4000], "offset": [0, 0, 0], "shape": [4000, 4000, 4000],
            "rle": [64_000_000_000]}})),
        "mask box of gigabytes in a grid that fits": json.dumps(with_change({"lesions.0.mask": {
            "series_uid": "1", "grid_shape": [1600, 1600, 1600], "offset": [0, 0, 0], "shape": [1600, 1600, 1600],
            "rle": [4_096_000_000]}})),
        "treatable false in words": json.dumps(with_change({"lesions.0.treatable": "false"})),
        "negative offset": json.dumps(with_change({"lesions.0.mask.offset": [-2, 3, 4]})),
    }


EXPECTED = {
    "NaN": "lesions[0].point_mm[1]: NaN is not a finite number",
    "Infinity": "lesions[0].point_mm[2]: -Infinity is not a finite number",
    "1e999": "lesions[0].point_mm[0]: 1e999 is not a finite number",
    "4,000-digit integer": "next_lesion_number: a 4000-digit integer",
    "6,000-digit integer in an unknown field": "later: a 6000-digit integer",
    "200k-deep nesting": "nested deeper than a case file can be",
    "mask declaring gigabytes": "lesions[0].mask.grid_shape: declares 64,000,000,000 voxels",
    "mask box of gigabytes in a grid that fits": "lesions[0].mask.shape: declares 4,096,000,000 voxels",
    "treatable false in words": "lesions[0].treatable: unknown treatability 'false'",
    "negative offset": "lesions[0].mask.offset[0]: expected a whole number >= 0, found -2",
}


@pytest.mark.parametrize("kind", list(EXPECTED))
def test_hostile_case_files_end_in_a_one_line_refusal_exit_2(tmp_path, kind):
    path = tmp_path / "hostile.json"
    path.write_text(hostile_files()[kind], encoding="utf-8")
    before = path.read_bytes()
    run = subprocess.run([sys.executable, "-m", "gui.entry", "check", str(path)], capture_output=True, text=True,
                         env=ENV, timeout=120)
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("oligoplan check: hostile.json: "), run.stderr
    assert EXPECTED[kind] in lines[0] and "internal error" not in lines[0]
    assert path.read_bytes() == before


@pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")
def test_segment_refuses_a_corrupt_case_and_does_not_rewrite_it(tmp_path):
    path = tmp_path / "corrupt.json"
    path.write_text(json.dumps(with_change({"lesions.0.treatable": "false"})), encoding="utf-8")
    before = path.read_bytes()
    truth = json.loads((PHANTOM / "ground_truth.json").read_text())["lesions"][0]["centre_mm"]
    run = subprocess.run([sys.executable, "-m", "gui.entry", "segment", str(PHANTOM),
                          "--seed=" + ",".join(f"{v:g}" for v in truth), "--out", str(path)],
                         capture_output=True, text=True, env=ENV, cwd=tmp_path, timeout=300)
    assert run.returncode == 2 and "lesions[0].treatable: unknown treatability 'false'" in run.stderr
    assert "saved" not in run.stdout
    assert path.read_bytes() == before


# ------------------------------------------------------- fields of a newer version
def test_fields_of_a_newer_version_are_kept_on_save(tmp_path):
    doc = copy.deepcopy(GOOD)
    doc["lesions"].append({"id": "L2", "point_mm": [0, 0, 0], "future_score": {"value": 3}})
    doc["lesions"][0]["site_source"] = "ct-anatomy"
    doc["workflow"] = {"step": 4, "owner": "team b"}
    doc["images"] = [{"folder": "ct", "series_uid": "1.2.3", "slab": "axial"}]
    doc["structure_sets"] = [{"path": "rs.dcm", "sop_uid": "9.8", "origin": "tps"}]
    doc["review"] = {"state": "draft", "signoffs": [], "queue": "physics"}
    path = write(tmp_path, doc)
    case = load_case(path)
    stack = UndoStack()
    stack.push(UpdateLesion(case.lesions, case.lesions["L1"].with_changes(label="Liver 1")))
    save_case(case, path)
    again = json.loads(path.read_text())
    assert again["workflow"] == {"step": 4, "owner": "team b"}
    assert again["lesions"][0]["site_source"] == "ct-anatomy" and again["lesions"][0]["label"] == "Liver 1"
    assert again["lesions"][1]["future_score"] == {"value": 3}
    assert again["images"][0]["slab"] == "axial" and again["structure_sets"][0]["origin"] == "tps"
    assert again["review"]["queue"] == "physics"
    stack.push(RemoveLesion(case.lesions, "L2"))  # a deleted lesion takes its fields with it
    save_case(case, path)
    assert [l.get("future_score") for l in json.loads(path.read_text())["lesions"]] == [None]


def test_an_unknown_field_cannot_override_a_known_one_on_save(tmp_path):
    doc = copy.deepcopy(GOOD)
    doc["lesions"][0]["notes"] = "known"
    path = write(tmp_path, doc)
    case = load_case(path)
    save_case(case, path)
    again = json.loads(path.read_text())
    assert again["schema_version"] == SCHEMA_VERSION and again["lesions"][0]["notes"] == "known"


def test_a_file_larger_than_any_case_is_refused_before_it_is_read(tmp_path):
    from core.case_schema import MAX_CASE_BYTES

    path = tmp_path / "huge.json"
    with open(path, "wb") as fh:  # sparse: no disk space used
        fh.truncate(MAX_CASE_BYTES + 1)
    with pytest.raises(CaseFileError, match=r"huge\.json: 268,435,457 bytes, more than a case file holds"):
        load_case(path)


def test_a_device_given_as_the_case_file_is_refused_not_read_forever(tmp_path):
    run = subprocess.run([sys.executable, "-m", "gui.entry", "check", "/dev/zero"], capture_output=True, text=True,
                         env=ENV, timeout=60)
    assert run.returncode == 2 and "/dev/zero: not a regular file" in run.stderr

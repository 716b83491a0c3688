"""`oligoplan score` as a user runs it, on the phantom with known lesions."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.case import Case, load_case, save_case
from core.lesions import AddLesion, Lesion, UndoStack

ROOT = Path(__file__).resolve().parents[2]
PHANTOM = ROOT / "sample_scans" / "phantom-oligo"


def oligoplan(*args, cwd):
    return subprocess.run([sys.executable, "-m", "gui.entry", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def phantom():
    if not PHANTOM.is_dir():
        pytest.skip("sample_scans/phantom-oligo not generated")
    from core.workspace import open_folder

    return open_folder(PHANTOM)


@pytest.fixture(scope="module")
def truth():
    return {item["id"]: item for item in json.loads((PHANTOM / "ground_truth.json").read_text())["lesions"]}


def make_case(workspace, seeds_and_sites, path):
    case = Case(images=workspace.image_refs())
    stack = UndoStack()
    for seed, site in seeds_and_sites:
        lesion_id = case.lesions.new_id()
        stack.push(AddLesion(case.lesions, Lesion(lesion_id, lesion_id, site=site, point_mm=seed,
                                                  mask=workspace.segment(seed))))
    return save_case(case, path)


@pytest.fixture(scope="module")
def cases(phantom, truth, tmp_path_factory):
    folder = tmp_path_factory.mktemp("score")
    ref = make_case(phantom, [(t["centre_mm"], t["organ"]) for t in truth.values()], folder / "reference.json")
    # the trainee: L1-L3 right, L4 (lung) called bone, L5 missed, one extra in the spleen region
    trainee_seeds = [(truth[i]["centre_mm"], truth[i]["organ"]) for i in ("L1", "L2", "L3")]
    trainee_seeds.append((truth["L4"]["centre_mm"], "bone"))
    trainee = make_case(phantom, trainee_seeds, folder / "trainee.json")
    case = load_case(trainee)  # and a point marker far from any lesion
    UndoStack().push(AddLesion(case.lesions, Lesion("L5", "L5", site="liver", point_mm=(60.0, 0.0, -80.0))))
    save_case(case, trainee)
    return folder, ref, trainee


def test_score_json_has_the_issue_shape_and_the_right_figures(cases):
    folder, ref, trainee = cases
    run = oligoplan("score", ref, trainee, "--json", cwd=folder)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert {"matched", "missed", "extra", "sensitivity", "false_positives", "count_agrees",
            "verdicts_agree"} <= set(doc)
    pairs = [(m["reference"], m["trainee"]) for m in doc["matched"]]
    assert pairs == [("L1", "L1"), ("L2", "L2"), ("L3", "L3"), ("L4", "L4")]
    assert doc["missed"] == ["L5"] and doc["extra"] == ["L5"]
    assert doc["sensitivity"] == 0.8 and doc["false_positives"] == 1
    assert doc["count_agrees"] is True and doc["per_organ_counts_agree"] is False
    for m in doc["matched"]:  # the same click on the same images: the same contour
        assert m["dice"] == 1.0 and m["hd95_mm"] == 0.0 and m["msd_mm"] == 0.0 and m["volume_diff_pct"] == 0.0
    assert [m["site_agrees"] for m in doc["matched"]] == [True, True, True, False]
    # the rule engine judged both sides (same facts, every shipped rule set)
    assert isinstance(doc["verdicts_agree"], bool)
    assert doc["reference_verdicts"] and set(doc["reference_verdicts"]) == set(doc["trainee_verdicts"])
    assert doc["verdicts_agree"] == (doc["reference_verdicts"] == doc["trainee_verdicts"])


def test_score_summary_names_misses_extras_and_site_errors(cases):
    folder, ref, trainee = cases
    run = oligoplan("score", ref, trainee, cwd=folder)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "4 of 5 reference lesion(s) found: sensitivity 80%; 1 false positive(s)" in out
    assert "missed: L5" in out and "extra: L5" in out
    assert "site differs (lung vs bone)" in out


def test_scoring_a_case_against_itself_is_perfect(cases):
    folder, ref, _ = cases
    doc = json.loads(oligoplan("score", ref, ref, "--json", cwd=folder).stdout)
    assert doc["sensitivity"] == 1.0 and doc["false_positives"] == 0 and doc["per_organ_counts_agree"]
    assert doc["verdicts_agree"] is True


def test_a_shifted_trainee_contour_scores_below_one(phantom, truth, tmp_path):
    t = truth["L1"]
    ref = make_case(phantom, [(t["centre_mm"], "liver")], tmp_path / "r.json")
    shifted = np.array(t["centre_mm"]) + [4.0, 0.0, 0.0]
    case = load_case(ref)
    lesion = case.lesions["L1"]
    mask = lesion.mask
    dx = phantom.primary.pixel_spacing_mm[1]
    moved = type(mask)((mask.offset[0], mask.offset[1], mask.offset[2] + int(round(4.0 / dx))),
                       mask.array, mask.grid_shape, mask.series_uid)
    other = Case(images=case.images)
    UndoStack().push(AddLesion(other.lesions, Lesion("L1", "L1", site="liver", point_mm=shifted, mask=moved)))
    trainee = save_case(other, tmp_path / "t.json")
    doc = json.loads(oligoplan("score", ref, trainee, "--json", cwd=tmp_path).stdout)
    (m,) = doc["matched"]
    shift = int(round(4.0 / dx)) * dx
    assert 0.5 < m["dice"] < 0.9 and m["volume_diff_pct"] == 0.0
    assert shift - 0.5 <= m["hd95_mm"] <= shift + dx


@pytest.mark.parametrize("args,message", [
    (["missing.json", "missing.json"], "missing.json: no such file"),
    (["not-a-case.json", "not-a-case.json"], "not an OligoPlan case file"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    (tmp_path / "not-a-case.json").write_text('{"hello": 1}')
    run = oligoplan("score", *args, cwd=tmp_path)
    assert run.returncode == 2 and message in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_an_rtstruct_exported_from_the_reference_scores_as_the_reference(cases):
    """A planning system's RTSTRUCT as either side: the expert's exported structures against
    the trainee's case, and against the expert's own case (round trip: the same lesions)."""
    folder, ref, trainee = cases
    out = folder / "rt"
    run = oligoplan("export", ref, "--out", out, "--rtstruct", cwd=folder)
    assert run.returncode == 0, run.stderr
    (rtstruct,) = sorted(out.glob("*.dcm"))

    run = oligoplan("score", rtstruct, trainee, "--images", PHANTOM, "--json", cwd=folder)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert len(doc["matched"]) == 4 and len(doc["missed"]) == 1 and doc["false_positives"] == 1
    assert doc["sensitivity"] == 0.8
    for m in doc["matched"]:  # contours through DICOM and back: close, not bit-identical
        assert m["dice"] > 0.9 and m["msd_mm"] <= 1.0 and abs(m["volume_diff_pct"]) <= 5.0

    run = oligoplan("score", ref, rtstruct, "--images", PHANTOM, "--json", cwd=folder)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["sensitivity"] == 1.0 and doc["false_positives"] == 0 and doc["count_agrees"]
    assert all(m["dice"] > 0.9 for m in doc["matched"])
    # the sites travel in the RTSTRUCT (ROI observation description), so organs agree too
    assert all(m["site_agrees"] for m in doc["matched"]) and doc["per_organ_counts_agree"] is True

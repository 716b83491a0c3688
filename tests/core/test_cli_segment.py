"""`oligoplan segment` as a user scripts it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.case import load_case

ROOT = Path(__file__).resolve().parents[2]
PHANTOM = ROOT / "sample_scans" / "phantom-oligo"


def oligoplan(*args, cwd):
    return subprocess.run([sys.executable, "-m", "gui.entry", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def truth():
    if not PHANTOM.is_dir():
        pytest.skip("sample_scans/phantom-oligo not generated")
    return {l["id"]: l for l in json.loads((PHANTOM / "ground_truth.json").read_text())["lesions"]}


def seed(lesion):
    return ",".join(f"{v:g}" for v in lesion["centre_mm"])


def test_segment_creates_then_extends_a_case(tmp_path, truth):
    case = tmp_path / "case.json"
    first = oligoplan("segment", PHANTOM, "--seed", seed(truth["L1"]), "--seed", seed(truth["L2"]),
                      "--site", "liver", "--out", case, "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc["case"] == str(case)
    assert [l["id"] for l in doc["lesions"]] == ["L1", "L2"]
    row = doc["lesions"][0]
    assert set(row) == {"id", "site", "side", "site_source", "kind", "volume_cc", "centroid_mm",
                        "longest_axial_diameter_mm", "longest_3d_diameter_mm", "short_axis_mm", "hu_mean",
                        "suv_max", "suv_mean", "suv_peak"}
    assert row["site"] == "liver" and row["kind"] == "metastasis"
    assert row["site_source"] == "user" and row["side"] == ""  # --site: the user's choice, nothing proposed
    assert row["suv_max"] > 5  # the folder holds a PET
    assert abs(row["centroid_mm"][0] - truth["L1"]["centre_mm"][0]) < 2

    second = oligoplan("segment", PHANTOM, "--seed", seed(truth["L5"]), "--site", "bone", "--out", case,
                       "--json", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert [l["id"] for l in json.loads(second.stdout)["lesions"]] == ["L3"]
    assert [l.site.value for l in load_case(case).lesions] == ["liver", "liver", "bone"]
    # segmenting proposes lesions; nobody assessed whether they can be treated (issue 12)
    assert [l.treatable.value for l in load_case(case).lesions] == ["not assessed"] * 3
    # labelled as the lesion tools of the window label them (core.lesion_labels), not by their ids
    assert [l.label for l in load_case(case).lesions] == ["Liver 1", "Liver 2", "Bone 1"]


def test_seed_outside_the_image_exits_2_and_saves_nothing(tmp_path, truth):
    case = tmp_path / "case.json"
    result = oligoplan("segment", PHANTOM, "--seed", seed(truth["L1"]), "--seed", "0,0,900", "--out", case,
                       cwd=tmp_path)
    assert result.returncode == 2
    assert "outside the image" in result.stderr and "nothing was saved" in result.stderr
    assert "Traceback" not in result.stderr
    assert not case.exists()


@pytest.mark.parametrize("bad, message", [("1,2", "expected three numbers"), ("a,b,c", "expected three numbers")])
def test_malformed_seed(tmp_path, truth, bad, message):
    result = oligoplan("segment", PHANTOM, f"--seed={bad}", cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr


def test_unknown_site_is_refused(tmp_path, truth):
    result = oligoplan("segment", PHANTOM, "--seed", seed(truth["L1"]), "--site", "spleen", cwd=tmp_path)
    assert result.returncode == 2 and "unknown site 'spleen'" in result.stderr

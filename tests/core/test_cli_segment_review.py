"""`oligoplan segment` extending a signed-off or hand-edited case says so, as the window does."""

import json

from core.case import load_case, save_case
from core.review import ReviewState
from tests.core.test_cli_segment import PHANTOM, oligoplan, seed, truth  # noqa: F401 - fixture


def first_case(tmp_path, truth):
    case = tmp_path / "case.json"
    made = oligoplan("segment", PHANTOM, "--seed", seed(truth["L1"]), "--site", "liver", "--out", case,
                     cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    return case


def test_extending_an_approved_case_reopens_it_and_says_so(tmp_path, truth):
    path = first_case(tmp_path, truth)
    case = load_case(path)
    case.review.sign(ReviewState.REVIEWED, "contours checked", name="A. Physicist", role="medical physicist")
    case.review.sign(ReviewState.APPROVED, "for SBRT", name="B. Oncologist", role="radiation oncologist")
    save_case(case, path)

    run = oligoplan("segment", PHANTOM, "--seed", seed(truth["L5"]), "--site", "bone", "--out", path, "--json",
                    cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["lesions"][0]["id"] == "L2"  # stdout stays the JSON alone
    assert "approved by B. Oncologist" in run.stderr and "reopens it as a draft" in run.stderr
    assert load_case(path).review.state is ReviewState.DRAFT


def test_extending_a_hand_edited_case_warns_and_keeps_the_evidence(tmp_path, truth):
    path = first_case(tmp_path, truth)
    doc = json.loads(path.read_text())
    doc["audit"]["entries"][0]["who"] = "someone else"
    path.write_text(json.dumps(doc))

    run = oligoplan("segment", PHANTOM, "--seed", seed(truth["L5"]), "--out", path, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "warning: case.json: Audit trail: audit entry 1" in run.stderr and "hash does not match" in run.stderr
    assert load_case(path).integrity_warnings  # still reported at the next opening: not laundered by the save


def test_extending_an_untouched_draft_prints_no_warning(tmp_path, truth):
    path = first_case(tmp_path, truth)
    run = oligoplan("segment", PHANTOM, "--seed", seed(truth["L5"]), "--out", path, cwd=tmp_path)
    assert run.returncode == 0 and run.stderr == ""

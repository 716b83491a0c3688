"""`oligoplan track` on the two-timepoint phantom: statuses, counts, positions, the output case, refusals."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from bench.two_timepoints import standard_case
from tests.core.track_phantom_files import write_two_timepoints

CASE = standard_case()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_two_timepoints(CASE, tmp_path_factory.mktemp("track"))


def _run(*args):
    return subprocess.run([sys.executable, "-m", "gui.entry", "track", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def tracked(files, tmp_path_factory):
    prior, current = files
    out = tmp_path_factory.mktemp("out") / "current.json"
    proc = _run(prior, current, "--json", "--out", out, "--height-m", "1.8", "--sex", "M")  # CT alone: not used
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), out


def test_json_shape_is_the_contract(tracked):
    doc, _ = tracked
    assert {"registration", "lesions", "new", "counts", "derived_facts"} <= set(doc)
    assert set(doc["registration"]) == {"method", "metric", "metric_value", "seconds", "transform"}
    assert doc["registration"]["method"] == "rigid"
    for item in doc["lesions"]:
        assert {"id", "prior_id", "status", "centroid_mm", "prior", "current"} <= set(item)
    assert set(doc["counts"]) == {"prior", "current"}


def test_statuses_and_values_at_both_dates(tracked):
    doc, _ = tracked
    status = {item["prior_id"]: item["status"] for item in doc["lesions"]}
    assert status == {"L1": "progressing", "L2": "responding", "L3": "disappeared", "L4": "stable", "L5": "stable"}
    by_id = {item["id"]: item for item in doc["lesions"]}
    assert by_id["L1"]["prior"]["size_mm"] == pytest.approx(20.0, abs=2.0)
    assert by_id["L1"]["current"]["size_mm"] == pytest.approx(26.0, abs=2.0)
    assert by_id["L3"]["current"] is None and "carried-over position" in by_id["L3"]["note"]
    assert all(item["decided_by"] in ("CT", "not found") for item in doc["lesions"])  # no PET in this case


def test_carried_over_lesions_within_2_mm_of_truth(tracked):
    doc, _ = tracked
    for item in doc["lesions"]:
        if item["status"] == "disappeared":
            continue
        truth = np.array(CASE.current_lesions[item["prior_id"]].centre_mm)
        assert np.linalg.norm(np.array(item["centroid_mm"]) - truth) < 2.0, item


def test_without_the_finder_new_lesions_are_not_claimed_absent(tracked):
    doc, _ = tracked
    # CT alone: no search, and the report says the user marks new lesions
    assert doc["new"] == [] and any("no PET" in w and "by hand" in w for w in doc["warnings"])
    assert doc["counts"] == {"prior": 5, "current": 4}
    facts = doc["derived_facts"]
    assert facts["history_oligometastatic"]["value"] == "yes" and facts["history_oligometastatic"]["derived"]
    assert facts["lesions_progressing"]["value"] == "yes"  # L1 progresses: yes needs no new-lesion search
    assert facts["new_lesions"]["value"] is None and "no PET" in facts["new_lesions"]["reason"]


def test_output_case_keeps_ids_and_holds_proposals_only(tracked):
    from core.case import load_case

    _, out = tracked
    case = load_case(out)
    assert [lesion.id for lesion in case.lesions] == ["L1", "L2", "L4", "L5"]
    assert all("a proposal" in lesion.notes for lesion in case.lesions)
    assert case.facts == {}  # derived facts are not confirmed on the user's behalf
    body = json.loads(out.read_text())
    assert body["tracking"]["derived_facts"]["lesions_progressing"]["confirmed"] is False
    assert body["tracking"]["statuses"]["L3"] == "disappeared"


def test_existing_out_is_not_overwritten(files, tmp_path):
    prior, current = files
    out = tmp_path / "exists.json"
    out.write_text("keep me")
    proc = _run(prior, current, "--out", out)
    assert proc.returncode == 2 and "not overwritten" in proc.stderr
    assert out.read_text() == "keep me"


def test_height_and_sex_without_pet_are_said_unused(tracked):
    warnings = tracked[0]["warnings"]
    assert any("--height-m and --sex were not used" in w and "neither date" in w for w in warnings)


def test_prior_case_whose_images_are_gone_is_refused(files, tmp_path):
    prior, current = files
    copy = tmp_path / "prior"
    shutil.copytree(prior.parent, copy)
    shutil.rmtree(copy / "images")
    proc = _run(copy / "case.json", current, "--json")
    assert proc.returncode == 2
    assert "not found" in proc.stderr and "prior case's images are needed" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_output_case_stores_what_the_summary_timeline_shows(tracked):
    from core.case import load_case
    from core.tracking.stored import read_tracking

    _, out = tracked
    stored = read_tracking(load_case(out))
    assert (stored.prior_date, stored.current_date) == ("2024-01-02", "2024-05-02")
    assert (stored.count_prior, stored.count_current, stored.new_searched) == (5, 4, False)
    by_id = {t.id: t for t in stored.lesions}
    assert by_id["L1"].prior.size_mm == pytest.approx(20.0, abs=2.0) and by_id["L1"].site == "lung"
    assert by_id["L3"].current is None and by_id["L3"].status.value == "disappeared"
    assert stored.transform is not None and stored.transform.rotation_deg > 1.0

"""PET candidates in a case: `oligoplan detect`, accept / reject / undo, audit trail, saved and reopened,
and every rule set undetermined while any candidate waits for review."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from core.candidates import AcceptCandidate, CandidateSet, CandidateStatus, RejectCandidate, lesion_from_candidate
from core.case import load_case, save_case
from core.errors import CaseFileError
from core.lesions import UndoStack
from core.rules.case_check import check_case
from core.rules.loader import load_catalog
from core.samples import SAMPLE_ROOT
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case, workspace

pytestmark = pytest.mark.skipif(not (SAMPLE_ROOT / "phantom-oligo").is_dir(), reason="sample scans not present")
PHANTOM = SAMPLE_ROOT / "phantom-oligo"
DATE = "2024-03-20"


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "gui.entry", *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def detected(tmp_path_factory):
    """phantom-oligo with its five lesions (eligible for SABR-COMET) and `detect --out` run on it."""
    folder = tmp_path_factory.mktemp("detected")
    case = phantom_case("phantom-oligo", folder, ELIGIBLE_FACTS)
    proc = run_cli("detect", PHANTOM, "--out", case, "--json")
    assert proc.returncode == 0, proc.stderr
    return case, json.loads(proc.stdout)


def test_detect_json_shape_on_the_command_line(detected):
    _, doc = detected
    assert set(doc) == {"reference", "candidates", "suppressed", "seconds"}
    assert set(doc["reference"]) == {"method", "organ", "unit", "sul_mean", "sul_sd", "threshold", "centre_mm"}
    assert doc["reference"]["method"] == "structure:LIVER"  # the folder's structure set has a LIVER
    assert doc["reference"]["unit"] == "SUL"
    assert len(doc["candidates"]) == 5
    for c in doc["candidates"]:
        assert set(c) == {"id", "centroid_mm", "volume_cc", "suv_max", "sul_peak", "site", "side", "site_source"}


def test_detect_out_stores_candidates_for_review_and_keeps_the_lesions(detected):
    case_path, doc = detected
    case = load_case(case_path)
    assert len(case.lesions) == 5  # the case's own lesions are untouched
    assert [c.id for c in case.candidates] == [c["id"] for c in doc["candidates"]]
    assert all(c.status is CandidateStatus.UNREVIEWED for c in case.candidates)
    assert all(c.mask is not None and c.mask.series_uid == workspace("phantom-oligo").pet.info.series_uid
               for c in case.candidates)
    assert case.candidates.reference["threshold"] == doc["reference"]["threshold"]


def test_every_rule_set_undetermined_while_candidates_wait(detected):
    case_path, _ = detected
    proc = run_cli("check", case_path, "--json", "--date", DATE)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["rule_sets"] and all(r["verdict"] == "undetermined" for r in doc["rule_sets"])
    first = doc["rule_sets"][0]["criteria"][0]
    assert (first["id"], first["status"], first["value"]) == ("pet_candidates_reviewed", "unknown", 5)
    assert "5 PET candidates not yet reviewed" in first["reason"]
    assert doc["warnings"][0].startswith("5 PET candidates not yet reviewed: accept or reject each")
    assert "warning: 5 PET candidates not yet reviewed" in proc.stderr
    human = run_cli("check", case_path, "--date", DATE, "--rules", "sabr-comet")
    assert "sabr-comet" in human.stdout and "UNDETERMINED" in human.stdout
    assert "PET candidates reviewed: 5 unreviewed" in human.stdout


def _verdicts(case):
    catalog = load_catalog(user_dir=False)
    result = check_case(case, [catalog["sabr-comet"]], today=__import__("datetime").date(2024, 3, 20))
    return {r.id: r.verdict for r in result.evaluation.results}


def test_rejecting_every_candidate_gives_back_the_verdict(detected, tmp_path):
    case = load_case(detected[0])
    assert _verdicts(case) == {"sabr-comet": "undetermined"}
    stack = UndoStack()
    ids = [c.id for c in case.candidates]
    for cid in ids[:-1]:
        stack.push(RejectCandidate(case, cid))
        assert _verdicts(case) == {"sabr-comet": "undetermined"}  # one still waits
    stack.push(RejectCandidate(case, ids[-1]))
    assert _verdicts(case) == {"sabr-comet": "eligible"}  # the case's own five lesions, as before detection
    stack.undo()
    assert case.candidates[ids[-1]].status is CandidateStatus.UNREVIEWED
    assert _verdicts(case) == {"sabr-comet": "undetermined"}
    actions = [e.action for e in case.audit]
    assert actions.count("candidate_rejected") == 5 and actions[-1] == "candidate_reopened"


def test_accept_makes_a_lesion_with_its_segmentation_undo_removes_it(detected):
    case = load_case(detected[0])
    ws = workspace("phantom-oligo")
    cand = case.candidates["C1"]
    lesion = lesion_from_candidate(cand, case.lesions.new_id(), pet=ws.pet, grid=ws.ct)
    stack = UndoStack()
    stack.push(AcceptCandidate(case, "C1", lesion))
    assert case.candidates["C1"].status is CandidateStatus.ACCEPTED
    assert case.candidates["C1"].lesion_id == lesion.id and lesion.id in case.lesions
    added = case.lesions[lesion.id]
    assert added.mask.series_uid == ws.ct.info.series_uid  # on the CT grid, like the click tool's lesions
    volume_cc = added.mask.n_voxels * np.prod(ws.ct.spacing_mm) / 1000.0
    assert volume_cc == pytest.approx(cand.volume_cc, rel=0.25)
    centre = ws.ct.index_to_patient(added.mask.indices().mean(axis=0)[None])[0]
    assert np.linalg.norm(centre - np.array(cand.centroid_mm)) < 3.0
    assert added.point_mm == cand.centroid_mm and "PET candidate C1" in added.notes
    assert added.laterality.value == cand.side  # the proposed side ("right" here)
    actions = [e.action for e in case.audit][-2:]
    assert actions == ["lesion_added", "candidate_accepted"]
    stack.undo()
    assert lesion.id not in case.lesions and case.candidates["C1"].status is CandidateStatus.UNREVIEWED
    assert [e.action for e in case.audit][-2:] == ["lesion_deleted", "candidate_reopened"]
    stack.redo()
    assert lesion.id in case.lesions and case.candidates["C1"].status is CandidateStatus.ACCEPTED


def test_unknown_site_proposal_is_never_a_guessed_site(detected):
    from dataclasses import replace

    case = load_case(detected[0])
    cand = case.candidates["C2"]
    # the candidate's site comes from core.anatomy (organ structures, else the CT): a proposal, not a choice
    lesion = lesion_from_candidate(cand, "L99")
    assert (lesion.site.value, lesion.laterality.value, lesion.site_source_text) == \
        (cand.site, cand.side, cand.site_source)
    assert lesion.site_proposed and cand.site_source != "user"
    # a candidate nothing could place: its lesion's site is "unknown" (counted as unknown), still to choose
    unplaced = lesion_from_candidate(replace(cand, site="unknown", site_source="unknown"), "L98")
    assert unplaced.site.value == "unknown" and unplaced.site_proposed


def test_decisions_are_saved_and_reopened(detected, tmp_path):
    case = load_case(detected[0])
    ws = workspace("phantom-oligo")
    stack = UndoStack()
    stack.push(AcceptCandidate(case, "C1", lesion_from_candidate(case.candidates["C1"], case.lesions.new_id(),
                                                                 pet=ws.pet, grid=ws.ct)))
    stack.push(RejectCandidate(case, "C2"))
    out = save_case(case, tmp_path / "reviewed.json")
    again = load_case(out)
    statuses = {c.id: c.status for c in again.candidates}
    assert statuses["C1"] is CandidateStatus.ACCEPTED and statuses["C2"] is CandidateStatus.REJECTED
    assert {statuses[i] for i in ("C3", "C4", "C5")} == {CandidateStatus.UNREVIEWED}
    assert again.candidates["C1"].lesion_id in again.lesions
    assert again.candidates["C3"].mask == case.candidates["C3"].mask
    assert again.integrity_warnings == []  # the audit trail holds the decisions, hash chain intact
    assert len(again.candidates.unreviewed) == 3


def test_case_without_candidates_has_no_field_and_older_files_read(tmp_path):
    path = phantom_case("phantom-oligo", tmp_path, ELIGIBLE_FACTS)
    doc = json.loads(path.read_text())
    assert "pet_candidates" not in doc
    assert len(load_case(path).candidates) == 0


@pytest.mark.parametrize("bad", [
    {"candidates": "C1"},
    {"candidates": [{"id": "C1"}]},
    {"candidates": [{"id": "C1", "centroid_mm": [1, 2, "x"], "volume_cc": 1, "suv_max": 5, "sul_peak": 3}]},
    {"candidates": [{"id": "C1", "centroid_mm": [1, 2, 3], "volume_cc": 1, "suv_max": 5, "sul_peak": 3,
                     "status": "maybe"}]},
])
def test_broken_candidates_in_a_case_file_name_the_field(tmp_path, bad):
    path = phantom_case("phantom-oligo", tmp_path, ELIGIBLE_FACTS)
    doc = json.loads(path.read_text())
    doc["pet_candidates"] = bad
    path.write_text(json.dumps(doc))
    with pytest.raises(CaseFileError, match="pet_candidates"):
        load_case(path)


def test_detect_human_output_and_the_refusals(tmp_path):
    proc = run_cli("detect", PHANTOM)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Reference: liver (structure:LIVER)") and "5 candidate(s)" in proc.stdout
    ct_only = tmp_path / "ct"
    ct_only.symlink_to(PHANTOM / "CT", target_is_directory=True)
    proc = run_cli("detect", ct_only)
    assert proc.returncode == 2
    assert "candidates need a PET" in proc.stderr and "oligoplan segment --seed" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = run_cli("detect", PHANTOM, "--liver", "1,2")
    assert proc.returncode == 2 and "--liver '1,2': expected three numbers" in proc.stderr
    proc = run_cli("detect", PHANTOM, "--threshold", "0")
    assert proc.returncode == 2 and "expected a threshold above 0" in proc.stderr
    proc = run_cli("detect", tmp_path / "nowhere")
    assert proc.returncode == 2 and "no such folder" in proc.stderr


def test_detect_out_into_a_case_of_other_images_is_refused(tmp_path):
    other = phantom_case("phantom-poly", tmp_path, {})
    before = other.read_text()
    proc = run_cli("detect", PHANTOM, "--out", other)
    assert proc.returncode == 2 and "do not belong to this case" in proc.stderr
    assert other.read_text() == before  # nothing written


def test_candidate_set_from_json_round_trip():
    cands = CandidateSet.from_json({"candidates": [
        {"id": "C1", "centroid_mm": [1, 2, 3], "volume_cc": 1.5, "suv_max": 7.0, "sul_peak": 4.0, "site": "unknown",
         "side": "left", "site_source": "unknown", "status": "rejected", "mask": None}],
        "reference": {"threshold": 3.0}, "suppressed": [{"centroid_mm": [0, 0, 0], "organ": "bladder", "reason": "r"}]})
    again = CandidateSet.from_json(cands.to_json())
    assert again.items == cands.items and again.suppressed == cands.suppressed
    assert again.unreviewed == []


def test_detect_takes_a_structure_set_file(tmp_path):
    rtstruct = next((PHANTOM / "RTSTRUCT").glob("*.dcm"))
    pet_only = tmp_path / "pet"
    pet_only.symlink_to(PHANTOM / "PT", target_is_directory=True)  # no structure set beside the PET
    proc = run_cli("detect", pet_only, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["reference"]["method"] == "automatic"
    proc = run_cli("detect", pet_only, "--structures", rtstruct, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["reference"]["method"] == "structure:LIVER"
    proc = run_cli("detect", pet_only, "--structures", tmp_path / "missing.dcm")
    assert proc.returncode == 2 and "missing.dcm: no such file" in proc.stderr


def test_a_detection_that_found_nothing_is_kept_and_blocks_nothing(tmp_path):
    path = phantom_case("phantom-oligo", tmp_path, ELIGIBLE_FACTS)
    case = load_case(path)
    case.candidates = CandidateSet([], {"method": "automatic", "organ": "liver", "unit": "SUL", "threshold": 3.3},
                                   [{"centroid_mm": [0, 0, 0], "organ": "bladder", "reason": "physiological uptake"}])
    again = load_case(save_case(case, path))
    assert again.candidates.reference["threshold"] == 3.3 and len(again.candidates.suppressed) == 1
    assert _verdicts(again) == {"sabr-comet": "eligible"}


def test_detect_text_names_what_was_proposed_and_never_prints_an_empty_side():
    """`oligoplan detect` printed "site unknown (proposed, unknown), side " for a midline candidate."""
    from types import SimpleNamespace

    from core.cli.detect import _site_text

    midline = SimpleNamespace(site="unknown", site_source="unknown", side="")
    liver = SimpleNamespace(site="liver", site_source="structure:LIVER", side="right")
    assert _site_text(midline) == "site unknown, no side"
    assert _site_text(liver) == "site liver (proposed, structure:LIVER), side right"

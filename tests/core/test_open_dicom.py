"""`oligoplan open-dicom`: a case rebuilt from the OligoPlan SR of its study and the SEG it references."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import generate_uid

from core.case import load_case
from tests.phantom_cases import phantom_case

ROOT = Path(__file__).resolve().parents[2]
PHANTOM = ROOT / "sample_scans" / "phantom-oligo"
pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")


def oligoplan(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "gui.entry", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("opendicom")
    case_path = phantom_case("phantom-oligo", folder)
    run = oligoplan("export", case_path, "--out", folder / "out", "--sr")
    assert run.returncode == 0, run.stderr
    study = folder / "study"
    study.mkdir()
    (study / "images").symlink_to(PHANTOM, target_is_directory=True)
    for name in ("sr.dcm", "seg.dcm"):
        shutil.copy(folder / "out" / name, study / name)
    return case_path, study


def check(path):
    run = oligoplan("check", path, "--json")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_round_trip_gives_the_same_lesions_masks_and_counts(exported, tmp_path):
    case_path, study = exported
    out = tmp_path / "rebuilt.json"
    run = oligoplan("open-dicom", study, "--out", out, "--json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["case"] == str(out) and doc["seg_path"].endswith("seg.dcm")
    assert any("rebuilt from the OligoPlan SR sr.dcm" in w for w in doc["warnings"])
    assert any("no case facts, rule sets or review state" in w for w in doc["warnings"])
    original, rebuilt = load_case(case_path), load_case(out)
    assert [(x.id, x.label, x.site, x.laterality, x.kind) for x in rebuilt.lesions] == \
           [(x.id, x.label, x.site, x.laterality, x.kind) for x in original.lesions]
    for a, b in zip(original.lesions, rebuilt.lesions):
        fa, fb = a.mask.full(), b.mask.full()
        dice = 2 * np.sum(fa & fb) / (fa.sum() + fb.sum())
        assert dice >= 0.99, (a.id, dice)
    before, after = check(case_path), check(out)
    assert after["counts"] == before["counts"]
    assert after["classification"] == before["classification"]
    assert rebuilt.review.state.value == "draft"


def test_the_newest_report_of_the_study_is_taken(exported, tmp_path):
    _, study = exported
    folder = tmp_path / "two"
    shutil.copytree(study, folder, symlinks=True)
    old = pydicom.dcmread(folder / "sr.dcm")
    old.SOPInstanceUID = generate_uid()
    old.file_meta.MediaStorageSOPInstanceUID = old.SOPInstanceUID
    old.ContentDate = "20000101"
    old.save_as(folder / "old_sr.dcm")
    newest = pydicom.dcmread(folder / "sr.dcm").SOPInstanceUID
    run = oligoplan("open-dicom", folder, "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["sr_sop_uid"] == newest


def test_reports_of_several_studies_need_study_uid(exported, tmp_path):
    _, study = exported
    folder = tmp_path / "studies"
    shutil.copytree(study, folder, symlinks=True)
    other = pydicom.dcmread(folder / "sr.dcm")
    other.StudyInstanceUID = generate_uid()
    other.SOPInstanceUID = generate_uid()
    other.file_meta.MediaStorageSOPInstanceUID = other.SOPInstanceUID
    other.save_as(folder / "other_sr.dcm")
    run = oligoplan("open-dicom", folder)
    assert run.returncode == 2 and "--study-uid" in run.stderr and other.StudyInstanceUID in run.stderr
    wanted = pydicom.dcmread(folder / "sr.dcm").StudyInstanceUID
    run = oligoplan("open-dicom", folder, "--study-uid", wanted, "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["study_uid"] == wanted
    run = oligoplan("open-dicom", folder, "--study-uid", "1.2.3.4")
    assert run.returncode == 2 and "no OligoPlan SR of study 1.2.3.4" in run.stderr


def test_refusals_are_one_line_and_nothing_is_overwritten(exported, tmp_path):
    _, study = exported
    run = oligoplan("open-dicom", PHANTOM)  # images, no report
    assert run.returncode == 2 and "no OligoPlan SR" in run.stderr and "Traceback" not in run.stderr
    existing = tmp_path / "case.json"
    existing.write_text("keep me")
    run = oligoplan("open-dicom", study, "--out", existing)
    assert run.returncode == 2 and "already exists" in run.stderr
    assert existing.read_text() == "keep me"
    run = oligoplan("open-dicom", tmp_path / "missing")
    assert run.returncode == 2 and "no such folder" in run.stderr


# ------------------------------------------------------------------ from a PACS
@pytest.fixture(scope="module")
def orthanc_with_case(exported, tmp_path_factory):
    from tests.orthanc_server import orthanc_fixture

    _, study = exported
    upload = tmp_path_factory.mktemp("upload")
    shutil.copytree(PHANTOM, upload / "images")
    for name in ("sr.dcm", "seg.dcm"):
        shutil.copy(study / name, upload / name)
    yield from orthanc_fixture(tmp_path_factory, sample=upload)


def test_open_dicom_from_the_pacs_retrieves_the_study_and_rebuilds_it(exported, orthanc_with_case, tmp_path):
    from tests.orthanc_server import AET

    case_path, study = exported
    study_uid = pydicom.dcmread(study / "sr.dcm").StudyInstanceUID
    env_dir = tmp_path / "data"
    run = subprocess.run(
        [sys.executable, "-m", "gui.entry", "open-dicom", "--host", "127.0.0.1", "--port",
         str(orthanc_with_case.dicom_port), "--called-aet", AET, "--study-uid", study_uid,
         "--out", str(tmp_path / "from_pacs.json"), "--json"],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "OLIGOPLAN_DATA_DIR": str(env_dir)})
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["study_uid"] == study_uid and str(env_dir) in doc["sr_path"]
    original, rebuilt = load_case(case_path), load_case(tmp_path / "from_pacs.json")
    assert [(x.id, x.label, x.site) for x in rebuilt.lesions] == [(x.id, x.label, x.site) for x in original.lesions]


@pytest.mark.parametrize("args, message", [
    (["--host", "127.0.0.1", "--port", "4242", "--called-aet", "X"], "--study-uid is needed"),
    (["--host", "127.0.0.1", "--study-uid", "1.2.3"], "all of --host, --port and --called-aet"),
    ([], "give PATH"),
])
def test_pacs_options_incomplete_exit_2(args, message):
    run = oligoplan("open-dicom", *args)
    assert run.returncode == 2 and message in run.stderr, run.stderr


def test_path_and_pacs_options_together_are_refused(exported):
    _, study = exported
    run = oligoplan("open-dicom", study, "--host", "127.0.0.1", "--port", "4242", "--called-aet", "X")
    assert run.returncode == 2 and "not both" in run.stderr

"""`oligoplan open-dicom` from a PACS: the study (images, SEG, SR) retrieved into the cache folder,
the case rebuilt from it (a real Orthanc holding phantom-oligo plus an exported case)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest

from core.case import load_case
from core.pacs import LocalAE, PacsClient, PacsNode, send_files
from tests.orthanc_server import AET, orthanc_fixture
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory):
    yield from orthanc_fixture(tmp_path_factory)


def oligoplan(*args, data_dir: Path):
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "OLIGOPLAN_DATA_DIR": str(data_dir),
           "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run([sys.executable, "-m", "gui.entry", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300)


def test_a_case_sent_to_the_pacs_opens_from_it(orthanc, tmp_path):
    case_path = phantom_case("phantom-oligo", tmp_path / "case", facts={**ELIGIBLE_FACTS, "rule_sets": ["sabr-comet"]})
    out = tmp_path / "out"
    from gui.entry import main  # the export is set-up here (its own tests run it as a program): in process

    assert main(["export", str(case_path), "--out", str(out), "--dicom"]) == 0
    client = PacsClient(PacsNode("test", AET, "127.0.0.1", orthanc.dicom_port), LocalAE(), timeout_s=30)
    send_files(client, [out / "seg.dcm", out / "sr.dcm", out / "summary-pdf.dcm"])
    peer = ["--host", "127.0.0.1", "--port", orthanc.dicom_port, "--called-aet", AET]
    done = oligoplan("open-dicom", *peer, data_dir=tmp_path / "data")
    assert done.returncode == 2 and "--study-uid" in done.stderr
    import pydicom

    study = pydicom.dcmread(out / "sr.dcm", stop_before_pixels=True).StudyInstanceUID
    rebuilt = tmp_path / "rebuilt.json"
    done = oligoplan("open-dicom", *peer, "--study-uid", study, "--out", rebuilt, "--json", data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert [x["id"] for x in shown["lesions"]] == load_case(case_path).lesions.ids()
    assert (tmp_path / "data" / "pacs-cache" / study).is_dir()  # retrieved into the study's cache folder
    case = load_case(rebuilt)
    assert case.facts["rule_sets"] == ["sabr-comet"]
    assert all(lesion.mask is not None for lesion in case.lesions)


def test_check_compare_sr_fetches_the_cases_sr_from_the_pacs(orthanc, tmp_path):
    """`check --compare-sr` with the PACS options: the SR series of the case's study are fetched and
    compared; an SR of another case on the same images is left out."""
    from core.case import save_case
    from core.rt.sr import case_sr
    from core.rt.sr_compare import case_study_uid
    from tests.phantom_cases import workspace

    case_path = phantom_case("phantom-oligo", tmp_path / "case", facts=ELIGIBLE_FACTS)
    case = load_case(case_path)
    case.review.set_user("C. Exporter", "radiation oncologist")
    case.review.sign("reviewed", "", name="A. Physicist", role="medical physicist")
    save_case(case, case_path)
    case_sr(case, workspace("phantom-oligo")).save_as(tmp_path / "sr.dcm")
    other = load_case(phantom_case("phantom-oligo", tmp_path / "other"))  # another case, same images
    case_sr(other, workspace("phantom-oligo")).save_as(tmp_path / "other-sr.dcm")
    client = PacsClient(PacsNode("test", AET, "127.0.0.1", orthanc.dicom_port), LocalAE(), timeout_s=30)
    send_files(client, [tmp_path / "sr.dcm", tmp_path / "other-sr.dcm"])
    doc = json.loads(case_path.read_text())
    doc["review"], doc["audit"]["entries"] = {"state": "draft", "signoffs": []}, doc["audit"]["entries"][:-1]
    doc["audit"].update(count=len(doc["audit"]["entries"]), head=doc["audit"]["entries"][-1]["hash"])
    study = case_study_uid(case)  # without --study-uid, the study of the case's images (read from them)
    assert study == pydicom.dcmread(tmp_path / "sr.dcm", stop_before_pixels=True).StudyInstanceUID
    doc["images"][0]["folder"] = str(tmp_path / "images-elsewhere")  # the check without images: quicker
    case_path.write_text(json.dumps(doc))  # the sign-off cut, with head and count made to agree
    peer = ["--host", "127.0.0.1", "--port", orthanc.dicom_port, "--called-aet", AET, "--study-uid", study]
    done = oligoplan("check", case_path, "--json", "--compare-sr", *peer, data_dir=tmp_path / "data")
    assert done.returncode == 0, done.stderr
    compared = json.loads(done.stdout)["sr_comparison"]
    assert compared["source"].startswith("PACS ") and len(compared["other_cases"]) >= 1
    (report,) = compared["reports"]
    assert report["author"] == "C. Exporter" and report["consistent"] is False
    assert {d["kind"] for d in report["differences"]} == {"entry_removed", "head_missing", "signoff_missing"}
    fetched = list((tmp_path / "data" / "pacs-cache").rglob("*.dcm"))
    assert fetched and all(modality(p) == "SR" for p in fetched)  # the SR series only, not the images


def modality(path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True, specific_tags=["Modality"]).Modality)

"""`oligoplan open-dicom` from a PACS: the study (images, SEG, SR) retrieved into the cache folder,
the case rebuilt from it (a real Orthanc holding phantom-oligo plus an exported case)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
    assert oligoplan("export", case_path, "--out", out, "--dicom", data_dir=tmp_path / "data").returncode == 0
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

"""`oligoplan pacs find --accession-number`: the C-FIND key issue 6 lists (patient
ID / name / date range / modality / accession number), on the command line as in
the PACS dialog, against a real Orthanc holding phantom-oligo (accession SYN1311)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.orthanc_server import AET, REPO, orthanc_fixture


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory):
    yield from orthanc_fixture(tmp_path_factory)


def _find(orthanc, *extra):
    code = "import sys; from gui.entry import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", code, "pacs", "find", "--host", "127.0.0.1", "--port",
                           str(orthanc.dicom_port), "--called-aet", AET, "--json", *extra],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["results"]


def test_find_by_accession_number(orthanc):
    (study,) = _find(orthanc, "--accession-number", "SYN1311")
    assert study["patient_id"] == "PHANTOM-OLIGO" and study["n_instances"] == 169
    assert _find(orthanc, "--accession-number", "NOT-THERE") == []

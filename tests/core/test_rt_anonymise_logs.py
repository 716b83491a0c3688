"""An anonymised export never writes the patient's name or ID into a log or onto the console:
every logger at DEBUG and the command's output are scanned (issue 4: de-identification)."""

from __future__ import annotations

import logging

import pydicom
import pytest

from core.samples import SAMPLE_ROOT
from gui.entry import main
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case

PHANTOM = SAMPLE_ROOT / "phantom-oligo"
pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample scans not present")


def test_an_anonymised_export_logs_and_prints_no_patient_name_or_id(tmp_path, caplog, capsys, monkeypatch):
    monkeypatch.setenv("OLIGOPLAN_CONFIG_DIR", str(tmp_path / "config"))
    header = pydicom.dcmread(next(PHANTOM.glob("CT/*.dcm")), stop_before_pixels=True)
    name, pid = str(header.PatientName), str(header.PatientID)
    assert name and pid
    case = phantom_case("phantom-oligo", tmp_path / "case", ELIGIBLE_FACTS)
    capsys.readouterr()

    with caplog.at_level(logging.DEBUG):
        code = main(["export", str(case), "--out", str(tmp_path / "out"), "--rtstruct", "--sr", "--pdf",
                     "--json", "--csv", "--include-oars", "--anonymise"])
    out = capsys.readouterr()

    assert code == 0, out.err
    assert len([p for p in (tmp_path / "out").iterdir() if p.name != "oligoplan-export.json"]) == 6
    text = "\n".join(r.getMessage() for r in caplog.records) + out.out + out.err
    for needle in (name, pid, name.replace("^", " "), name.replace("^", ", ")):
        assert needle.lower() not in text.lower()

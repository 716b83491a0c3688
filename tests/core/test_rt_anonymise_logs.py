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


def test_a_one_part_patient_name_is_not_quoted_by_a_warning(tmp_path, recwarn):
    """tcia-sts-001 (Patient's Name "STS_001"): every SEG and SR export, anonymised too, printed
    highdicom's 'The string "STS_001" is unlikely to represent the intended person name' twice."""
    import json

    from core.case import Case
    from core.export_job import ExportJob, ExportOptions
    from core.codes import Site
    from core.lesions import Lesion, LesionSet
    from core.rt.export_job import write_case_sr
    from core.workspace import open_folder
    from tests.core.rt_helpers import sphere_mask

    images = tmp_path / "images"
    images.mkdir()
    for path in sorted((PHANTOM / "CT").glob("*.dcm")):
        ds = pydicom.dcmread(path)
        ds.PatientName = "Smithers"  # one component, as real data has it
        ds.save_as(images / path.name)
    workspace = open_folder(images)
    centre = json.loads((PHANTOM / "ground_truth.json").read_text())["lesions"][0]["centre_mm"]
    lesion = Lesion("L1", label="Liver 1", site=Site.LIVER, mask=sphere_mask(workspace.primary, centre, 8.0))
    job = ExportJob(case=Case(images=workspace.image_refs(), lesions=LesionSet([lesion])),
                    case_path=tmp_path / "case.json", out_dir=tmp_path / "out",
                    options=ExportOptions(anonymise=True))
    job.__dict__["workspace"] = workspace
    (tmp_path / "out").mkdir()
    write_case_sr(job)
    assert [p.name for p in job.written] == ["seg.dcm", "sr.dcm"]
    assert not [str(w.message) for w in recwarn if "Smithers" in str(w.message)]

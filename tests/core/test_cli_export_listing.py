"""`oligoplan export --sr --dicom`: both steps write seg.dcm and sr.dcm (the whole case's SR holds
the measurement report). The console said "9 file(s) written" and listed seg.dcm and sr.dcm twice
for the 7 files in the folder: each file written is now recorded once (``job.written``, which the
command counts and lists)."""

import json
from pathlib import Path

import pytest

from core.case import Case
from core.export_job import ExportJob
from core.codes import Site
from core.lesions import Lesion, LesionSet
from core.rt.export_job import write_case_sr
from core.workspace import open_folder
from tests.core.rt_helpers import sphere_mask

ROOT = Path(__file__).resolve().parents[2]
PHANTOM = ROOT / "sample_scans" / "phantom-oligo"


@pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")
def test_a_file_written_twice_is_recorded_once(tmp_path):
    workspace = open_folder(PHANTOM)
    centre = json.loads((PHANTOM / "ground_truth.json").read_text())["lesions"][0]["centre_mm"]
    lesion = Lesion("L1", label="Liver 1", site=Site.LIVER, mask=sphere_mask(workspace.primary, centre, 8.0))
    case = Case(images=workspace.image_refs(), lesions=LesionSet([lesion]))
    job = ExportJob(case=case, case_path=tmp_path / "case.json", out_dir=tmp_path)
    job.__dict__["workspace"] = workspace  # the images already open (the job opens them on first use)
    write_case_sr(job)
    write_case_sr(job)  # as --dicom does after --sr: the same two files again
    assert [p.name for p in job.written] == ["seg.dcm", "sr.dcm"]

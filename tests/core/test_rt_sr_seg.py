"""The SR's lesion regions are segments of a DICOM SEG written beside it: the segments are the
lesion masks, and an independent SR reader (DCMTK) reads the whole report."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import highdicom as hd
import numpy as np
import pytest

from core.case import load_case
from core.export_job import ExportJob
from core.rt.export_job import write_case_sr
from core.rt.sr import read_sr_lesions
from tests.phantom_cases import phantom_case, workspace

PHANTOM = Path(__file__).resolve().parents[2] / "sample_scans" / "phantom-oligo"
pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sr")
    case_path = phantom_case("phantom-oligo", folder)
    job = ExportJob(case=load_case(case_path), case_path=case_path, out_dir=folder / "out")
    job.out_dir.mkdir()
    sr = write_case_sr(job)
    return job, sr


def test_each_lesion_region_is_its_mask_as_a_seg_segment(exported):
    job, sr = exported
    ct = workspace("phantom-oligo").primary
    seg = hd.seg.segread(job.seg_path)
    masks = {lesion.label: lesion.mask.full() for lesion in job.case.lesions}
    uid_to_index = {uid: k for k, uid in enumerate(ct.sop_instance_uids)}
    for lesion in read_sr_lesions(sr):
        assert lesion.referenced_sop_uid == seg.SOPInstanceUID
        frames = seg.get_pixels_by_source_instance(
            source_sop_instance_uids=list(ct.sop_instance_uids), segment_numbers=[lesion.referenced_segment],
            assert_missing_frames_are_empty=True)
        got = np.zeros(ct.shape, dtype=bool)
        for uid, plane in zip(ct.sop_instance_uids, frames[..., 0]):
            got[uid_to_index[uid]] = plane > 0
        assert np.array_equal(got, masks[lesion.identifier]), lesion.identifier


@pytest.mark.skipif(shutil.which("dsrdump") is None, reason="dsrdump (Debian package dcmtk) is not installed")
def test_dcmtk_reads_the_whole_report(exported):
    _, sr = exported
    done = subprocess.run(["dsrdump", str(sr)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Referenced Segment" in done.stdout and "Error" not in done.stderr

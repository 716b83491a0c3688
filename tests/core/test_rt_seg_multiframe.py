"""The SR export on a multi-frame (Enhanced CT) series: the SEG needs one file per
slice, so the report falls back to each lesion's centre point and says so (it used
to stop with highdicom's ValueError)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.case import Case
from core.export_job import ExportJob
from core.dicom.scan import scan_folder
from core.dicom.series import load_series
from core.errors import ExportError
from core.lesions import AddLesion, Lesion, LesionMask
from core.rt.export_job import write_case_sr
from core.rt.seg import case_seg
from core.rt.sr import read_sr_lesions
from core.workspace import Workspace
from tests.core.dicom_factory import axial_positions, enhanced_ct, write


@pytest.fixture()
def enhanced_case(tmp_path):
    n = 6
    ds = enhanced_ct(np.zeros((n, 16, 16)), axial_positions(n, 2.0), slopes=[1.0] * n, intercepts=[0.0] * n)
    ds.PatientBirthDate, ds.PatientSex, ds.AccessionNumber, ds.ReferringPhysicianName = "", "", "", ""
    ds.StudyDate, ds.StudyTime, ds.StudyID, ds.SeriesNumber, ds.InstanceNumber = "20240101", "120000", "1", 1, 1
    images = tmp_path / "images"
    images.mkdir()
    write(ds, images / "enhanced.dcm")
    scan = scan_folder(images)
    volume = load_series(scan.series[0])
    mask = np.zeros(volume.shape, dtype=bool)
    mask[2:4, 5:9, 5:9] = True
    case = Case()
    AddLesion(case.lesions, Lesion("L1", "L1", mask=LesionMask((0, 0, 0), mask, volume.shape,
                                                               volume.info.series_uid))).redo()
    return case, Workspace(folder=images, scan=scan, primary=volume), tmp_path


def test_seg_of_a_multi_frame_series_is_refused_with_a_domain_error(enhanced_case):
    case, ws, _ = enhanced_case
    with pytest.raises(ExportError, match="one file per slice"):
        case_seg(case, ws, [])


def test_sr_of_a_multi_frame_series_gives_points_and_says_why(enhanced_case):
    case, ws, folder = enhanced_case
    job = ExportJob(case=case, case_path=folder / "case.json", out_dir=folder / "out")
    job.out_dir.mkdir()
    job.workspace = ws
    sr = write_case_sr(job)
    assert job.seg_path is None and not (job.out_dir / "seg.dcm").exists()
    [lesion] = read_sr_lesions(sr)
    assert lesion.referenced_segment is None
    assert any("SEG" in note and "one file per slice" in note for note in job.notes), job.notes

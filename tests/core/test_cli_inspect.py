"""`oligoplan inspect PATH [--json]`, run as a user runs it: a separate process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pydicom.data
import pytest

from tests.core import dicom_factory as factory

REPO = Path(__file__).resolve().parents[2]
SERIES_KEYS = {"series_uid", "modality", "description", "n_slices", "shape", "spacing_mm", "warnings"}


def inspect(*args):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "gui.entry", "inspect", *map(str, args)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def case_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("case")
    stored = np.full((3, 6, 8), 1024, dtype=np.int16)
    factory.write_series(root / "ct", stored, factory.axial_positions(3, 2.0), slopes=[1] * 3,
                         intercepts=[-1024] * 3, pixel_spacing=(0.8, 0.6), description="CT chest")
    shutil.copy(pydicom.data.get_testdata_file("rtstruct.dcm"), root / "rtstruct.dcm")
    (root / "junk.dcm").write_bytes(b"\x01\x02 not dicom at all" * 10)
    return root


def test_json_document_has_exactly_the_documented_shape(case_folder):
    done = inspect(case_folder, "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert set(doc) == {"series", "structure_sets", "segmentations", "skipped"}
    assert doc["segmentations"] == []  # issue 18: listed beside structure sets (none here)
    (series,) = doc["series"]
    assert set(series) == SERIES_KEYS
    assert series["modality"] == "CT"
    assert series["description"] == "CT chest"
    assert series["n_slices"] == 3
    assert series["shape"] == [3, 6, 8]
    assert series["spacing_mm"] == [2.0, 0.8, 0.6]
    assert series["warnings"] == []
    assert len(series["series_uid"]) > 10
    (structures,) = doc["structure_sets"]
    assert set(structures) == {"sop_uid", "label", "referenced_series_uid", "rois", "warnings"}
    assert structures["rois"] and set(structures["rois"][0]) == {"number", "name", "type", "n_contours"}
    (skipped,) = doc["skipped"]
    assert set(skipped) == {"path", "reason"}
    assert skipped["path"].endswith("junk.dcm")
    assert "not a DICOM file" in skipped["reason"]


def test_human_summary_lists_series_structures_and_skipped(case_folder):
    done = inspect(case_folder)
    assert done.returncode == 0, done.stderr
    assert "1 image series" in done.stdout
    assert "CT chest: 3 x 6 x 8 voxels, 2 x 0.8 x 0.6 mm" in done.stdout
    assert "1 file(s) skipped" in done.stdout


def assert_one_line_error(done, *fragments):
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_empty_folder_exits_2_with_one_line(tmp_path):
    assert_one_line_error(inspect(tmp_path, "--json"), "no image series found")


def test_folder_of_junk_exits_2_and_says_how_many_were_skipped(tmp_path):
    (tmp_path / "a.dcm").write_bytes(b"")
    (tmp_path / "b.dcm").write_bytes(os.urandom(300))
    shutil.copy(pydicom.data.get_testdata_file("MR_truncated.dcm"), tmp_path / "c.dcm")
    done = inspect(tmp_path, "--json")
    assert_one_line_error(done, "no image series found", "3 file(s) skipped")
    doc = json.loads(done.stdout)
    assert doc["series"] == [] and len(doc["skipped"]) == 3
    assert all(s["reason"] for s in doc["skipped"])


def test_nonexistent_path_exits_2(tmp_path):
    assert_one_line_error(inspect(tmp_path / "nowhere", "--json"), "no such folder or file")


def test_each_structure_set_and_segmentation_names_the_images_it_is_on(capsys):
    """tcia-sts-001 listed "RTstruct: 2 ROI(s): GTV_Mass, GTV_Edema" three times, not saying which
    is on the PET, the T1 or the T2."""
    from core.cli.inspect import _print_inspect

    series = [{"modality": "PT", "description": "PET AC", "series_uid": "1.1", "shape": [2, 2, 2],
               "spacing_mm": [1, 1, 1], "warnings": []},
              {"modality": "MR", "description": "", "series_uid": "1.2", "shape": [2, 2, 2],
               "spacing_mm": [1, 1, 1], "warnings": []}]
    rois = [{"name": "GTV_Mass"}]
    doc = {"series": series, "skipped": [],
           "structure_sets": [{"label": "RTstruct", "referenced_series_uid": "1.1", "rois": rois, "warnings": []},
                              {"label": "RTstruct", "referenced_series_uid": "1.2", "rois": rois, "warnings": []},
                              {"label": "RTstruct", "referenced_series_uid": "", "rois": rois, "warnings": []}],
           "segmentations": [{"label": "AI", "referenced_series_uid": "1.1", "segments": [{"label": "lesion"}],
                              "warnings": []}]}
    _print_inspect(doc)
    out = capsys.readouterr().out.splitlines()
    assert "  RTstruct: 1 ROI(s): GTV_Mass  (on PT 'PET AC')" in out
    assert "  RTstruct: 1 ROI(s): GTV_Mass  (on MR '1.2')" in out  # no description: its UID
    assert "  RTstruct: 1 ROI(s): GTV_Mass" in out  # references no series here: nothing invented
    assert "  AI: 1 segment(s): lesion  (on PT 'PET AC')" in out


def test_a_single_slice_without_thickness_has_no_zero_mm_step(capsys):
    """rt-utils' one_slice_data printed "1 x 50 x 100 voxels, 0 x 3.5 x 2.5 mm"."""
    from core.cli.inspect import _print_inspect

    one = {"modality": "CT", "description": "one", "series_uid": "1.3", "shape": [1, 50, 100],
           "spacing_mm": [0.0, 3.5, 2.5], "warnings": []}
    _print_inspect({"series": [one], "structure_sets": [], "segmentations": [], "skipped": []})
    assert "  CT  one: 1 x 50 x 100 voxels, ? x 3.5 x 2.5 mm  [1.3]" in capsys.readouterr().out.splitlines()

"""DICOM SEG in: a SEG made by another code path (highdicom in the test) is listed beside the
structure sets, never as an image series, and its segments land on the right voxels."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.codes import LesionKind, Site
from core.dicom.scan import scan_folder
from core.dicom.series import load_series
from core.rt.seg_read import import_segmentations, read_seg
from core.rt.structures import StructureKind, lesion_from_structure
from tests.core.seg_factory import LIVER, LUNG, N_SLICES, SIZE, description, make_seg, save, write_ct

ROOT = Path(__file__).resolve().parents[2]


def _masks() -> np.ndarray:
    m = np.zeros((N_SLICES, SIZE, SIZE, 2), dtype=bool)
    m[2:5, 5:10, 4:9, 0] = True
    m[6, 12:15, 12:16, 1] = True  # one slice only: the other frames are left out (sparse)
    return m


@pytest.fixture()
def binary_case(tmp_path):
    ct = write_ct(tmp_path / "case" / "ct")
    seg = make_seg(ct, _masks(), [description(1, "Liver met", region=LIVER), description(2, "Other")],
                   shuffle=True, label="TOOLSEG")
    save(seg, tmp_path / "case" / "seg.dcm")
    return tmp_path / "case", seg


def test_scan_lists_a_seg_beside_structure_sets_not_as_an_image_series(binary_case):
    folder, seg = binary_case
    scan = scan_folder(folder)
    assert len(scan.series) == 1 and scan.series[0].n_slices == N_SLICES
    assert not scan.skipped, scan.skipped
    [summary] = scan.segmentations
    assert summary.label == "TOOLSEG" and summary.sop_uid == seg.SOPInstanceUID
    assert summary.referenced_series_uid == scan.series[0].info.series_uid
    assert [(s.number, s.label, s.n_frames) for s in summary.segments] == [(1, "Liver met", 3), (2, "Other", 1)]
    assert summary.segments[0].category == "Morphologically Abnormal Structure"
    assert summary.segments[0].type == "Metastasis"
    assert summary.warnings == []


def test_binary_frames_out_of_order_and_sparse_land_on_their_voxels(binary_case):
    folder, _ = binary_case
    scan = scan_folder(folder)
    volume = load_series(scan.series[0])
    imported = read_seg(scan.segmentations[0].path, volume, None)
    first, second = imported.structures
    expected = _masks()
    assert np.array_equal(first.mask.full(), expected[..., 0])
    assert np.array_equal(second.mask.full(), expected[..., 1])
    assert imported.how == "referenced images"
    # any segment can become a lesion; the coded region and type become site and kind
    assert first.kind is StructureKind.TARGET and first.can_become_lesion
    lesion = lesion_from_structure(first, "L1")
    assert (lesion.site, lesion.kind, lesion.label) == (Site.LIVER, LesionKind.METASTASIS, "Liver met")
    assert lesion.site_proposed  # another tool's coding: proposed until the user confirms it (issue 13)
    other = lesion_from_structure(second, "L2")
    assert other.site is Site.UNKNOWN and not other.site_confirmed  # nothing coded: unknown, not a guess


def test_fractional_voxel_inside_at_half_and_above(tmp_path):
    ct = write_ct(tmp_path / "ct")
    frac = np.zeros((N_SLICES, SIZE, SIZE, 1), dtype=np.float32)
    frac[3, 4, 4, 0] = 0.5   # on the threshold: inside
    frac[3, 4, 5, 0] = 0.51  # just above: inside
    frac[3, 4, 6, 0] = 0.49  # just below: outside
    frac[3, 4, 7, 0] = 1.0
    seg = make_seg(ct, frac, [description(1, "Lung lesion", region=LUNG)], fractional=True, shuffle=True)
    save(seg, tmp_path / "frac.dcm")
    scan = scan_folder(tmp_path)
    assert len(scan.series) == 1, "a fractional (8-bit) SEG is not an image series"
    [summary] = scan.segmentations
    assert summary.fractional and summary.segments[0].n_frames == 1
    volume = load_series(scan.series[0])
    [structure] = read_seg(summary.path, volume).structures
    inside = structure.mask.full()
    assert inside[3, 4, 4] and inside[3, 4, 5] and inside[3, 4, 7]
    assert not inside[3, 4, 6]
    assert int(inside.sum()) == 3
    assert lesion_from_structure(structure, "L1").site is Site.LUNG


def test_segment_on_part_of_the_series(tmp_path):
    ct = write_ct(tmp_path / "ct")
    part = np.zeros((3, SIZE, SIZE, 1), dtype=bool)
    part[1, 2:6, 2:6, 0] = True
    seg = make_seg(ct, part, [description(1, "Upper")], slices=slice(4, 7))
    save(seg, tmp_path / "part.dcm")
    scan = scan_folder(tmp_path)
    volume = load_series(scan.series[0])
    [structure] = read_seg(scan.segmentations[0].path, volume).structures
    full = structure.mask.full()
    assert full[5, 2:6, 2:6].all() and int(full.sum()) == 16


def test_seg_of_another_patient_is_refused_and_dangling_is_said(tmp_path):
    ct = write_ct(tmp_path / "src")
    seg = make_seg(ct, _masks(), [description(1, "a"), description(2, "b")])
    seg.PatientID = "SOMEONE-ELSE"
    (tmp_path / "here").mkdir()
    save(seg, tmp_path / "here" / "seg_other.dcm")
    shutil.copytree(tmp_path / "src", tmp_path / "here" / "ct")
    scan = scan_folder(tmp_path / "here")
    [summary] = scan.segmentations
    assert any("another patient" in w for w in summary.warnings), summary.warnings
    volume = load_series(scan.series[0])
    result = import_segmentations(scan, volume)
    assert not result.placed and "another patient" in result.refused[0][1]
    assert "segmentation" in result.refused[0][1]

    # a SEG whose images are not there (other frame of reference): dangling, nothing loaded
    lonely = tmp_path / "lonely"
    write_ct(lonely / "other_ct")
    save(make_seg(ct, _masks(), [description(1, "a"), description(2, "b")]), lonely / "seg.dcm")
    scan = scan_folder(lonely)
    [summary] = scan.segmentations
    assert any("nothing was loaded" in w for w in summary.warnings), summary.warnings
    result = import_segmentations(scan, load_series(scan.series[0]))
    assert not result.placed and "segmentation" in result.refused[0][1]


def test_inspect_json_lists_segmentations_in_the_contract_shape(binary_case):
    folder, seg = binary_case
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "gui.entry", "inspect", str(folder), "--json"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert len(doc["series"]) == 1 and doc["skipped"] == []
    assert doc["segmentations"] == [{
        "sop_uid": seg.SOPInstanceUID, "label": "TOOLSEG",
        "referenced_series_uid": doc["series"][0]["series_uid"],
        "segments": [
            {"number": 1, "label": "Liver met", "category": "Morphologically Abnormal Structure",
             "type": "Metastasis", "n_frames": 3},
            {"number": 2, "label": "Other", "category": "Morphologically Abnormal Structure",
             "type": "Metastasis", "n_frames": 1},
        ],
        "warnings": [],
    }]


def test_a_sagittal_seg_lands_on_the_axial_series_of_its_frame_of_reference(tmp_path):
    """A SEG drawn on a sagittal reconstruction shows on the axial CT (same frame of reference)."""
    from pydicom.uid import generate_uid

    from tests.core.dicom_factory import write_series

    frame, study = generate_uid(), generate_uid()
    write_ct(tmp_path / "axial", frame_uid=frame, study_uid=study)
    # sagittal: rows go down in z (1 mm), columns go along y (1 mm), slices along x (1 mm)
    n_x, rows, cols = 20, 16, 20
    positions = np.array([[-100.0 + k, -120.0, 35.0] for k in range(n_x)])
    sag = write_series(tmp_path / "sagittal", np.zeros((n_x, rows, cols), dtype=np.int16), positions,
                       orientation=(0, 1, 0, 0, 0, -1), slopes=[1.0] * n_x, intercepts=[0.0] * n_x,
                       slice_thickness=1.0, frame_uid=frame, study_uid=study)
    box = np.zeros((n_x, rows, cols, 1), dtype=bool)
    box[5:11, 5:12, 5:11, 0] = True  # x -95..-90, z 30..24, y -115..-110 (pixel centres)
    save(make_seg(sag, box, [description(1, "Sagittal")]), tmp_path / "sag_seg.dcm")
    scan = scan_folder(tmp_path)
    axial = next(e for e in scan.series if e.n_slices == N_SLICES)
    volume = load_series(axial)
    result = import_segmentations(scan, volume)
    assert not result.refused, result.refused
    [placed] = result.placed
    assert any("same frame of reference" in w for w in placed.warnings)
    mask = placed.structures[0].mask.full()
    zyx = np.argwhere(np.ones(volume.shape, dtype=bool))
    xyz = volume.index_to_patient(zyx.astype(float))
    inside = ((xyz[:, 0] >= -95) & (xyz[:, 0] <= -90) & (xyz[:, 1] >= -115) & (xyz[:, 1] <= -110)
              & (xyz[:, 2] >= 24) & (xyz[:, 2] <= 30))
    far = ((xyz[:, 0] < -96) | (xyz[:, 0] > -89) | (xyz[:, 1] < -116) | (xyz[:, 1] > -109)
           | (xyz[:, 2] < 22.5) | (xyz[:, 2] > 31.5))
    flat = mask[zyx[:, 0], zyx[:, 1], zyx[:, 2]]
    assert flat[inside].all()  # every voxel whose centre is in the box
    assert not flat[far].any()  # none further than half a voxel from it


def test_a_seg_recorded_in_a_case_is_placed_again(binary_case):
    from core.case import Case
    from core.rt.case_structures import case_structure_sets, structure_set_ref

    folder, _ = binary_case
    scan = scan_folder(folder)
    volume = load_series(scan.series[0])
    placed = read_seg(scan.segmentations[0].path, volume)
    case = Case(structure_sets=[structure_set_ref(placed, hidden_rois=[2])])
    again = case_structure_sets(case, scan, volume)
    assert not again.refused and [s.name for s in again.placed[0].structures] == ["Liver met", "Other"]
    assert again.hidden == {(placed.sop_uid, 2)}


def test_a_seg_cut_short_is_skipped_with_its_reason_and_the_images_still_load(binary_case, tmp_path):
    folder, _ = binary_case
    data = (folder / "seg.dcm").read_bytes()
    (folder / "seg.dcm").write_bytes(data[: len(data) - 120])
    scan = scan_folder(folder)
    assert len(scan.series) == 1 and scan.segmentations == []
    [skipped] = scan.skipped
    assert skipped.path.endswith("seg.dcm") and skipped.reason


def test_a_seg_whose_pixels_reach_outside_the_images_says_so(tmp_path):
    ct = write_ct(tmp_path / "ct")
    masks = np.zeros((N_SLICES, SIZE, SIZE, 1), dtype=bool)
    masks[3, 2:4, 2:4, 0] = True
    save(make_seg(ct, masks, [description(1, "Edge")]), tmp_path / "seg.dcm")
    import pydicom

    seg = pydicom.dcmread(tmp_path / "seg.dcm")  # move its one frame 3 pixels left of the images
    pos = seg.PerFrameFunctionalGroupsSequence[0].PlanePositionSequence[0]
    pos.ImagePositionPatient = [float(pos.ImagePositionPatient[0]) - 3.0, *pos.ImagePositionPatient[1:]]
    seg.save_as(tmp_path / "seg.dcm")
    scan = scan_folder(tmp_path)
    [structure] = read_seg(scan.segmentations[0].path, load_series(scan.series[0])).structures
    assert int(structure.mask.full().sum()) == 2  # columns 2..3 moved to -1..0: one column left
    assert any("2 of its pixels lie outside these images" in w for w in structure.warnings)


def test_a_label_map_seg_is_listed_and_each_segment_lands_on_its_voxels(tmp_path):
    ct = write_ct(tmp_path / "ct")
    save(make_seg(ct, _masks(), [description(1, "First", region=LIVER), description(2, "Second")],
                  labelmap=True), tmp_path / "labelmap.dcm")
    scan = scan_folder(tmp_path)
    assert len(scan.series) == 1 and not scan.skipped, "a label map (8-bit) SEG is not an image series"
    [summary] = scan.segmentations
    assert [(s.number, s.label, s.n_frames) for s in summary.segments] == [(1, "First", 3), (2, "Second", 1)]
    first, second = read_seg(summary.path, load_series(scan.series[0])).structures
    assert np.array_equal(first.mask.full(), _masks()[..., 0])
    assert np.array_equal(second.mask.full(), _masks()[..., 1])

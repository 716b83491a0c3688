"""`oligoplan score` with a DICOM SEG on either side (or both, with --images)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydicom.sr.codedict import codes

from core.case import Case, save_case
from core.lesions import AddLesion, Lesion, LesionMask, UndoStack
from core.workspace import open_folder
from tests.core.seg_factory import LIVER, N_SLICES, SIZE, description, make_seg, save, write_ct

ROOT = Path(__file__).resolve().parents[2]


def oligoplan(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "gui.entry", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("scoreseg")
    ct = write_ct(root / "images")
    masks = np.zeros((N_SLICES, SIZE, SIZE, 3), dtype=bool)
    masks[2:5, 5:10, 4:9, 0] = True
    masks[5:7, 12:15, 12:16, 1] = True
    masks[:, 1:19, 1:19, 2] = True  # an organ: not a lesion
    organ = description(3, "Liver", kind=LIVER, category=codes.SCT.AnatomicalStructure)
    save(make_seg(ct, masks, [description(1, "A", region=LIVER), description(2, "B"), organ], shuffle=True),
         root / "trainee_seg.dcm")
    # the reference: a case file with the first segment only (the second is an extra)
    workspace = open_folder(root / "images")
    volume = workspace.primary
    case = Case(images=workspace.image_refs())
    UndoStack().push(AddLesion(case.lesions, Lesion(
        "L1", "L1", site="liver", mask=LesionMask.from_full(masks[..., 0], volume.info.series_uid))))
    save_case(case, root / "reference.json")
    return root


def test_seg_as_trainee_against_a_case(folder):
    run = oligoplan("score", folder / "reference.json", folder / "trainee_seg.dcm", "--json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["extra"] == ["L2"] and doc["missed"] == []
    assert doc["false_positives"] == 1 and doc["sensitivity"] == 1.0
    # the first segment's coded region is its site; the second has none coded, so it is proposed from the CT
    assert doc["trainee_counts"] == {"liver": 2}
    [match] = doc["matched"]
    assert match["dice"] == 1.0 and match["site_agrees"] is True
    assert any("organs" in w and "Liver" in w for w in doc["warnings"]), doc["warnings"]


def test_seg_on_both_sides_with_images(folder):
    seg = folder / "trainee_seg.dcm"
    run = oligoplan("score", seg, seg, "--images", folder / "images", "--json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["false_positives"] == 0 and doc["missed"] == [] and doc["count_agrees"] is True
    assert [m["dice"] for m in doc["matched"]] == [1.0, 1.0]


def test_seg_without_images_says_what_to_give(folder):
    seg = folder / "trainee_seg.dcm"
    run = oligoplan("score", seg, seg)
    assert run.returncode == 2
    assert "--images" in run.stderr

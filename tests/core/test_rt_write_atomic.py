"""The RTSTRUCT / SEG / SR writer (core.rt.rtstruct_write.write_validated) writes through the one
atomic writer: the file is fsynced before it replaces the old one, and a file that cannot be
written is our FileWriteError naming it, with no temporary file left behind."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pydicom
import pytest

import core.atomic_file
from core.errors import FileWriteError
from core.rt.rtstruct_write import RoiSpec, build_rtstruct, read_image_header, write_validated
from core.workspace import open_folder
from tests.core.rt_helpers import sphere_mask

PHANTOM = Path(__file__).resolve().parents[2] / "sample_scans" / "phantom-oligo"
pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not present")


@pytest.fixture(scope="module")
def rtstruct():
    volume = open_folder(PHANTOM).primary
    mask = sphere_mask(volume, volume.index_to_patient(np.array([48.0, 128.0, 128.0])), 10.0)
    return build_rtstruct([RoiSpec("GTV 1", mask, (255, 0, 0))], volume, read_image_header(volume))


def test_the_written_file_is_fsynced_before_it_replaces_the_old_one(rtstruct, tmp_path, monkeypatch):
    path = tmp_path / "rtstruct.dcm"
    path.write_bytes(b"the old export")
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(core.atomic_file.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(core.atomic_file.os, "replace",
                        lambda a, b: (events.append("replace"), real_replace(a, b))[1])

    write_validated(rtstruct, path, "the RTSTRUCT")

    assert "fsync" in events and "replace" in events
    assert events.index("fsync") < events.index("replace")
    assert pydicom.dcmread(path).ROIContourSequence  # the new file, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rtstruct.dcm"]


def test_a_file_that_cannot_be_written_is_a_domain_error_naming_it_and_leaves_nothing(rtstruct, tmp_path):
    path = tmp_path / "rtstruct.dcm"
    path.mkdir()  # a folder where the file goes
    (path / "keep").write_text("x")

    with pytest.raises(FileWriteError) as err:
        write_validated(rtstruct, path, "the RTSTRUCT")

    assert str(path) in str(err.value) and "RTSTRUCT cannot be written" in str(err.value)
    assert "the the" not in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rtstruct.dcm"]  # no temp file left

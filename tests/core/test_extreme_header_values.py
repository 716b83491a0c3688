"""Pixel spacing of 1e-300 mm, a rescale intercept of 1e30, an image 1e300 mm from the origin:
such a file is refused with a message naming the attribute and its value (it loaded silently,
and later printed numpy's "RuntimeWarning: invalid value encountered in cast" on the console);
and numpy's warnings never reach the console of the command line or the GUI."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from core.dicom import load_series, scan_folder
from tests.core.dicom_factory import axial_positions, enhanced_ct, write, write_series
from tests.orthanc_server import REPO

STORED = np.full((3, 8, 8), 100, np.int16)


def _scan(folder, **kw):
    positions = kw.pop("positions", axial_positions(3, 2.0))
    write_series(folder, STORED, positions, **kw)
    return scan_folder(folder)


@pytest.mark.parametrize("kw, message", [
    (dict(pixel_spacing=(1e-300, 1e-300)), r"\(0028,0030\) Pixel Spacing \[1e-300, 1e-300\] mm is outside "
                                           r"0\.001 to 100 mm"),
    (dict(pixel_spacing=(0.00099, 1.0)), r"Pixel Spacing \[0\.00099, 1\] mm is outside"),   # just outside
    (dict(pixel_spacing=(1.0, 100.5)), r"Pixel Spacing \[1, 100\.5\] mm is outside"),       # just outside
    (dict(intercepts=[1e30] * 3), r"\(0028,1052\) Rescale Intercept is 1e\+30, more than 1e\+06 in magnitude"),
    (dict(intercepts=[-1.5e6] * 3), r"Rescale Intercept is -1\.5e\+06, more than 1e\+06"),
    (dict(slopes=[1e30] * 3), r"\(0028,1053\) Rescale Slope is 1e\+30, more than 1e\+06 in magnitude"),
    (dict(positions=axial_positions(3, 2.0, origin=(1e300, 0, 0))),
     r"\(0020,0032\) Image Position \(Patient\) \[1e\+300, 0, \d\] mm is more than 100000 mm from the origin"),
])
def test_an_implausible_value_refuses_the_file_naming_the_attribute_and_the_value(tmp_path, kw, message):
    result = _scan(tmp_path, **kw)
    assert result.series == []
    assert len(result.skipped) == 3
    assert all(re.search(message, s.reason) for s in result.skipped), result.skipped[0].reason


@pytest.mark.parametrize("kw", [
    dict(pixel_spacing=(0.001, 100.0)),          # on both limits
    dict(intercepts=[-1e6] * 3, slopes=[1e6] * 3),  # on the rescale limits
    dict(positions=axial_positions(3, 2.0, origin=(-1e5, 0, 99990))),
])
def test_values_on_the_limits_load(tmp_path, kw):
    (entry,) = _scan(tmp_path, **kw).series
    volume = load_series(entry)
    assert volume.voxels.shape == STORED.shape and np.isfinite(volume.voxels.astype(np.float64)).all()


def test_a_multi_frame_image_with_an_implausible_frame_is_refused(tmp_path):
    positions = axial_positions(3, 2.0)
    ds = enhanced_ct(STORED, positions, slopes=[1.0] * 3, intercepts=[0.0, 0.0, 1e30])
    write(ds, tmp_path / "enhanced.dcm")
    result = scan_folder(tmp_path)
    assert result.series == []
    assert "Rescale Intercept is 1e+30" in result.skipped[0].reason


def test_segment_on_such_a_folder_names_the_value_and_prints_no_numpy_warning(tmp_path):
    vol = np.full((8, 32, 32), -1000, np.int16)
    vol[2:6, 10:20, 10:20] = 40
    write_series(tmp_path / "ct", vol, axial_positions(8, 3.0, origin=(0, 0, 0)), pixel_spacing=(1e-300, 1e-300))
    proc = subprocess.run([sys.executable, "-m", "gui.entry", "segment", str(tmp_path / "ct"), "--seed", "15,15,12",
                           "--out", str(tmp_path / "case.json")], capture_output=True, text=True, cwd=REPO,
                          timeout=300)
    assert proc.returncode == 2
    assert "Pixel Spacing [1e-300, 1e-300] mm is outside 0.001 to 100 mm" in proc.stderr
    assert "RuntimeWarning" not in proc.stderr and "encountered" not in proc.stderr
    assert not (tmp_path / "case.json").exists()


def test_numpy_warnings_never_reach_the_console_of_a_command_or_the_gui():
    """The entry point (command line and GUI alike) sends them to the log; other warnings stay."""
    code = ("import numpy as np, warnings; from gui.entry import main; main(['rules']); "
            "np.array([0.0]) / 0.0; np.float32(3e38) * np.float32(10); np.mean(np.array([])); "
            "np.rint(np.array([np.nan])).astype(int); warnings.warn('not from numpy')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "RuntimeWarning" not in proc.stderr and "encountered" not in proc.stderr
    assert "Mean of empty slice" not in proc.stderr
    assert "UserWarning: not from numpy" in proc.stderr

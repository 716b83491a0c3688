"""The loader on DICOM written by real scanners and planning systems (../shared/data).

Skipped, with the reason, when the shared data folder is not beside the repository.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pydicom
import pytest

from core.dicom import load_series, scan_folder
from core.volume import Modality

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

pytestmark = pytest.mark.skipif(
    not DATA.is_dir(), reason=f"real DICOM test data not present at {DATA} (see shared/data/README.md)"
)

CT_DIR = DATA / "tcia-crlm-ct-1004" / "image"
STS = DATA / "tcia-sts-001"
RT_UTILS = DATA / "rt-utils-tests"


@pytest.fixture(scope="module")
def crlm_ct():
    result = scan_folder(CT_DIR)
    assert result.skipped == []
    (entry,) = result.series
    return load_series(entry)


def test_crlm_ct_shape_spacing_and_order(crlm_ct):
    assert crlm_ct.modality is Modality.CT
    assert crlm_ct.shape == (41, 512, 512)
    assert crlm_ct.voxels.dtype == np.int16
    assert crlm_ct.unit == "HU"
    assert crlm_ct.spacing_mm == pytest.approx((5.0, 0.796875, 0.796875))
    assert np.all(np.diff(crlm_ct.positions_mm[:, 2]) == pytest.approx(5.0))
    assert crlm_ct.warnings == ()


def test_crlm_ct_hounsfield_units_are_plausible(crlm_ct):
    voxels = crlm_ct.voxels
    # air in front of the patient, inside the scan field, mid-volume
    air = voxels[20, 5:40, 240:270]
    assert -1050 < np.median(air) < -950
    body = voxels[voxels > -500]
    assert -100 < np.median(body) < 150  # fat, muscle, liver
    assert voxels.max() < 4000  # no overflow into nonsense
    # GE pads outside the reconstruction circle with stored -2000 (-3024 HU after the
    # intercept); nothing lower, i.e. nothing wrapped around
    assert voxels.min() >= -3024


def test_crlm_ct_each_slice_matches_pydicom_rescaled(crlm_ct):
    for k in (0, 17, 40):
        ds = pydicom.dcmread(crlm_ct.source_files[k])
        expected = ds.pixel_array.astype(np.int32) * int(ds.RescaleSlope) + int(ds.RescaleIntercept)
        np.testing.assert_array_equal(crlm_ct.voxels[k], expected)
        assert float(ds.ImagePositionPatient[2]) == pytest.approx(crlm_ct.positions_mm[k, 2])


def test_pet_series_irregular_spacing_is_reported_and_positions_exact():
    (entry,) = scan_folder(STS / "FDG_PET" / "image").series
    vol = load_series(entry)
    assert vol.shape == (267, 128, 128)
    assert vol.unit == "SUVbw"
    assert any("irregular slice spacing" in w for w in vol.warnings)
    for k in (0, 100, 266):
        z = float(pydicom.dcmread(vol.source_files[k], stop_before_pixels=True).ImagePositionPatient[2])
        assert vol.patient_to_index([0.0, 0.0, z])[0] == pytest.approx(k, abs=1e-6)


@pytest.mark.parametrize("folder, size", [("MR_T1", 512), ("MR_T2", 384)])
def test_mr_oblique_with_spacing_thickness_warning_and_structure_set(folder, size):
    result = scan_folder(STS / folder)
    (entry,) = result.series
    vol = load_series(entry)
    assert vol.modality is Modality.MR
    assert vol.shape == (40, size, size)
    assert any("slice spacing 5.20 mm differs from slice thickness 4.00 mm" in w for w in vol.warnings)
    # slightly oblique: the slice normal is a little off the z axis
    angle = math.degrees(math.acos(abs(vol.normal[2])))
    assert 0.5 < angle < 5.0
    assert vol.spacing_mm[0] == pytest.approx(5.2, abs=1e-3)
    assert vol.voxels.min() >= 0 and vol.voxels.max() > 500
    (structures,) = result.structure_sets
    assert {r.name for r in structures.rois} == {"GTV_Mass", "GTV_Edema"}
    assert structures.referenced_series_uid == entry.info.series_uid


def test_pet_structure_set_is_listed_with_roi_names():
    result = scan_folder(STS / "FDG_PET")
    (structures,) = result.structure_sets
    assert {r.name for r in structures.rois} == {"GTV_Mass", "GTV_Edema"}
    assert all(r.n_contours > 0 for r in structures.rois)
    assert structures.referenced_series_uid == result.series[0].info.series_uid


def test_rt_utils_oriented_data_geometry_by_hand():
    result = scan_folder(RT_UTILS / "oriented_data")
    (entry,) = result.series
    vol = load_series(entry)
    assert vol.shape == (3, 50, 100)
    assert vol.spacing_mm == pytest.approx((4.5, 3.5, 2.5), abs=1e-3)
    # Slice 2 at (122.0159697, -428.1596334, 38.0798058); rows (3.5 mm) along
    # (.2785886, .880128, -.3843997), columns (2.5 mm) along (.9541666, -.2080757, .2151061).
    # Voxel (2, 10, 20):
    #   x = 122.0159697 + 35 * .2785886 + 50 * .9541666  = 122.0159697 + 9.750601 + 47.70833 = 179.474901
    #   y = -428.1596334 + 35 * .880128 + 50 * -.2080757 = -428.1596334 + 30.80448 - 10.403785 = -407.758938
    #   z = 38.0798058 + 35 * -.3843997 + 50 * .2151061  = 38.0798058 - 13.45399 + 10.755305 = 35.381121
    expected = [179.474901, -407.758938, 35.381121]
    np.testing.assert_allclose(vol.index_to_patient([2, 10, 20]), expected, atol=2e-3)
    np.testing.assert_allclose(vol.patient_to_index(expected), [2, 10, 20], atol=2e-3)
    assert any("Frame of Reference" in w for w in vol.warnings)


def test_rt_utils_mock_data_ct_and_three_structure_sets():
    result = scan_folder(RT_UTILS / "mock_data")
    (entry,) = result.series
    vol = load_series(entry)
    assert vol.shape == (2, 512, 512)
    np.testing.assert_allclose(vol.positions_mm[:, 2], [60.0, 65.0])
    names = {Path(s.path).name: [r.name for r in s.rois] for s in result.structure_sets}
    assert names == {
        "rt.dcm": ["ROI-1"],
        "invalid_reference_rt.dcm": ["ROI-1", "ROI-2", "ROI-3", "ROI-4"],
        "non_existent_reference_rt.dcm": ["ROI-1", "ROI-2", "ROI-3", "ROI-4"],
    }
    by_name = {Path(s.path).name: s for s in result.structure_sets}
    assert by_name["rt.dcm"].referenced_series_uid == entry.info.series_uid
    assert any("no referenced image series" in w for w in by_name["non_existent_reference_rt.dcm"].warnings)


def test_rt_utils_structure_set_without_images_and_single_slice():
    empty = scan_folder(RT_UTILS / "empty")
    assert empty.series == [] and len(empty.structure_sets) == 1
    (entry,) = scan_folder(RT_UTILS / "one_slice_data").series
    vol = load_series(entry)
    assert vol.shape == (1, 50, 100)

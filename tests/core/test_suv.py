"""PET SUV body weight against values worked out by hand.

SUVbw = activity (Bq/ml) x weight (g) / dose decayed to the scan start (Bq).
Every synthetic case below stores 1000 with Rescale Slope 2.5 at one voxel,
i.e. 2500 Bq/ml, for a 75 kg patient given 370 MBq of F-18 (half-life 6586.2 s).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from core.dicom import load_series, scan_folder
from core.dicom.suv import parse_dicom_datetime
from tests.core import dicom_factory as factory

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
PET_DIR = DATA / "tcia-sts-001" / "FDG_PET" / "image"


def load_pet(tmp_path, **pet_tags):
    tags = dict(weight_kg=75.0, dose_bq=3.7e8, half_life_s=6586.2, injection_time="100000",
                series_time="110000")
    tags.update(pet_tags)
    stored = np.zeros((2, 4, 4), dtype=np.int16)
    stored[:, 1, 2] = 1000
    factory.write_series(tmp_path, stored, factory.axial_positions(2, 3.0), slopes=[2.5, 2.5],
                         intercepts=[0, 0], modality="PT", pet=tags)
    (entry,) = scan_folder(tmp_path).series
    return load_series(entry)


def test_decay_correction_start_one_hour_after_injection(tmp_path):
    vol = load_pet(tmp_path)
    # elapsed 11:00:00 - 10:00:00 = 3600 s
    # decay 2 ** (-3600 / 6586.2) = 2 ** -0.5465974 = 0.6846329
    # dose at scan 3.7e8 * 0.6846329 = 253 314 180 Bq
    # SUV = 2500 Bq/ml * 75 000 g / 253 314 180 Bq = 0.7401875
    assert vol.unit == "SUVbw"
    assert vol.suv_unavailable == ""
    assert vol.voxels[0, 1, 2] == pytest.approx(0.7401875, rel=1e-6)
    assert vol.voxels[1, 1, 2] == pytest.approx(0.7401875, rel=1e-6)
    assert vol.voxels[0, 0, 0] == 0.0


def test_decay_correction_admin_uses_the_injected_dose(tmp_path):
    vol = load_pet(tmp_path, decay_correction="ADMIN")
    # no decay: 2500 * 75 000 / 3.7e8 = 0.5067568
    assert vol.voxels[0, 1, 2] == pytest.approx(0.5067568, rel=1e-6)


def test_injection_before_midnight_scan_after(tmp_path):
    vol = load_pet(tmp_path, injection_time="233000", series_time="003000")
    # 23:30 -> 00:30 is 3600 s, as in the one-hour case: 0.7401875
    assert vol.voxels[0, 1, 2] == pytest.approx(0.7401875, rel=1e-6)


def test_half_an_hour_gives_less_decay(tmp_path):
    vol = load_pet(tmp_path, series_time="103000")
    # 2 ** (-1800 / 6586.2) = 0.8274255; 3.7e8 * 0.8274255 = 306 147 426 Bq
    # 2500 * 75 000 / 306 147 426 = 0.6124500
    assert vol.voxels[0, 1, 2] == pytest.approx(0.6124500, rel=1e-6)


def test_series_time_after_first_acquisition_uses_the_acquisition(tmp_path):
    # Some scanners write the series time at the end of the scan: the earliest
    # acquisition (11:00) is the start, giving the one-hour value 0.7401875.
    vol = load_pet(tmp_path, series_time="113000", acquisition_time="110000")
    assert vol.voxels[0, 1, 2] == pytest.approx(0.7401875, rel=1e-6)


def test_missing_patient_weight_keeps_bq_per_ml_and_says_why(tmp_path):
    vol = load_pet(tmp_path, weight_kg=None)
    assert vol.unit == "BQML"
    assert "Patient Weight" in vol.suv_unavailable
    assert any("Patient Weight" in w for w in vol.warnings)
    assert vol.voxels[0, 1, 2] == pytest.approx(2500.0)


def test_decay_correction_none_is_reported_unavailable(tmp_path):
    vol = load_pet(tmp_path, decay_correction="NONE")
    assert vol.unit == "BQML"
    assert "Decay Correction is NONE" in vol.suv_unavailable


def test_units_not_bqml_is_reported_unavailable(tmp_path):
    vol = load_pet(tmp_path, units="CNTS")
    assert vol.unit == "BQML"
    assert "Units is CNTS, expected BQML" in vol.suv_unavailable
    assert vol.voxels[0, 1, 2] == pytest.approx(2500.0)


def test_absurd_half_life_is_reported_not_divided_by_zero(tmp_path):
    # 1 s half-life over 3600 s: 2 ** -3600 underflows to 0 Bq left
    vol = load_pet(tmp_path, half_life_s=1.0)
    assert vol.unit == "BQML"
    assert "Radionuclide Half Life" in vol.suv_unavailable
    assert vol.voxels[0, 1, 2] == pytest.approx(2500.0)


@pytest.mark.parametrize(
    "time, expected",
    [("110000", (11, 0, 0, 0)), ("110000.25", (11, 0, 0, 250000)), ("1100", (11, 0, 0, 0)),
     ("11:02:03", (11, 2, 3, 0))],
)
def test_dicom_times_are_parsed(time, expected):
    stamp = parse_dicom_datetime("20240102", time)
    assert (stamp.hour, stamp.minute, stamp.second, stamp.microsecond) == expected
    assert parse_dicom_datetime("20240102", "") is None
    assert parse_dicom_datetime("20240102", "25x") is None


@pytest.mark.skipif(not PET_DIR.is_dir(), reason=f"real PET data not present at {PET_DIR}")
def test_real_ge_pet_gives_plausible_suv_and_honours_every_slice_slope():
    (entry,) = scan_folder(PET_DIR).series
    vol = load_series(entry)
    assert vol.unit == "SUVbw"
    # Tags of this series: 71 kg, 3.88777472e8 Bq, half-life 6588 s,
    # injection 10:35:00, series 11:20:11 -> 2711 s.
    # 2 ** (-2711 / 6588) = 0.7518383; dose at scan 2.92297777e8 Bq
    # factor = 71 000 g / 2.92297777e8 Bq = 2.4290298e-4 ml/g per Bq/ml
    factor = 2.4290298e-4
    slopes = set()
    for k in range(0, vol.shape[0], 7):
        ds = pydicom.dcmread(vol.source_files[k])
        slope = float(ds.RescaleSlope)
        slopes.add(slope)
        expected = (ds.pixel_array * slope + float(ds.RescaleIntercept)) * factor
        np.testing.assert_allclose(vol.voxels[k], expected, rtol=2e-6, atol=1e-6)
    assert len(slopes) > 30  # a different slope on every slice sampled
    body = vol.voxels[vol.voxels > 0.3]
    assert 0.3 < np.median(body) < 3.0  # soft tissue background
    assert vol.voxels.max() > 5.0  # bladder / lesion uptake
    assert vol.voxels.max() < 100.0

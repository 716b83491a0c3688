"""`oligoplan segment --pet-method/--pet-threshold/--pet-fwhm`: the PET method chosen, used and recorded."""

import json

import pytest

from core.case import load_case
from core.segment_record import SegmentMethod
from tests.core.test_cli_segment import PHANTOM, oligoplan, seed, truth  # noqa: F401 (fixture)

ROW_KEYS = {"id", "site", "side", "site_source", "kind", "volume_cc", "centroid_mm", "longest_axial_diameter_mm",
            "longest_3d_diameter_mm", "short_axis_mm", "hu_mean", "suv_max", "suv_mean", "suv_peak"}


def run(tmp_path, name, lesion, *options):
    case = tmp_path / f"{name}.json"
    result = oligoplan("segment", PHANTOM, "--seed", seed(lesion), "--out", case, "--json", *options, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)["lesions"][0]
    assert set(row) == ROW_KEYS  # the JSON shape does not change with the method
    return row, load_case(case).lesions["L1"].segmentation


def test_fixed_40_percent_is_chosen_used_and_recorded(tmp_path, truth):
    small = truth["L3"]  # 10 mm liver lesion: the fixed 40 % swallows its blurred rim
    adaptive_row, adaptive = run(tmp_path, "adaptive", small)
    fixed_row, fixed = run(tmp_path, "fixed", small, "--pet-method", "fixed")
    assert adaptive_row["volume_cc"] == pytest.approx(small["volume_cc"], rel=0.10)
    assert fixed_row["volume_cc"] > 1.2 * small["volume_cc"]
    assert adaptive.method is SegmentMethod.PET_ADAPTIVE and adaptive.fwhm_mm == 5.5
    assert fixed.method is SegmentMethod.PET_FIXED and fixed.fraction_percent == 40.0
    assert fixed.background_corrected is True
    # the threshold used, as a % of the local SUVmax: above 40 % (40 % of the uptake above the liver)
    assert 40.0 < fixed.threshold_percent < 60.0
    assert fixed.threshold == pytest.approx(fixed.background + 0.4 * (fixed.reference_max - fixed.background))


def test_threshold_alone_selects_the_fixed_method_and_a_higher_one_gives_less(tmp_path, truth):
    lesion = truth["L1"]
    row40, rec40 = run(tmp_path, "p40", lesion, "--pet-threshold", "40")
    row60, rec60 = run(tmp_path, "p60", lesion, "--pet-threshold", "60")
    assert rec40.method is rec60.method is SegmentMethod.PET_FIXED
    assert (rec40.fraction_percent, rec60.fraction_percent) == (40.0, 60.0)
    assert row60["volume_cc"] < row40["volume_cc"]


def test_fwhm_is_used_and_recorded(tmp_path, truth):
    lesion = truth["L3"]
    row55, _ = run(tmp_path, "f55", lesion)
    row8, rec8 = run(tmp_path, "f8", lesion, "--pet-method", "adaptive", "--pet-fwhm", "8")
    assert rec8.fwhm_mm == 8.0
    assert "adaptive, 8 mm FWHM" in rec8.describe()
    assert row8["volume_cc"] != row55["volume_cc"]


@pytest.mark.parametrize("options, message", [
    (["--pet-method", "adaptive", "--pet-threshold", "50"], "--pet-threshold applies to --pet-method fixed"),
    (["--pet-method", "fixed", "--pet-fwhm", "6"], "--pet-fwhm applies to --pet-method adaptive"),
    (["--pet-threshold", "100"], "out of range"),
    (["--pet-fwhm", "0"], "out of range"),
    (["--pet-method", "otsu"], "invalid choice: 'otsu'"),
])
def test_bad_pet_options_exit_2_and_save_nothing(tmp_path, truth, options, message):
    case = tmp_path / "case.json"
    result = oligoplan("segment", PHANTOM, "--seed", seed(truth["L1"]), "--out", case, *options, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not case.exists()


def test_the_summary_says_how_each_lesion_was_segmented(tmp_path, truth):
    result = oligoplan("segment", PHANTOM, "--seed", seed(truth["L1"]), "--out", tmp_path / "c.json",
                       "--pet-threshold", "40", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "% of SUVmax" in result.stdout and "(fixed 40% above background" in result.stdout


def test_a_folder_of_a_pet_alone_uses_the_pet_method_and_reports_its_suv(tmp_path, truth):
    """A PET without a CT (e.g. tcia-sts-001/FDG_PET): the lesion is grown on that PET with the
    method asked for, so no "holds no PET" warning, and its SUVmax is the PET's (was "n/a")."""
    pet_only = tmp_path / "pet"
    pet_only.symlink_to(PHANTOM / "PT", target_is_directory=True)
    case = tmp_path / "case.json"
    result = oligoplan("segment", pet_only, "--seed", seed(truth["L1"]), "--out", case, "--json",
                       "--pet-method", "fixed", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "holds no PET" not in result.stderr and "ignored" not in result.stderr
    row = json.loads(result.stdout)["lesions"][0]
    assert row["suv_max"] is not None and row["suv_max"] > 5
    assert load_case(case).lesions["L1"].segmentation.method is SegmentMethod.PET_FIXED


def test_a_ct_alone_still_says_the_pet_options_are_ignored(tmp_path, truth):
    ct_only = tmp_path / "ct"
    ct_only.symlink_to(PHANTOM / "CT", target_is_directory=True)
    result = oligoplan("segment", ct_only, "--seed", seed(truth["L1"]), "--out", tmp_path / "c.json",
                       "--pet-method", "fixed", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "holds no PET; --pet-method ignored, the lesions are grown on the CT" in result.stderr

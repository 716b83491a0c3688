"""`oligoplan track` with PET at both dates: new lesions from the PET candidate finder, SUL with --height-m/--sex."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json

import numpy as np
import pytest

from bench.two_timepoints import standard_case
from core.lesions import LesionMask
from core.tracking.new_lesions import carried_zone
from core.volume import Modality, SeriesInfo, Volume
from tests.core.track_phantom_files import write_two_timepoints

# the same field of view on a coarser grid (3 mm pixels, 4 mm slices instead of 2 mm, 2.5-3 mm): the same
# lesions, found and measured as closely as the assertions ask, at about two thirds of the set-up time
CASE = dataclasses.replace(
    standard_case(),
    prior_scan=dataclasses.replace(standard_case().prior_scan, n_xy=128, pixel_mm=3.0, slice_mm=4.0, n_slices=60),
    current_scan=dataclasses.replace(standard_case().current_scan, n_xy=128, pixel_mm=3.0, slice_mm=4.0,
                                     n_slices=64))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_two_timepoints(CASE, tmp_path_factory.mktemp("track_pet"), pet=True)


@pytest.fixture(scope="module")
def tracked(files, tmp_path_factory):
    """`track --json --out` run in this process (the command line's own tests start it as a program)."""
    from core import cli

    prior, current = files
    out = tmp_path_factory.mktemp("out") / "current.json"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
        assert cli.run(cli.build_parser().parse_args(["track", str(prior), str(current), "--json", "--out",
                                                      str(out)])) == 0
    return json.loads(printed.getvalue()), out


def test_the_two_new_lesions_are_found_and_no_carried_one(tracked):
    doc, _ = tracked
    assert set(doc) == {"registration", "lesions", "new", "counts", "derived_facts", "warnings"}
    assert [item["id"] for item in doc["new"]] == ["L6", "L7"]
    for item in doc["new"]:
        assert set(item) == {"id", "centroid_mm", "site", "volume_cc", "suv_max"}
        assert item["site"] == "lung" and item["volume_cc"] > 0.3
    found = sorted(tuple(item["centroid_mm"]) for item in doc["new"])
    truth = sorted(CASE.current_lesions[k].centre_mm for k in ("N1", "N2"))
    for got, want in zip(found, truth):
        assert np.linalg.norm(np.subtract(got, want)) < 2.0
    # every carried-over lesion is hot on the current PET too: none is listed again as new
    carried = [np.array(CASE.current_lesions[k].centre_mm) for k in ("L1", "L2", "L4", "L5")]
    assert all(np.linalg.norm(np.subtract(item["centroid_mm"], c)) > 20 for item in doc["new"] for c in carried)
    assert doc["counts"] == {"prior": 5, "current": 6}
    assert doc["derived_facts"]["new_lesions"]["value"] == 2
    assert "L6" in doc["derived_facts"]["lesions_progressing"]["reason"]


def test_pet_decides_and_without_height_and_sex_suvbw_is_said(tracked):
    doc, _ = tracked
    by_id = {item["id"]: item for item in doc["lesions"]}
    assert by_id["L1"]["decided_by"] == "PET" and by_id["L1"]["status"] == "progressing"
    assert by_id["L1"]["current"]["sul_peak"] is None and by_id["L1"]["current"]["suv_peak"] == pytest.approx(9, abs=.5)
    assert any("SUVpeak (body weight) used" in w and "--height-m and --sex" in w for w in doc["warnings"])


def test_new_lesions_wait_as_pet_candidates_without_accept_new(tracked):
    from core.case import load_case

    _, out = tracked
    case = load_case(out)
    assert [lesion.id for lesion in case.lesions] == ["L1", "L2", "L4", "L5"]  # never a lesion without review
    assert [c.id for c in case.candidates.unreviewed] == ["C1", "C2"]
    assert [item["candidate_id"] for item in case.tracking.new_listed] == ["C1", "C2"]
    assert case.tracking.prior_date == "2024-01-02" and case.tracking.counts == {"prior": 5, "current": 6}


def test_accept_new_makes_lesions_whose_site_is_a_proposal(files, tmp_path, capsys):
    from core import cli
    from core.case import load_case

    prior, current = files
    out = tmp_path / "accepted.json"
    args = cli.build_parser().parse_args(["track", str(prior), str(current), "--out", str(out), "--accept-new",
                                          "--height-m", "1.70", "--sex", "F"])
    assert cli.run(args) == 0
    text = capsys.readouterr()
    case = load_case(out)
    assert [lesion.id for lesion in case.lesions] == ["L1", "L2", "L4", "L5", "L6", "L7"]
    assert case.lesions.next_number == 8 and case.tracking.derived["new_lesions"].value == 2
    new = case.lesions["L6"]
    assert new.site.value == "lung" and new.site_confirmed is False and "a proposal" in new.notes
    assert new.mask is not None and new.mask.series_uid == CASE.current_scan.series_uid  # on the CT, as all lesions
    assert len(case.candidates) == 0 and case.tracking.new_listed == ()
    # height, sex and the PET's weight: SULpeak decides, and no SUVbw warning
    assert "SULpeak" in text.out and "SUVpeak (body weight)" not in text.err


@pytest.mark.parametrize("option, value, message", [
    ("--height-m", "172", "not centimetres"), ("--height-m", "0.39", "from 0.4 to 2.6"),
    ("--height-m", "nan", "expected a height"), ("--sex", "X", "expected F or M")])
def test_height_and_sex_options_refuse_bad_values(option, value, message, capsys):
    from core import cli

    with pytest.raises(SystemExit) as exc:
        cli.build_parser().parse_args(["track", "prior.json", "images", option, value])
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_height_option_boundaries_are_accepted():
    from core import cli

    for value in ("0.4", "2.6", "1.72"):
        args = cli.build_parser().parse_args(["track", "p.json", "i", "--height-m", value, "--sex", "m"])
        assert args.height_m == float(value) and args.sex.value == "M"


def _grid(n=21, spacing=1.0, uid="1.2.3.pet"):
    positions = np.array([[0.0, 0.0, k * spacing] for k in range(n)])
    return Volume(np.zeros((n, n, n), np.float32), positions, [1, 0, 0], [0, 1, 0], (spacing, spacing),
                  SeriesInfo(uid, modality=Modality.PT), unit="SUVbw")


def test_carried_over_zone_margin_inside_on_and_outside():
    pet = _grid()
    box = np.ones((1, 1, 1), bool)
    mask = LesionMask.from_box(box, (10, 10, 10), pet.shape, pet.info.series_uid)
    zone = carried_zone(pet, [(mask, pet)], margin_mm=5.0)
    assert zone[10, 10, 10]
    assert zone[10, 10, 14] and zone[10, 10, 15]  # 4 mm (inside), 5 mm (on the margin)
    assert not zone[10, 10, 16]  # 6 mm: outside, a candidate there is new
    assert zone[10, 13, 14] and not zone[10, 14, 14]  # 5.0 mm and 5.66 mm diagonally
    assert not carried_zone(pet, [], 5.0).any()


def test_carried_over_mask_on_another_grid_is_placed_on_the_pet():
    pet = _grid()
    ct = _grid(n=42, spacing=0.5, uid="1.2.3.ct")
    box = np.ones((2, 2, 2), bool)
    mask = LesionMask.from_box(box, (20, 20, 20), ct.shape, ct.info.series_uid)  # 10..10.5 mm on the CT
    zone = carried_zone(pet, [(mask, ct)], margin_mm=0.0)
    assert zone[10, 10, 10] and zone.sum() <= 8


def test_a_pet_the_finder_cannot_search_is_not_read_as_no_new_lesion():
    from core.registration import PriorToCurrent, RegistrationResult
    from core.tracking.derived import derive_facts
    from core.tracking.new_lesions import PetNewLesionFinder
    from core.tracking.tracker import Images, track

    ct = _grid(uid="1.2.3.ct")
    ct = Volume(ct.voxels, ct.positions_mm, [1, 0, 0], [0, 1, 0], (1.0, 1.0), SeriesInfo("1.2.3.ct", modality=Modality.CT),
                unit="HU")
    pet = _grid()
    no_suv = Volume(pet.voxels, pet.positions_mm, [1, 0, 0], [0, 1, 0], (1.0, 1.0), pet.info, unit="BQML")
    identity = RegistrationResult(PriorToCurrent.identity(), "identity", "none", None, 0.0)
    result = track([], Images(ct), Images(ct, no_suv), find_new=PetNewLesionFinder(), registration=identity)
    assert not result.new_searched and "could not run" in result.not_searched_why
    assert any("by hand" in w for w in result.warnings)
    facts = derive_facts(result)
    assert facts["new_lesions"].value is None and "lesions_progressing" not in facts


def test_a_header_height_or_weight_out_of_range_gives_no_sul_rather_than_a_wrong_one(monkeypatch):
    from core import cli
    from core.cli import track as cli_track
    from core.detect import PatientBody as Header
    from core.detect.sul import lean_body_mass_kg

    def body(header, *options):
        monkeypatch.setattr(cli_track, "header_body", lambda workspace: header)
        return cli_track._body(cli.build_parser().parse_args(["track", "p.json", "i", *options]), None)

    assert body(Header(75.0, 172.0, "F")).sul_factor() is None  # centimetres in the metres field
    assert body(Header(75.0, 1.72, "F")).sul_factor() == pytest.approx(lean_body_mass_kg(75.0, 1.72, "F") / 75.0)
    assert body(Header(75.0, 172.0, "F"), "--height-m", "1.72").sul_factor() is not None  # the option wins
    assert body(Header(7500.0, 1.72, "F")).sul_factor() is None  # grams in the kilograms field
    assert body(Header(75.0, 1.72, "O")).sul_factor() is None  # sex other: unknown
    assert body(Header(75.0, 1.72, "O"), "--sex", "M").sul_factor() == pytest.approx(
        lean_body_mass_kg(75.0, 1.72, "M") / 75.0)
    assert body(None, "--height-m", "1.72", "--sex", "M").sul_factor() is None  # no PET header: no weight

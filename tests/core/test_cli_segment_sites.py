"""`oligoplan segment` without --site: each lesion's site and side proposed (structures, then the CT),
stored as proposed; --structures RTSTRUCT adds organ structures; JSON "site_source" and "side"."""

import json
import shutil

from core.case import load_case
from tests.core.test_cli_segment import PHANTOM, oligoplan, seed, truth  # noqa: F401 (fixture)


def test_without_site_each_lesion_gets_its_own_proposal(tmp_path, truth):
    case = tmp_path / "case.json"
    result = oligoplan("segment", PHANTOM, "--seed", seed(truth["L1"]), "--seed", seed(truth["L4"]),
                       "--seed", seed(truth["L5"]), "--out", case, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["lesions"]
    # the folder's structure set has LIVER and LUNG_R; the vertebra is placed by the CT
    assert [(r["site"], r["side"], r["site_source"]) for r in rows] == [
        ("liver", "", "structure:LIVER"), ("lung", "right", "structure:LUNG_R"), ("bone", "", "ct-anatomy")]
    lesions = list(load_case(case).lesions)
    assert [l.site_proposed for l in lesions] == [True, True, True]
    assert lesions[0].site_detail == "LIVER structure, 100% inside" and lesions[2].site_detail == "CT anatomy: bone"
    text = oligoplan("segment", PHANTOM, "--seed", seed(truth["L2"]), "--out", case, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "L4 liver, proposed (LIVER structure, 100% inside)" in text.stdout


def test_structures_option_places_lesions_of_a_folder_without_a_structure_set(tmp_path, truth):
    images = tmp_path / "images"
    for part in ("CT", "PT"):
        shutil.copytree(PHANTOM / part, images / part)
    plain = oligoplan("segment", images, "--seed", seed(truth["L4"]), "--out", tmp_path / "a.json", "--json",
                      cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    (row,) = json.loads(plain.stdout)["lesions"]
    assert (row["site"], row["side"], row["site_source"]) == ("lung", "right", "ct-anatomy")
    given = oligoplan("segment", images, "--seed", seed(truth["L4"]), "--structures",
                      PHANTOM / "RTSTRUCT" / "rtstruct.dcm", "--out", tmp_path / "b.json", "--json", cwd=tmp_path)
    assert given.returncode == 0, given.stderr
    (row,) = json.loads(given.stdout)["lesions"]
    assert (row["site"], row["side"], row["site_source"]) == ("lung", "right", "structure:LUNG_R")


def test_site_option_is_the_users_choice(tmp_path, truth):
    result = oligoplan("segment", PHANTOM, "--seed", seed(truth["L1"]), "--site", "bone", "--out",
                       tmp_path / "c.json", "--json", cwd=tmp_path)
    (row,) = json.loads(result.stdout)["lesions"]
    assert (row["site"], row["site_source"]) == ("bone", "user")
    assert not list(load_case(tmp_path / "c.json").lesions)[0].site_proposed


def test_a_missing_structures_file_is_refused_and_nothing_is_saved(tmp_path, truth):
    case = tmp_path / "case.json"
    result = oligoplan("segment", PHANTOM, "--seed", seed(truth["L1"]), "--structures", tmp_path / "nope.dcm",
                       "--out", case, cwd=tmp_path)
    assert result.returncode == 2 and "--structures" in result.stderr and "no such file" in result.stderr
    assert "Traceback" not in result.stderr and not case.exists()

"""A case file whose lesion was drawn on images that are not the case's (edited by hand, or a
lesion pasted from another patient's case): `oligoplan check` said "images not available", counted
the lesion anyway and printed ESTRO-ASTRO ELIGIBLE, while `export` refused the same case. Now both
refuse it (exit 2), naming the lesion; a case whose images are only missing is still checked."""

from __future__ import annotations

import json

import pytest

from core.case import load_case
from core.errors import CaseFileError
from core.rules.case_check import open_case_images
from core.samples import SAMPLE_ROOT
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case

pytestmark = pytest.mark.skipif(not (SAMPLE_ROOT / "phantom-oligo").is_dir(), reason="sample scans not present")


@pytest.fixture(scope="module")
def case_doc(tmp_path_factory):
    path = phantom_case("phantom-oligo", tmp_path_factory.mktemp("foreign"), ELIGIBLE_FACTS)
    return path, json.loads(path.read_text(encoding="utf-8"))


def test_a_lesion_of_other_images_is_refused_by_name(case_doc, tmp_path):
    path, doc = case_doc
    doc = json.loads(json.dumps(doc))
    doc["lesions"][0]["mask"]["series_uid"] = "1.2.826.0.1.999"  # not a series of these images
    edited = path.parent / "edited.json"
    edited.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CaseFileError, match=r"lesion L1 was drawn on series 1\.2\.826\.0\.1\.999, which is not in "):
        open_case_images(load_case(edited))


def test_images_only_missing_still_give_a_check_with_a_warning(case_doc):
    path, doc = case_doc
    doc = json.loads(json.dumps(doc))
    for image in doc["images"]:
        image["folder"] = "/nonexistent/images"
    moved = path.parent / "moved.json"
    moved.write_text(json.dumps(doc), encoding="utf-8")
    images = open_case_images(load_case(moved))
    assert images.workspace is None
    assert images.warnings and images.warnings[0].startswith("images not available (")


def test_a_contoured_lesion_without_its_images_is_not_called_uncontoured():
    """Checked without its images, a case's contoured lesions were "not measured (no contour)"."""
    from core.rules.counting import LesionInfo
    from core.rules.engine import evaluate
    from core.rules.loader import load_catalog

    lesions = [LesionInfo(id="L1", label="L1", site="liver", contoured=True),
               LesionInfo(id="L2", label="L2", site="liver")]  # a point marker: no contour
    ev = evaluate(load_catalog().select(["sabr-comet"]), lesions)
    size = next(c for c in ev.results[0].criteria if c.id == "size")
    assert size.status == "unknown"
    assert size.reason == ("L2 not measured (no contour); "
                           "L1 not measured (contoured, but the images it was drawn on are not open)")
    fong = next(f for f in ev.scores[0].factors if f.id == "largest_liver_tumour")
    assert "L1 not measured (contoured, but the images it was drawn on are not open)" in fong.text

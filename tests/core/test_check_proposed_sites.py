"""`oligoplan check` text says which sites are only proposed: the counts and verdicts rest on them.

phantom-oligo segmented without --site printed "Metastases: 5 (lung 1, liver 3, bone 1)" and
ELIGIBLE under SABR-COMET with no word that no user had confirmed any of those five sites."""

import shutil
import subprocess

import pytest

from core.case import Case
from core.cli.check import describe
from core.codes import Site, SiteSource
from core.lesions import AddLesion, Lesion, UndoStack
from core.rules.case_check import CaseImages, check_case
from core.rules.counting import LesionInfo
from core.rules.engine import evaluate
from core.rules.loader import load_catalog
from core.summary.export import write_summary


def lesion(id_, site, confirmed, source="structure:LIVER"):
    return LesionInfo(id=id_, label=id_, site=site, longest_diameter_mm=20.0, site_source=source,
                      site_confirmed=confirmed)


def test_proposed_sites_are_named_under_the_counts():
    text = describe(evaluate([], [lesion("L1", "liver", False), lesion("L2", "bone", True, "user"),
                                  lesion("L3", "lung", False, "ct-anatomy")]))
    lines = text.splitlines()
    assert lines[1] == "Metastases: 3 (lung 1, liver 1, bone 1)"
    assert lines[2].startswith("  sites proposed, not confirmed by a user: L1 liver, L3 lung (")


def test_confirmed_and_unknown_sites_add_no_line():
    # an unknown site is already unknown to every per-organ criterion, with its own reason
    text = describe(evaluate([], [lesion("L1", "liver", True, "user"), lesion("L2", "unknown", False, "unknown")]))
    assert "proposed" not in text


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (apt package poppler-utils) not installed")
def test_page_one_of_the_summary_says_the_counted_sites_are_proposed(tmp_path):
    """Page 1 printed "5 metastases: lung 1, liver 3, bone 1" and the verdicts under it; only page 3
    marked the sites with * as proposed."""
    case = Case()
    stack = UndoStack()
    stack.push(AddLesion(case.lesions, Lesion("L1", "Liver 1", site=Site.LIVER, point_mm=(10.0, 0.0, 0.0),
                                              site_source=SiteSource.STRUCTURE, site_structure="LIVER",
                                              site_confirmed=False)))
    stack.push(AddLesion(case.lesions, Lesion("L2", "Lung 1", site=Site.LUNG, point_mm=(40.0, 0.0, 0.0))))
    check = check_case(case, load_catalog().select(["sabr-comet"]), images=CaseImages(None))
    write_summary(case, check, tmp_path, json=False, csv=False)
    page1 = subprocess.run(["pdftotext", "-l", "1", str(tmp_path / "summary.pdf"), "-"], capture_output=True,
                           text=True, check=True).stdout
    assert "Sites proposed, not confirmed by a user: L1 (marked * on the lesions page)" in page1

"""`oligoplan check` text says which sites are only proposed: the counts and verdicts rest on them.

phantom-oligo segmented without --site printed "Metastases: 5 (lung 1, liver 3, bone 1)" and
ELIGIBLE under SABR-COMET with no word that no user had confirmed any of those five sites."""

from core.cli_rules import describe
from core.rules.counting import LesionInfo
from core.rules.engine import evaluate


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

"""The label of a new lesion, one rule for the gui's tools and `oligoplan segment`."""

from __future__ import annotations

from core.codes import Site
from core.lesion_labels import is_site_label, new_label


def test_the_smallest_free_number_of_the_site():
    assert new_label(Site.LIVER, []) == "Liver 1"
    assert new_label("liver", ["Liver 1", "Liver 2"]) == "Liver 3"
    assert new_label(Site.LIVER, ["Liver 2"]) == "Liver 1"  # a deleted one's number is reused
    assert new_label(Site.BONE, ["Liver 1", "Liver 2"]) == "Bone 1"  # numbered per site
    assert new_label(Site.LIVER, ["Liver 1 Oligo", "liver 1"]) == "Liver 1"  # only the exact label is taken


def test_only_a_label_of_the_rule_follows_a_change_of_site():
    assert is_site_label("Liver 12", Site.LIVER)
    assert not is_site_label("Liver 1b", Site.LIVER)
    assert not is_site_label("Liver 1", Site.LUNG)
    assert not is_site_label("segment VIII", Site.LIVER)

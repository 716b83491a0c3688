"""The label a new lesion gets: '<Site> n' ('Liver 1', 'Liver 2', 'Bone 1'), the one rule of the
gui's lesion tools and of `oligoplan segment`.

n is the smallest number not used by another lesion's label, so a deleted 'Liver 1' is reused and
labels never repeat within a case. A lesion still bearing the label of its site follows a change of
site ('Liver 2' becomes 'Lung 1'); a label the user typed is never changed.
"""

from __future__ import annotations

import re
from typing import Iterable

from core.codes import Site


def label_word(site: Site | str) -> str:
    """The word new lesions of ``site`` are named after ("Liver"; "Lesion" while the site is unknown)."""
    site = Site.parse(site)
    return "Lesion" if site is Site.UNKNOWN else site.label


def new_label(site: Site | str, used: Iterable[str]) -> str:
    """'<Site> n' with the smallest n (1, 2, ...) that is not among the ``used`` labels."""
    word = label_word(site)
    taken = set(used)
    n = 1
    while f"{word} {n}" in taken:
        n += 1
    return f"{word} {n}"


def is_site_label(label: str, site: Site | str) -> bool:
    """Is ``label`` one :func:`new_label` gives for ``site`` (so it follows a change of site)?"""
    return re.fullmatch(rf"{re.escape(label_word(site))} \d+", label) is not None

"""Which site a structure's name stands for: the one map from organ structure names to sites.

Planning systems and auto-contouring tools name organs in many ways ("LIVER",
"Liver", "Lung_R", "Lung-Right", "RT LUNG", "lung_upper_lobe_left",
"vertebrae_L1", "SpinalCord", "Kidney_L"). :func:`site_for_structure_name`
reads a name case- and separator-insensitively (``_``, ``-``, ``.``, blanks
and camel case all split words) and gives the site and, when the name says it,
the side. Body outlines (BODY, External, Skin, Outline) and names that say
nothing about an organ give None: such structures never place a lesion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.codes import Laterality, Site


@dataclass(frozen=True)
class NamedSite:
    """The site a structure name stands for, and the side when the name gives one."""

    site: Site
    side: Laterality = Laterality.NONE


#: Words (after normalising) -> site. A name maps when one of its words, or two
#: neighbouring words joined ("spinal cord" -> "spinalcord"), is a key here.
SITE_WORDS: dict[str, Site] = {
    # liver
    "liver": Site.LIVER, "hepar": Site.LIVER, "leber": Site.LIVER, "foie": Site.LIVER,
    # lungs (lobes too)
    "lung": Site.LUNG, "lungs": Site.LUNG, "pulmo": Site.LUNG, "poumon": Site.LUNG, "lunge": Site.LUNG,
    # brain
    "brain": Site.BRAIN, "brainstem": Site.BRAIN, "cerebrum": Site.BRAIN, "cerebellum": Site.BRAIN,
    "hippocampus": Site.BRAIN, "gehirn": Site.BRAIN,
    # bone: skeleton and the spine with its canal and cord (a lesion inside is a spinal metastasis)
    "bone": Site.BONE, "bones": Site.BONE, "skeleton": Site.BONE, "vertebra": Site.BONE,
    "vertebrae": Site.BONE, "vertebral": Site.BONE, "spine": Site.BONE, "spinalcord": Site.BONE,
    "cord": Site.BONE, "spinalcanal": Site.BONE, "canal": Site.BONE, "caudaequina": Site.BONE,
    "sacrum": Site.BONE, "coccyx": Site.BONE, "rib": Site.BONE, "ribs": Site.BONE, "sternum": Site.BONE,
    "scapula": Site.BONE, "clavicle": Site.BONE, "clavicula": Site.BONE, "humerus": Site.BONE,
    "femur": Site.BONE, "femoral": Site.BONE, "hip": Site.BONE, "pelvis": Site.BONE, "ilium": Site.BONE,
    "iliac": Site.BONE, "ischium": Site.BONE, "pubis": Site.BONE, "acetabulum": Site.BONE,
    "skull": Site.BONE, "mandible": Site.BONE, "radius": Site.BONE, "ulna": Site.BONE, "tibia": Site.BONE,
    "fibula": Site.BONE, "costal": Site.BONE,
    # adrenal glands
    "adrenal": Site.ADRENAL, "suprarenal": Site.ADRENAL, "nebenniere": Site.ADRENAL,
    # peritoneum
    "peritoneum": Site.PERITONEUM, "peritoneal": Site.PERITONEUM, "omentum": Site.PERITONEUM,
    # soft tissue
    "muscle": Site.SOFT_TISSUE, "muscles": Site.SOFT_TISSUE, "psoas": Site.SOFT_TISSUE,
    "gluteus": Site.SOFT_TISSUE, "subcutaneous": Site.SOFT_TISSUE,
    # other organs: the organ is known, but it is none of the sites the rule sets count by name
    "kidney": Site.OTHER, "kidneys": Site.OTHER, "spleen": Site.OTHER, "pancreas": Site.OTHER,
    "stomach": Site.OTHER, "heart": Site.OTHER, "esophagus": Site.OTHER, "oesophagus": Site.OTHER,
    "bladder": Site.OTHER, "gallbladder": Site.OTHER, "prostate": Site.OTHER, "rectum": Site.OTHER,
    "colon": Site.OTHER, "bowel": Site.OTHER, "duodenum": Site.OTHER, "thyroid": Site.OTHER,
    "uterus": Site.OTHER, "ovary": Site.OTHER, "breast": Site.OTHER, "parotid": Site.OTHER,
}

#: Vertebra names: C1-C7, T1-T12 (Th1, D1), L1-L5, S1-S5, alone or as "vertebrae_L1".
_VERTEBRA = re.compile(r"^(c[1-7]|t(h)?([1-9]|1[0-2])|d([1-9]|1[0-2])|l[1-5]|s[1-5])$")

#: Words that name a body outline: a lesion inside only these is not placed.
OUTLINE_WORDS = frozenset({"body", "external", "skin", "outline", "patient", "ext", "bodys"})

_LEFT = frozenset({"l", "lt", "left", "links", "sin", "sinister", "gauche", "li"})
_RIGHT = frozenset({"r", "rt", "right", "rechts", "dx", "dexter", "droit", "re"})
#: Words that make a name something other than the organ (a margin, a planning volume).
#: ("Lungs-GTV", "Liver_minus_GTV" are still the organ.)
_NOT_THE_ORGAN = frozenset({"prv", "ptv", "opt", "ring", "shell", "dose", "avoid", "wall"})


def words_of(name: str) -> list[str]:
    """Lower-case words of a structure name: separators, camel case and digits after
    letters split it ("SpinalCord" -> spinal, cord; "Lung_R" -> lung, r; "LungR" -> lung, r)."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name or ""))
    text = re.sub(r"(?<=[A-Za-z]{3})(?=[LR]$)", " ", text)  # "LungR", "KidneyL"
    return [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]


def is_outline_name(name: str) -> bool:
    """Whether the name is a body outline (BODY, External, Skin, ...)."""
    words = words_of(name)
    return bool(words) and words[0] in OUTLINE_WORDS


def site_for_structure_name(name: str) -> NamedSite | None:
    """The site (and side) a structure's name stands for, or None.

    >>> site_for_structure_name("Lung-Right")
    NamedSite(site=<Site.LUNG: 'lung'>, side=<Laterality.RIGHT: 'right'>)
    >>> site_for_structure_name("BODY") is None
    True
    """
    words = words_of(name)
    if not words or is_outline_name(name) or any(w in _NOT_THE_ORGAN for w in words):
        return None
    site = None
    joined = words + [a + b for a, b in zip(words, words[1:])]
    for word in joined:
        if word in SITE_WORDS:
            found = SITE_WORDS[word]
            # the first organ word decides ("lung_upper_lobe_left"), except that a more
            # specific joined word ("spinal cord") wins over nothing
            site = site or found
    if site is None and any(_VERTEBRA.match(w) for w in words):
        site = Site.BONE
    if site is None:
        return None
    side = Laterality.NONE
    if any(w in _LEFT for w in words[1:] + words[:1]) and site is not Site.LIVER:
        side = Laterality.LEFT
    if any(w in _RIGHT for w in words[1:] + words[:1]) and site is not Site.LIVER:
        side = Laterality.RIGHT if side is Laterality.NONE else Laterality.BILATERAL
    if side is Laterality.BILATERAL:
        side = Laterality.NONE
    return NamedSite(site, side)

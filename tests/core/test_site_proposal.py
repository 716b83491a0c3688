"""core.anatomy: a lesion's site and side proposed from organ structures (names, overlap), the midline
of the body outline and a PET outline; stored as proposed on the lesion and in the case file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.anatomy import SiteProposal, propose_site
from core.anatomy.structure_names import OUTLINE_WORDS, SITE_WORDS, site_for_structure_name
from core.case import Case, load_case, save_case
from core.codes import Laterality, Site, SiteSource
from core.lesions import AddLesion, Lesion, LesionMask, UndoStack
from core.rt.structures import Structure, StructureKind
from core.volume import Modality
from tests.core.grids import ellipsoid, make_grid

SHAPE, SPACING = (12, 60, 80), (2.0, 2.0, 2.0)
ORIGIN = (-60.0, -60.0, 0.0)  # x from -60 to +98 mm: the body below is centred at x = +20, not 0
BODY_CENTRE_X = 20.0


def ct_volume():
    grid = make_grid(SHAPE, SPACING, ORIGIN)
    body = ellipsoid(grid, (BODY_CENTRE_X, 0.0, 11.0), (70.0, 50.0, 1000.0))
    hu = np.where(body, 40, -1000).astype(np.int16)
    return make_grid(SHAPE, SPACING, ORIGIN, voxels=hu)


CT = ct_volume()


def box(x0: int, x1: int) -> np.ndarray:
    """A box on slices 5-6, rows 28-31, columns x0..x1-1 (10 columns: 10 % per column)."""
    full = np.zeros(SHAPE, bool)
    full[5:7, 28:32, x0:x1] = True
    return full


def mask(full: np.ndarray) -> LesionMask:
    return LesionMask.from_full(full, CT.info.series_uid)


def structure(name: str, full: np.ndarray, kind=StructureKind.ORGAN_AT_RISK, number: int = 1) -> Structure:
    return Structure(number, name, (255, 0, 0), kind=kind, mask=mask(full))


LESION = box(40, 50)


# ------------------------------------------------------------------ the name map
@pytest.mark.parametrize("word, site", sorted(SITE_WORDS.items()))
def test_every_name_in_the_map_places_a_lesion_inside_its_structure(word, site):
    assert site_for_structure_name(word.upper()).site is site
    proposal = propose_site(mask(LESION), CT, structures=[structure(word.upper(), LESION)], ct=CT)
    assert (proposal.site, proposal.source, proposal.structure) == (site, SiteSource.STRUCTURE, word.upper())
    assert proposal.detail == f"{word.upper()} structure, 100% inside"
    assert proposal.source_text == f"structure:{word.upper()}"


@pytest.mark.parametrize("name, site, side", [
    ("LIVER", Site.LIVER, Laterality.NONE), ("Liver", Site.LIVER, Laterality.NONE),
    ("liver_minus_GTV", Site.LIVER, Laterality.NONE),
    ("LUNG_R", Site.LUNG, Laterality.RIGHT), ("Lung_R", Site.LUNG, Laterality.RIGHT),
    ("Lung-Right", Site.LUNG, Laterality.RIGHT), ("RT LUNG", Site.LUNG, Laterality.RIGHT),
    ("LungL", Site.LUNG, Laterality.LEFT), ("lung_upper_lobe_left", Site.LUNG, Laterality.LEFT),
    ("Lungs", Site.LUNG, Laterality.NONE), ("SpinalCord", Site.BONE, Laterality.NONE),
    ("SPINAL_CORD", Site.BONE, Laterality.NONE), ("vertebrae_L1", Site.BONE, Laterality.NONE),
    ("L1", Site.BONE, Laterality.NONE), ("T12", Site.BONE, Laterality.NONE), ("Th4", Site.BONE, Laterality.NONE),
    ("C7", Site.BONE, Laterality.NONE), ("S1", Site.BONE, Laterality.NONE),
    ("rib_left_3", Site.BONE, Laterality.LEFT), ("Femur_Head_R", Site.BONE, Laterality.RIGHT),
    ("Brain", Site.BRAIN, Laterality.NONE), ("BrainStem", Site.BRAIN, Laterality.NONE),
    ("Kidney_L", Site.OTHER, Laterality.LEFT), ("adrenal_gland_right", Site.ADRENAL, Laterality.RIGHT),
    ("Adrenal-L", Site.ADRENAL, Laterality.LEFT),
])
def test_common_names_case_and_separator_insensitive(name, site, side):
    assert (site_for_structure_name(name).site, site_for_structure_name(name).side) == (site, side)


@pytest.mark.parametrize("name", ["BODY", "External", "Skin", "OUTLINE", "Patient", "GTV_1", "Lung_R_PRV",
                                  "PTV_60", "Couch", "", "ring_5mm"])
def test_outlines_margins_and_names_of_no_organ_place_nothing(name):
    assert site_for_structure_name(name) is None


def test_outline_words_are_not_organs():
    assert not set(OUTLINE_WORDS) & set(SITE_WORDS)


# ------------------------------------------------------------------ overlap
@pytest.mark.parametrize("columns, placed", [(6, True), (5, True), (4, False)])
def test_most_of_the_lesion_inside_places_it_and_the_fraction_is_named(columns, placed):
    liver = box(40, 40 + columns)  # 60 %, 50 % (on the limit: half is "most of it"), 40 %
    proposal = propose_site(mask(LESION), CT, structures=[structure("LIVER", liver)], ct=CT)
    if placed:
        assert proposal.site is Site.LIVER and proposal.detail == f"LIVER structure, {columns * 10}% inside"
    else:
        assert proposal.source is not SiteSource.STRUCTURE  # falls through to the CT


def test_of_two_structures_the_one_holding_more_of_the_lesion_wins():
    liver, lung = box(40, 47), box(47, 50)  # 70 % / 30 %
    structures = [structure("Lung_R", lung, number=1), structure("LIVER", liver, number=2)]
    proposal = propose_site(mask(LESION), CT, structures=structures, ct=CT)
    assert proposal.site is Site.LIVER and proposal.detail == "LIVER structure, 70% inside"


def test_no_structure_body_only_targets_and_other_grids_fall_through_to_the_ct():
    body = np.ones(SHAPE, bool)
    structures = [structure("BODY", body, StructureKind.EXTERNAL), structure("GTV_1", LESION, StructureKind.TARGET),
                  structure("PTV", LESION, StructureKind.TARGET),
                  Structure(9, "LIVER", (0, 0, 0), kind=StructureKind.ORGAN_AT_RISK,
                            mask=LesionMask.from_full(LESION, "another-series"))]
    for given in ([], structures):
        proposal = propose_site(mask(LESION), CT, structures=given, ct=CT)
        assert proposal.source is SiteSource.CT_ANATOMY and proposal.detail.startswith("CT anatomy: ")
        # a uniform soft-tissue body: no lung, bone or liver to name; the user chooses
        assert proposal.site is Site.UNKNOWN and "soft tissue / lymph node" in proposal.detail


def test_side_from_the_structure_name_wins_over_the_position():
    lesion = box(20, 30)  # x -20 to -2 mm: right of the body's centre (x = +20)
    proposal = propose_site(mask(lesion), CT, structures=[structure("LUNG_L", lesion)], ct=CT)
    assert proposal.side is Laterality.LEFT  # the structure says so
    proposal = propose_site(mask(lesion), CT, structures=[structure("Lungs", lesion)], ct=CT)
    assert proposal.side is Laterality.RIGHT  # "Lungs" says no side: the midline does
    proposal = propose_site(mask(lesion), CT, structures=[structure("Liver", lesion)], ct=CT)
    assert proposal.side is Laterality.NONE  # the liver has no side


# ------------------------------------------------------------------ midline
def x_mm(column: int) -> float:
    return ORIGIN[0] + column * SPACING[2]


#: The midline is the centre of the body outline on the coarse (4 mm) anatomy grid: exact to about 2 mm,
#: so the points just inside and just outside the 5 mm tolerance are 3 mm and 8 mm from it.
@pytest.mark.parametrize("offset_mm, side", [
    (-20.0, Laterality.RIGHT), (-8.0, Laterality.RIGHT), (-3.0, Laterality.NONE), (0.0, Laterality.NONE),
    (3.0, Laterality.NONE), (8.0, Laterality.LEFT), (30.0, Laterality.LEFT),
])
def test_side_of_a_point_against_the_body_outline_centre_not_x_0(offset_mm, side):
    point = (BODY_CENTRE_X + offset_mm, 0.0, 11.0)
    assert propose_site(point, ct=CT).side is side


def test_a_contour_straddling_the_midline_has_no_side():
    centre = int(round((BODY_CENTRE_X - ORIGIN[0]) / SPACING[2]))
    assert propose_site(mask(box(centre - 3, centre + 4)), CT, ct=CT).side is Laterality.NONE
    assert propose_site(mask(box(centre + 1, centre + 6)), CT, ct=CT).side is Laterality.LEFT
    assert propose_site(mask(box(centre - 6, centre - 1)), CT, ct=CT).side is Laterality.RIGHT


# ------------------------------------------------------------------ PET without a CT, nothing at all
def test_pet_without_ct_gives_the_side_from_its_body_outline_and_site_unknown():
    grid = make_grid(SHAPE, SPACING, ORIGIN, modality=Modality.PT, unit="SUVbw", uid="pet")
    body = ellipsoid(grid, (BODY_CENTRE_X, 0.0, 11.0), (70.0, 50.0, 1000.0))
    pet = make_grid(SHAPE, SPACING, ORIGIN, voxels=np.where(body, 1.0, 0.0).astype(np.float32),
                    modality=Modality.PT, unit="SUVbw", uid="pet")
    proposal = propose_site((BODY_CENTRE_X + 30.0, 0.0, 11.0), pet=pet)
    assert (proposal.site, proposal.side, proposal.source) == (Site.UNKNOWN, Laterality.LEFT, SiteSource.UNKNOWN)
    assert proposal.detail.startswith("PET body outline")
    assert propose_site((BODY_CENTRE_X - 30.0, 0.0, 11.0), pet=pet).side is Laterality.RIGHT


def test_without_structures_or_images_nothing_is_guessed():
    proposal = propose_site((0.0, 0.0, 0.0))
    assert (proposal.site, proposal.side, proposal.source_text) == (Site.UNKNOWN, Laterality.NONE, "unknown")


def test_bad_input_names_what_is_wrong():
    with pytest.raises(ValueError, match="needs the volume it lies on"):
        propose_site(mask(LESION))
    with pytest.raises(ValueError, match="3 finite numbers"):
        propose_site((0.0, float("nan"), 1.0), ct=CT)


# ------------------------------------------------------------------ the lesion and the case file
def proposed_lesion() -> Lesion:
    proposal = SiteProposal(Site.LIVER, Laterality.NONE, SiteSource.STRUCTURE, "LIVER structure, 100% inside",
                            "LIVER")
    return Lesion("L1", "Liver 1", mask=mask(LESION)).with_proposal(proposal)


def test_a_proposal_is_proposed_until_confirmed_and_a_user_choice_replaces_it():
    lesion = proposed_lesion()
    assert lesion.site_proposed and lesion.site_source_text == "structure:LIVER"
    assert lesion.site_decided_text == "proposed (LIVER structure, 100% inside)"
    confirmed = lesion.with_site_confirmed()
    assert not confirmed.site_proposed and confirmed.site_source_text == "structure:LIVER"
    assert confirmed.site_decided_text == "LIVER structure, 100% inside; confirmed"
    chosen = lesion.with_changes(site="bone")
    assert (chosen.site_source, chosen.site_confirmed, chosen.site_decided_text) == \
        (SiteSource.USER, True, "chosen by the user")
    assert lesion.with_changes(label="x").site_proposed  # other edits keep the proposal


def test_case_file_keeps_how_the_site_was_decided_and_old_files_read_as_user_chosen(tmp_path):
    case = Case()
    UndoStack().push(AddLesion(case.lesions, proposed_lesion()))
    path = save_case(case, tmp_path / "case.json")
    item = json.loads(path.read_text())["lesions"][0]
    assert (item["site_source"], item["site_confirmed"], item["site_detail"]) == \
        ("structure:LIVER", False, "LIVER structure, 100% inside")
    (again,) = list(load_case(path).lesions)
    assert again.site_proposed and again.site_structure == "LIVER" and again.site is Site.LIVER
    doc = json.loads(path.read_text())
    for key in ("site_source", "site_detail", "site_confirmed"):
        del doc["lesions"][0][key]
    path.write_text(json.dumps(doc))
    (old,) = list(load_case(path).lesions)
    assert (old.site_source, old.site_confirmed, old.site) == (SiteSource.USER, True, Site.LIVER)
    # a site the user chose is written as before proposals existed: the file (and the content digest
    # its sign-offs were made on) stays the same
    save_case(case_of(old.with_changes(site="bone")), path)
    assert not {"site_source", "site_detail", "site_confirmed"} & set(json.loads(path.read_text())["lesions"][0])


def case_of(lesion: Lesion) -> Case:
    case = Case()
    UndoStack().push(AddLesion(case.lesions, lesion))
    return case


def test_a_case_file_with_an_unknown_site_source_is_refused_with_the_lesion_named(tmp_path):
    case = Case()
    UndoStack().push(AddLesion(case.lesions, proposed_lesion()))
    path = save_case(case, tmp_path / "case.json")
    doc = json.loads(path.read_text())
    doc["lesions"][0]["site_source"] = "guesswork"
    path.write_text(json.dumps(doc))
    from core.errors import CaseFileError

    with pytest.raises(CaseFileError, match="lesions.*site source 'guesswork'"):
        load_case(path)


def test_a_lesion_inside_the_skull_is_proposed_brain_one_in_the_scalp_is_not():
    shape, spacing, origin = (40, 64, 64), (3.0, 3.0, 3.0), (-96.0, -96.0, 0.0)
    grid = make_grid(shape, spacing, origin)
    head = ellipsoid(grid, (0.0, 0.0, 60.0), (80.0, 90.0, 70.0))
    skull = ellipsoid(grid, (0.0, 0.0, 60.0), (72.0, 82.0, 62.0)) & ~ellipsoid(grid, (0.0, 0.0, 60.0),
                                                                                (64.0, 74.0, 54.0))
    hu = np.where(head, 40, -1000)
    hu = np.where(skull, 900, hu).astype(np.int16)
    ct = make_grid(shape, spacing, origin, voxels=hu)
    inside = propose_site((20.0, 10.0, 60.0), ct=ct)
    assert (inside.site, inside.detail, inside.side) == (Site.BRAIN, "CT anatomy: brain", Laterality.LEFT)
    scalp = propose_site((0.0, -86.0, 60.0), ct=ct)  # between the skull and the skin, in front
    assert scalp.site is not Site.BRAIN

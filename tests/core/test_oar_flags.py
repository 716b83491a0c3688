"""Organ-at-risk distances and flags on a synthetic 1 mm grid (exact geometry)."""

from __future__ import annotations

import numpy as np
import pytest

from core.lesions import Lesion, LesionMask
from core.rules.oar import CLEAR, FLAGGED, NOT_APPLICABLE, UNKNOWN, OarCalculator, OarSettings, Organ, role_of
from tests.core.grids import make_grid

GRID = make_grid((60, 60, 120), (1.0, 1.0, 1.0))  # z, y, x; voxel (k, j, i) at (i, j, k) mm


def box(lo, hi) -> LesionMask:
    full = np.zeros(GRID.shape, dtype=bool)
    full[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = True
    return LesionMask.from_full(full, GRID.info.series_uid)


def organ(name, x0, x1) -> Organ:
    """A slab of the organ between x0 and x1 (voxel columns), full height and depth."""
    return Organ(name, box((10, 10, x0), (50, 50, x1)), GRID)


def lesion_at(x0, x1, site="lung", lesion_id="L1") -> Lesion:
    return Lesion(lesion_id, lesion_id, site=site, mask=box((25, 25, x0), (35, 35, x1)))


def report(lesion, organs, settings=OarSettings(), diameter=None):
    return OarCalculator(organs, settings).report([(lesion, GRID, lesion.site.value, diameter)]).lesions[0]


@pytest.mark.parametrize("name,role", [("BRONCHUS_PROX", "proximal_bronchial_tree"), ("Bronchus Prox", "proximal_bronchial_tree"),
                                       ("PBT", "proximal_bronchial_tree"), ("SpinalCord", "spinal_cord"),
                                       ("Trachea", "trachea"), ("Esophagus", "oesophagus"), ("LUNG_L", None)])
def test_structures_are_recognised_by_name(name, role):
    assert role_of(name) == role


@pytest.mark.parametrize("gap,expected", [(19, FLAGGED), (20, FLAGGED), (21, CLEAR)])
def test_central_lung_within_20_mm_of_the_bronchial_tree(gap, expected):
    # lesion voxels 40..49, organ from 50 + gap: surface distance = gap voxels edge to edge = gap mm
    pbt = organ("BRONCHUS_PROX", 50 + gap, 50 + gap + 5)
    entry = report(lesion_at(40, 50), [pbt])
    assert entry.distances_mm["BRONCHUS_PROX"] == pytest.approx(gap, abs=1e-6)
    assert entry.status("central_lung") == expected


@pytest.mark.parametrize("gap,expected", [(2, FLAGGED), (3, CLEAR), (4, CLEAR)])
def test_spinal_cord_closer_than_3_mm(gap, expected):
    cord = organ("SPINALCORD", 50 + gap, 50 + gap + 4)
    entry = report(lesion_at(40, 50, site="bone"), [cord])
    assert entry.status("spinal_cord") == expected
    assert entry.status("central_lung") == NOT_APPLICABLE


def test_overlap_is_distance_zero_and_ultracentral_margin_is_a_setting():
    trachea = organ("Trachea", 45, 60)
    entry = report(lesion_at(40, 50), [trachea])
    assert entry.distances_mm["Trachea"] == 0.0 and entry.status("ultracentral_lung") == FLAGGED
    far = organ("Trachea", 58, 62)  # 8 mm away
    assert report(lesion_at(40, 50), [far]).status("ultracentral_lung") == CLEAR
    wide = OarSettings(ultracentral_margin_mm=10.0)
    assert report(lesion_at(40, 50), [far], wide).status("ultracentral_lung") == FLAGGED
    oesophagus_only = OarSettings(ultracentral_structures=("oesophagus",))
    entry = report(lesion_at(40, 50), [far], oesophagus_only)
    assert entry.status("ultracentral_lung") == UNKNOWN  # no oesophagus structure: never "clear"


def test_missing_structures_make_flags_unknown_with_the_reason():
    entry = report(lesion_at(40, 50), [organ("HEART", 70, 80)])
    central = next(f for f in entry.flags if f.flag == "central_lung")
    assert central.status == UNKNOWN and "proximal bronchial tree" in central.reason
    assert entry.status("spinal_cord") == UNKNOWN


@pytest.mark.parametrize("diameter,expected", [(29.9, CLEAR), (30.0, CLEAR), (30.1, FLAGGED), (None, UNKNOWN)])
def test_brain_lesion_size_flag(diameter, expected):
    entry = report(lesion_at(40, 50, site="brain"), [], diameter=diameter)
    assert entry.status("brain_size") == expected


def test_point_only_lesion_measures_from_its_marker():
    pbt = organ("BRONCHUS_PROX", 60, 65)
    point = Lesion("P", "P", site="lung", point_mm=(45.0, 30.0, 30.0))
    entry = report(point, [pbt])
    assert entry.distances_mm["BRONCHUS_PROX"] == pytest.approx(14.5, abs=1e-6)  # 15 mm to the centre, -0.5 voxel


def test_a_rule_set_can_make_a_flag_decide_eligibility():
    from core.rules.counting import LesionInfo
    from core.rules.engine import evaluate
    from core.rules.loader import rule_set_from_text
    import json

    doc = {"schema": "oligoplan.ruleset", "schema_version": 1, "id": "local", "title": "Local", "version": "1",
           "scope": {"description": "any"}, "sources": ["local protocol"],
           "counting": {"unit": "lesions", "count_primary": False, "count_brain": True, "count_regional_nodes": True},
           "criteria": [{"id": "no_ultracentral", "type": "oar_flag", "title": "No ultracentral lesion",
                         "flag": "ultracentral_lung", "verified": True}]}
    rs = rule_set_from_text(json.dumps(doc), "local.json")
    lesion = lesion_at(40, 50)
    calc = OarCalculator([organ("Trachea", 45, 60)])
    oar = calc.report([(lesion, GRID, "lung", 10.0)])
    res = evaluate([rs], [LesionInfo("L1", site="lung", longest_diameter_mm=10)], {}, oar=oar).results[0]
    assert res.verdict == "not_eligible" and res.criteria[0].lesions == ("L1",)
    res = evaluate([rs], [LesionInfo("L1", site="lung", longest_diameter_mm=10)], {}, oar=None).results[0]
    assert res.verdict == "undetermined"

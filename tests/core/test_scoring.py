"""Trainee scoring against analytic shapes: Dice, surface distances, matching."""

import numpy as np
import pytest

from core.errors import ScoringError
from core.lesions import Lesion, LesionMask
from core.practice.scoring import dice, score_lesions, surface_distances_mm
from tests.core.grids import ellipsoid, make_grid

SPACINGS = [(2.5, 0.8, 1.1), (3.0, 1.0, 1.0), (1.5, 1.2, 0.7)]


def sphere_lesion(grid, centre, radius, lesion_id="L1", site="liver"):
    mask = LesionMask.from_full(ellipsoid(grid, centre, (radius,) * 3), grid.info.series_uid)
    return Lesion(lesion_id, lesion_id, site=site, mask=mask)


def sphere_intersection_mm3(r1, r2, d):
    """Volume of the lens where two spheres (radii r1, r2, centres d apart) overlap."""
    if d >= r1 + r2:
        return 0.0
    if d <= abs(r1 - r2):
        return 4 / 3 * np.pi * min(r1, r2) ** 3
    return (np.pi * (r1 + r2 - d) ** 2
            * (d * d + 2 * d * r2 - 3 * r2 * r2 + 2 * d * r1 + 6 * r1 * r2 - 3 * r1 * r1) / (12 * d))


def grid_for(spacing, size_mm=64.0):
    return make_grid(tuple(int(size_mm / s) for s in spacing), spacing)


@pytest.mark.parametrize("spacing", SPACINGS)
@pytest.mark.parametrize("r1,r2,offset", [(10.0, 10.0, 6.0), (9.0, 12.0, 8.0), (11.0, 7.0, 3.0)])
def test_dice_of_offset_spheres_matches_the_lens_volume(spacing, r1, r2, offset):
    grid = grid_for(spacing)
    c = np.array([31.7, 32.2, 31.4])
    direction = np.array([1.0, 2.0, 2.0]) / 3.0  # oblique: every axis (and spacing) is involved
    a = sphere_lesion(grid, c, r1, "L1")
    b = sphere_lesion(grid, c + offset * direction, r2, "L2")
    v1, v2 = 4 / 3 * np.pi * r1**3, 4 / 3 * np.pi * r2**3
    expected = 2 * sphere_intersection_mm3(r1, r2, offset) / (v1 + v2)
    assert dice(a.mask, b.mask, grid) == pytest.approx(expected, abs=0.01)
    card = score_lesions([a], [b], {grid.info.series_uid: grid})
    (m,) = card.matched
    assert m.matched_by == "overlap" and m.dice == pytest.approx(expected, abs=0.01)
    assert m.volume_diff_pct == pytest.approx((v2 - v1) / v1 * 100, abs=6.0)
    assert m.centroid_distance_mm == pytest.approx(offset, abs=0.5 * max(spacing))


@pytest.mark.parametrize("spacing", SPACINGS)
def test_concentric_spheres_are_their_radius_difference_apart_everywhere(spacing):
    grid = grid_for(spacing)
    c = (32.1, 31.8, 32.3)
    inner, outer = sphere_lesion(grid, c, 8.0), sphere_lesion(grid, c, 13.0, "L2")
    hd95, msd = surface_distances_mm(inner.mask, outer.mask, grid)
    assert hd95 == pytest.approx(5.0, abs=max(spacing))
    assert msd == pytest.approx(5.0, abs=0.5 * max(spacing))
    assert hd95 >= msd
    assert dice(inner.mask, outer.mask, grid) == pytest.approx(2 * 8**3 / (8**3 + 13**3), abs=0.03)


@pytest.mark.parametrize("spacing", SPACINGS)
def test_hd95_of_a_shifted_sphere_is_near_the_shift(spacing):
    grid = grid_for(spacing)
    a = sphere_lesion(grid, (32.0, 32.0, 32.0), 10.0)
    b = sphere_lesion(grid, (38.0, 32.0, 32.0), 10.0, "L2")
    hd95, msd = surface_distances_mm(a.mask, b.mask, grid)
    # Hausdorff distance of a sphere and its translate is the shift (6 mm); the 95th
    # percentile is a little below it, the mean far below (most of the surface moves sideways)
    assert 4.0 <= hd95 <= 6.0 + max(spacing)
    assert 1.5 <= msd < hd95


def test_identical_inputs_give_dice_one_and_zero_distances():
    grid = grid_for((2.5, 0.8, 1.1))
    ref = [sphere_lesion(grid, (20, 20, 30), 7.0, "L1"), sphere_lesion(grid, (44, 40, 30), 5.0, "L2", "lung")]
    card = score_lesions(ref, ref, {grid.info.series_uid: grid})
    assert [(m.reference, m.trainee) for m in card.matched] == [("L1", "L1"), ("L2", "L2")]
    for m in card.matched:
        assert m.dice == 1.0 and m.hd95_mm == 0.0 and m.msd_mm == 0.0 and m.volume_diff_pct == 0.0
        assert m.site_agrees
    assert card.sensitivity == 1.0 and card.false_positives == 0
    assert card.count_agrees and card.per_organ_counts_agree
    doc = card.to_json()
    assert set(doc) >= {"matched", "missed", "extra", "sensitivity", "false_positives",
                        "count_agrees", "verdicts_agree"}
    assert set(doc["matched"][0]) >= {"reference", "trainee", "dice", "hd95_mm", "msd_mm",
                                      "volume_diff_pct", "site_agrees"}


def test_empty_trainee_scores_sensitivity_zero_without_error():
    grid = grid_for((2.5, 0.8, 1.1))
    ref = [sphere_lesion(grid, (20, 20, 30), 7.0)]
    card = score_lesions(ref, [], {grid.info.series_uid: grid})
    assert card.sensitivity == 0.0 and card.missed == ("L1",) and card.extra == ()
    assert not card.count_agrees and card.mean_dice is None
    assert card.to_json()["matched"] == []


def test_empty_reference_has_no_sensitivity_and_every_trainee_lesion_is_extra():
    grid = grid_for((2.5, 0.8, 1.1))
    card = score_lesions([], [sphere_lesion(grid, (20, 20, 30), 7.0)], {grid.info.series_uid: grid})
    assert card.sensitivity is None and card.false_positives == 1 and card.extra == ("L1",)


def test_misses_extras_and_site_disagreement():
    grid = grid_for((2.5, 0.8, 1.1))
    g = {grid.info.series_uid: grid}
    ref = [sphere_lesion(grid, (16, 16, 30), 5.0, "L1", "liver"),
           sphere_lesion(grid, (48, 48, 30), 5.0, "L2", "lung")]
    trainee = [sphere_lesion(grid, (17, 16, 30), 5.0, "L1", "bone"),  # overlaps L1, wrong site
               sphere_lesion(grid, (48, 16, 30), 4.0, "L2", "liver")]  # nowhere near a reference
    card = score_lesions(ref, trainee, g)
    assert [(m.reference, m.trainee, m.site_agrees) for m in card.matched] == [("L1", "L1", False)]
    assert card.missed == ("L2",) and card.extra == ("L2",)
    assert card.sensitivity == 0.5 and card.false_positives == 1
    assert card.count_agrees and not card.per_organ_counts_agree
    assert card.reference_counts == {"liver": 1, "lung": 1} and card.trainee_counts == {"bone": 1, "liver": 1}


def test_overlap_is_preferred_to_distance_and_markers_match_by_distance_within_tolerance():
    grid = grid_for((2.5, 0.8, 1.1))
    g = {grid.info.series_uid: grid}
    big = sphere_lesion(grid, (30, 30, 30), 8.0, "L1")
    # a trainee marker 4 mm from the reference centre, and a contour that overlaps it 7 mm away
    marker = Lesion("L1", "m", point_mm=(34.0, 30.0, 30.0))
    contour = sphere_lesion(grid, (37, 30, 30), 6.0, "L2")
    card = score_lesions([big], [marker, contour], g)
    assert [(m.reference, m.trainee, m.matched_by) for m in card.matched] == [("L1", "L2", "overlap")]
    assert card.extra == ("L1",)
    # markers alone: matched by centre distance, with no Dice or distances
    card = score_lesions([big], [marker], g, tolerance_mm=5.0)
    (m,) = card.matched
    assert m.matched_by == "distance" and m.dice is None and m.hd95_mm is None
    assert m.centroid_distance_mm == pytest.approx(4.0, abs=0.3)
    # just outside the tolerance: missed and extra
    card = score_lesions([big], [marker], g, tolerance_mm=3.5)
    assert card.matched == () and card.missed == ("L1",) and card.extra == ("L1",)


def test_one_to_one_the_best_overlap_wins():
    grid = grid_for((2.5, 0.8, 1.1))
    ref = [sphere_lesion(grid, (30, 30, 30), 8.0, "L1")]
    trainee = [sphere_lesion(grid, (36, 30, 30), 8.0, "L1"), sphere_lesion(grid, (31, 30, 30), 8.0, "L2")]
    card = score_lesions(ref, trainee, {grid.info.series_uid: grid})
    assert [(m.reference, m.trainee) for m in card.matched] == [("L1", "L2")]
    assert card.extra == ("L1",)


def test_trainee_on_another_grid_is_mapped_onto_the_reference_grid():
    fine = make_grid((40, 80, 80), (1.5, 0.8, 0.8), uid="1.2.3.fine")
    coarse = make_grid((20, 32, 32), (3.0, 2.0, 2.0), uid="1.2.3.coarse")
    a = sphere_lesion(fine, (30, 30, 30), 9.0)
    b = sphere_lesion(coarse, (30, 30, 30), 9.0)
    card = score_lesions([a], [b], {"1.2.3.fine": fine, "1.2.3.coarse": coarse})
    (m,) = card.matched
    assert m.dice > 0.85 and m.hd95_mm <= 3.0 and abs(m.volume_diff_pct) < 10


def test_a_lesion_on_images_not_loaded_is_a_clear_error():
    grid = grid_for((2.5, 0.8, 1.1))
    lesion = sphere_lesion(grid, (30, 30, 30), 5.0)
    with pytest.raises(ScoringError, match="trainee lesion L1 was drawn on series .* not among the images"):
        score_lesions([], [lesion], {})


def test_verdicts_are_compared_when_a_rule_engine_is_given():
    grid = grid_for((2.5, 0.8, 1.1))
    g = {grid.info.series_uid: grid}
    ref = [sphere_lesion(grid, (20, 20, 30), 5.0, "L1"), sphere_lesion(grid, (44, 44, 30), 5.0, "L2")]

    def by_count(lesions):
        return {"toy": "eligible" if len(lesions) <= 1 else "not eligible"}

    assert score_lesions(ref, ref, g).verdicts_agree is None
    card = score_lesions(ref, ref[:1], g, verdicts=by_count)
    assert card.verdicts_agree is False and "reference not eligible, trainee eligible" in card.verdicts_note
    assert score_lesions(ref, ref, g, verdicts=by_count).verdicts_agree is True

"""The lesion map's projections are scaled by what the image is: a PET shown alone (tcia-sts-001's
FDG PET, a case drawn on it) got the CT's MIP range (-200 to 1300) and came out black."""

from __future__ import annotations

import numpy as np

from core.lesion_map import mip
from gui.review.lesion_map_window import projection_gray
from tests.gui.conftest import make_ct, make_pet


def test_a_pet_alone_is_drawn_dark_on_white_with_its_uptake_seen():
    pet = make_pet()  # SUV 8 in a sphere, 0.8 around it
    projection = mip(pet, 1)
    gray = projection_gray(pet, projection)
    assert gray[projection >= 8.0].max() < 30  # the hot sphere: near black
    assert gray[projection <= 1.0].min() > 200  # the body around it: near white


def test_a_ct_keeps_its_mip_range_and_an_mr_goes_by_its_own_values():
    ct = make_ct()
    hu = np.array([[-1000.0, -200.0, 550.0, 1300.0, 3000.0]])  # CT MIP range: -200 (black) to 1300 (white)
    row = projection_gray(ct, hu).tolist()[0]
    assert row[:2] == [0, 0] and row[3:] == [255, 255] and 0 < row[2] < 255
    mr = make_ct()
    object.__setattr__(mr, "unit", "")  # an MR: arbitrary units, not HU
    mr_values = np.linspace(0.0, 2000.0, 100).reshape(10, 10)
    gray = projection_gray(mr, mr_values)
    assert gray.min() == 0 and gray.max() == 255  # its own range spans the grey scale

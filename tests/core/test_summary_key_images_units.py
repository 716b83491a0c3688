"""Key images of the summary are scaled in their image's own unit (core.display.picture_range).

A case on a PET alone (tcia-sts-001's FDG PET) had its key image drawn in the CT soft-tissue window
(-160 to 240 HU): SUV 0-14 all came out one flat grey, the lesion invisible. An MR went white."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.display import BONE_WINDOW, PET_SUV_RANGE, picture_range, window_range
from core.lesions import Lesion
from core.samples import SAMPLE_ROOT
from core.segment import SegmentParams
from core.summary.export import summary_pictures
from core.workspace import open_folder

PHANTOM = SAMPLE_ROOT / "phantom-oligo"


def test_each_unit_gets_its_own_scale():
    assert picture_range("HU", "bone", np.zeros((4, 4))) == window_range(BONE_WINDOW)
    assert picture_range("SUVbw", "liver", np.full((4, 4), 50.0)) == PET_SUV_RANGE
    mr = np.arange(1000, dtype=float).reshape(10, 100)  # an MR's arbitrary units: its own pixels decide
    lo, hi = picture_range("", "unknown", mr)
    assert lo == pytest.approx(9.99) and hi == pytest.approx(994.005)
    assert picture_range("", "", np.full((3, 3), 7.0)) == (7.0, 8.0)  # flat: still a valid range
    assert picture_range("", "", np.full((3, 3), np.nan)) == (0.0, 1.0)


@pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")
def test_a_pet_alone_shows_its_lesion_on_the_key_image():
    workspace = open_folder(PHANTOM / "PT")
    assert workspace.ct is None and workspace.primary.unit == "SUVbw"
    centre = json.loads((PHANTOM / "ground_truth.json").read_text())["lesions"][0]["centre_mm"]
    mask = workspace.segment(centre, SegmentParams())
    lesion = Lesion("L1", "Liver 1", point_mm=tuple(centre), mask=mask)

    class Lesions(dict):
        pass

    case = type("Case", (), {"lesions": Lesions(L1=lesion)})()
    rows = [{"id": "L1", "number": 1, "site": "unknown", "centroid_mm": list(centre)}]
    _, key = summary_pictures(case, workspace, {"lesions": rows})
    (number, pic), = key
    shown = np.clip((pic.image - pic.vmin) / (pic.vmax - pic.vmin), 0.0, 1.0)
    assert pic.mask is not None and pic.mask.any()
    # the lesion stands out of the tissue around it by more than half the grey scale
    assert shown[pic.mask].max() - np.median(shown[~pic.mask]) > 0.5
    assert pic.cmap == "gray_r"  # as the PET MIP beside it: uptake dark on white


def test_a_large_lesion_fits_its_key_image():
    """A 93 mm sarcoma (tcia-sts-001's GTV) was cut by the fixed 80 mm key image."""
    from core.summary.export import key_image_half_mm

    assert key_image_half_mm({"longest_diameter_mm": 22.0, "longest_axial_diameter_mm": 20.0}) == 40.0
    assert key_image_half_mm({"longest_diameter_mm": None, "longest_axial_diameter_mm": None}) == 40.0
    half = key_image_half_mm({"longest_diameter_mm": 115.5, "longest_axial_diameter_mm": 93.2})
    assert half >= 115.5 / 2 * 1.2  # the whole lesion, with a margin, whatever its direction

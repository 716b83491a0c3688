"""Site proposals from the CT's own anatomy, on both phantoms and on a real CT (nothing in core.anatomy
knows the phantoms): every ground-truth lesion's organ and side, and the phantom's organ structures."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.anatomy import propose_site
from core.codes import Laterality, Site, SiteSource
from core.rt.rtstruct_read import read_rtstruct
from core.samples import SAMPLE_ROOT, sphere_mask
from tests.phantom_cases import truth, workspace

ROOT = Path(__file__).resolve().parents[2]
REAL_CT = {
    "sample_scans": SAMPLE_ROOT / "tcia-crlm-ct-1004",
    "shared_data": ROOT.parent / "shared" / "data" / "tcia-crlm-ct-1004" / "image",
}


def expected(item) -> tuple[Site, Laterality]:
    organ = Site.parse(item["organ"])
    # the CT cannot tell an adrenal gland from other soft tissue: the user names it
    site = Site.UNKNOWN if organ is Site.ADRENAL else organ
    return site, Laterality.parse(item.get("laterality") or "")


def phantom_lesions():
    for name in ("phantom-oligo", "phantom-poly"):
        for item in truth(name)["lesions"]:
            yield pytest.param(name, item, id=f"{name}-{item['id']}-{item['organ']}")


@pytest.mark.parametrize("name, item", list(phantom_lesions()))
def test_ct_anatomy_places_every_phantom_lesion(name, item):
    ws = workspace(name)
    lesion = sphere_mask(ws.ct, item["centre_mm"], item["diameter_mm"])
    proposal = propose_site(lesion, ws.ct, ct=ws.ct)
    assert (proposal.site, proposal.side) == expected(item), proposal.detail
    assert proposal.source is SiteSource.CT_ANATOMY
    if proposal.site is Site.UNKNOWN:
        assert proposal.detail == "CT anatomy: soft tissue / lymph node: choose the site"
    else:
        assert proposal.detail.startswith(f"CT anatomy: {proposal.site.value}")
    # a marker at the centre (no contour yet) is placed the same way
    point = propose_site(tuple(item["centre_mm"]), ct=ws.ct)
    assert (point.site, point.side) == expected(item)


@pytest.mark.parametrize("name", ["phantom-oligo", "phantom-poly"])
def test_the_phantom_organ_structures_place_liver_and_lung_lesions_the_rest_falls_to_the_ct(name):
    ws = workspace(name)
    structures = read_rtstruct(SAMPLE_ROOT / name / "RTSTRUCT" / "rtstruct.dcm", ws.primary).structures
    names = {"liver": "LIVER", ("lung", "right"): "LUNG_R", ("lung", "left"): "LUNG_L"}
    for item in truth(name)["lesions"]:
        lesion = sphere_mask(ws.ct, item["centre_mm"], item["diameter_mm"])
        proposal = propose_site(lesion, ws.ct, structures=structures, ct=ws.ct)
        key = item["organ"] if item["organ"] != "lung" else ("lung", item["laterality"])
        if key in names:
            assert proposal.source_text == f"structure:{names[key]}"
            assert proposal.detail == f"{names[key]} structure, 100% inside"
        else:  # bone and adrenal lesions: no organ structure holds them (BODY only): the CT places them
            assert proposal.source is SiteSource.CT_ANATOMY
        assert (proposal.site, proposal.side) == expected(item)


#: Points checked by eye on the real CT (axial slices with the points drawn): liver parenchyma, a lesion
#: half in the liver's lateral edge, vertebral bodies, a rib, both lungs, air outside the body.
REAL_POINTS = [
    ((-102.6, 3.2, -260.0), 15.0, Site.LIVER, None),
    ((-86.6, -12.8, -290.0), 20.0, Site.LIVER, None),
    ((-40.0, -60.0, -260.0), 15.0, Site.LIVER, None),
    ((-132.0, 0.0, -260.0), 20.0, Site.LIVER, None),  # at the liver's edge
    ((-6.9, 31.1, -260.0), 15.0, Site.BONE, None),
    ((-10.9, 43.0, -235.0), 12.0, Site.BONE, None),
    ((-118.5, 59.0, -235.0), 8.0, Site.BONE, Laterality.RIGHT),  # a rib
    ((-110.0, 40.0, -200.0), 12.0, Site.LUNG, Laterality.RIGHT),
    ((70.0, 40.0, -200.0), 12.0, Site.LUNG, Laterality.LEFT),
    ((-60.0, -40.0, -200.0), 10.0, Site.LUNG, Laterality.RIGHT),
    ((0.0, -200.0, -300.0), 10.0, Site.UNKNOWN, None),  # air in front of the patient
]


@pytest.fixture(scope="module", params=list(REAL_CT))
def real_ct(request):
    folder = REAL_CT[request.param]
    if not folder.is_dir():
        pytest.skip(f"{folder} is not here (the real CT of {request.param})")
    from core.workspace import open_folder

    return open_folder(folder).ct


@pytest.mark.parametrize("centre, diameter, site, side", REAL_POINTS)
def test_ct_anatomy_on_a_real_ct(real_ct, centre, diameter, site, side):
    proposal = propose_site(sphere_mask(real_ct, centre, diameter), real_ct, ct=real_ct)
    assert proposal.site is site, proposal.detail
    if side is not None:
        assert proposal.side is side
    if site is Site.UNKNOWN:
        assert proposal.detail == "CT anatomy: outside the body outline"


def test_a_lesion_at_the_liver_edge_is_said_to_be_there(real_ct):
    proposal = propose_site(sphere_mask(real_ct, (-132.0, 0.0, -260.0), 20.0), real_ct, ct=real_ct)
    assert proposal.detail == "CT anatomy: liver (at its edge)"


#: Phantom organs the CT anatomy must not call liver, lung or bone (phantom_model.py): spleen, both
#: kidneys, heart, aorta, stomach, bowel, the abdominal wall muscle, subcutaneous fat.
SOFT_TISSUE_POINTS = [(92.0, 30.0, -75.0), (72.0, 60.0, -110.0), (-70.0, 62.0, -120.0), (18.0, -28.0, 5.0),
                      (28.0, 36.0, -20.0), (55.0, -45.0, -65.0), (20.0, -60.0, -132.0), (-160.0, 0.0, -80.0),
                      (0.0, -115.0, -80.0)]


@pytest.mark.parametrize("point", SOFT_TISSUE_POINTS)
def test_other_soft_tissue_is_left_for_the_user_to_name(point):
    ws = workspace("phantom-oligo")
    proposal = propose_site(sphere_mask(ws.ct, point, 10.0), ws.ct, ct=ws.ct)
    assert proposal.site is Site.UNKNOWN and proposal.source is SiteSource.CT_ANATOMY, proposal.detail
    assert "soft tissue / lymph node" in proposal.detail


def test_a_planning_systems_gtv_read_for_practice_takes_a_proposed_site(tmp_path):
    """A GTV in an RTSTRUCT that OligoPlan did not write carries no site: it is proposed (here from
    the CT, the file holding no organ), never left as "other"."""
    from core.practice.sides import read_side
    from core.rt.rtstruct_write import RoiSpec, build_rtstruct, read_image_header, write_validated

    ws = workspace("phantom-oligo")
    item = truth("phantom-oligo")["lesions"][0]  # L1, in the liver
    ds = build_rtstruct([RoiSpec("GTV_1", sphere_mask(ws.ct, item["centre_mm"], item["diameter_mm"]),
                                 (255, 0, 0))], ws.ct, read_image_header(ws.ct), label="PLANNING")
    path = tmp_path / "gtv.dcm"
    write_validated(ds, path, "RTSTRUCT")
    (lesion,) = read_side(path, ws).lesions
    assert (lesion.site, lesion.site_source, lesion.site_proposed) == (Site.LIVER, SiteSource.CT_ANATOMY, True)

"""RTSTRUCT import: contours to masks, matching to series, refusals, real data."""

from pathlib import Path

import numpy as np
import pydicom
import pytest

from core.contours import polygon_to_mask, polygons_to_mask
from core.dicom import load_series, scan_folder
from core.dicom.structure_sets import summarise_structure_set
from core.errors import StructureSetError
from core.measure import mask_volume_cc
from core.rt.matching import BY_FRAME, BY_REFERENCE, ImageStack, match_structure_set
from core.rt.rasterise import Contour, rasterise_contours
from core.rt.rtstruct_read import import_structure_sets, read_rtstruct
from core.rt.structures import StructureKind, classify, lesion_from_structure
from tests.core.grids import make_grid

ROOT = Path(__file__).resolve().parents[2]
PHANTOM = ROOT / "sample_scans" / "phantom-oligo"
SHARED = ROOT.parent / "shared" / "data"
STS = SHARED / "tcia-sts-001"
MOCK = SHARED / "rt-utils-tests" / "mock_data"

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data (real DICOM) is not here")


def square(r0, c0, r1, c1):
    return np.array([[r0, c0], [r0, c1], [r1, c1], [r1, c0]], float)


# ------------------------------------------------------------ in the plane
def test_scanline_rasteriser_agrees_with_the_polygon_tool_on_random_polygons():
    rng = np.random.default_rng(1)
    for n in range(200):
        pts = rng.uniform(-3, 23, (int(rng.integers(3, 12)), 2))
        if n % 3 == 0:
            pts = np.round(pts)  # vertices on pixel centres: the edge rule matters
        assert np.array_equal(polygons_to_mask([pts], (20, 20)), polygon_to_mask(pts, (20, 20)))


def test_contour_inside_a_contour_is_a_hole_and_one_inside_that_an_island():
    outer, hole, island = square(0.5, 0.5, 9.5, 9.5), square(2.5, 2.5, 7.5, 7.5), square(4.5, 4.5, 5.5, 5.5)
    ring = polygons_to_mask([outer, hole], (10, 10))
    assert ring.sum() == 81 - 25 and not ring[5, 5] and ring[1, 1]
    with_island = polygons_to_mask([outer, hole, island], (10, 10))
    assert with_island[5, 5] and with_island.sum() == 81 - 25 + 1


# ------------------------------------------------------------ across slices
def grid():
    return make_grid((10, 20, 20), (3.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0))


def ring_at(z, r=(3.5, 12.5)):
    a, b = r
    return np.array([[a, a, z], [b, a, z], [b, b, z], [a, b, z]], float)  # (x, y, z) mm


def test_contours_between_image_planes_go_to_the_nearest_slice_and_unsupported_types_are_reported():
    vol = grid()
    contours = [Contour(ring_at(z)) for z in (8.9, 12.2)]  # slices at 9 and 12 mm
    contours.append(Contour(np.array([[5.0, 5.0, 9.0]]), "POINT"))
    contours.append(Contour(ring_at(15.0), "OPEN_PLANAR"))
    result = rasterise_contours(contours, vol, "GTV")
    assert result.mask.axial_slices() == [3, 4]
    assert result.mask.n_voxels == 2 * 81
    assert any("1 POINT contour(s) not drawn" in w for w in result.warnings)
    assert any("1 OPEN_PLANAR contour(s) not drawn" in w for w in result.warnings)


def test_sparser_contours_cover_their_slab_and_contours_beyond_the_slices_are_reported():
    vol = grid()
    result = rasterise_contours([Contour(ring_at(z)) for z in (6.0, 12.0, 60.0)], vol, "GTV")
    # planes every 6 mm on 3 mm slices: each covers +-3 mm, i.e. slices 1..5;
    # the plane at 60 mm is outside the 0..27 mm stack
    assert result.mask.axial_slices() == [1, 2, 3, 4, 5]
    assert any("60.0" in w and "not drawn" in w for w in result.warnings)


def test_classification_by_interpreted_type_then_by_name():
    assert classify("GTV", "anything") is StructureKind.TARGET
    assert classify("ORGAN", "GTV_liver") is StructureKind.ORGAN_AT_RISK
    assert classify("", "GTV_2") is StructureKind.TARGET
    assert classify("", "SpinalCord") is StructureKind.ORGAN_AT_RISK
    assert classify("", "BODY") is StructureKind.EXTERNAL
    assert classify("", "ROI-1") is StructureKind.OTHER


# ------------------------------------------------------------ the phantom
@pytest.fixture(scope="module")
def phantom():
    if not PHANTOM.is_dir():
        pytest.skip("sample_scans/phantom-oligo not generated")
    scan = scan_folder(PHANTOM)
    ct = next(e for e in scan.series if e.info.modality.value == "CT")
    return scan, load_series(ct)


def test_phantom_organs_at_risk_are_placed_on_the_ct_by_reference(phantom):
    scan, ct = phantom
    result = import_structure_sets(scan, ct)
    (placed,) = result.placed
    assert placed.how == BY_REFERENCE and placed.warnings == []
    names = {s.name: s for s in placed.structures}
    assert {s.name for s in placed.organs_at_risk} == {"LUNG_L", "LUNG_R", "LIVER", "SPINALCORD",
                                                          "BRONCHUS_PROX", "HEART"}
    assert names["BODY"].kind is StructureKind.EXTERNAL
    assert names["LIVER"].color == (160, 80, 40)
    # organs do not overlap and lie inside the body
    body = names["BODY"].mask.full()
    for oar in placed.organs_at_risk:
        assert (oar.mask.full() & ~body).sum() <= 0.01 * oar.mask.n_voxels
    assert not (names["LIVER"].mask.full() & names["LUNG_R"].mask.full()).any()
    with pytest.raises(ValueError, match="not a target"):
        lesion_from_structure(names["LIVER"], "L9")


def test_structure_set_of_another_patient_or_frame_is_refused(phantom, tmp_path):
    scan, ct = phantom
    path = scan.structure_sets[0].path
    ds = pydicom.dcmread(path)
    ds.PatientID = "SOMEONE-ELSE"
    other = tmp_path / "other_patient.dcm"
    ds.save_as(other)
    with pytest.raises(StructureSetError, match="another patient"):
        read_rtstruct(other, ct)
    ds = pydicom.dcmread(path)
    for item in ds.ROIContourSequence:
        for c in item.ContourSequence:
            del c.ContourImageSequence
    del ds.ReferencedFrameOfReferenceSequence[0].RTReferencedStudySequence
    ds.ReferencedFrameOfReferenceSequence[0].FrameOfReferenceUID = "1.2.3.4"
    for roi in ds.StructureSetROISequence:
        roi.ReferencedFrameOfReferenceUID = "1.2.3.4"
    other_frame = tmp_path / "other_frame.dcm"
    ds.save_as(other_frame)
    with pytest.raises(StructureSetError, match="another frame of reference"):
        read_rtstruct(other_frame, ct)


def test_dangling_references_fall_back_to_frame_of_reference_and_say_so(phantom, tmp_path):
    scan, ct = phantom
    ds = pydicom.dcmread(scan.structure_sets[0].path)
    for item in ds.ROIContourSequence:
        for c in item.ContourSequence:
            c.ContourImageSequence[0].ReferencedSOPInstanceUID = "1.2.3." + str(c.ContourNumber)
    del ds.ReferencedFrameOfReferenceSequence[0].RTReferencedStudySequence
    path = tmp_path / "dangling.dcm"
    ds.save_as(path)
    placed = read_rtstruct(path, ct)
    assert placed.how == BY_FRAME
    assert any("matched to CT" in w and "frame of reference" in w for w in placed.warnings)
    reference = read_rtstruct(scan.structure_sets[0].path, ct)
    for a, b in zip(placed.structures, reference.structures):
        assert a.mask == b.mask


# ------------------------------------------------------------ real data
@needs_shared
@pytest.mark.parametrize("folder", ["FDG_PET", "MR_T1", "MR_T2"])
def test_real_gtv_on_pet_and_mr_has_the_same_volume_on_each_grid(folder):
    scan = scan_folder(STS / folder)
    (entry,) = scan.series
    vol = load_series(entry)
    (placed,) = import_structure_sets(scan, vol).placed
    volumes = {s.name: mask_volume_cc(s.mask, vol) for s in placed.structures}
    assert all(s.kind is StructureKind.TARGET for s in placed.structures)
    # the same GTVs drawn (by MIM) on three grids: 128 px PET, 512 and 384 px MR
    assert volumes["GTV_Mass"] == pytest.approx(365.0, rel=0.01)
    assert volumes["GTV_Edema"] == pytest.approx(579.4, rel=0.01)
    lesion = lesion_from_structure(placed.structures[0], "L1")
    assert lesion.label == "GTV_Mass" and lesion.mask.series_uid == vol.info.series_uid


@needs_shared
def test_mim_files_with_broken_references_load_with_warnings():
    scan = scan_folder(MOCK)
    vol = load_series(scan.series[0])
    result = import_structure_sets(scan, vol)
    assert len(result.placed) == 3 and not result.refused
    by_name = {Path(p.path).name: p for p in result.placed}
    broken = by_name["invalid_reference_rt.dcm"]
    assert any("not in the series" in w for w in broken.warnings)
    assert any("70.0" in w and "not drawn" in w for w in broken.warnings)  # plane above the 2 slices
    assert all(s.mask is not None for s in broken.structures)
    assert any("frame of reference UID differs" in w for w in by_name["rt.dcm"].warnings)


@needs_shared
def test_structure_set_without_images_is_reported_not_crashed():
    empty = SHARED / "rt-utils-tests" / "empty" / "dummy_rt.dcm"
    summary = summarise_structure_set(str(empty), pydicom.dcmread(empty))
    with pytest.raises(StructureSetError, match="no image series"):
        match_structure_set(summary, [])
    scan = scan_folder(empty.parent)
    assert any("no image series" in w for w in scan.structure_sets[0].warnings)


@needs_shared
def test_mr_structure_set_is_refused_on_the_pet_of_the_same_patient():
    scan = scan_folder(STS)
    pet = load_series(next(e for e in scan.series if e.info.modality.value == "PT"))
    result = import_structure_sets(scan, pet)
    assert len(result.placed) == 1 and len(result.refused) == 2
    assert all("another series" in reason for _, reason in result.refused)


@pytest.mark.parametrize("description,site,side", [
    ("OligoPlan lesion L4, lung (right)", "lung", "right"),
    ("OligoPlan lesion L1, regional lymph node", "regional lymph node", ""),
    ("OligoPlan lesion L2, spleen", None, None),  # not one of our sites: left to the user
    ("GTV drawn by Dr X, liver", None, None),  # not ours: no guessing from free text
    ("", None, None),
])
def test_a_lesion_made_from_our_own_export_keeps_its_site(description, site, side):
    from core.lesions import LesionMask
    from core.rt.structures import Structure

    mask = LesionMask.from_full(np.ones((2, 2, 2), dtype=bool), "1.2.3")
    structure = Structure(1, "GTV 1", (255, 0, 0), "GTV", StructureKind.TARGET, mask, description=description)
    lesion = lesion_from_structure(structure, "L1")
    assert lesion.site.value == (site or "unknown") and lesion.laterality.value == (side or "")
    assert lesion_from_structure(structure, "L2", site="bone").site.value == "bone"  # the caller decides

"""RTSTRUCT export: round trips on the phantoms and the real CT, independent readers, dciodvfy."""

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest

from core.errors import ExportError
from core.measure import mask_volume_cc
from core.rt.rtstruct_read import read_rtstruct
from core.rt.rtstruct_write import RoiSpec, build_rtstruct, read_image_header, unique_names, write_validated
from core.rt.validate import dciodvfy_available, run_dciodvfy
from core.workspace import open_folder
from tests.core.rt_helpers import independent_read, sphere_mask, surface_distance_mm

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_scans"
needs_dciodvfy = pytest.mark.skipif(not dciodvfy_available(), reason="dciodvfy (Debian package dicom3tools) not installed")


def lesions_for(name, volume):
    """Spheres: the phantom's ground-truth lesions, or two on the real CT's liver level."""
    if name.startswith("phantom"):
        truth = json.loads((SAMPLES / name / "ground_truth.json").read_text())["lesions"]
        return [(l["id"], sphere_mask(volume, l["centre_mm"], l["diameter_mm"] / 2)) for l in truth]
    centre = volume.index_to_patient(np.array(volume.shape) / 2.0)
    return [("GTV liver 1", sphere_mask(volume, centre + [-60, 10, 0], 12.5)),
            ("GTV liver 2", sphere_mask(volume, centre + [-30, 40, 10], 6.0))]


@pytest.fixture(scope="module", params=["phantom-oligo", "phantom-poly", "tcia-crlm-ct-1004"])
def exported(request, tmp_path_factory):
    folder = SAMPLES / request.param
    if not folder.is_dir():
        pytest.skip(f"sample_scans/{request.param} not present")
    volume = open_folder(folder).primary
    lesions = lesions_for(request.param, volume)
    rois = [RoiSpec(name, mask, (255, 0, 0)) for name, mask in lesions]
    path = tmp_path_factory.mktemp(request.param) / "rtstruct.dcm"
    write_validated(build_rtstruct(rois, volume, read_image_header(volume)), path, "RTSTRUCT")
    return volume, lesions, path


def test_round_trip_keeps_volume_and_surface(exported):
    volume, lesions, path = exported
    back = {s.name: s for s in read_rtstruct(path, volume).structures}
    for name, mask in lesions:
        again = back[name]
        assert again.kind.value == "target" and again.interpreted_type == "GTV"
        v0, v1 = mask_volume_cc(mask, volume), mask_volume_cc(again.mask, volume)
        assert v1 == pytest.approx(v0, rel=0.03)
        assert surface_distance_mm(mask.full(), again.mask.full(), volume.spacing_mm) <= 0.5


def test_an_independent_reader_gets_the_same_lesions(exported):
    volume, lesions, path = exported
    masks = independent_read(path, volume)
    assert set(masks) == {name for name, _ in lesions}
    for name, mask in lesions:
        other = masks[name]
        assert other.sum() == pytest.approx(mask.n_voxels, rel=0.03)
        assert surface_distance_mm(mask.full(), other, volume.spacing_mm) <= 0.5


def test_every_contour_references_its_image_and_the_series_is_referenced(exported):
    volume, lesions, path = exported
    ds = pydicom.dcmread(path)
    (frame,) = ds.ReferencedFrameOfReferenceSequence
    assert frame.FrameOfReferenceUID == volume.info.frame_of_reference_uid
    series = frame.RTReferencedStudySequence[0].RTReferencedSeriesSequence[0]
    assert series.SeriesInstanceUID == volume.info.series_uid
    offsets = dict(zip(volume.sop_instance_uids, volume.slice_offsets_mm))
    for rc in ds.ROIContourSequence:
        for c in rc.ContourSequence:
            uid = c.ContourImageSequence[0].ReferencedSOPInstanceUID
            z = np.array(c.ContourData, float).reshape(-1, 3) @ volume.normal
            assert np.allclose(z, offsets[uid], atol=1e-3)  # on the plane of the image it names
    assert ds.PatientID == volume.info.patient_id
    assert [o.RTROIInterpretedType for o in ds.RTROIObservationsSequence] == ["GTV"] * len(lesions)


@needs_dciodvfy
def test_dciodvfy_reports_no_error(exported):
    _, _, path = exported
    result = run_dciodvfy(path)
    assert result.errors == []


def test_rt_utils_reads_it_when_installed(exported):
    rt_utils = pytest.importorskip("rt_utils")
    volume, lesions, path = exported
    rt = rt_utils.RTStructBuilder.create_from(str(Path(volume.source_files[0]).parent), str(path))
    assert sorted(rt.get_roi_names()) == sorted(name for name, _ in lesions)
    from scipy import ndimage

    for name, mask in lesions:
        theirs = np.moveaxis(rt.get_roi_mask_by_name(name), 2, 0)
        ours = mask.full()
        # rt-utils fills the polygon outline too (cv2.fillPoly): ours inside theirs, theirs
        # within one pixel of ours in the plane
        assert not (ours & ~theirs).any()
        assert not (theirs & ~ndimage.binary_dilation(ours, structure=np.ones((1, 3, 3), bool))).any()


def test_names_are_unique_and_within_the_lo_limit():
    names = unique_names(["GTV", "gtv", "", "x" * 80, "x" * 80])
    assert names[:3] == ["GTV", "gtv (2)", "ROI 3"]
    assert all(len(n) <= 64 for n in names) and len({n.lower() for n in names}) == 5


def test_a_holed_mask_round_trips_with_its_hole(tmp_path):
    volume = open_folder(SAMPLES / "phantom-oligo").primary
    centre = volume.index_to_patient(np.array([48.0, 128.0, 128.0]))
    outer = sphere_mask(volume, centre, 20.0).full()
    inner = sphere_mask(volume, centre, 8.0).full()
    from core.lesions import LesionMask

    shell = LesionMask.from_full(outer & ~inner, volume.info.series_uid)
    path = tmp_path / "rt.dcm"
    write_validated(build_rtstruct([RoiSpec("shell", shell, (0, 255, 0))], volume, None), path, "RTSTRUCT")
    (back,) = read_rtstruct(path, volume).structures
    assert back.mask == shell
    assert not back.mask.full()[48, 128, 128]


@needs_dciodvfy
def test_an_invalid_object_is_refused_and_nothing_is_written(tmp_path):
    volume = open_folder(SAMPLES / "phantom-oligo").primary
    mask = sphere_mask(volume, volume.index_to_patient(np.array([48.0, 128.0, 128.0])), 10.0)
    ds = build_rtstruct([RoiSpec("GTV", mask, (255, 0, 0))], volume, read_image_header(volume))
    ds.StructureSetLabel = "a label far longer than sixteen characters"
    path = tmp_path / "bad.dcm"
    with pytest.raises(ExportError, match="failed validation by dciodvfy.*Structure Set Label"):
        write_validated(ds, path, "the RTSTRUCT")
    assert not path.exists() and not list(tmp_path.iterdir())

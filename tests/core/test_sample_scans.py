"""The bundled synthetic sample cases (sample_scans/phantom-*), read with pydicom only.

These are the files a new user opens first and the fixtures other tests build
on, so the checks are what a user relies on: the three series belong
together, the lesions are where ground_truth.json says with the stated CT
numbers and FDG uptake, the anatomy is on the correct side, and the files are
exactly what ``sample_scans/generate.py`` writes.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pydicom
import pytest
from matplotlib.path import Path as Polygon

SAMPLES = Path(__file__).resolve().parents[2] / "sample_scans"
CASES = ("phantom-oligo", "phantom-poly")
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
PET_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.128"
RT_STRUCTURE_SET_STORAGE = "1.2.840.10008.5.1.4.1.1.481.3"
OARS = {"BODY", "LUNG_L", "LUNG_R", "LIVER", "SPINALCORD", "BRONCHUS_PROX", "HEART"}


def _series(folder: Path):
    """Datasets sorted inferior to superior and the rescaled pixel volume (z, y, x)."""
    dss = sorted(
        (pydicom.dcmread(f) for f in folder.glob("*.dcm")), key=lambda d: float(d.ImagePositionPatient[2])
    )
    vol = np.stack([d.pixel_array * float(d.RescaleSlope) + float(d.RescaleIntercept) for d in dss])
    return dss, vol


def _seconds(tm: str) -> float:
    t = datetime.strptime(str(tm).split(".")[0], "%H%M%S")
    return t.hour * 3600.0 + t.minute * 60.0 + t.second


class Case:
    """One sample case loaded from disk, with voxel look-up in LPS mm."""

    def __init__(self, name: str):
        root = SAMPLES / name
        self.truth = json.loads((root / "ground_truth.json").read_text(encoding="utf-8"))
        self.ct_ds, self.hu = _series(root / "CT")
        self.pt_ds, bqml = _series(root / "PT")
        first = self.pt_ds[0]
        drug = first.RadiopharmaceuticalInformationSequence[0]
        # DecayCorrection START: values refer to Series Time, so decay the dose to it.
        uptake_s = _seconds(first.SeriesTime) - _seconds(drug.RadiopharmaceuticalStartTime)
        dose_bq = float(drug.RadionuclideTotalDose) * 2.0 ** (-uptake_s / float(drug.RadionuclideHalfLife))
        self.suv = bqml * float(first.PatientWeight) * 1000.0 / dose_bq
        self.rtstruct = pydicom.dcmread(root / "RTSTRUCT" / "rtstruct.dcm")

    def index(self, dss, xyz_mm) -> tuple[int, int, int]:
        """(slice, row, column) of the voxel nearest ``xyz_mm`` (axial, identity orientation)."""
        x0, y0 = (float(v) for v in dss[0].ImagePositionPatient[:2])
        row_mm, col_mm = (float(v) for v in dss[0].PixelSpacing)
        z = np.array([float(d.ImagePositionPatient[2]) for d in dss])
        return (int(np.argmin(np.abs(z - xyz_mm[2]))), int(round((xyz_mm[1] - y0) / row_mm)),
                int(round((xyz_mm[0] - x0) / col_mm)))

    def hu_at(self, xyz_mm, half: int = 0) -> float:
        k, j, i = self.index(self.ct_ds, xyz_mm)
        return float(self.hu[k, j - half:j + half + 1, i - half:i + half + 1].mean())

    def suv_at(self, xyz_mm) -> float:
        return float(self.suv[self.index(self.pt_ds, xyz_mm)])

    def contours(self, roi_name: str) -> list[np.ndarray]:
        """Contour points (n, 3) in mm of one ROI, one array per contour."""
        numbers = {r.ROIName: r.ROINumber for r in self.rtstruct.StructureSetROISequence}
        roi = next(r for r in self.rtstruct.ROIContourSequence if r.ReferencedROINumber == numbers[roi_name])
        return [np.asarray(c.ContourData, float).reshape(-1, 3) for c in roi.ContourSequence]

    def inside(self, roi_name: str, xyz_mm) -> bool:
        """Whether a point lies inside the ROI's contour on the plane closest to it."""
        planes = self.contours(roi_name)
        nearest = min(abs(c[0, 2] - xyz_mm[2]) for c in planes)
        return any(Polygon(c[:, :2]).contains_point(xyz_mm[:2]) for c in planes
                   if abs(c[0, 2] - xyz_mm[2]) == nearest)


@functools.cache
def load(name: str) -> Case:
    return Case(name)


@pytest.fixture(params=CASES)
def case(request) -> Case:
    return load(request.param)


def test_ct_pet_and_rtstruct_share_one_frame_of_reference_and_study(case):
    truth_for = case.truth["frame_of_reference_uid"]
    assert {d.FrameOfReferenceUID for d in case.ct_ds} == {truth_for}
    assert {d.FrameOfReferenceUID for d in case.pt_ds} == {truth_for}
    refs = case.rtstruct.ReferencedFrameOfReferenceSequence
    assert [r.FrameOfReferenceUID for r in refs] == [truth_for]
    studies = {d.StudyInstanceUID for d in case.ct_ds + case.pt_ds + [case.rtstruct]}
    assert studies == {case.truth["study_instance_uid"]}
    assert {d.SOPClassUID for d in case.ct_ds} == {CT_IMAGE_STORAGE}
    assert {d.SOPClassUID for d in case.pt_ds} == {PET_IMAGE_STORAGE}
    assert case.rtstruct.SOPClassUID == RT_STRUCTURE_SET_STORAGE
    assert {d.PatientID for d in case.ct_ds + case.pt_ds + [case.rtstruct]} == {case.truth["patient_id"]}


def test_rtstruct_names_the_organs_at_risk_and_references_ct_slices(case):
    names = {r.ROIName for r in case.rtstruct.StructureSetROISequence}
    assert names == OARS == set(case.truth["organs_at_risk"])
    kinds = {o.ReferencedROINumber: o.RTROIInterpretedType for o in case.rtstruct.RTROIObservationsSequence}
    numbers = {r.ROIName: r.ROINumber for r in case.rtstruct.StructureSetROISequence}
    assert kinds[numbers["BODY"]] == "EXTERNAL"
    assert {kinds[numbers[n]] for n in OARS - {"BODY"}} == {"ORGAN"}
    ct_by_uid = {d.SOPInstanceUID: float(d.ImagePositionPatient[2]) for d in case.ct_ds}
    for roi in case.rtstruct.ROIContourSequence:
        for c in roi.ContourSequence:
            assert c.ContourGeometricType == "CLOSED_PLANAR"
            pts = np.asarray(c.ContourData, float).reshape(-1, 3)
            assert len(pts) == c.NumberOfContourPoints >= 3
            ref = c.ContourImageSequence[0].ReferencedSOPInstanceUID
            assert ct_by_uid[ref] == pytest.approx(pts[0, 2]) and np.ptp(pts[:, 2]) == 0


def test_anatomy_is_on_the_correct_side_in_lps(case):
    """Liver on the patient's right (-x), heart anterior (-y), cord posterior (+y)."""
    def centroid(name):
        return np.concatenate(case.contours(name)).mean(axis=0)

    assert centroid("LIVER")[0] < -20
    assert centroid("LUNG_R")[0] < -40 < 40 < centroid("LUNG_L")[0]
    assert centroid("HEART")[1] < -10
    assert centroid("SPINALCORD")[1] > 60
    assert centroid("LIVER")[2] < centroid("HEART")[2] < centroid("BRONCHUS_PROX")[2]


def test_ct_numbers_of_the_tissues_are_realistic(case):
    assert case.hu_at((0.0, -200.0, 0.0), half=3) == pytest.approx(-1000, abs=10)  # air in front
    assert case.hu_at((-90.0, 0.0, 60.0), half=3) == pytest.approx(-850, abs=10)  # right lung
    assert case.hu_at((-60.0, 0.0, -80.0), half=3) == pytest.approx(60, abs=10)  # liver
    assert case.hu_at((-5.0, 55.0, -45.0), half=2) == pytest.approx(300, abs=15)  # vertebral body
    assert case.hu_at((0.0, -112.0, -100.0), half=2) == pytest.approx(-100, abs=10)  # subcutaneous fat
    ds = case.ct_ds[0]
    assert (ds.RescaleIntercept, ds.RescaleSlope, ds.PixelRepresentation) == (-1024, 1, 0)
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.JPEG2000Lossless


def test_lesion_counts_and_sizes():
    oligo, poly = (load(c).truth["lesions"] for c in CASES)
    assert len(oligo) == 5
    assert sorted(les["diameter_mm"] for les in oligo if les["organ"] == "liver") == [10, 15, 20]
    assert [les["organ"] for les in oligo].count("lung") == 1
    assert [les["organ"] for les in oligo].count("bone") == 1
    assert len(poly) == 8
    assert [les["organ"] for les in poly].count("liver") == 4
    assert sorted(les["laterality"] for les in poly if les["organ"] == "lung") == ["left", "right"]
    for les in oligo + poly:
        assert les["volume_cc"] == pytest.approx(np.pi / 6 * les["diameter_mm"] ** 3 / 1000, rel=1e-3)
        assert 8 <= les["diameter_mm"] <= 25


def test_lesions_do_not_touch_each_other(case):
    lesions = case.truth["lesions"]
    for n, a in enumerate(lesions):
        for b in lesions[n + 1:]:
            centres_mm = np.linalg.norm(np.subtract(a["centre_mm"], b["centre_mm"]))
            gap = centres_mm - (a["diameter_mm"] + b["diameter_mm"]) / 2
            assert gap >= 5.0, (a["id"], b["id"])


#: Median CT number (HU) around a lesion, by host organ: (low, high).
HOST_HU = {"liver": (45, 75), "lung": (-1000, -700), "bone": (200, 800), "adrenal": (-150, -50)}


def test_ct_shows_each_lesion_at_its_centre_inside_its_organ(case):
    for les in case.truth["lesions"]:
        centre = les["centre_mm"]
        assert case.hu_at(centre, half=1) == pytest.approx(les["hu"], abs=15), les["id"]
        # a ring 3 mm outside the sphere, in the axial plane, is the host organ
        r = les["diameter_mm"] / 2 + 3.0
        ring = [case.hu_at((centre[0] + r * np.cos(a), centre[1] + r * np.sin(a), centre[2]))
                for a in np.linspace(0, 2 * np.pi, 12, endpoint=False)]
        low, high = HOST_HU[les["organ"]]
        assert low <= np.median(ring) <= high, (les["id"], np.median(ring))
        if les["organ"] == "liver":
            assert case.inside("LIVER", centre), les["id"]
        if les["organ"] == "lung":
            assert case.inside("LUNG_R" if les["laterality"] == "right" else "LUNG_L", centre), les["id"]


def test_pet_lesions_are_hot_over_a_low_background(case):
    for les in case.truth["lesions"]:
        assert case.suv_at(les["centre_mm"]) > 5.0, les["id"]
    assert case.suv_at((0.0, -100.0, 0.0)) < 2.0  # anterior chest wall muscle
    assert case.suv_at((-90.0, 0.0, 60.0)) < 1.0  # lung
    body = case.suv[case.suv > 0.05]
    assert np.median(body) < 2.0
    # the SUV formula (decay to Series Time) gives the liver its nominal 2.5
    assert case.suv_at((-60.0, 0.0, -80.0)) == pytest.approx(2.5, abs=0.5)
    assert case.pt_ds[0].Units == "BQML" and case.pt_ds[0].DecayCorrection == "START"
    assert len({d.RescaleSlope for d in case.pt_ds}) > 1  # one slope per slice, as scanners write


def test_oligo_lung_lesion_lies_within_2_cm_of_the_proximal_bronchial_tree():
    case = load("phantom-oligo")
    (lung,) = [les for les in case.truth["lesions"] if les["organ"] == "lung"]
    surface = np.concatenate(case.contours("BRONCHUS_PROX"))
    gap_mm = np.min(np.linalg.norm(surface - lung["centre_mm"], axis=1)) - lung["diameter_mm"] / 2
    assert 0.0 < gap_mm <= 20.0
    assert gap_mm == pytest.approx(lung["distance_to_bronchus_prox_mm"], abs=2.0)


def test_poly_lung_lesions_are_peripheral():
    case = load("phantom-poly")
    surface = np.concatenate(case.contours("BRONCHUS_PROX"))
    for les in case.truth["lesions"]:
        if les["organ"] == "lung":
            gap_mm = np.min(np.linalg.norm(surface - les["centre_mm"], axis=1)) - les["diameter_mm"] / 2
            assert gap_mm > 20.0, les["id"]


def _load_generator():
    """Import sample_scans/generate.py (a script, not a package module)."""
    name = "oligoplan_sample_generate"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SAMPLES / "generate.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up here
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.mark.slow
def test_generator_rewrites_the_committed_files_byte_for_byte(tmp_path):
    _load_generator().main(["--out", str(tmp_path)])
    for name in CASES:
        written = sorted(p.relative_to(tmp_path / name) for p in (tmp_path / name).rglob("*") if p.is_file())
        committed = sorted(p.relative_to(SAMPLES / name) for p in (SAMPLES / name).rglob("*") if p.is_file())
        assert written == committed, name
        for rel in written:
            assert (tmp_path / name / rel).read_bytes() == (SAMPLES / name / rel).read_bytes(), (
                f"{name}/{rel} differs from a fresh run: re-run sample_scans/generate.py after changing it "
                "(a different numpy/scipy build can also change rounding)")

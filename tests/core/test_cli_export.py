"""`oligoplan export`: RTSTRUCT, SR and de-identification, as a user runs them."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest

from core.case import Case, ImageRef, save_case
from core.codes import Site
from core.lesions import Lesion, LesionSet
from core.measure import measure_lesion
from core.rt.anonymise import Anonymiser
from core.rt.rtstruct_read import read_rtstruct
from core.rt.sr import read_sr_lesions
from core.rt.validate import dciodvfy_available, run_dciodvfy
from core.workspace import open_folder
from tests.core.rt_helpers import every_value, sphere_mask

ROOT = Path(__file__).resolve().parents[2]
PHANTOM = ROOT / "sample_scans" / "phantom-oligo"


def oligoplan(*args, cwd):
    return subprocess.run([sys.executable, "-m", "gui.entry", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


@pytest.fixture(scope="module")
def workspace():
    if not PHANTOM.is_dir():
        pytest.skip("sample_scans/phantom-oligo not generated")
    return open_folder(PHANTOM)


@pytest.fixture()
def case_file(tmp_path, workspace):
    """The phantom's five lesions (spheres on the CT), one labelled with the patient's
    name as a careless user might, plus a marker-only lesion."""
    truth = json.loads((PHANTOM / "ground_truth.json").read_text())["lesions"]
    ct = workspace.primary
    lesions = [Lesion(t["id"], label=t["id"], site=Site.parse(t["organ"] if t["organ"] != "vertebra" else "bone"),
                      mask=sphere_mask(ct, t["centre_mm"], t["diameter_mm"] / 2)) for t in truth]
    lesions[0] = lesions[0].with_changes(label="L1 Oligo")  # the patient's given name
    lesions.append(Lesion("L6", label="L6", site=Site.LUNG, point_mm=(50.0, 0.0, 20.0)))
    case = Case(images=workspace.image_refs(), lesions=LesionSet(lesions))
    path = tmp_path / "case" / "case.json"
    save_case(case, path)
    return path


def test_export_rtstruct_and_sr_with_organs_at_risk(case_file, workspace, tmp_path):
    out = tmp_path / "out"
    done = oligoplan("export", case_file, "--out", out, "--rtstruct", "--sr", "--include-oars", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "3 file(s) written" in done.stdout  # rtstruct.dcm, seg.dcm (the SR's regions), sr.dcm
    placed = read_rtstruct(out / "rtstruct.dcm", workspace.primary)
    kinds = {s.name: s.kind.value for s in placed.structures}
    assert [n for n, k in kinds.items() if k == "target"] == ["L1 Oligo", "L2", "L3", "L4", "L5"]
    assert {"LIVER", "SPINALCORD", "LUNG_R"} <= {n for n, k in kinds.items() if k == "organ at risk"}
    assert "BODY" not in kinds  # organs at risk only
    assert any("L6" in w and "POINT" in w for w in placed.warnings)  # the marker is kept, and reported
    lesions = read_sr_lesions(out / "sr.dcm")
    assert [l.identifier for l in lesions] == ["L1 Oligo", "L2", "L3", "L4", "L5", "L6"]
    seg = pydicom.dcmread(out / "seg.dcm")
    assert all(l.referenced_sop_uid == seg.SOPInstanceUID for l in lesions[:5])
    assert [l.referenced_segment for l in lesions] == [1, 2, 3, 4, 5, None]  # L6 is a marker point
    labels = {int(s.SegmentNumber): s.SegmentLabel for s in seg.SegmentSequence}
    assert [labels[l.referenced_segment] for l in lesions[:5]] == ["L1 Oligo", "L2", "L3", "L4", "L5"]
    evidence = {r.ReferencedSOPInstanceUID for e in pydicom.dcmread(out / "sr.dcm")
                .CurrentRequestedProcedureEvidenceSequence for s in e.ReferencedSeriesSequence
                for r in s.ReferencedSOPSequence}
    assert {seg.SOPInstanceUID, pydicom.dcmread(out / "rtstruct.dcm").SOPInstanceUID} <= evidence
    l2 = lesions[1]
    expected = measure_lesion(next(x for x in _case_lesions(case_file) if x.id == "L2"), workspace.primary,
                              ct=workspace.ct, pet=workspace.pet)
    assert l2.measurements["Volume"][0] == pytest.approx(expected.volume_cc)
    assert l2.measurements["Long axis"][0] == pytest.approx(expected.longest_axial_diameter_mm)
    assert l2.measurements["SUVbw Maximum"][0] == pytest.approx(expected.suv_max)
    assert l2.finding_site == "10200004"  # SNOMED CT liver
    if dciodvfy_available():
        for name in ("rtstruct.dcm", "seg.dcm", "sr.dcm"):
            assert run_dciodvfy(out / name).errors == []


def _case_lesions(path):
    from core.case import load_case

    return list(load_case(path).lesions)


def test_anonymised_export_holds_no_name_or_id_and_keeps_its_references(case_file, workspace, tmp_path):
    out = tmp_path / "anon"
    done = oligoplan("export", case_file, "--out", out, "--rtstruct", "--sr", "--anonymise", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    image = pydicom.dcmread(workspace.primary.source_files[0], stop_before_pixels=True)
    secrets = {str(image.PatientID).lower(), *[p.lower() for p in str(image.PatientName).split("^")],
               str(image.PatientBirthDate)}
    originals = {image.StudyInstanceUID, image.SeriesInstanceUID, image.FrameOfReferenceUID,
                 *workspace.primary.sop_instance_uids}
    rt, sr, seg = (pydicom.dcmread(out / n) for n in ("rtstruct.dcm", "sr.dcm", "seg.dcm"))
    for ds in (rt, sr, seg):
        for elem, text in every_value(ds):
            if elem.keyword == "PixelData":
                continue
            # whole words: the phantom's given name "OLIGO" is also the start of "OligoPlan"
            assert not any(re.search(rf"(?<![a-z0-9]){re.escape(s)}(?![a-z0-9])", text.lower())
                           for s in secrets), f"{elem.keyword} holds an identifier"
            assert text not in originals, f"{elem.keyword} keeps an original UID"
        assert ds.PatientIdentityRemoved == "YES"
        assert ds.DeidentificationMethodCodeSequence[0].CodeValue == "113100"
    assert rt.PatientID == sr.PatientID and rt.PatientID.startswith("ANON-")
    assert rt.StudyInstanceUID == sr.StudyInstanceUID == seg.StudyInstanceUID
    assert read_sr_lesions(out / "sr.dcm")[0].referenced_sop_uid == seg.SOPInstanceUID  # remapped alike
    evidence = {r.ReferencedSOPInstanceUID for e in sr.CurrentRequestedProcedureEvidenceSequence
                for s in e.ReferencedSeriesSequence for r in s.ReferencedSOPSequence}
    assert rt.SOPInstanceUID in evidence  # the SR still points at the RTSTRUCT
    assert "L1 Oligo" not in [r.ROIName for r in rt.StructureSetROISequence]
    series = rt.ReferencedFrameOfReferenceSequence[0].RTReferencedStudySequence[0].RTReferencedSeriesSequence[0]
    contour_refs = {c.ContourImageSequence[0].ReferencedSOPInstanceUID
                    for rc in rt.ROIContourSequence for c in rc.ContourSequence}
    assert contour_refs <= {i.ReferencedSOPInstanceUID for i in series.ContourImageSequence}
    if dciodvfy_available():
        assert all(run_dciodvfy(out / n).errors == [] for n in ("rtstruct.dcm", "sr.dcm", "seg.dcm"))
    assert "phantom-oligo" not in (done.stdout + done.stderr).lower()


def test_uid_mapping_is_consistent_within_an_export_and_differs_between_exports():
    a, b = Anonymiser(), Anonymiser()
    assert a.uid("1.2.3.4") == a.uid("1.2.3.4") != b.uid("1.2.3.4")
    assert a.uid("1.2.840.10008.5.1.4.1.1.481.3") == "1.2.840.10008.5.1.4.1.1.481.3"  # SOP class kept


def test_case_whose_images_are_gone_exits_2_with_one_line(case_file, tmp_path):
    doc = json.loads(case_file.read_text())
    for image in doc["images"]:
        image["folder"] = str(tmp_path / "moved-away")
    case_file.write_text(json.dumps(doc))
    done = oligoplan("export", case_file, "--out", tmp_path / "o", "--rtstruct", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "are not found" in done.stderr and "moved-away" in done.stderr
    assert not list((tmp_path / "o").glob("*.dcm"))


def test_export_without_a_format_says_which_to_choose(case_file, tmp_path):
    done = oligoplan("export", case_file, "--out", tmp_path / "o", cwd=tmp_path)
    assert done.returncode == 2 and "--rtstruct" in done.stderr and "--sr" in done.stderr

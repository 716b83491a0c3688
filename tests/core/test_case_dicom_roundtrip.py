"""The case as DICOM and back (issue 18): `oligoplan export --dicom` writes the SEG, the SR and
the summary as Encapsulated PDF in the images' study; `oligoplan open-dicom` rebuilds the same
case from them: same check, same lesions and masks, same review state."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
import pytest

from core.case import load_case, save_case
from core.lesions import UndoStack, UpdateLesion
from core.measure import measure_lesion
from core.rt.validate import dciodvfy_available, run_dciodvfy
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case, workspace

ROOT = Path(__file__).resolve().parents[2]
PHANTOM = ROOT / "sample_scans" / "phantom-oligo"
pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")
FACTS = {**ELIGIBLE_FACTS, "rule_sets": ["sabr-comet"], "histology": "adenocarcinoma, moderately differentiated"}


def oligoplan(*args):
    return subprocess.run([sys.executable, "-m", "gui.entry", *map(str, args)], capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen"})


def signed_case(folder: Path, states=("reviewed", "approved"), facts=None) -> Path:
    path = phantom_case("phantom-oligo", folder, facts=facts or FACTS)
    case = load_case(path)
    UndoStack().push(UpdateLesion(case.lesions, case.lesions["L2"].with_changes(treatable="yes", notes="abuts the portal vein")))
    names = {"reviewed": ("A. Physicist", "medical physicist", "contours checked"),
             "approved": ("B. Oncologist", "radiation oncologist", "")}
    for state in states:
        name, role, comment = names[state]
        case.review.sign(state, comment, name=name, role=role)
    save_case(case, path)
    return path


def export_into_images(case_path: Path, pacs: Path, *extra) -> Path:
    """Export --dicom and put the files beside a copy of the images, as a PACS retrieval holds them."""
    out = case_path.parent / "out"
    done = oligoplan("export", case_path, "--out", out, "--dicom", *extra)
    assert done.returncode == 0, done.stderr
    if not pacs.exists():
        shutil.copytree(PHANTOM, pacs / "images")
    for name in ("seg.dcm", "sr.dcm", "summary-pdf.dcm"):
        shutil.copy(out / name, pacs / f"{case_path.parent.name}-{name}")
    return out


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    root = tmp_path_factory.mktemp("dicom-case")
    case_path = signed_case(root / "original")
    out = export_into_images(case_path, root / "pacs")
    rebuilt = root / "rebuilt" / "case.json"
    done = oligoplan("open-dicom", root / "pacs", "--out", rebuilt, "--json")
    assert done.returncode == 0, done.stderr
    return case_path, out, rebuilt, json.loads(done.stdout), root


def check_json(path: Path) -> dict:
    done = oligoplan("check", path, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_exported_file_is_valid_dicom_in_the_images_study(round_trip):
    _, out, _, _, _ = round_trip
    study = pydicom.dcmread(next((PHANTOM / "CT").iterdir()), stop_before_pixels=True).StudyInstanceUID
    manifest = json.loads((out / "oligoplan-export.json").read_text())
    assert sorted(f["name"] for f in manifest["files"]) == ["seg.dcm", "sr.dcm", "summary-pdf.dcm"]
    for name in ("seg.dcm", "sr.dcm", "summary-pdf.dcm"):
        assert pydicom.dcmread(out / name).StudyInstanceUID == study, name
        if dciodvfy_available():
            assert run_dciodvfy(out / name).errors == [], name
    pdf = pydicom.dcmread(out / "summary-pdf.dcm")
    assert pdf.SOPClassUID == "1.2.840.10008.5.1.4.1.1.104.1" and pdf.MIMETypeOfEncapsulatedDocument == "application/pdf"
    assert bytes(pdf.EncapsulatedDocument)[:5] == b"%PDF-"
    assert len(bytes(pdf.EncapsulatedDocument)) in (pdf.EncapsulatedDocumentLength, pdf.EncapsulatedDocumentLength + 1)


def test_the_sr_is_tid_1500_and_an_approved_case_is_verified_by_its_last_signer(round_trip):
    case_path, out, _, _, _ = round_trip
    sr = hd.sr.srread(out / "sr.dcm")
    groups = sr.content.get_volumetric_roi_measurement_groups()
    assert [g.tracking_identifier for g in groups] == [lesion.label for lesion in load_case(case_path).lesions]
    assert sr.VerificationFlag == "VERIFIED" and sr.PreliminaryFlag == "FINAL"
    observer = sr.VerifyingObserverSequence[0]
    assert str(observer.VerifyingObserverName).rstrip("^") == "B. Oncologist"
    assert observer.VerifyingOrganization == "radiation oncologist"
    seg = hd.seg.segread(out / "seg.dcm")
    from core.lesion_colours import lesion_colour

    colour = seg.SegmentSequence[0].RecommendedDisplayCIELabValue
    assert hd.color.CIELabColor.from_dicom_value(colour).to_rgb() == pytest.approx(lesion_colour("L1"), abs=2)


def test_a_draft_case_is_not_verified(tmp_path):
    case_path = signed_case(tmp_path / "draft", states=())
    out = tmp_path / "draft" / "out"
    assert oligoplan("export", case_path, "--out", out, "--dicom").returncode == 0
    sr = pydicom.dcmread(out / "sr.dcm")
    assert sr.VerificationFlag == "UNVERIFIED" and "VerifyingObserverSequence" not in sr


def test_the_rebuilt_case_checks_the_same(round_trip):
    case_path, _, rebuilt, _, _ = round_trip
    before, after = check_json(case_path), check_json(rebuilt)
    for key in ("counts", "classification", "facts", "scores", "oar_flags"):
        assert after[key] == before[key], key
    assert after["rule_sets"] == before["rule_sets"]  # verdicts, criterion statuses and values
    assert [r["verdict"] for r in after["rule_sets"]] == ["eligible"]
    assert len(after["warnings"]) <= len(before["warnings"]) + 1


def test_the_rebuilt_lesions_masks_and_review_are_the_originals(round_trip):
    case_path, _, rebuilt, shown, _ = round_trip
    a, b = load_case(case_path), load_case(rebuilt)
    assert b.lesions.ids() == a.lesions.ids()
    ws = workspace("phantom-oligo")
    for old, new in zip(a.lesions, b.lesions):
        assert (new.label, new.site, new.laterality, new.kind, new.treatable, new.notes) == \
            (old.label, old.site, old.laterality, old.kind, old.treatable, old.notes)
        x, y = old.mask.full(), new.mask.full()
        assert 2 * np.logical_and(x, y).sum() / (x.sum() + y.sum()) >= 0.99, old.id
        m0, m1 = (measure_lesion(lesion, ws.primary, ct=ws.ct, pet=ws.pet) for lesion in (old, new))
        for field in ("volume_cc", "longest_axial_diameter_mm", "short_axis_mm", "suv_max"):
            assert getattr(m1, field) == pytest.approx(getattr(m0, field), rel=0.01), (old.id, field)
    assert b.facts == a.facts
    assert b.review.state.value == "approved" and not b.integrity_warnings
    assert [(s.state, s.name, s.role, s.when, s.comment) for s in b.review.signoffs] == \
        [(s.state, s.name, s.role, s.when, s.comment) for s in a.review.signoffs]
    assert shown["review_state"] == "approved" and [x["id"] for x in shown["lesions"]] == a.lesions.ids()


def test_the_original_and_the_rebuilt_case_are_consistent_with_their_sr(round_trip):
    """The SR records the case's id and audit trail: the case it was exported from is consistent with it,
    and so is the case rebuilt from it (same case id; its trail begins at the rebuild, which is said)."""
    from core.rt.sr_compare import Finding, compare_with_reports

    case_path, _, rebuilt, _, root = round_trip
    original = compare_with_reports(load_case(case_path), root / "pacs")
    assert original.consistent and [line for r in original.reports for line in r.lines] == []
    again = load_case(rebuilt)
    assert again.case_uid == load_case(case_path).case_uid
    (report,) = compare_with_reports(again, root / "pacs").reports
    assert report.consistent and [line.finding for line in report.lines] == [Finding.NOT_COMPARED]
    assert "this case was rebuilt from DICOM SR" in report.lines[0].text


def test_the_newest_report_of_the_study_is_taken_and_another_can_be_picked(round_trip, tmp_path):
    _, _, _, first, root = round_trip
    pacs = tmp_path / "pacs"
    shutil.copytree(root / "pacs", pacs)
    later = signed_case(tmp_path / "later", states=("reviewed",), facts={**FACTS, "ecog": 3})
    export_into_images(later, pacs)
    done = oligoplan("open-dicom", pacs, "--json")
    assert done.returncode == 0, done.stderr
    newest = json.loads(done.stdout)
    assert newest["review_state"] == "reviewed" and newest["facts"]["ecog"] == 3 and newest["case"] is None
    assert len(newest["reports"]) == 2
    done = oligoplan("open-dicom", pacs, "--json", "--sr-uid", first["report"]["sop_uid"])
    assert json.loads(done.stdout)["review_state"] == "approved"


def test_several_studies_need_study_uid(round_trip, tmp_path):
    _, out, _, first, root = round_trip
    pacs = tmp_path / "pacs"
    shutil.copytree(root / "pacs", pacs)
    other = pydicom.dcmread(out / "sr.dcm")
    other.StudyInstanceUID = pydicom.uid.generate_uid()
    other.SOPInstanceUID = other.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
    other.save_as(pacs / "other-study-sr.dcm")
    done = oligoplan("open-dicom", pacs)
    assert done.returncode == 2 and "--study-uid" in done.stderr and first["report"]["study_uid"] in done.stderr
    done = oligoplan("open-dicom", pacs, "--study-uid", first["report"]["study_uid"], "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["report"]["sop_uid"] == first["report"]["sop_uid"]


def test_missing_objects_say_what_to_do(round_trip, tmp_path):
    _, _, rebuilt, _, root = round_trip
    done = oligoplan("open-dicom", PHANTOM)
    assert done.returncode == 2 and "no OligoPlan SR" in done.stderr and "--dicom" in done.stderr
    pacs = tmp_path / "pacs"
    shutil.copytree(root / "pacs", pacs)
    (pacs / "original-seg.dcm").unlink()
    done = oligoplan("open-dicom", pacs)
    assert done.returncode == 2 and "SEG" in done.stderr and "not in the folder" in done.stderr
    done = oligoplan("open-dicom", root / "pacs", "--out", rebuilt)
    assert done.returncode == 2 and "exists" in done.stderr


def test_an_anonymised_dicom_export_keeps_no_identifier_and_leaves_free_text_out(tmp_path):
    case_path = signed_case(tmp_path / "anon")
    out = tmp_path / "anon" / "out"
    done = oligoplan("export", case_path, "--out", out, "--dicom", "--anonymise")
    assert done.returncode == 0, done.stderr
    header = pydicom.dcmread(next((PHANTOM / "CT").iterdir()), stop_before_pixels=True)
    for name in ("seg.dcm", "sr.dcm", "summary-pdf.dcm"):
        raw = (out / name).read_bytes()
        for secret in (str(header.PatientName), str(header.PatientID), "B. Oncologist", "A. Physicist",
                       "moderately differentiated", "portal vein", header.StudyInstanceUID):
            assert secret.encode() not in raw, (name, secret)
    from core.rt import sr_case

    # no record of the audit trail (names, times, hashes) in an anonymised report
    assert sr_case.read_case_items(hd.sr.srread(out / "sr.dcm")).audit is None


def _without_oligoplan_items(items):
    kept = []
    for item in items:
        code = item.ConceptNameCodeSequence[0] if "ConceptNameCodeSequence" in item else None
        if code is not None and code.CodingSchemeDesignator == "99OLIGOPLAN":
            continue
        if "ContentSequence" in item:
            item.ContentSequence = _without_oligoplan_items(item.ContentSequence)
        kept.append(item)
    return kept


def test_a_report_without_oligoplan_items_rebuilds_from_its_codes_and_says_so(round_trip, tmp_path):
    case_path, out, _, _, root = round_trip
    pacs = tmp_path / "pacs"
    shutil.copytree(root / "pacs", pacs)
    sr = pydicom.dcmread(pacs / "original-sr.dcm")
    sr.ContentSequence = _without_oligoplan_items(sr.ContentSequence)
    sr.save_as(pacs / "original-sr.dcm")
    done = oligoplan("open-dicom", pacs, "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    original = load_case(case_path)
    assert [x["site"] for x in shown["lesions"]] == [lesion.site.value for lesion in original.lesions]
    assert [x["kind"] for x in shown["lesions"]] == [lesion.kind.value for lesion in original.lesions]
    assert [x["id"] for x in shown["lesions"]] == [f"L{n}" for n in range(1, len(original.lesions) + 1)]
    assert all(x["treatable"] == "not assessed" for x in shown["lesions"])  # never guessed
    assert shown["facts"] == {} and shown["review_state"] == "draft"
    assert any("no OligoPlan lesion id" in note for note in shown["notes"])
    assert any("verified report, but holds no OligoPlan approval" in note for note in shown["notes"])

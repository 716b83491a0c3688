"""An anonymised export leaks nothing (issue 14): a case whose images, lesion labels, notes, facts,
sign-offs and author carry a known set of identifiers is exported to every output kind with
``--anonymise``; every byte of every file (DICOM at any depth, PDF text and metadata, JSON, CSV),
the file names, the console and the log are searched for each identifier and each real date."""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import zlib
from datetime import date
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from core.case import load_case, save_case
from core.lesions import UpdateLesion, UndoStack
from core.samples import SAMPLE_ROOT
from gui.entry import main
from tests.core.rt_helpers import every_value
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case

PHANTOM = SAMPLE_ROOT / "phantom-oligo"
POPPLER = shutil.which("pdftotext") is not None
pytestmark = [
    pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample scans not present"),
    pytest.mark.skipif(not POPPLER, reason="pdftotext (apt package poppler-utils) not installed"),
]

#: What the images say about the patient and the people around them (whole words)
IMAGE_SECRETS = {
    "PatientName": "Smithers^Agatha", "PatientID": "MRN4417829", "InstitutionName": "Grimsworth General Hospital",
    "ReferringPhysicianName": "Fairweather^Zebedee", "AccessionNumber": "ACC77310",
    "StudyDescription": "Smithers restaging", "PatientBirthDateInAlternativeCalendar": "Pingala1958",
    "ClinicalTrialSubjectID": "TRIALSUBJ3391", "ClinicalTrialSiteName": "Hollowmere Trials",
    "ClinicalTrialSponsorName": "Brightwater Pharma", "ClinicalTrialProtocolID": "PROTOZX81",
}
LABELS = {"L1": "Smithers liver 1", "L2": "L2 MRN4417829", "L3": "Pemberton lesion"}
NOTES = {"L1": "seen by Dr Grimsworth; path ref PX99817"}
FACTS = {**ELIGIBLE_FACTS, "histology": "adenocarcinoma (Smithers, Grimsworth General Hospital path. ref PXR20517)",
         "referral_note": "via Tolliver clinic"}
SIGNER, SIGN_COMMENT = "Ottoline Brackenbury", "agreed with Dr Vexley"
LOGIN = "Quimbleworth"
WORDS = ["Smithers", "Agatha", "MRN4417829", "Grimsworth", "Fairweather", "Zebedee", "ACC77310", "Pingala1958",
         "Quillfeather", "GRP5521X", "TRIALSUBJ3391", "Hollowmere", "Brightwater", "PROTOZX81", "Pemberton",
         "PX99817", "PXR20517", "Tolliver", "Ottoline", "Brackenbury", "Vexley", LOGIN]
REAL_DATES = [date(1958, 4, 12), date(2024, 3, 15), date(2022, 1, 10), date(2024, 3, 1), date(2022, 4, 1)]


def _identified_images(target: Path) -> Path:
    """The phantom's CT and PET with the identifiers above in their headers (Patient module
    attributes the de-identifier used to miss included)."""
    for series in ("CT", "PT"):
        (target / series).mkdir(parents=True)
        for src in sorted((PHANTOM / series).glob("*.dcm")):
            ds = pydicom.dcmread(src)
            for keyword, value in IMAGE_SECRETS.items():
                setattr(ds, keyword, value)
            ds.PatientBirthDate = "19580412"
            issuer = Dataset()
            issuer.UniversalEntityID = "Quillfeather"
            issuer.UniversalEntityIDType = "DNS"
            ds.IssuerOfPatientIDQualifiersSequence = Sequence([issuer])
            group = Dataset()
            group.PatientID = "GRP5521X"
            ds.SourcePatientGroupIdentificationSequence = Sequence([group])
            ds.save_as(target / series / src.name)
    return target


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("leaks")
    images = _identified_images(root / "scan")
    case_path = phantom_case("phantom-oligo", root / "case", FACTS, case_name="smithers-case.json")
    doc = json.loads(case_path.read_text(encoding="utf-8"))
    for ref in doc["images"]:
        ref["folder"] = str(images)  # the same series (UIDs kept), with the identifiers above
    case_path.write_text(json.dumps(doc), encoding="utf-8")
    case = load_case(case_path)
    stack = UndoStack()
    for lesion_id, label in LABELS.items():
        changes = {"label": label}
        if lesion_id in NOTES:
            changes["notes"] = NOTES[lesion_id]
        stack.push(UpdateLesion(case.lesions, case.lesions[lesion_id].with_changes(**changes)))
    case.review.sign("reviewed", SIGN_COMMENT, name=SIGNER, role="radiation oncologist")
    save_case(case, case_path)
    return root, case_path


def _run(root: Path, case_path: Path, out: Path, extra: list[str], caplog, capsys, monkeypatch) -> str:
    monkeypatch.setenv("OLIGOPLAN_CONFIG_DIR", str(root / "config"))
    for var in ("USER", "LOGNAME", "LNAME", "USERNAME"):
        monkeypatch.setenv(var, LOGIN)  # the login name the author defaults to
    capsys.readouterr()
    with caplog.at_level(logging.DEBUG):
        code = main(["export", str(case_path), "--out", str(out), "--rtstruct", "--sr", "--pdf", "--json",
                     "--csv", "--include-oars", "--anonymise", *extra])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    return printed.out + printed.err + "\n".join(r.getMessage() for r in caplog.records)


def _pdf_text(path: Path) -> str:
    """Text (pdftotext), the raw bytes (metadata) and every stream decompressed."""
    raw = path.read_bytes()
    parts = [subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout,
             raw.decode("latin-1")]
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", raw, re.S):
        try:
            parts.append(zlib.decompress(m.group(1)).decode("latin-1"))
        except zlib.error:
            pass
    return "\n".join(parts)


def _everything(out: Path, console: str) -> dict[str, str]:
    texts = {"console and log": console, "file names": " ".join(p.name for p in out.iterdir())}
    for path in sorted(out.iterdir()):
        if path.suffix == ".dcm":
            ds = pydicom.dcmread(path)
            values = [text for elem, text in every_value(ds) if elem.keyword != "PixelData"]
            texts[path.name] = "\n".join(values) + "\n" + path.read_bytes().decode("latin-1")
        elif path.suffix == ".pdf":
            texts[path.name] = _pdf_text(path)
        else:
            texts[path.name] = path.read_text(encoding="utf-8")
    return texts


def _date_forms(day: date) -> list[str]:
    return [day.isoformat(), day.strftime("%Y%m%d"), day.strftime("%d.%m.%Y")]


def test_every_output_of_an_anonymised_export_holds_none_of_the_identifiers(exported, tmp_path, caplog, capsys,
                                                                           monkeypatch):
    root, case_path = exported
    out = tmp_path / "export"
    console = _run(root, case_path, out, [], caplog, capsys, monkeypatch)
    names = {p.name for p in out.iterdir()}
    assert names == {"rtstruct.dcm", "seg.dcm", "sr.dcm", "summary.pdf", "summary.json", "summary-lesions.csv",
                     "oligoplan-export.json"}  # the export set's manifest (core.export_set), searched too
    # the console and the log are searched as printed: a warning names the case file as
    # "the case file", never by its name (the user may have named it after the patient)
    texts = _everything(out, console)
    today = date.today()
    for where, text in texts.items():
        for word in WORDS:
            m = re.search(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", text, re.IGNORECASE)
            assert m is None, f"{where} holds {word!r}: ...{text[max(m.start() - 60, 0):m.end() + 60]!r}..."
        for day in (*REAL_DATES, today):
            for form in _date_forms(day):
                assert form not in text, f"{where} holds the real date {form}"
    assert "smithers-case" not in " ".join(texts.values()).lower()
    # the statement, the generic labels, the same shift everywhere, the intervals kept
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["anonymisation"]["free_text"].startswith("left out")
    assert summary["anonymisation"]["author"] == "left out" and summary["author"] == ""
    assert [r["label"] for r in summary["lesions"]][:3] == ["Liver 1", "Liver 2", "Liver 3"]
    assert "Anonymised: patient name" in texts["summary.pdf"] and "Free text left out" in texts["summary.pdf"]
    assert "Liver 1" in texts["summary-lesions.csv"]
    facts = summary["facts"]
    shift = (date.fromisoformat(summary["evaluated_on"]) - today).days
    assert shift < 0
    for key, real in (("primary_diagnosis_date", date(2022, 1, 10)), ("metastasis_diagnosis_date", date(2024, 3, 1)),
                      ("primary_definitive_treatment_date", date(2022, 4, 1))):
        assert (date.fromisoformat(facts[key]) - real).days == shift, f"{key}: another shift (an interval changed)"
    for name in ("rtstruct.dcm", "seg.dcm", "sr.dcm"):
        ds = pydicom.dcmread(out / name)
        study = date(int(ds.StudyDate[:4]), int(ds.StudyDate[4:6]), int(ds.StudyDate[6:]))
        assert (study - date(2024, 3, 15)).days == shift, f"{name}: another date shift than the summary's"
    rt = pydicom.dcmread(out / "rtstruct.dcm")
    assert {"Liver 1", "Liver 2", "Liver 3"} <= {str(r.ROIName) for r in rt.StructureSetROISequence}
    seg = pydicom.dcmread(out / "seg.dcm")
    assert "Liver 1" in [str(s.SegmentLabel) for s in seg.SegmentSequence]
    assert "free text left out" in console and "author left out" in console


def test_keep_free_text_and_a_chosen_author_are_written_and_stated(exported, tmp_path, caplog, capsys, monkeypatch):
    root, case_path = exported
    out = tmp_path / "export"
    console = _run(root, case_path, out, ["--keep-free-text", "--author", "Study reader 7"], caplog, capsys,
                   monkeypatch)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["author"] == "Study reader 7"
    assert summary["anonymisation"]["free_text"].startswith("kept")
    assert summary["facts"]["referral_note"] == "via Tolliver clinic"  # reviewed by the user: kept
    # ... with the patient's name inside it still replaced
    assert "Smithers" not in summary["facts"]["histology"] and "adenocarcinoma" in summary["facts"]["histology"]
    pdf = _pdf_text(out / "summary.pdf")
    assert "/Author (Study reader 7)" in pdf and LOGIN not in pdf
    assert "free text kept (--keep-free-text)" in console


def test_keep_free_text_without_anonymise_is_refused_in_one_line(exported, tmp_path, capsys):
    _, case_path = exported
    code = main(["export", str(case_path), "--out", str(tmp_path / "x"), "--json", "--keep-free-text"])
    err = capsys.readouterr().err
    assert code == 2 and "--keep-free-text applies to an anonymised export only: add --anonymise" in err
    assert not (tmp_path / "x").exists()


def test_an_anonymised_export_of_a_bad_case_file_names_it_the_case_file(tmp_path, capsys):
    bad = tmp_path / "smithers-agatha" / "smithers-case.json"
    bad.parent.mkdir()
    bad.write_text("{not json", encoding="utf-8")
    code = main(["export", str(bad), "--out", str(tmp_path / "x"), "--json", "--anonymise"])
    err = capsys.readouterr().err
    assert code == 2 and "the case file" in err
    assert "smithers" not in err.lower()
    # without --anonymise the message names the file, so the user knows which one to fix
    code = main(["export", str(bad), "--out", str(tmp_path / "x"), "--json"])
    assert code == 2 and "smithers-case.json" in capsys.readouterr().err

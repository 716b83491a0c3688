"""The candidacy summary: `oligoplan export --pdf --json --csv` on phantom-oligo.

The PDF is rendered to PNG with pdftoppm (poppler-utils) and each page must
show something; its text (pdftotext) must carry the verdicts, the class and
the decision-support statement; --anonymise must leave the patient out.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess

import numpy as np
import pytest

from core.samples import SAMPLE_ROOT
from tests.core.in_process import run_oligoplan
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case

pytestmark = pytest.mark.skipif(not (SAMPLE_ROOT / "phantom-oligo").is_dir(), reason="sample scans not present")
POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("summary")
    case = phantom_case("phantom-oligo", root / "case", ELIGIBLE_FACTS)
    out = {}
    for name, extra in (("named", []), ("anon", ["--anonymise"])):
        proc = run_oligoplan("export", case, "--out", root / name, "--pdf", "--json", "--csv", "--rules",
                             "sabr-comet,nhs-cte", "--date", "2024-03-20", "--author", "Dr Reviewer", *extra)
        assert proc.returncode == 0, proc.stderr
        out[name] = root / name
    return out


def test_json_summary_has_every_part(exported):
    doc = json.loads((exported["named"] / "summary.json").read_text(encoding="utf-8"))
    assert doc["patient"]["id"] == "PHANTOM-OLIGO" and doc["author"] == "Dr Reviewer"
    assert "not a treatment order" in doc["disclaimer"]
    assert [r["id"] for r in doc["rule_sets"]] == ["sabr-comet", "nhs-cte"]
    assert doc["rule_sets"][0]["verdict"] == "eligible"
    assert doc["rule_set_versions"]["sabr-comet"].startswith("2")
    assert "sabr-comet:per_organ" in doc["unverified_thresholds"]
    assert doc["classification"]["class"] == "metachronous oligorecurrence"
    assert doc["counts"]["by_site"] == {"lung": 1, "liver": 3, "bone": 1}
    lung = next(r for r in doc["lesions"] if r["id"] == "L4")
    assert lung["oar_flags"] == "central_lung" and lung["volume_cc"] > 0.5
    assert doc["facts"]["ecog"] == 1 and doc["evaluated_on"] == "2024-03-20"


def test_csv_is_the_lesion_table(exported):
    with open(exported["named"] / "summary-lesions.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["ID"] for r in rows] == ["L1", "L2", "L3", "L4", "L5"]
    assert rows[3]["OAR flags"] == "central_lung" and rows[3]["Site"] == "lung"
    assert 18 < float(rows[0]["Longest 3D diameter (mm)"]) < 23
    # the two diameters are named apart (the rule sets use the 3D one, RECIST 1.1 the axial one)
    assert 0 < float(rows[0]["Longest axial diameter, RECIST 1.1 (mm)"]) <= float(rows[0]["Longest 3D diameter (mm)"])
    assert not any(title in ("Longest diameter (mm)", "Axial diameter (mm)") for title in rows[0])


def test_anonymised_summary_has_no_patient_name_or_id(exported):
    for path in exported["anon"].iterdir():
        if path.suffix != ".pdf":
            text = path.read_text(encoding="utf-8")
            assert "PHANTOM" not in text.upper(), path.name
    doc = json.loads((exported["anon"] / "summary.json").read_text(encoding="utf-8"))
    assert doc["patient"] == {"anonymised": True} and doc["case"] == ""


@pytest.mark.skipif(not POPPLER, reason="pdftoppm/pdftotext (apt package poppler-utils) not installed")
def test_pdf_pages_render_and_are_not_blank(exported, tmp_path):
    pdf = exported["named"] / "summary.pdf"
    subprocess.run(["pdftoppm", "-r", "40", "-gray", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.pgm"))
    assert 1 <= len(pages) <= 3
    for page in pages:
        data = page.read_bytes()
        # binary PGM: header "P5\nW H\n255\n" then pixels
        header_end = data.index(b"\n255\n") + 5
        pixels = np.frombuffer(data[header_end:], dtype=np.uint8)
        dark = (pixels < 200).mean()
        assert dark > 0.01, f"{page.name} is (nearly) blank: {dark:.3%} dark pixels"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for needle in ("SBRT candidacy summary", "PHANTOM-OLIGO", "Decision support only", "sabr-comet",
                   "ELIGIBLE", "metachronous oligorecurrence", "central_lung", "Dr Reviewer",
                   "Lesion map", "version 2"):
        assert needle in text, needle


@pytest.mark.skipif(not POPPLER, reason="pdftotext (apt package poppler-utils) not installed")
def test_anonymised_pdf_has_no_patient(exported):
    text = subprocess.run(["pdftotext", str(exported["anon"] / "summary.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Patient: anonymised" in text and "PHANTOM" not in text.upper()

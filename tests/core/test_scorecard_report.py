"""The scorecard as CSV and PDF: the figures a trainee reads, and key images on every lesion."""

import csv
import io
import re
import shutil
import subprocess

import numpy as np
import pytest

from core.lesions import Lesion, LesionMask
from core.practice.report import scorecard_csv, scorecard_rows, write_scorecard_pdf
from core.practice.scoring import score_lesions
from tests.core.grids import ellipsoid, make_grid


@pytest.fixture
def scored():
    grid = make_grid((24, 60, 60), (2.5, 1.0, 1.0), voxels=np.full((24, 60, 60), 40, np.int16))

    def sphere(lesion_id, centre, radius, site="liver"):
        return Lesion(lesion_id, lesion_id, site=site,
                      mask=LesionMask.from_full(ellipsoid(grid, centre, (radius,) * 3), grid.info.series_uid))

    reference = [sphere("L1", (20, 20, 30), 6), sphere("L2", (45, 45, 30), 5, "lung")]
    trainee = [sphere("L1", (22, 20, 30), 6), Lesion("L2", "L2", site="bone", point_mm=(45.0, 15.0, 30.0))]
    grids = {grid.info.series_uid: grid}
    return score_lesions(reference, trainee, grids), reference, trainee, grid, grids


def test_rows_list_matches_misses_and_extras_in_reference_order(scored):
    card, reference, trainee, *_ = scored
    rows = scorecard_rows(card, reference, trainee)
    assert [(r.outcome, r.reference, r.trainee) for r in rows] == [
        ("matched", "L1", "L1"), ("missed", "L2", ""), ("extra", "", "L2")]


def test_csv_has_the_figures_and_one_row_per_lesion(scored):
    card, reference, trainee, *_ = scored
    text = scorecard_csv(card, reference, trainee)
    summary, table = text.split("\n\n")
    metrics = dict(row for row in csv.reader(io.StringIO(summary)))
    assert metrics["sensitivity"] == "0.5" and metrics["false_positives"] == "1"
    assert metrics["reference_count"] == "2" and metrics["count_agrees"] == "True"
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [r["outcome"] for r in rows] == ["matched", "missed", "extra"]
    assert 0.6 < float(rows[0]["dice"]) < 0.95 and float(rows[0]["hd95_mm"]) > 0
    assert rows[1]["reference_site"] == "lung" and rows[2]["trainee_site"] == "bone"


def test_pdf_has_the_summary_page_and_key_images(scored, tmp_path):
    card, reference, trainee, grid, grids = scored
    path = write_scorecard_pdf(tmp_path / "card.pdf", card, reference, trainee, grid, grids,
                               trainee_name="T. Rainee", case_name="synthetic")
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", data)) == 2
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the text of the PDF is not checked")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    assert "Contouring practice scorecard" in text and "T. Rainee" in text
    assert "1 of 2" in text and "50%" in text and "MISSED" in text and "EXTRA" in text
    assert "never a treatment order" in text

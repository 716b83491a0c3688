"""The summary (PDF pages, JSON, CSV) shows the Fong score, a class refused for its dates, and each lesion's
treatability state (issue 12). The PDF's pages are read as the matplotlib figures it saves."""

from __future__ import annotations

from datetime import date

from core.rules.counting import LesionInfo
from core.rules.engine import evaluate
from core.summary.document import build_summary
from core.summary.pdf import summary_figures
from core.summary.tables import lesion_csv_text

FACTS = {"primary_site": "colorectal", "primary_node_positive": "yes", "cea_ng_ml": 250,
         "primary_diagnosis_date": "2024-05-01", "metastasis_diagnosis_date": "2024-01-01",
         "history_polymetastatic": "no", "history_oligometastatic": "no"}
LESIONS = [LesionInfo("L1", site="liver", longest_diameter_mm=60, treatable="yes"),
           LesionInfo("L2", site="liver", longest_diameter_mm=20, treatable="no"),
           LesionInfo("L3", site="bone", longest_diameter_mm=20)]


def summary(facts=FACTS):
    return build_summary(evaluate([], LESIONS, facts, today=date(2025, 1, 1)), author="x")


def page_texts(s) -> list[str]:
    texts = []
    for fig in summary_figures(s):
        texts += [t.get_text() for t in fig.texts]
        for ax in fig.axes:
            texts += [t.get_text() for t in ax.texts]
            for table in ax.tables:
                texts += [cell.get_text().get_text() for cell in table.get_celld().values()]
    return texts


def test_the_pdf_shows_the_date_problem_instead_of_a_class_and_the_incomplete_score():
    s = summary()
    texts = page_texts(s)
    assert any(t.startswith("unknown — the metastases are dated before the primary") for t in texts), texts
    assert any("Fong clinical risk score" in t and "incomplete" in t for t in texts)
    assert any(t.startswith("Disease-free interval < 12 months: unknown") for t in texts)
    assert any(t.startswith("CEA > 200 ng/ml: 1 point (CEA 250 ng/ml)") for t in texts)
    assert s["scores"][0]["status"] == "incomplete" and s["classification"]["problems"]


def test_the_pdf_and_json_give_a_complete_score_with_its_value():
    s = summary({**FACTS, "metastasis_diagnosis_date": "2024-06-01"})
    assert s["scores"][0]["value"] == 5 and s["scores"][0]["summary"] == "5 of 5"
    assert any(t.endswith(": 5 of 5") for t in page_texts(s))


def test_each_lesions_treatability_state_in_the_pdf_csv_and_json():
    s = summary()
    assert [r["treatable"] for r in s["lesions"]] == ["yes", "no", "not assessed"]
    rows = lesion_csv_text(s).splitlines()
    assert ",yes," in rows[1] and ",no," in rows[2] and ",not assessed," in rows[3]
    texts = page_texts(s)
    assert {"yes", "NO", "not assessed"} <= set(texts)

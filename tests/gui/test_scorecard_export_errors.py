"""A scorecard export that cannot be written says which file and why, in a dialog, and leaves no temp file."""

from __future__ import annotations

from tests.gui.test_lesion_tools import at, axial, draw_polygon, go_to_mm
from tests.gui.test_practice_styles import scored_with_l4_missed
from tests.gui.test_review_practice import pet_ct, reference  # noqa: F401 - fixtures


def test_scorecard_pdf_and_csv_that_cannot_be_written_name_the_file(pet_ct, qtbot, reference, truth, boxes,
                                                                    tmp_path):
    rv = scored_with_l4_missed(pet_ct, qtbot, reference, truth)
    out = tmp_path / "out"
    (out / "card.pdf").mkdir(parents=True)  # a folder where the file goes
    (out / "card.csv").mkdir()
    rv.scorecard_panel.export_pdf(str(out / "card.pdf"))
    rv.scorecard_panel.export_csv(str(out / "card.csv"))
    pdf_message, csv_message = boxes.texts("warning")
    assert "card.pdf: the scorecard PDF cannot be written" in pdf_message
    assert "card.csv: the scorecard CSV cannot be written" in csv_message
    assert sorted(p.name for p in out.iterdir()) == ["card.csv", "card.pdf"]  # no temp file left
    assert not boxes.texts("critical")

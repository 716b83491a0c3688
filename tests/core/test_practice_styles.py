"""One definition of the practice styles: the scorecard PDF names and draws the styles the window uses."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from core.practice.report import write_scorecard_pdf
from core.practice.styles import EXTRA, LEGEND_NOTE, MISSED, PRACTICE_STYLES, REFERENCE, TRAINEE, legend_text
from tests.core.test_scorecard_report import scored  # noqa: F401 - the fixture


def test_the_four_roles_look_different_and_the_legend_names_each():
    looks = {(s.colour, s.line, s.shaded) for s in PRACTICE_STYLES}
    assert len(looks) == 4 and len({s.colour for s in PRACTICE_STYLES}) == 4
    assert REFERENCE.line != TRAINEE.line  # the two sides of a found lesion differ in line, not only colour
    assert legend_text() == ("reference: dashed white; trainee: solid magenta; missed: dashed red, shaded; "
                             "extra: solid orange, shaded")
    assert MISSED.rgb == (255, 40, 40)


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (apt package poppler-utils) not installed")
def test_scorecard_pdf_legend_names_the_overlay_styles(scored, tmp_path):  # noqa: F811
    card, reference, trainee, grid, grids = scored
    path = write_scorecard_pdf(tmp_path / "card.pdf", card, reference, trainee, grid, grids)
    text = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    lines = " ".join(text.split())
    for style in PRACTICE_STYLES:
        assert style.legend_entry() in lines, style.role
    assert LEGEND_NOTE in lines
    assert "solid green" not in lines and "dashed magenta" not in lines
    assert f"{MISSED.title}: reference L2" in lines and f"{EXTRA.title}: trainee L2" in lines


def test_scorecard_pdf_draws_in_the_style_colours(scored, tmp_path):  # noqa: F811
    """The page of key images is drawn with the styles' colours (read back from the rendered page)."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (apt package poppler-utils) not installed")
    import numpy as np
    from matplotlib.image import imread

    card, reference, trainee, grid, grids = scored
    path = write_scorecard_pdf(tmp_path / "card.pdf", card, reference, trainee, grid, grids)
    subprocess.run(["pdftoppm", "-r", "100", "-f", "2", "-l", "2", "-png", str(path), str(tmp_path / "p")],
                   check=True)
    page = (imread(next(tmp_path.glob("p*.png")))[..., :3] * 255).round().astype(int)
    for style in PRACTICE_STYLES:
        near = np.all(np.abs(page - np.array(style.rgb)) <= 12, axis=-1)
        assert near.sum() > 20, style.role

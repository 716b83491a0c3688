"""What the summary PDF's colours and diameter headers tell a reader.

- A lesion has one colour: the lesion map's ring, the key image's contour and the table's '#'
  cell are drawn in the colour the views and the RTSTRUCT use (core.lesion_colours), by lesion id.
- Two diameters are named apart: the table shows the longest 3D diameter (the rule sets' size
  criteria) and the longest axial one (RECIST 1.1, as in the gui's lesion table), each labelled.
- A review line whose audit trail was changed outside OligoPlan is drawn in the warning colour,
  never in the approved green.

Read from the figures the PDF is saved from (core.summary.pdf.summary_figures).
"""

from __future__ import annotations

import matplotlib.colors as mcolors
import pytest
from matplotlib.lines import Line2D
from matplotlib.table import Table

from core.case import load_case
from core.lesion_colours import lesion_colour
from core.lesions import RemoveLesion, UndoStack
from core.review import REVIEW_COLOURS, TRAIL_ALTERED
from core.rules.case_check import CaseImages, check_case, open_case_images
from core.rules.loader import load_catalog
from core.samples import SAMPLE_ROOT
from core.summary.document import build_summary
from core.summary.export import summary_pictures
from core.summary.pdf import STATUS_COLOURS, summary_figures
from tests.core.test_review import rewrite
from tests.core.test_review_altered_trail import approved_file
from tests.core.test_summary_review import case  # noqa: F401 - fixture
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case


def rgb255(colour) -> tuple[int, int, int]:
    return tuple(int(round(255 * v)) for v in mcolors.to_rgb(colour))


def figures_of(case, workspace=None):
    check = check_case(case, load_catalog().select(["sabr-comet"]), images=CaseImages(workspace))
    summary = build_summary(check.evaluation, workspace=workspace, author="Dr Writer", review=case.review)
    mip, key = summary_pictures(case, workspace, summary)
    return summary, summary_figures(summary, mip, key)


def texts(fig) -> list:
    return list(fig.texts)


# ------------------------------------------------------------------ lesion colours
@pytest.mark.skipif(not (SAMPLE_ROOT / "phantom-oligo").is_dir(), reason="sample_scans/phantom-oligo not present")
def test_map_rings_key_contours_and_table_swatches_take_each_lesions_own_colour(tmp_path):
    case = load_case(phantom_case("phantom-oligo", tmp_path, ELIGIBLE_FACTS))
    UndoStack().push(RemoveLesion(case.lesions, "L1"))  # row 1 is now L2: colour by id, not by row
    images = open_case_images(case)
    summary, pages = figures_of(case, images.workspace)
    ids = [r["id"] for r in summary["lesions"]]
    assert ids == ["L2", "L3", "L4", "L5"]
    page = pages[1]
    axes = page.axes
    table = next(t for ax in axes for t in ax.get_children() if isinstance(t, Table))
    swatches = [rgb255(table[row, 0].get_facecolor()) for row in range(1, len(ids) + 1)]
    assert swatches == [lesion_colour(i) for i in ids]

    lesion_map = next(ax for ax in axes if ax.get_title().startswith("Lesion map"))
    rings = [rgb255(line.get_markeredgecolor()) for line in lesion_map.get_lines()
             if isinstance(line, Line2D) and line.get_marker() == "o"]
    assert rings == [lesion_colour(i) for i in ids]

    key_axes = {ax.get_title().split(":")[0]: ax for ax in axes if ax.get_title()[:1].isdigit()}
    assert sorted(key_axes) == ["1", "2", "3", "4"]
    for number, lesion_id in enumerate(ids, start=1):
        contour_colours = {rgb255(c) for ax in [key_axes[str(number)]] for coll in ax.collections
                           for c in coll.get_edgecolor()}
        assert contour_colours == {lesion_colour(lesion_id)}, lesion_id


# ------------------------------------------------------------------ diameters
def test_the_lesion_table_names_the_3d_and_the_axial_diameter(case):  # noqa: F811
    _, pages = figures_of(case)
    table = next(t for ax in pages[1].axes for t in ax.get_children() if isinstance(t, Table))
    headers = [cell.get_text().get_text() for (row, _), cell in sorted(table.get_celld().items()) if row == 0]
    assert "3D LD mm" in headers and "Axial LD mm" in headers
    assert not any(h.startswith("Diam") for h in headers)
    note = " ".join(t.get_text() for t in texts(pages[1]))
    assert "3D LD: longest 3D diameter" in note and "axial LD: longest axial diameter (RECIST 1.1)" in note


# ------------------------------------------------------------------ review line
def review_line_colours(fig) -> dict[str, tuple[int, int, int]]:
    """The review headline (10 pt bold, beside "Review:") as drawn: text -> colour."""
    return {t.get_text(): rgb255(t.get_color()) for t in texts(fig)
            if t.get_fontsize() == 10 and t.get_fontweight() == "bold" and t.get_text() != "Review:"}


def test_a_hand_edited_approval_is_drawn_in_the_warning_colour_not_green(tmp_path):
    path, doc = approved_file(tmp_path)
    doc["audit"]["entries"][-1]["who"] = "Chief"  # a sign-off nobody made
    case = rewrite(path, doc)
    summary, pages = figures_of(case)
    assert summary["review"]["trail_altered"] is True
    lines = review_line_colours(pages[0])
    joined = " ".join(lines)
    assert "Approved by Chief" in joined and "audit trail changed outside" in joined
    warning = rgb255(STATUS_COLOURS["fail"])
    assert set(lines.values()) == {warning}, lines
    assert rgb255(REVIEW_COLOURS["approved"]) not in lines.values()
    footers = [t.get_text() for fig in pages for t in texts(fig) if "page " in t.get_text()]
    assert len(footers) == 3 and all("review: approved, audit trail altered" in f for f in footers)


def test_an_untouched_approval_stays_green(tmp_path):
    case = load_case(approved_file(tmp_path)[0])
    summary, pages = figures_of(case)
    assert summary["review"]["trail_altered"] is False and TRAIL_ALTERED not in summary["review"]["status"]
    lines = review_line_colours(pages[0])
    assert any(text.startswith("Approved by B. Oncologist") for text in lines)
    assert set(lines.values()) == {rgb255(REVIEW_COLOURS["approved"])}

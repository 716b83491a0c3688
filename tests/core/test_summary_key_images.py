"""Page 2 of the summary PDF has a key image for every lesion of its table (up to the table's 24
rows): the tiles get smaller as lesions are added; a lesion without one is named on the page.
It stopped at 12, silently, so lesions 13 and on had no key image and no word about it."""

from __future__ import annotations

import copy
import json
import re
import shutil

import pytest

from core.samples import SAMPLE_ROOT
from core.summary.pdf import key_image_grid
from tests.core.in_process import run_oligoplan
from tests.core.test_summary_layout import page_words
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case

pytestmark = [
    pytest.mark.skipif(not (SAMPLE_ROOT / "phantom-poly").is_dir(), reason="sample scans not present"),
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (apt package poppler-utils) not installed"),
]
TITLE = re.compile(r"^(\d+):$")


def case_with(n: int, folder):
    """phantom-poly's 8 lesions, repeated under new ids up to ``n`` lesions."""
    path = phantom_case("phantom-poly", folder, ELIGIBLE_FACTS)
    doc = json.loads(path.read_text(encoding="utf-8"))
    base = doc["lesions"]
    while len(doc["lesions"]) < n:
        lesion = copy.deepcopy(base[len(doc["lesions"]) % len(base)])
        lesion["id"] = f"L{len(doc['lesions']) + 1}"
        lesion["label"] = f"Copy {lesion['id']}"
        doc["lesions"].append(lesion)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("n", [16, 24])
def test_every_lesion_of_the_table_has_its_key_image(n, tmp_path):
    case = case_with(n, tmp_path / "case")
    proc = run_oligoplan("export", case, "--out", tmp_path / "out", "--pdf", "--rules", "sabr-comet")
    assert proc.returncode == 0, proc.stderr

    page2 = page_words(tmp_path / "out" / "summary.pdf")[1]
    titled = sorted(int(m.group(1)) for *_, word in page2 if (m := TITLE.match(word)))
    assert titled == list(range(1, n + 1))
    assert "no key image for lesion" not in " ".join(word for *_, word in page2)


def test_the_grid_holds_every_lesion_up_to_the_table_and_never_tiles_below_the_minimum():
    assert key_image_grid(5, 0.83)[::2] == (3, 5)
    ncol, size, fits = key_image_grid(24, 0.925 - 0.0165 * 25 - 0.03)  # a full 24-row table
    assert fits == 24 and size >= 0.07
    ncol, size, fits = key_image_grid(60, 0.4)  # more than a page holds: as many as fit, no fewer
    assert 0 < fits < 60 and size >= 0.07

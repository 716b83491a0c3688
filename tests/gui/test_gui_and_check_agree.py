"""Issue 15's "done when": for each folder of sample_scans and ../shared/data, the window and
`oligoplan check` open the same series, measure the lesions alike and give the same verdicts.

The window opens the folder as a user does (File > Open folder), lesions are drawn on what it
shows, the case is saved, and `oligoplan check CASE --json` runs on it (in this process, to keep
the test cheap; the CaseCheck it computes is kept to compare the series and measurements).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

import core.rules.case_check as case_check
from core.cli import build_parser, run
from core.dicom import scan_folder
from core.lesions import AddLesion, Lesion
from core.samples import SAMPLE_ROOT, sphere_mask
from core.workspace import select_series
from tests.phantom_cases import ELIGIBLE_FACTS, truth

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
FOLDERS = [SAMPLE_ROOT / "phantom-oligo", SAMPLE_ROOT / "phantom-poly", SAMPLE_ROOT / "tcia-crlm-ct-1004",
           SHARED / "tcia-crlm-ct-1004", SHARED / "tcia-sts-001", SHARED / "rt-utils-tests"]


def _lesions(folder: Path, base) -> list[Lesion]:
    """The phantom's true lesions (sphere masks on the base grid), else a 12 mm ball at the centre of
    the image and a point lesion beside it."""
    if (folder / "ground_truth.json").exists():
        return [Lesion(item["id"], f"{item['organ'].capitalize()} {item['id']}", site=item["organ"],
                       kind=item["kind"], point_mm=tuple(item["centre_mm"]),
                       mask=sphere_mask(base, item["centre_mm"], item["diameter_mm"]))
                for item in truth(folder.name)["lesions"]]
    centre = base.index_to_patient(np.array([[(n - 1) / 2 for n in base.shape]]))[0]
    return [Lesion("L1", "Liver 1", site="liver", point_mm=tuple(centre), mask=sphere_mask(base, centre, 12.0)),
            Lesion("L2", "Lung 1", site="lung", point_mm=tuple(centre + np.array([30.0, 0.0, 0.0])))]


def _same(a, b, where=""):
    """Equal, floats to 1e-6 relative (JSON rounding aside, both sides compute the same numbers)."""
    if isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None and math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for n, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{n}]")
    else:
        assert a == b, where


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_window_and_check_agree(folder, window, qtbot, boxes, tmp_path, monkeypatch):
    if not folder.is_dir():
        pytest.skip(f"{folder} is not here (../shared/data is only on CI and the team's machines)")
    # the window: open the folder, draw the lesions, give the facts, save the case
    window.open_folder(str(folder))
    qtbot.waitUntil(lambda: window.model.base is not None and not window.runner.busy, timeout=120000)
    qtbot.waitUntil(lambda: not window.structure_wiring.busy, timeout=120000)
    base, overlay = window.model.base, window.model.overlay
    for lesion in _lesions(folder, base):
        window.undo_stack.push_command(AddLesion(window.model.lesions, lesion))
    window.rules_wiring.case.facts = dict(ELIGIBLE_FACTS)
    window.rules_wiring._load_facts()
    gui_ev = window.rules_wiring.evaluate_now()
    case_path = window.case_controller.save_to(tmp_path / "case.oligoplan.json")
    assert not boxes.texts("critical") and not boxes.texts("warning"), boxes.shown

    # `oligoplan check CASE --json`, keeping what it computed
    computed = []
    real_check = case_check.check_case
    monkeypatch.setattr(case_check, "check_case", lambda *a, **k: computed.append(real_check(*a, **k))
                        or computed[-1])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = run(build_parser().parse_args(["check", str(case_path), "--json", "--date",
                                                gui_ev.today.isoformat()]))
    assert status == 0
    cli_doc, (result,) = json.loads(out.getvalue()), computed

    # the same series: the window's, check's, and core's rule for the folder alone
    shown = (base.info.series_uid, overlay.info.series_uid if overlay is not None else None)
    checked = (result.workspace.primary.info.series_uid,
               result.workspace.pet.info.series_uid if result.workspace.pet is not None else None)
    primary, pet = select_series(scan_folder(folder).series)
    assert shown == checked == (primary.info.series_uid, pet.info.series_uid if pet is not None else None)
    # the same measurements of every lesion
    assert [m.id for m in gui_ev.lesions] == [m.id for m in result.evaluation.lesions]
    for mine, theirs in zip(gui_ev.lesions, result.evaluation.lesions):
        _same(asdict(mine), asdict(theirs), mine.id)
    # the same verdicts, criterion by criterion, and the same organ-at-risk flags
    gui_doc = json.loads(json.dumps(gui_ev.to_json()))
    assert [r["verdict"] for r in gui_doc["rule_sets"]] == [r["verdict"] for r in cli_doc["rule_sets"]]
    _same(gui_doc["rule_sets"], cli_doc["rule_sets"], "rule_sets")
    _same(gui_doc["oar_flags"], cli_doc["oar_flags"], "oar_flags")
    _same(gui_doc["classification"], cli_doc["classification"], "classification")

"""`oligoplan bench rules`: how long the verdict panel takes to follow an edit.

Scenario: the phantom-oligo CT + PET with its organs at risk (RTSTRUCT), 20
contoured lesions (spheres of 8-24 mm in liver, lungs, bone and soft tissue)
and every shipped rule set shown. Timed:

* ``engine``: core.rules.engine.evaluate alone (20 lesions x every shipped rule set,
  measurements and OAR distances already known);
* ``live``: one lesion edited through the undo stack in the real main window
  (offscreen), until the verdict panel shows the new verdicts: measuring the
  edited lesion, its OAR distances, the evaluation and the panel rebuild (the
  lesion table updates in the same event and is included).

Target: ``live`` under 100 ms (issue 5).
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

N_LESIONS = 20


def _lesions(ct):
    from core.lesions import Lesion
    from core.samples import sphere_mask

    rng = np.random.default_rng(5)
    regions = [("liver", (-80, -10, -80), 30), ("lung", (-80, 20, 50), 25), ("lung", (80, 20, 50), 25),
               ("bone", (0, 62, 0), 8), ("soft tissue", (0, -60, -40), 30)]
    out = []
    for n in range(N_LESIONS):
        site, centre, spread = regions[n % len(regions)]
        c = np.array(centre, dtype=float) + rng.uniform(-spread, spread, 3) * (1, 0.5, 1)
        out.append(Lesion(f"L{n + 1}", f"L{n + 1}", site=site, point_mm=tuple(c),
                          mask=sphere_mask(ct, c, float(rng.uniform(8, 24)))))
    return out


def run(n: int = 30) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from core.lesions import AddLesion, UpdateLesion
    from core.rt.rtstruct_read import import_structure_sets
    from core.rules.counting import LesionInfo
    from core.rules.engine import evaluate
    from core.rules.loader import BUILTIN_IDS, load_catalog
    from core.samples import sample_case_path
    from core.workspace import open_folder

    app = QApplication.instance() or QApplication([])
    ws = open_folder(sample_case_path("phantom-oligo"))
    structures = import_structure_sets(ws.scan, ws.primary).placed
    lesions = _lesions(ws.primary)

    from gui.main_window import MainWindow
    from gui.settings import Settings
    import tempfile

    tmp = tempfile.mkdtemp(prefix="oligoplan-bench-")
    os.environ["OLIGOPLAN_DATA_DIR"] = tmp
    window = MainWindow(Settings.in_file(os.path.join(tmp, "bench.ini")))
    window.resize(1400, 950)
    window.show()
    window.show_volumes(ws.primary, ws.pet)
    window.structure_wiring.sets = list(structures)
    rules = window.rules_wiring
    for action in rules.panel.rule_set_actions.values():
        action.setChecked(True)
    rules.case.facts = {"primary_site": "breast", "ecog": 1, "primary_controlled": "yes"}
    for lesion in lesions:
        window.undo_stack.push_command(AddLesion(window.model.lesions, lesion))
    app.processEvents()
    ev = rules.evaluate_now()
    assert len(ev.results) == len(BUILTIN_IDS) and len(ev.lesions) == N_LESIONS and ev.oar is not None

    # core evaluation alone
    infos = [LesionInfo.from_lesion(lesion, window.model.measure(lesion)) for lesion in window.model.lesions]
    rule_sets = list(load_catalog(user_dir=False))
    engine_ms = []
    for _ in range(max(n, 10)):
        t = time.perf_counter()
        evaluate(rule_sets, infos, rules.case.facts, oar=ev.oar)
        engine_ms.append((time.perf_counter() - t) * 1000)

    # one edit in the window -> new verdicts on screen
    live_ms = []
    for k in range(n):
        old = window.model.lesions[f"L{k % N_LESIONS + 1}"]
        shift = 1 if k % 2 == 0 else -1
        moved = old.mask.__class__(tuple(o + (shift if axis == 2 else 0) for axis, o in enumerate(old.mask.offset)),
                                   old.mask.array, old.mask.grid_shape, old.mask.series_uid)
        t = time.perf_counter()
        window.undo_stack.push_command(UpdateLesion(window.model.lesions, old.with_changes(mask=moved)))
        live_ms.append((time.perf_counter() - t) * 1000)
        app.processEvents()
    window.undo_stack.setClean()
    window.close()
    app.processEvents()
    return {
        "lesions": N_LESIONS, "rule_sets": len(rule_sets), "organs_at_risk": len(ev.oar.organs), "runs": n,
        "engine_median_ms": statistics.median(engine_ms), "engine_p95_ms": float(np.percentile(engine_ms, 95)),
        "live_median_ms": statistics.median(live_ms), "live_p95_ms": float(np.percentile(live_ms, 95)),
        "live_max_ms": max(live_ms), "target_ms": 100.0,
    }


def describe(doc: dict) -> str:
    return (f"Rule engine, {doc['lesions']} lesions x {doc['rule_sets']} rule sets, {doc['organs_at_risk']} organs "
            f"at risk ({doc['runs']} runs):\n"
            f"  engine alone:            median {doc['engine_median_ms']:.2f} ms, p95 {doc['engine_p95_ms']:.2f} ms\n"
            f"  edit -> verdicts shown:  median {doc['live_median_ms']:.1f} ms, p95 {doc['live_p95_ms']:.1f} ms, "
            f"max {doc['live_max_ms']:.1f} ms (target < {doc['target_ms']:.0f} ms)")

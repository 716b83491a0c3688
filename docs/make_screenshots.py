"""Screenshots of the main window at one size, for the README and for looking at every layout (issue 16).

At W x H it saves, in OUT_FOLDER:

* ``first-start-WxH.png``: a new window, nothing open;
* ``five-lesions-WxH.png``: the phantom-oligo case with its five lesions, the first one selected;
* ``fusion-single-WxH.png``: the fused axial view maximised;
* ``pet-mip-2x2-WxH.png``: the 2 x 2 layout with the PET MIP; ``pet-mip-turned-WxH.png``: the MIP turned
  to 60 degrees;
* ``layout-1x3-WxH.png``: axial, coronal, sagittal side by side;
* ``facts-verdicts-WxH.png``: the verdicts and the case facts (the side column only);
* ``folded-WxH.png``: the side panels folded into the slim bar (F9);
* ``pet-mr-WxH.png``: the real PET/MR case of ../shared/data/tcia-sts-001 (MR T1 with the FDG PET), when
  that folder is there.

Run under Xvfb from the repository root:

    xvfb-run -a -s "-screen 0 1920x1080x24" python docs/make_screenshots.py 1280 800 OUT_FOLDER
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PET_MR = ROOT.parent / "shared" / "data" / "tcia-sts-001"
TIMEOUT_S = 120


def main(width: int, height: int, out: Path) -> None:
    tmp = Path(tempfile.mkdtemp())
    os.environ["OLIGOPLAN_DATA_DIR"] = str(tmp / "data")
    os.environ["OLIGOPLAN_CONFIG_DIR"] = str(tmp / "cfg")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import QRect
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from gui.main_window import MainWindow
    from gui.settings import USER_NAME, USER_ROLE, Settings
    from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case

    def pump(rounds: int = 40) -> None:
        for _ in range(rounds):
            app.processEvents()
            time.sleep(0.01)

    def wait_until(done) -> None:
        start = time.time()
        while not done() and time.time() - start < TIMEOUT_S:
            pump(5)
        pump(40)

    def save(name: str, rect: QRect | None = None) -> None:
        image = window.grab(rect) if rect is not None else window.grab()
        image.save(str(out / f"{name}-{width}x{height}.png"))

    settings = Settings.in_file(tmp / "s.ini")
    settings.set(USER_NAME, "Dr Demo")
    settings.set(USER_ROLE, "radiation oncologist")
    window = MainWindow(settings)
    window.resize(width, height)
    window.show()
    pump()
    save("first-start")

    facts = dict(ELIGIBLE_FACTS)
    facts.pop("brain_imaging_done")  # one fact unknown: the verdicts show what it leaves undetermined
    case = phantom_case("phantom-oligo", tmp / "case", facts)
    window.case_controller.open_case(str(case))
    wait_until(lambda: not window.runner.busy and window.model.base is not None)
    print("lesions", len(window.model.lesions), "overlay", window.model.overlay is not None)
    window.model.go_to_lesion(next(iter(window.model.lesions)).id)
    pump(20)
    save("five-lesions")

    window.set_view_layout("2x2")
    mip = window.mip_view
    wait_until(mip.turn_ready)
    save("pet-mip-2x2")
    mip.set_frame(6)
    pump(10)
    save("pet-mip-turned")
    mip.set_frame(0)

    window.set_view_layout("single")
    pump(20)
    save("fusion-single")
    window.set_view_layout("1x3")
    pump(20)
    save("layout-1x3")

    verdicts = window.rules_wiring.verdict_dock.geometry()
    facts_dock = window.rules_wiring.facts_dock.geometry()
    save("facts-verdicts", QRect(verdicts.left(), verdicts.top(), verdicts.width(),
                                 facts_dock.bottom() - verdicts.top()))
    window.fold_side_panels()
    pump(20)
    save("folded")
    window.fold_side_panels()
    window.set_view_layout("axial+2")
    window.case_controller.discard_changes()

    if PET_MR.is_dir():
        window.open_folder(str(PET_MR))
        wait_until(lambda: not window.runner.busy and window.model.base is not None)
        mr = next((e for e in window.scan_result.series if e.info.modality.value == "MR"), None)
        pet = next((e for e in window.scan_result.series if e.info.modality.value == "PT"), None)
        if mr is not None and pet is not None:
            window.open_entries(mr, pet)
            wait_until(lambda: not window.runner.busy and window.model.overlay is not None)
        print("PET/MR:", window.model.base.modality.value if window.model.base is not None else None,
              "overlay", window.model.overlay is not None)
        save("pet-mr")
    window.case_controller.discard_changes()
    window.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))

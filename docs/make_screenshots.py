"""Screenshots of the main window at one size: first start, the phantom-oligo case with its five lesions,
fusion (one view maximised), the 2 x 2 layout with the PET MIP, 1 x 3, the verdicts with the case facts, and
the side panels folded. Run under Xvfb from the repository root:

    xvfb-run -a -s "-screen 0 1920x1080x24" python docs/make_screenshots.py 1280 800 OUT_FOLDER
"""
import sys, tempfile, os
from pathlib import Path
W, H, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
tmp = Path(tempfile.mkdtemp())
os.environ["OLIGOPLAN_DATA_DIR"] = str(tmp / "data"); os.environ["OLIGOPLAN_CONFIG_DIR"] = str(tmp / "cfg")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from PySide6.QtWidgets import QApplication, QMessageBox
app = QApplication([])
from gui.main_window import MainWindow
from gui.settings import Settings, USER_NAME, USER_ROLE
from tests.phantom_cases import phantom_case, ELIGIBLE_FACTS
s = Settings.in_file(tmp / "s.ini"); s.set(USER_NAME, "Dr Demo"); s.set(USER_ROLE, "radiation oncologist")
w = MainWindow(s); w.resize(W, H); w.show()
def pump(n=40):
    import time
    for _ in range(n):
        app.processEvents(); time.sleep(0.01)
pump()
w.grab().save(str(out / f"first-start-{W}x{H}.png"))
facts = dict(ELIGIBLE_FACTS); facts.pop("brain_imaging_done")
case = phantom_case("phantom-oligo", tmp / "case", facts)
w.case_controller.open_case(str(case))
import time
t0 = time.time()
while (w.runner.busy or w.model.base is None) and time.time() - t0 < 120:
    pump(5)
pump(60)
print("lesions", len(w.model.lesions), "overlay", w.model.overlay is not None)
w.model.go_to_lesion(next(iter(w.model.lesions)).id); pump(20)
w.grab().save(str(out / f"five-lesions-{W}x{H}.png"))
w.set_view_layout("2x2"); pump(40)
w.grab().save(str(out / f"pet-mip-2x2-{W}x{H}.png"))
w.set_view_layout("single"); pump(20)
w.grab().save(str(out / f"fusion-single-{W}x{H}.png"))
w.set_view_layout("1x3"); pump(20)
w.grab().save(str(out / f"layout-1x3-{W}x{H}.png"))
from PySide6.QtCore import QRect
v = w.rules_wiring.verdict_dock.geometry(); f = w.rules_wiring.facts_dock.geometry()
w.grab(QRect(v.left(), v.top(), v.width(), f.bottom() - v.top())).save(str(out / f"facts-verdicts-{W}x{H}.png"))
w.fold_side_panels(); pump(20)
w.grab().save(str(out / f"folded-{W}x{H}.png"))
w.case_controller.discard_changes(); w.close()

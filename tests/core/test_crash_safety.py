"""A writer killed at random moments always leaves a valid case file."""

import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from core.case import load_case

WRITER = textwrap.dedent(
    """
    import sys, numpy as np
    from core.case import Case, save_case
    from core.lesions import AddLesion, Lesion, LesionMask, UndoStack
    path = sys.argv[1]
    case = Case()
    stack = UndoStack()
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        arr = np.ones((8, 40, 40), bool)   # big enough that a write takes a while
        arr[:, n % 40, :] = False
        stack.push(AddLesion(case.lesions, Lesion(f"L{n}", f"lesion {n}", mask=LesionMask((0, 0, 0), arr, (50, 100, 100), "1.2"))))
        save_case(case, path)
    """
)


def test_killed_writer_never_leaves_a_broken_file(tmp_path):
    path = tmp_path / "case.json"
    rng = random.Random(7)
    root = Path(__file__).resolve().parents[2]
    seen_counts = set()
    for attempt in range(25):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=root,
                                stdout=subprocess.PIPE, text=True,
                                env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if not path.exists():
            continue  # killed before the first rename: no file, never a broken one
        case = load_case(path)  # raises if the file were half-written
        n = len(case.lesions)
        assert [l.id for l in case.lesions] == [f"L{i}" for i in range(1, n + 1)]
        seen_counts.add(n)
        path.unlink()
    assert len(seen_counts) > 3, "the writer should have been killed at many different moments"

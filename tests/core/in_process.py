"""`oligoplan ARGS` run in the test's own process, for tests whose subject is what a command writes
(a PDF's pages, a case file) rather than the program itself: a program start costs ~2.5 s (the
interpreter and the export chain's imports); the command line's own tests still start it as a program."""

from __future__ import annotations

import contextlib
import io
import subprocess


def run_oligoplan(*args) -> subprocess.CompletedProcess:
    """Like ``subprocess.run([python, -m, gui.entry, *args], capture_output=True, text=True)``."""
    from gui.entry import main

    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())

"""numpy's floating-point warnings go to the log, never to the console.

"RuntimeWarning: invalid value encountered in cast" printed above a command's one-line
answer (or in the terminal behind the window) tells a user nothing they can act on, and
names a source line. The loader refuses the headers that cause them (core.dicom.headers:
implausible spacing, position, rescale); whatever still comes from numpy is recorded in
the log at DEBUG level. Other warnings are shown as Python shows them.
"""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path

log = logging.getLogger("oligoplan.numeric")

#: numpy's floating-point error warnings and its warnings about empty or all-NaN reductions.
NUMPY_MESSAGES = re.compile(
    r"(overflow|underflow|invalid value|divide by zero) encountered|Mean of empty slice|All-NaN "
    r"(slice|axis) encountered|Degrees of freedom <= 0"
)

_installed = False


def keep_numeric_warnings_off_the_console() -> None:
    """Send numpy's RuntimeWarnings to the log from now on (idempotent); called by the entry point
    for the command line and the GUI alike."""
    global _installed
    if _installed:
        return
    _installed = True
    shown = warnings.showwarning

    def showwarning(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, RuntimeWarning) and NUMPY_MESSAGES.search(str(message)):
            log.debug("numpy: %s (%s:%s)", message, Path(str(filename)).name, lineno)
            return
        shown(message, category, filename, lineno, file, line)

    warnings.showwarning = showwarning

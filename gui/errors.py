"""The one place where exceptions become dialogs.

Handlers wrap their work in :func:`error_boundary`; worker failures are
re-raised inside it on the GUI thread (:func:`show_exception`). Domain errors
(:class:`core.errors.OligoPlanError`) show their message, which already says
what to do next; anything else is logged with its traceback and shown as an
unexpected error. In both cases the application keeps running and the user's
work is kept. A cancelled operation is not an error: it shows nothing.
"""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from typing import Iterator

from PySide6.QtWidgets import QMessageBox, QWidget

from core.errors import Cancelled, OligoPlanError

log = logging.getLogger("oligoplan.gui")

TITLE = "OligoPlan"


@contextmanager
def error_boundary(parent: QWidget | None, doing: str) -> Iterator[None]:
    """Turn exceptions raised in the block into a message box.

    Parameters
    ----------
    parent
        Window the message box belongs to.
    doing
        What the block does, as the start of a sentence: "Opening the folder".
    """
    try:
        yield
    except Cancelled:
        log.info("%s: cancelled", doing)
    except OligoPlanError as exc:
        log.warning("%s failed: %s", doing, exc)
        QMessageBox.warning(parent, TITLE, f"{doing} failed.\n\n{exc}")
    except Exception as exc:  # the boundary: log everything else, keep running
        log.exception("%s failed with an unexpected error", doing)
        QMessageBox.critical(
            parent,
            f"{TITLE} – unexpected error",
            f"{doing} failed because of an unexpected error:\n\n{type(exc).__name__}: {exc}\n\n"
            "The details are in the log. Your work is kept; please report this problem.",
        )


def show_exception(parent: QWidget | None, doing: str, exc: BaseException) -> None:
    """Show an exception caught elsewhere (e.g. in a worker thread) at the boundary."""
    with error_boundary(parent, doing):
        raise exc


def install_excepthook(parent_getter=lambda: None) -> None:
    """Route uncaught exceptions in Qt slots to the boundary instead of stderr only."""
    previous = sys.excepthook

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, (KeyboardInterrupt, SystemExit)):
            previous(exc_type, exc, tb)
            return
        show_exception(parent_getter(), "The last action", exc.with_traceback(tb))

    sys.excepthook = hook

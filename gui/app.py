"""Start the desktop application: QApplication, settings, main window."""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from gui.errors import install_excepthook
from gui.main_window import MainWindow
from gui.settings import APPLICATION, ORGANIZATION, Settings


def create_application(argv: list[str] | None = None) -> QApplication:
    """The running QApplication, or a new one named for QSettings."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(sys.argv[:1] if argv is None else argv))
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    # no application display name: Qt appends it to every window title that does not end with it
    # ("OligoPlan — case — CT — OligoPlan"); our titles name the product once themselves
    return app


def main(path: str | None = None, argv: list[str] | None = None, *,
         settings: Settings | None = None) -> int:
    """Open the main window (on the folder ``path``, if given) and run the event loop.

    Returns the application's exit status.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    app = create_application(argv)
    window = MainWindow(settings if settings is not None else Settings())
    install_excepthook(lambda: window)
    window.fit_screen()  # a first start on a laptop screen: its compact layout (MainWindow._compact_layout)
    window.show()
    # after the event loop starts, so the window is drawn first: offer the unsaved
    # work of a crash (core.case.pending_recoveries), else open the folder
    QTimer.singleShot(0, lambda: window.start_up(str(path) if path else None))
    return app.exec()

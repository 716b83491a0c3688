"""Before an export writes into a folder: files of the same names there are replaced only when the user
says so (issue 16: an export never overwrites another case's files without asking)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from core.export_names import existing


def ask_replace(parent: QWidget | None, folder: str | Path, paths: Iterable[Path], what: str) -> bool:
    """True when none of ``paths`` exists, or the user agreed to replace those that do (``what``:
    "this case's summary", ...). Cancel is the default answer."""
    there = existing(paths)
    if not there:
        return True
    answer = QMessageBox.question(
        parent, "OligoPlan — replace files?",
        f"{Path(folder)} already holds {', '.join(p.name for p in there)}, perhaps of another case.\n\n"
        f"Replace them with {what}? (Cancel keeps them: choose another folder.)",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes

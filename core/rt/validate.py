"""Validate DICOM objects before they are written: dciodvfy, and our own checks.

``dciodvfy`` (Debian package dicom3tools) checks an object against its IOD.
Its "Error" lines make an export fail; "Warning" lines are kept for the
report. When the tool is not installed, :func:`dciodvfy_available` is False
and only :func:`check_required` runs (the export says which).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset

from core.errors import ExportError

DCIODVFY = "dciodvfy"


def dciodvfy_available() -> bool:
    return shutil.which(DCIODVFY) is not None


@dataclass
class Validation:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    validator: str = ""


def run_dciodvfy(path: str | os.PathLike) -> Validation:
    """dciodvfy's verdict on a file ("Error - ..." lines are errors)."""
    done = subprocess.run([DCIODVFY, str(path)], capture_output=True, text=True, timeout=120)
    result = Validation(validator=DCIODVFY)
    for line in (done.stderr + done.stdout).splitlines():
        line = line.strip()
        if line.startswith("Error"):
            result.errors.append(line)
        elif line.startswith("Warning"):
            result.warnings.append(line)
    return result


def validate_dataset(ds: Dataset, what: str) -> Validation:
    """Validate ``ds`` (written to a temporary file); raises ExportError on errors."""
    result = Validation(validator="OligoPlan checks")
    result.errors.extend(check_required(ds))
    if not result.errors and dciodvfy_available():
        with tempfile.TemporaryDirectory(prefix="oligoplan-validate-") as tmp:
            path = Path(tmp) / "object.dcm"
            ds.save_as(path, enforce_file_format=True)
            result = run_dciodvfy(path)
    if result.errors:
        shown = "; ".join(result.errors[:3]) + (f"; and {len(result.errors) - 3} more" if len(result.errors) > 3 else "")
        raise ExportError(f"{what} failed validation by {result.validator}, so it was not written: {shown}")
    return result


#: Attributes every object we write must hold (type 1 in the SOP Common,
#: Patient, General Study and series modules).
REQUIRED = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "Modality")


def check_required(ds: Dataset) -> list[str]:
    errors = [f"Error - missing {k}" for k in REQUIRED if not str(ds.get(k, "") or "")]
    for key in ("PatientName", "PatientID", "StudyDate", "StudyTime"):
        if key not in ds:
            errors.append(f"Error - missing type 2 attribute {key}")
    return errors

"""The summary as JSON, and its lesion table as CSV (matching read/write-free writers)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from core.atomic_file import atomic_write_text, writing_file
from core.summary.document import LESION_COLUMNS


def write_summary_json(summary: dict, path: str | Path) -> Path:
    with writing_file(path, "summary JSON") as path:
        atomic_write_text(path, json.dumps(summary, indent=2, ensure_ascii=False))
    return path


def lesion_csv_text(summary: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([title for _, title in LESION_COLUMNS])
    for row in summary["lesions"]:
        writer.writerow(["" if row.get(key) is None else row.get(key) for key, _ in LESION_COLUMNS])
    return out.getvalue()


def write_lesion_csv(summary: dict, path: str | Path) -> Path:
    with writing_file(path, "lesion CSV") as path:
        atomic_write_text(path, lesion_csv_text(summary))
    return path

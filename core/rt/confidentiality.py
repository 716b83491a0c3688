"""DICOM PS3.15 Table E.1-1 (Basic Application Level Confidentiality Profile) as data.

The table is read from ``core/rt/data/ps3_15_table_e1_1.json`` (edition and source in the file;
``tools/make_table_e1_1.py`` regenerates it): one row per attribute with its tag, name and basic
profile action (X remove, Z empty, D dummy, U new UID, or a choice such as X/Z/D). Repeating
groups (50xx curves, 60xx overlays) carry a mask.

:func:`action_for` gives the action of a tag; core.rt.anonymise applies it at every depth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydicom.tag import BaseTag

TABLE_PATH = Path(__file__).resolve().parent / "data" / "ps3_15_table_e1_1.json"

#: Groups of the Patient and Clinical Trial Subject/Study/Series modules: in a de-identified
#: object only the attributes below stay (emptied or replaced); every other attribute of these
#: groups goes, whether the table's edition lists it or not (e.g. Patient's Birth Date in
#: Alternative Calendar, Issuer of Patient ID Qualifiers Sequence, Source Patient Group
#: Identification Sequence, which this edition of the machine-readable table omits).
PATIENT_GROUPS = (0x0010, 0x0012)
PATIENT_KEPT = frozenset({
    "PatientName", "PatientID", "PatientBirthDate", "PatientSex",
    "PatientIdentityRemoved", "DeidentificationMethod", "DeidentificationMethodCodeSequence",
})


@dataclass(frozen=True)
class TableRow:
    tag: int
    name: str
    action: str  # "X", "Z", "D", "U", "Z/D", "X/Z", "X/D", "X/Z/D", "X/Z/U*"
    mask: int = 0xFFFFFFFF


@dataclass(frozen=True)
class ConfidentialityTable:
    edition: str
    source: str
    rows: tuple[TableRow, ...]

    @property
    def exact(self) -> dict[int, TableRow]:
        return {r.tag: r for r in self.rows if r.mask == 0xFFFFFFFF}

    @property
    def masked(self) -> tuple[TableRow, ...]:
        return tuple(r for r in self.rows if r.mask != 0xFFFFFFFF)


@lru_cache(maxsize=1)
def load_table(path: Path = TABLE_PATH) -> ConfidentialityTable:
    doc = json.loads(path.read_text(encoding="utf-8"))
    rows = tuple(TableRow(int(r["tag"], 16), r["name"], r["action"], int(r.get("mask", "FFFFFFFF"), 16))
                 for r in doc["attributes"])
    return ConfidentialityTable(doc["edition"], doc["source"], rows)


@lru_cache(maxsize=1)
def _lookup() -> tuple[dict[int, TableRow], tuple[TableRow, ...]]:
    table = load_table()
    return table.exact, table.masked


def action_for(tag: BaseTag | int) -> str | None:
    """The basic profile action of ``tag`` (None: the table does not list it)."""
    exact, masked = _lookup()
    row = exact.get(int(tag))
    if row is None:
        row = next((r for r in masked if int(tag) & r.mask == r.tag & r.mask), None)
    return row.action if row is not None else None


def in_patient_groups(tag: BaseTag | int) -> bool:
    return (int(tag) >> 16) in PATIENT_GROUPS

"""PS3.15 Table E.1-1 as data (core/rt/data/ps3_15_table_e1_1.json) and the anonymiser applying
all of it: a dataset that sets every attribute the table lists, at the top and inside a sequence
item, keeps none of their values (issue 14)."""

from __future__ import annotations

import re

import pytest
from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from core.rt.anonymise import Anonymiser, shift_dicom_date
from core.rt.confidentiality import action_for, load_table

TABLE = load_table()
MARK = re.compile(r"ZQ[0-9A-F]{8}")
SECRET_DATE, SECRET_TIME = "19710203", "040506"
#: Patient-module attributes the SEG and SR used to copy through (issue 14), not all in the table
PATIENT_EXTRAS = {
    0x00100033: ("LO", "ZQ00100033"),  # Patient's Birth Date in Alternative Calendar
    0x00100034: ("LO", "ZQ00100034"),  # Patient's Death Date in Alternative Calendar
    0x00100035: ("CS", "ZQ00100035"),  # Patient's Alternative Calendar
    0x00100022: ("CS", "ZQ00100022"),  # Type of Patient ID
    0x00120030: ("LO", "ZQ00120030"),  # Clinical Trial Site ID
    0x00120031: ("LO", "ZQ00120031"),  # Clinical Trial Site Name
    0x00120010: ("LO", "ZQ00120010"),  # Clinical Trial Sponsor Name
    0x00120020: ("LO", "ZQ00120020"),  # Clinical Trial Protocol ID
    0x00120040: ("LO", "ZQ00120040"),  # Clinical Trial Subject ID
}
#: Issuer of Patient ID Qualifiers, Source Patient Group Identification, Group of Patients Identification
PATIENT_SEQUENCES = (0x00100024, 0x00100026, 0x00100027)


def test_the_table_is_the_2026c_edition_with_its_known_rows():
    assert TABLE.edition == "DICOM 2026c" and "dicom-anonymizer" in TABLE.source
    assert len(TABLE.rows) == 655
    assert len({(r.tag, r.mask) for r in TABLE.rows}) == 655  # no attribute twice
    known = {0x00100010: "Z", 0x00100020: "Z/D", 0x00100030: "Z", 0x0020000D: "U", 0x00080080: "X/Z/D",
             0x00081140: "X/Z/U*", 0x0040A730: "D", 0x00101040: "X", 0x00120040: "D", 0x30060026: "Z"}
    for tag, action in known.items():
        assert action_for(tag) == action, f"{tag:08X}"
    assert action_for(0x60023000) == "X"  # Overlay Data in any 60xx group
    assert action_for(0x00280010) is None  # Rows: not listed, kept


def _value(tag: int, vr: str):
    vr = vr.split(" or ")[0]
    mark = f"ZQ{tag:08X}"
    if vr in ("DA",):
        return SECRET_DATE
    if vr == "DT":
        return SECRET_DATE + SECRET_TIME
    if vr == "TM":
        return SECRET_TIME
    if vr == "UI":
        return f"1.2.826.0.1.3680043.99.{tag}"
    if vr in ("IS", "DS"):
        return "7"
    if vr == "AS":
        return "042Y"
    if vr in ("US", "SS", "UL", "SL", "FL", "FD", "UV", "SV", "AT"):
        return 7
    if vr in ("OB", "OW", "OF", "OD", "OL", "OV", "UN"):
        return mark.encode()
    if vr == "SQ":
        item = Dataset()
        item.PatientName = f"ZQ{tag:08X}"
        item.StudyDate = SECRET_DATE
        return Sequence([item])
    return mark  # PN, LO, SH, CS, AE, ST, LT, UT, UC, UR


def _every_listed_attribute() -> tuple[Dataset, list[tuple[int, str]]]:
    ds = Dataset()
    listed = []
    for row in TABLE.rows:
        tag = row.tag if row.mask == 0xFFFFFFFF else (row.tag & row.mask) | 0x00020000  # e.g. 6002,3000
        if tag >> 16 in (0x0000, 0x0002, 0xFFFC):  # command / file meta / padding: not in a data set
            continue
        if tag & 0xFFFF == 0:  # (50xx,0000) Curve Data: a group length element, not a value
            continue
        try:
            vr = dictionary_VR(tag)
        except KeyError:  # newer than pydicom's dictionary: the VR its name says
            vr = "SQ" if row.name.endswith("Sequence") else "DT" if row.name.endswith("DateTime") else "LO"
        ds.add_new(tag, vr.split(" or ")[0], _value(tag, vr))
        listed.append((tag, row.action))
    for tag, (vr, value) in PATIENT_EXTRAS.items():
        ds.add_new(tag, vr, value)
    for tag in PATIENT_SEQUENCES:
        ds.add_new(tag, "SQ", _value(tag, "SQ"))
    ds.PatientID = "ZQ00100020"
    nested = Dataset()  # the same attributes one level down
    for elem in list(ds):
        nested.add(elem)
    holder = Dataset()
    holder.ReferencedSeriesSequence = Sequence([nested])  # a sequence the table does not list
    ds.ReferencedSeriesSequence = holder.ReferencedSeriesSequence
    return ds, listed


def test_every_attribute_the_table_lists_is_acted_on_at_any_depth():
    ds, listed = _every_listed_attribute()
    assert len(listed) == 650  # every row but command, file meta, padding and a group length
    anonymiser = Anonymiser(salt="t", date_shift_days=-400)
    clean = anonymiser.dataset(ds)
    levels = [clean, clean.ReferencedSeriesSequence[0]]
    for level in levels:
        for tag, action in listed:
            if tag in (0x00100010, 0x00100020) and level is clean:
                continue  # the pseudonym, checked below
            elem = level.get(tag)
            if action == "X":
                assert elem is None, f"{tag:08X} ({action}) was kept"
            elif elem is not None and elem.VR == "UI" and elem.value:
                assert elem.value != _value(tag, "UI"), f"{tag:08X} kept its UID"
        for tag in (*PATIENT_EXTRAS, *PATIENT_SEQUENCES):
            assert tag not in level, f"{tag:08X} (Patient / Clinical Trial group) was kept"
    texts = []
    for elem in clean.iterall():
        if elem.VR != "SQ":
            value = elem.value
            texts.append(value.decode("latin-1") if isinstance(value, bytes) else str(value))
    leaks = sorted({m.group(0) for t in texts for m in MARK.finditer(t)})
    assert leaks == [], f"values kept: {leaks[:10]}"
    assert not any(SECRET_DATE in t for t in texts), "a date was kept unshifted"
    assert clean.PatientID.startswith("ANON-") and clean.PatientIdentityRemoved == "YES"
    assert "113107" in [c.CodeValue for c in clean.DeidentificationMethodCodeSequence]
    assert clean.LongitudinalTemporalInformationModified == "MODIFIED"


@pytest.mark.parametrize("value, days, expected", [
    ("20240301", -1, "20240229"),  # leap day, just inside the month before
    ("20240301", 0, "20240301"),
    ("20240301120000.5+0100", -366, "20230301120000.5+0100"),  # DT keeps its time and offset
    ("2024", -1, ""),  # not a full date: emptied, never kept as it was
    ("20241301", -1, ""),  # month 13
])
def test_dicom_dates_shift_by_whole_days_or_are_emptied(value, days, expected):
    assert shift_dicom_date(value, days) == expected

"""Patient ID and accession number match literally (only the patient name takes wildcards):
an ID holding `*` or `?` finds that ID only, not every ID the PACS matches with the wildcard;
a backslash (DICOM's separator of several values) is refused with a message. The rule is
core.pacs.query's, so the command line and the PACS dialog behave alike."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys

import pytest

from core.errors import PacsConfigError
from core.pacs import FindQuery
from tests.core.test_pacs_misbehaving_peer import FakePeer, _client, _row
from tests.orthanc_server import REPO

pytestmark = pytest.mark.filterwarnings("ignore:Invalid value for VR UI")

STUDIES = [  # (study UID, patient ID, accession number)
    ("1.2.826.0.1.3680043.9.7777.21", "12*", "A?1"),
    ("1.2.826.0.1.3680043.9.7777.22", "123", "AB1"),
    ("1.2.826.0.1.3680043.9.7777.23", "1299", "AC1"),
]


class WildcardPeer(FakePeer):
    """Matches PatientID and AccessionNumber with the DICOM wildcards, as a PACS does."""

    def on_find(self, event):
        ident = event.identifier
        if ident.QueryRetrieveLevel != "STUDY":
            return
        for uid, patient_id, accession in STUDIES:
            if all(_wild_match(str(ident.get(k) or ""), v) for k, v in
                   (("PatientID", patient_id), ("AccessionNumber", accession))):
                yield 0xFF00, _row(QueryRetrieveLevel="STUDY", StudyInstanceUID=uid, PatientID=patient_id,
                                   AccessionNumber=accession, NumberOfStudyRelatedInstances="1")


def _wild_match(key: str, value: str) -> bool:
    return not key or fnmatch.fnmatchcase(value, key.replace("[", "[[]"))


@pytest.fixture
def peer():
    p = WildcardPeer()
    yield p
    p.close()


@pytest.mark.parametrize("field, value, expected", [
    ("patient_id", "12*", ["12*"]),          # the wildcard matches all three at the PACS
    ("patient_id", "12?", []),               # would match 123 at the PACS; no such ID
    ("patient_id", "123", ["123"]),          # plain IDs as before
    ("accession_number", "A?1", ["12*"]),    # would match AB1 and AC1 too
    ("accession_number", "A*", []),
])
def test_an_id_with_a_wildcard_character_matches_that_id_only(peer, field, value, expected):
    rows = _client(peer).find(FindQuery(level="study", **{field: value}))
    assert [r.patient_id for r in rows] == expected


def test_a_patient_search_by_an_id_with_a_wildcard_groups_only_that_patient(peer):
    rows = _client(peer).find(FindQuery(level="patient", patient_id="1*", accession_number="A?1"))
    assert rows == []
    rows = _client(peer).find(FindQuery(level="patient", patient_id="12*", accession_number="A?1"))
    assert [r.patient_id for r in rows] == ["12*"]


@pytest.mark.parametrize("field, label", [("patient_id", "patient ID"), ("accession_number", "accession number")])
def test_a_backslash_cannot_be_searched_for_and_is_refused(field, label):
    with pytest.raises(PacsConfigError, match=rf"{label} 'A\\B': contains a backslash, which DICOM reads as "
                                              r"the separator between two values.*only the patient name takes "
                                              r"wildcards"):
        FindQuery(level="study", **{field: "A\\B"})


def test_the_command_line_refuses_a_backslash_in_one_line_before_asking_the_pacs():
    code = "import sys; from gui.entry import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", code, "pacs", "find", "--host", "127.0.0.1", "--port", "9",
                           "--called-aet", "NOBODY", "--patient-id", "12\\34"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "patient ID '12\\34': contains a backslash" in proc.stderr
    assert "Traceback" not in proc.stderr and "cannot connect" not in proc.stderr


def test_the_command_line_matches_an_id_with_a_wildcard_literally(peer):
    code = "import sys; from gui.entry import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", code, "pacs", "find", "--host", "127.0.0.1", "--port",
                           str(peer.port), "--called-aet", "FAKEPACS", "--patient-id", "12*", "--json"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert [r["patient_id"] for r in json.loads(proc.stdout)["results"]] == ["12*"]

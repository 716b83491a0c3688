"""Issue 6: no patient names or IDs in log files. Echo, find at every level,
get, move and send against a real Orthanc holding the phantom, with every logger
(ours and pynetdicom's) at DEBUG: no record names the patient."""

from __future__ import annotations

import logging

import pytest

from core.pacs import FindQuery, LocalAE, PacsClient, PacsNode, retrieve_study, send_files
from core.pacs.retrieve import RetrieveMethod
from tests.orthanc_server import AET, REPO, orthanc_fixture

PRIVATE = ("PHANTOM-OLIGO", "PHANTOM^OLIGO", "PHANTOM OLIGO", "PHANTOM-POLY", "PHANTOM^POLY")


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory):
    yield from orthanc_fixture(tmp_path_factory)


def test_no_log_record_names_the_patient(orthanc, tmp_path, caplog):
    client = PacsClient(PacsNode("test", AET, "127.0.0.1", orthanc.dicom_port),
                        LocalAE(listen_port=orthanc.listen_port), timeout_s=20)
    # pynetdicom is quietened by core.pacs.client; opened here, so that what it would
    # say if someone turned it up is checked too
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="pynetdicom"):
        client.echo()
        for level in ("patient", "study", "series"):
            assert client.find(FindQuery(level=level, patient_name="PHANTOM*"))
        (study,) = client.find(FindQuery(level="study", patient_id="PHANTOM-OLIGO"))
        pet = [r.series_uid for r in client.find(FindQuery(level="series", study_uid=study.study_uid))
               if r.modality == "PT"]
        assert retrieve_study(client, study.study_uid, pet, folder=tmp_path / "get").complete
        assert retrieve_study(client, study.study_uid, pet, folder=tmp_path / "move",
                              method=RetrieveMethod.MOVE).complete
        assert send_files(client, [REPO / "sample_scans" / "phantom-poly" / "RTSTRUCT"]).sent
    leaks = [r.getMessage() for r in caplog.records
             if any(p in r.getMessage().upper() for p in PRIVATE)]
    assert len(caplog.records) > 0, "nothing was logged: the check would prove nothing"
    assert leaks == []

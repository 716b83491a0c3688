"""A real Orthanc that refuses C-GET (``"AllowGet": false`` for our AE title; it
then closes the association on the C-GET request): the retrieve falls back to
C-MOVE when a listen port is configured, and says so; otherwise the message
says what to configure."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from core.dicom import scan_folder
from core.errors import PacsError
from core.pacs import FindQuery, LocalAE, PacsClient, PacsNode, RetrieveMethod, retrieve_study
from tests.orthanc_server import AET, REPO, orthanc_fixture

N_ALL = 169


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory):
    yield from orthanc_fixture(tmp_path_factory, allow_get=False)


@pytest.fixture(scope="module")
def study_uid(orthanc) -> str:
    (study,) = PacsClient(PacsNode("t", AET, "127.0.0.1", orthanc.dicom_port)).find(FindQuery(level="study"))
    return study.study_uid


def _client(orthanc, listen_port):
    return PacsClient(PacsNode("Orthanc", AET, "127.0.0.1", orthanc.dicom_port), LocalAE(listen_port=listen_port),
                      timeout_s=10)


def _closed(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except OSError:
        return True


def test_refused_get_is_retrieved_by_move_to_our_scp(orthanc, study_uid, tmp_path):
    messages = []
    report = retrieve_study(_client(orthanc, orthanc.listen_port), study_uid, folder=tmp_path / "s",
                            progress=lambda d, t, m: messages.append(m))
    assert report.complete and report.n_received == N_ALL
    assert report.method is RetrieveMethod.MOVE and report.requested is RetrieveMethod.GET
    assert report.note == (f"C-GET refused by PACS ORTHANC at 127.0.0.1:{orthanc.dicom_port} (it closed the "
                           "association on the C-GET request); retrieved by C-MOVE instead")
    assert any(m.endswith("retrieving by C-MOVE instead") for m in messages)
    assert sorted(e.info.modality.value for e in scan_folder(tmp_path / "s").series) == ["CT", "PT"]
    assert _closed(orthanc.listen_port)
    assert "Rejected Get request" in orthanc.log.read_text()  # Orthanc really refused the C-GET


def test_refused_get_without_a_listen_port_says_what_to_configure(orthanc, study_uid, tmp_path):
    with pytest.raises(PacsError, match=r"^C-GET refused by PACS ORTHANC .*needs a listen port: set 'Listen port "
                                        r"\(C-MOVE\)'.*--listen-port P.*'OLIGOPLAN'"):
        retrieve_study(_client(orthanc, None), study_uid, folder=tmp_path / "s")
    assert not list((tmp_path / "s").rglob("*.dcm"))


def _cli(*args):
    code = "import sys; from gui.entry import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, "pacs", "get", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=120)


def test_cli_get_falls_back_with_a_listen_port_and_explains_without(orthanc, study_uid, tmp_path):
    peer = ["--host", "127.0.0.1", "--port", str(orthanc.dicom_port), "--called-aet", AET, "--study-uid", study_uid]
    done = _cli(*peer, "--out", str(tmp_path / "a"), "--listen-port", str(orthanc.listen_port), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert (doc["method"], doc["requested_method"], doc["received"]) == ("move", "get", N_ALL)
    assert "retrieved by C-MOVE instead" in doc["note"]
    done = _cli(*peer, "--out", str(tmp_path / "b"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "C-GET refused by PACS ORTHANC" in done.stderr and "--listen-port" in done.stderr

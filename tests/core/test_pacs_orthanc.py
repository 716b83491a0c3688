"""The PACS client against a real Orthanc holding the phantom-oligo study."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from core.dicom import scan_folder
from core.errors import PacsConfigError, PacsError, RetrieveIncompleteError
from core.pacs import FindQuery, LocalAE, PacsClient, PacsNode, cached_instances, retrieve_study, send_files
from tests.orthanc_server import AET, REPO, free_port, orthanc_fixture

N_CT, N_PT, N_RT = 96, 72, 1
N_ALL = N_CT + N_PT + N_RT


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory):
    yield from orthanc_fixture(tmp_path_factory)


@pytest.fixture
def client(orthanc) -> PacsClient:
    node = PacsNode("test", AET, "127.0.0.1", orthanc.dicom_port)
    return PacsClient(node, LocalAE(listen_port=orthanc.listen_port), timeout_s=10)


@pytest.fixture(scope="module")
def study_uid(orthanc) -> str:
    node = PacsNode("test", AET, "127.0.0.1", orthanc.dicom_port)
    (study,) = PacsClient(node).find(FindQuery(level="study", patient_id="PHANTOM-OLIGO"))
    return study.study_uid


def _series_by_modality(client, study_uid):
    rows = client.find(FindQuery(level="series", study_uid=study_uid))
    return {r.modality: r for r in rows}


# ------------------------------------------------------------------ echo
def test_echo_answers(client):
    assert 0 < client.echo() < 5


def test_echo_to_a_wrong_called_ae_title_says_to_check_the_ae_titles(orthanc):
    bad = PacsClient(PacsNode("x", "NOT-ORTHANC", "127.0.0.1", orthanc.dicom_port), timeout_s=5)
    with pytest.raises(PacsError, match=r"NOT-ORTHANC.*(rejected|aborted).*AE title"):
        bad.echo()


def test_echo_to_a_closed_port_says_nothing_answers():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        bad = PacsClient(PacsNode("x", AET, "127.0.0.1", port), timeout_s=3)
        with pytest.raises(PacsError, match=rf"cannot connect.*127\.0\.0\.1:{port}.*check the host"):
            bad.echo()


# ------------------------------------------------------------------ find
def test_find_at_the_three_levels(client, study_uid):
    (patient,) = client.find(FindQuery(level="patient", patient_id="PHANTOM-OLIGO"))
    assert (patient.level, patient.patient_name, patient.n_instances) == ("patient", "PHANTOM^OLIGO", N_ALL)
    (study,) = client.find(FindQuery(level="study", patient_name="PHANTOM*"))
    assert study.study_uid == study_uid and study.n_instances == N_ALL
    assert set(study.modality.split("/")) == {"CT", "PT", "RTSTRUCT"}
    assert study.study_date == "2024-03-15"
    series = _series_by_modality(client, study_uid)
    assert {m: r.n_instances for m, r in series.items()} == {"CT": N_CT, "PT": N_PT, "RTSTRUCT": N_RT}
    assert all(r.study_uid == study_uid and r.patient_id == "PHANTOM-OLIGO" for r in series.values())


def test_find_filters_by_modality_date_and_name(client):
    assert [r.modality for r in client.find(FindQuery(level="series", modality="PT"))] == ["PT"]
    assert client.find(FindQuery(level="study", date_from="2024-03-15", date_to="2024-03-15"))
    assert client.find(FindQuery(level="study", date_from="2024-03-16")) == []
    assert client.find(FindQuery(level="study", date_to="2024-03-14")) == []
    assert client.find(FindQuery(level="study", patient_name="NOBODY*")) == []
    # a patient search with a study filter: grouped from the matching studies
    (patient,) = client.find(FindQuery(level="patient", modality="CT"))
    assert patient.patient_id == "PHANTOM-OLIGO" and patient.n_instances == N_ALL


def test_find_refuses_bad_input_before_contacting_anyone():
    with pytest.raises(PacsConfigError, match="date from '15/03/2024'.*YYYY-MM-DD"):
        FindQuery(date_from="15/03/2024")
    with pytest.raises(PacsConfigError, match="start is after the end"):
        FindQuery(date_from="2024-03-16", date_to="2024-03-15")
    with pytest.raises(PacsConfigError, match="study uid '1.2.x'"):
        FindQuery(study_uid="1.2.x")


def test_find_from_an_ae_title_the_pacs_does_not_know_names_our_ae_title(orthanc):
    stranger = PacsClient(PacsNode("t", AET, "127.0.0.1", orthanc.dicom_port), LocalAE("STRANGER"), timeout_s=5)
    with pytest.raises(PacsError, match="'STRANGER'"):
        stranger.find(FindQuery())


# --------------------------------------------------------------- retrieve
def _check_folder(folder: Path, n_ct=N_CT, n_pt=N_PT):
    assert not list(folder.rglob(".*")), "temporary files left behind"
    scan = scan_folder(folder)
    assert scan.skipped == []
    shapes = {e.info.modality.value: e.shape for e in scan.series}
    assert shapes["CT"] == (n_ct, 256, 256)
    assert shapes["PT"] == (n_pt, 128, 128)
    return scan


def test_get_retrieves_the_study_and_a_second_get_skips_everything(client, study_uid, tmp_path):
    progress = []
    report = retrieve_study(client, study_uid, folder=tmp_path / "study", progress=lambda d, t, m: progress.append((d, t)))
    assert report.complete and report.n_received == N_ALL and report.n_skipped == 0
    scan = _check_folder(tmp_path / "study")
    assert len(scan.structure_sets) == 1
    assert (N_ALL, N_ALL) in progress
    again = retrieve_study(client, study_uid, folder=tmp_path / "study")
    assert (again.n_received, again.n_skipped, again.complete) == (0, N_ALL, True)


def test_get_after_losing_files_fetches_only_the_missing_ones(client, study_uid, tmp_path):
    folder = tmp_path / "study"
    retrieve_study(client, study_uid, folder=folder)
    ct = _series_by_modality(client, study_uid)["CT"].series_uid
    lost = sorted((folder / ct).glob("*.dcm"))[10:15]
    for path in lost:
        path.unlink()
    report = retrieve_study(client, study_uid, folder=folder)
    assert (report.n_received, report.n_skipped) == (5, N_ALL - 5)
    assert all(p.exists() for p in lost)
    _check_folder(folder)


def test_get_one_series_only(client, study_uid, tmp_path):
    pt = _series_by_modality(client, study_uid)["PT"].series_uid
    report = retrieve_study(client, study_uid, [pt], folder=tmp_path / "pt")
    assert report.complete and report.n_received == N_PT
    assert {k: len(v) for k, v in cached_instances(tmp_path / "pt").items()} == {pt: N_PT}


def test_get_of_a_series_that_is_not_there_says_so(client, study_uid, tmp_path):
    with pytest.raises(PacsError, match=r"series 1\.2\.3\.4 is not in study"):
        retrieve_study(client, study_uid, ["1.2.3.4"], folder=tmp_path / "x")


def test_move_retrieves_through_our_storage_scp_which_then_stops_listening(client, study_uid, tmp_path):
    report = retrieve_study(client, study_uid, folder=tmp_path / "moved", method="move")
    assert report.complete and report.n_received == N_ALL
    _check_folder(tmp_path / "moved")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", client.local.listen_port), timeout=1).close()


def test_move_when_the_pacs_cannot_reach_us_says_what_to_check(orthanc, study_uid, tmp_path):
    other_port = free_port()  # nobody listens there
    client = PacsClient(PacsNode("t", AET, "127.0.0.1", orthanc.dicom_port), LocalAE(listen_port=other_port),
                        timeout_s=10)
    with pytest.raises(RetrieveIncompleteError, match=rf"missing: {N_PT} of {N_PT} from PT.*Nothing arrived.*"
                                                       rf"storage SCP 'OLIGOPLAN' at 127\.0\.0\.1:{other_port}") as info:
        retrieve_study(client, study_uid, folder=tmp_path / "m", method="move")
    assert info.value.report.n_missing == N_ALL
    assert not list((tmp_path / "m").rglob("*.dcm"))


# ------------------------------------------------------------------ send
def test_send_a_folder_then_find_it_then_get_it_back(client, tmp_path):
    poly = REPO / "sample_scans" / "phantom-poly"
    (tmp_path / "notes.bin").write_bytes(b"not dicom at all")
    report = send_files(client, [poly / "RTSTRUCT", poly / "PT", tmp_path / "notes.bin"])
    assert len(report.sent) == len(list((poly / "PT").glob("*.dcm"))) + 1
    assert report.failed == [] and [Path(f).name for f, _ in report.not_dicom] == ["notes.bin"]
    (study,) = client.find(FindQuery(level="study", patient_id="PHANTOM-POLY"))
    assert study.n_instances == len(report.sent)
    back = retrieve_study(client, study.study_uid, folder=tmp_path / "back")
    assert back.complete and back.n_received == len(report.sent)


def test_send_nothing_dicom_is_an_error(client, tmp_path):
    (tmp_path / "a.bin").write_bytes(b"x" * 200)
    with pytest.raises(PacsError, match="no DICOM files to send.*1 file\\(s\\) are not DICOM"):
        send_files(client, [tmp_path])


# ------------------------------------------------------------------- CLI
def _cli(*args, timeout=120):
    code = "import sys; from gui.entry import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO,
                          timeout=timeout)


def _peer(orthanc):
    return ["--host", "127.0.0.1", "--port", str(orthanc.dicom_port), "--called-aet", AET]


def test_cli_echo_find_get(orthanc, study_uid, tmp_path):
    done = _cli("pacs", "echo", *_peer(orthanc))
    assert done.returncode == 0 and "answered the echo" in done.stdout
    done = _cli("pacs", "find", *_peer(orthanc), "--level", "series", "--modality", "CT", "--json")
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)["results"]
    assert list(row) == ["level", "patient_id", "patient_name", "study_uid", "series_uid", "study_date",
                         "modality", "description", "n_instances"]
    assert (row["level"], row["modality"], row["n_instances"], row["study_uid"]) == ("series", "CT", N_CT, study_uid)
    done = _cli("pacs", "get", *_peer(orthanc), "--study-uid", study_uid, "--series-uid", row["series_uid"],
                "--out", str(tmp_path / "ct"))
    assert done.returncode == 0, done.stderr
    assert f"{N_CT} instance(s) received" in done.stdout
    assert len(list((tmp_path / "ct").rglob("*.dcm"))) == N_CT
    done = _cli("pacs", "get", *_peer(orthanc), "--study-uid", study_uid, "--out", str(tmp_path / "mv"),
                "--move", "--listen-port", str(orthanc.listen_port), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["received"] == N_ALL


def test_cli_errors_are_one_line_and_exit_2(orthanc, tmp_path):
    done = _cli("pacs", "echo", "--host", "127.0.0.1", "--port", str(orthanc.dicom_port), "--called-aet", "WRONG")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "WRONG" in done.stderr
    done = _cli("pacs", "find", *_peer(orthanc), "--date-from", "2024-02-30")
    assert done.returncode == 2 and "YYYY-MM-DD" in done.stderr and "Traceback" not in done.stderr
    done = _cli("pacs", "send", *_peer(orthanc), str(tmp_path / "missing"))
    assert done.returncode == 2 and "no such file or folder" in done.stderr
    done = _cli("pacs", "echo", *_peer(orthanc), "--calling-aet", "A" * 17)
    assert done.returncode == 2 and "1 to 16 characters" in done.stderr


def test_cancel_during_a_get_ends_at_once_and_keeps_complete_files(client, study_uid, tmp_path):
    from core.errors import Cancelled

    received = [0]
    with pytest.raises(Cancelled):
        retrieve_study(client, study_uid, folder=tmp_path / "c", progress=lambda d, t, m: received.append(d),
                       cancel=lambda: max(received) >= 20)
    files = list((tmp_path / "c").rglob("*.dcm"))
    assert 20 <= len(files) < N_ALL
    assert not list((tmp_path / "c").rglob(".*")) and scan_folder(tmp_path / "c").skipped == []
    again = retrieve_study(client, study_uid, folder=tmp_path / "c")
    assert again.complete and again.n_received == N_ALL - len(files)

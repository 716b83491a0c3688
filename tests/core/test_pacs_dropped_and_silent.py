"""A PACS that drops the association between two C-FINDs, one that says nothing at all, and
one that dies during a C-GET: each gets a message that says which of these happened (never
`internal error: RuntimeError`, never "aborted" for silence, never "C-GET refused" for a
dead PACS). C-FIND only reads, so a search whose association was dropped is asked again."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from pynetdicom import evt

from core.errors import PacsError, RetrieveIncompleteError
from core.pacs import FindQuery, LocalAE, PacsClient, PacsNode, query as q, retrieve_study
from tests.core.test_pacs_misbehaving_peer import SERIES, STUDY, FakePeer, _client, peer_factory  # noqa: F401
from tests.orthanc_server import REPO, free_port

pytestmark = pytest.mark.filterwarnings("ignore:Invalid value for VR UI")


class DroppingPeer(FakePeer):
    """Aborts the association just after answering the STUDY-level C-FIND (``drops`` times),
    and, with ``abort_series``, on every SERIES-level C-FIND before answering it."""

    def __init__(self, drops: int = 0, abort_series: bool = False):
        super().__init__()
        self.drops = drops
        self.abort_series = abort_series

    def on_find(self, event):
        level = event.identifier.QueryRetrieveLevel
        if level == "SERIES" and self.abort_series:
            event.assoc.abort()
            return
        yield from super().on_find(event)
        if level == "STUDY" and self.drops:
            self.drops -= 1
            threading.Timer(0.1, event.assoc.abort).start()  # after the final response went out


@pytest.fixture
def slow_client(monkeypatch):
    """The client takes a moment over each study row (as over a long list): the peer's abort
    arrives before the next C-FIND is sent, i.e. between the two C-FINDs."""
    real = q.study_result

    def slow(ds):
        time.sleep(0.4)
        return real(ds)

    monkeypatch.setattr(q, "study_result", slow)


def test_an_association_dropped_between_two_finds_is_asked_again_on_a_new_one(slow_client):
    peer = DroppingPeer(drops=1)
    try:
        rows = _client(peer).find(FindQuery(level="series"))
    finally:
        peer.close()
    assert [(r.study_uid, r.series_uid) for r in rows] == [(STUDY, SERIES)]


def test_an_association_dropped_again_on_the_new_one_is_a_clear_message():
    peer = DroppingPeer(abort_series=True)
    try:
        with pytest.raises(PacsError, match=r"searching FAKEPACS.*: the PACS closed the association before it "
                                            r"answered .* check the PACS's list of DICOM nodes, then try again "
                                            r"\(it did so twice, also on a new association\)") as info:
            _client(peer).find(FindQuery(level="series"))
    finally:
        peer.close()
    assert "RuntimeError" not in str(info.value)


def test_a_listing_for_retrieve_whose_association_is_dropped_is_asked_again(monkeypatch):
    """The retrieve's plan (the series, then each series' instances) is C-FINDs in a row too."""
    from core.pacs.retrieve import plan_study

    peer = FakePeer()
    original = peer.on_find

    def on_find(event):  # drops the association once, just after listing the series
        level = event.identifier.QueryRetrieveLevel
        yield from original(event)
        if level == "SERIES" and not getattr(on_find, "dropped", False):
            on_find.dropped = True
            threading.Timer(0.1, event.assoc.abort).start()

    peer.server.unbind(evt.EVT_C_FIND, peer.on_find)
    peer.server.bind(evt.EVT_C_FIND, on_find)
    real_uid = q.uid

    def slow_uid(ds, keyword):
        if keyword == "SeriesInstanceUID":
            time.sleep(0.4)  # the peer's abort arrives before the IMAGE-level C-FIND is sent
        return real_uid(ds, keyword)

    monkeypatch.setattr(q, "uid", slow_uid)
    try:
        outcomes, classes = plan_study(_client(peer), STUDY)
    finally:
        peer.close()
    assert on_find.dropped
    assert [(o.series_uid, len(o.expected or ())) for o in outcomes] == [(SERIES, 6)]


def test_a_silent_peer_is_reported_as_silent_not_as_aborted():
    """A port that accepts the connection and never answers the association request."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", free_port()))
    listener.listen(4)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])  # and say nothing
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    node = PacsNode("silent", "SILENT", "127.0.0.1", listener.getsockname()[1])
    try:
        with pytest.raises(PacsError, match=r"the PACS is silent: it accepted the connection at 127\.0\.0\.1:\d+ "
                                            r"but did not answer the association request within 1 s") as info:
            PacsClient(node, LocalAE(), timeout_s=1).echo()
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()
    assert "aborted" not in str(info.value)


def test_a_peer_silent_during_a_find_is_reported_as_silent(peer_factory):  # noqa: F811
    peer = peer_factory(find_delay_s=3)
    with pytest.raises(PacsError, match=r"no answer within 1 s: the PACS is silent"):
        _client(peer, timeout_s=1).find(FindQuery(level="study"))


DYING_PEER = textwrap.dedent('''
    """A Q/R SCP that lists a study and is killed (SIGKILL) when asked to C-GET it."""
    import os, signal, sys
    from pydicom.dataset import Dataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian
    from pynetdicom import AE, evt
    from pynetdicom.sop_class import (StudyRootQueryRetrieveInformationModelFind,
                                      StudyRootQueryRetrieveInformationModelGet)

    port, study, series = int(sys.argv[1]), sys.argv[2], sys.argv[3]

    def row(**values):
        ds = Dataset()
        for key, value in values.items():
            setattr(ds, key, value)
        return ds

    def on_find(event):
        level = event.identifier.QueryRetrieveLevel
        if level == "SERIES":
            yield 0xFF00, row(QueryRetrieveLevel="SERIES", StudyInstanceUID=study, SeriesInstanceUID=series,
                              Modality="CT", NumberOfSeriesRelatedInstances="3")
        elif level == "IMAGE":
            for k in range(3):
                yield 0xFF00, row(QueryRetrieveLevel="IMAGE", SOPInstanceUID=f"{series}.{k + 1}",
                                  SOPClassUID=CTImageStorage)

    def on_get(event):
        yield 3
        os.kill(os.getpid(), signal.SIGKILL)  # the PACS dies: no A-ABORT, no more listening
        yield 0xFF00, None

    ae = AE("DYINGPACS")
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)
    ae.add_supported_context(StudyRootQueryRetrieveInformationModelGet)
    ae.add_supported_context(CTImageStorage, ExplicitVRLittleEndian, scu_role=True, scp_role=True)
    server = ae.start_server(("127.0.0.1", port), block=False,
                             evt_handlers=[(evt.EVT_C_FIND, on_find), (evt.EVT_C_GET, on_get)])
    print("ready", flush=True)
    sys.stdin.read()
''')


def test_a_pacs_that_dies_during_c_get_is_not_reported_as_refusing_it(tmp_path):
    script = tmp_path / "dying_peer.py"
    script.write_text(DYING_PEER)
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(script), str(port), STUDY, SERIES], cwd=REPO,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        client = PacsClient(PacsNode("dying", "DYINGPACS", "127.0.0.1", port), LocalAE(), timeout_s=5)
        with pytest.raises(RetrieveIncompleteError, match=r"C-GET: the PACS stopped answering and no longer "
                                                          r"accepts connections at 127\.0\.0\.1:\d+ \(it stopped "
                                                          r"or restarted\)") as info:
            retrieve_study(client, STUDY, folder=tmp_path / "s")
        assert "refused" not in str(info.value)
        assert proc.wait(timeout=10) != 0  # it really died
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stdin.close()

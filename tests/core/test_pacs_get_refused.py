"""A PACS that refuses C-GET: fall back to C-MOVE to our own storage SCP (when a
listen port is configured), and that SCP's limits: only the node's AE titles,
only the configured interface, only during the retrieve.

A small pynetdicom Q/R SCP in the test refuses C-GET in each of the ways PACS
do and serves C-MOVE; the real Orthanc with ``AllowGet`` false is in
``test_pacs_orthanc_get_refused.py``.
"""

from __future__ import annotations

import socket

import pytest
from pynetdicom import AE, evt
from pynetdicom.sop_class import (
    CTImageStorage,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
)
from pydicom.uid import ExplicitVRLittleEndian

from core.dicom import scan_folder
from core.errors import PacsError
from core.pacs import LocalAE, PacsClient, PacsNode, RetrieveMethod, retrieve_study
from tests.core.test_pacs_misbehaving_peer import N, SERIES, STUDY, _row, make_slice
from tests.orthanc_server import free_port

pytestmark = pytest.mark.filterwarnings("ignore:Invalid value for VR UI")

GET_REFUSAL_WAYS = ("no-context", "status-0124", "status-0122", "sub-ops-fail", "close")


class RefusingPeer:
    """Answers C-FIND; refuses C-GET as ``get_refusal`` says; serves C-MOVE.

    ``store_aet``: the AE title its C-MOVE deliveries come from (the called AE
    title is never checked, so a client may call it FAKEPACS). ``destinations``:
    move destination AE title -> (host, port). ``during_move`` is called just
    before the deliveries start (the tests probe our listening socket there).
    """

    def __init__(self, get_refusal: str, destinations: dict, store_aet: str = "FAKEPACS", during_move=None):
        self.get_refusal = get_refusal
        self.destinations = destinations
        self.during_move = during_move
        self.moves = 0
        self.port = free_port()
        ae = AE(store_aet)
        ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)
        ae.add_supported_context(StudyRootQueryRetrieveInformationModelMove)
        if get_refusal != "no-context":
            ae.add_supported_context(StudyRootQueryRetrieveInformationModelGet)
        # the storage contexts a C-GET proposes with the SCP role: accepted,
        # but without granting the roles when the refusal is about the role
        roles = dict(scu_role=True, scp_role=True) if get_refusal != "sub-ops-fail" else {}
        ae.add_supported_context(CTImageStorage, ExplicitVRLittleEndian, **roles)
        ae.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)  # the C-MOVE deliveries
        self.server = ae.start_server(("127.0.0.1", self.port), block=False, evt_handlers=[
            (evt.EVT_C_FIND, self.on_find), (evt.EVT_C_GET, self.on_get), (evt.EVT_C_MOVE, self.on_move)])

    def close(self):
        self.server.shutdown()

    def on_find(self, event):
        level = event.identifier.QueryRetrieveLevel
        if level == "SERIES":
            yield 0xFF00, _row(QueryRetrieveLevel="SERIES", StudyInstanceUID=STUDY, SeriesInstanceUID=SERIES,
                               Modality="CT", NumberOfSeriesRelatedInstances=str(N))
        elif level == "IMAGE":
            for k in range(N):
                yield 0xFF00, _row(QueryRetrieveLevel="IMAGE", SOPInstanceUID=f"{SERIES}.{k + 1}",
                                   SOPClassUID=CTImageStorage)

    def on_get(self, event):
        if self.get_refusal == "close":  # as Orthanc does with AllowGet false
            event.assoc.abort()
            return
        if self.get_refusal == "sub-ops-fail":
            # it tries to store each instance on our association and cannot (no SCP role granted)
            yield N
            for k in range(N):
                yield 0xFF00, make_slice(k)
            return
        yield 1  # (pynetdicom answers success at once to 0 sub-operations)
        yield {"status-0124": 0x0124, "status-0122": 0x0122}[self.get_refusal], None

    def on_move(self, event):
        self.moves += 1
        destination = self.destinations.get(event.move_destination.strip() if isinstance(
            event.move_destination, str) else event.move_destination.decode().strip())
        if destination is None:
            yield None, None
            return
        yield destination[0], destination[1]
        if self.during_move is not None:
            self.during_move()
        yield N
        for k in range(N):
            yield 0xFF00, make_slice(k)


@pytest.fixture
def peers():
    made = []

    def make(*args, **kw) -> RefusingPeer:
        made.append(RefusingPeer(*args, **kw))
        return made[-1]

    yield make
    for p in made:
        p.close()


def _client(peer: RefusingPeer, listen_port: int | None, bind: str = "127.0.0.1",
            store_aet: str | None = None) -> PacsClient:
    return PacsClient(PacsNode("fake", "FAKEPACS", "127.0.0.1", peer.port, store_ae_title=store_aet),
                      LocalAE("OLIGOPLAN", listen_port, bind), timeout_s=5)


def _refused(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return False
    except OSError:
        return True


@pytest.mark.parametrize("way", GET_REFUSAL_WAYS)
def test_a_refused_get_is_retrieved_by_move_and_says_so(peers, tmp_path, way):
    listen = free_port()
    peer = peers(way, {"OLIGOPLAN": ("127.0.0.1", listen)})
    messages = []
    report = retrieve_study(_client(peer, listen), STUDY, folder=tmp_path / "s",
                            progress=lambda d, t, m: messages.append(m))
    assert report.complete and report.n_received == N
    assert (report.method, report.requested) == (RetrieveMethod.MOVE, RetrieveMethod.GET)
    assert report.note.startswith("C-GET refused by PACS FAKEPACS at 127.0.0.1:")
    assert report.note.endswith("retrieved by C-MOVE instead")
    assert report.summary().startswith(report.note)
    assert any("retrieving by C-MOVE instead" in m for m in messages)
    assert report.to_json()["method"] == "move" and report.to_json()["requested_method"] == "get"
    assert peer.moves == 1
    assert [e.n_slices for e in scan_folder(tmp_path / "s").series] == [N]
    assert _refused(listen), "our storage SCP still listens after the retrieve"


def test_the_refusal_says_how_the_pacs_refused(peers, tmp_path):
    listen = free_port()
    expected = {"no-context": "rejected the C-GET presentation context", "status-0124": "0x0124, not authorised",
                "sub-ops-fail": "storage SCP role", "close": "closed the association on the C-GET request"}
    for way, text in expected.items():
        peer = peers(way, {"OLIGOPLAN": ("127.0.0.1", listen)})
        report = retrieve_study(_client(peer, listen), STUDY, folder=tmp_path / way)
        assert text in report.note, (way, report.note)


def test_without_a_listen_port_the_refusal_says_what_to_configure(peers, tmp_path):
    peer = peers("status-0124", {"OLIGOPLAN": ("127.0.0.1", free_port())})
    with pytest.raises(PacsError, match=r"C-GET refused by PACS FAKEPACS .*not authorised.*needs a listen port: "
                                         r"set 'Listen port \(C-MOVE\)'.*--listen-port P.*add our AE title "
                                         r"'OLIGOPLAN'"):
        retrieve_study(_client(peer, None), STUDY, folder=tmp_path / "s")
    assert peer.moves == 0
    assert not list((tmp_path / "s").rglob("*.dcm"))


def test_an_explicit_move_without_a_listen_port_says_what_to_configure(peers, tmp_path):
    peer = peers("status-0124", {})
    with pytest.raises(PacsError, match=r"C-MOVE from FAKEPACS .*needs a listen port.*Listen port \(C-MOVE\)"):
        retrieve_study(_client(peer, None), STUDY, folder=tmp_path / "s", method="move")


def test_a_working_get_is_not_replaced_by_move(peers, tmp_path):
    from tests.core.test_pacs_misbehaving_peer import FakePeer

    peer = FakePeer(get_plan=[make_slice(k) for k in range(N)])
    try:
        client = PacsClient(PacsNode("fake", "FAKEPACS", "127.0.0.1", peer.port), LocalAE(listen_port=free_port()),
                            timeout_s=5)
        report = retrieve_study(client, STUDY, folder=tmp_path / "s")
    finally:
        peer.close()
    assert report.complete and report.method is RetrieveMethod.GET and report.note == ""


# ------------------------------------------------ the C-MOVE storage SCP
def test_deliveries_from_another_ae_title_are_refused_and_the_message_names_it(peers, tmp_path):
    listen = free_port()
    peer = peers("status-0124", {"OLIGOPLAN": ("127.0.0.1", listen)}, store_aet="PACS_SCU")
    # (a pynetdicom PACS answers 0xA801 when its delivery association is
    # rejected; others count failed sub-operations: both messages name the AE title)
    with pytest.raises(PacsError, match=r"our storage SCP refused deliveries from AE title\(s\) 'PACS_SCU' "
                                        r"\(it accepts only 'FAKEPACS'\).*store AE title"):
        retrieve_study(_client(peer, listen), STUDY, folder=tmp_path / "s", method="move")
    assert not list((tmp_path / "s").rglob("*.dcm"))
    assert _refused(listen)


def test_a_store_ae_title_lets_that_pacs_deliver_and_nobody_else(peers, tmp_path):
    listen = free_port()
    peer = peers("close", {"OLIGOPLAN": ("127.0.0.1", listen)}, store_aet="PACS_SCU")
    report = retrieve_study(_client(peer, listen, store_aet="PACS_SCU"), STUDY, folder=tmp_path / "s")
    assert report.complete and report.n_received == N and "C-MOVE instead" in report.note
    intruder = peers("close", {"OLIGOPLAN": ("127.0.0.1", listen)}, store_aet="INTRUDER")
    with pytest.raises(PacsError, match=r"C-GET refused .*C-MOVE failed too: .*'INTRUDER' \(it accepts only "
                                        r"'FAKEPACS', 'PACS_SCU'\)"):
        retrieve_study(_client(intruder, listen, store_aet="PACS_SCU"), STUDY, folder=tmp_path / "t")


def test_the_storage_scp_listens_only_on_the_configured_address_and_only_during_the_retrieve(peers, tmp_path):
    try:  # a second loopback address (all of 127/8 on Linux; not on macOS by default)
        with socket.socket() as probe:
            probe.bind(("127.0.0.2", 0))
    except OSError:
        pytest.skip("127.0.0.2 is not a local address on this machine")
    listen = free_port()
    seen = {}

    def probe():
        seen["configured"] = not _refused(listen, "127.0.0.2")
        seen["other"] = not _refused(listen, "127.0.0.1")

    peer = peers("no-context", {"OLIGOPLAN": ("127.0.0.2", listen)}, during_move=probe)
    assert _refused(listen, "127.0.0.2"), "something listens before the retrieve"
    report = retrieve_study(_client(peer, listen, bind="127.0.0.2"), STUDY, folder=tmp_path / "s")
    assert report.complete
    assert seen == {"configured": True, "other": False}
    assert _refused(listen, "127.0.0.2") and _refused(listen, "127.0.0.1")

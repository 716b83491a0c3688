"""A broken or malicious peer: a tiny pynetdicom Q/R SCP in the test that drops
the association midway, sends garbage, answers too late. The client must give
a message, and the cache must hold only complete, parseable files."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, MRImageStorage, generate_uid
from pynetdicom import AE, evt
from pynetdicom.sop_class import (
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
)

from core.dicom import scan_folder
from core.errors import PacsError, RetrieveIncompleteError
from core.pacs import FindQuery, LocalAE, PacsClient, PacsNode, retrieve_study
from tests.orthanc_server import free_port

pytestmark = pytest.mark.filterwarnings("ignore:Invalid value for VR UI")

STUDY = "1.2.826.0.1.3680043.9.7777.1"
SERIES = "1.2.826.0.1.3680043.9.7777.1.1"
N = 6


def make_slice(k: int, study=STUDY, sop_uid: str | None = None) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_uid or f"{SERIES}.{k + 1}"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, SERIES
    ds.FrameOfReferenceUID = f"{STUDY}.9"
    ds.Modality, ds.PatientID, ds.PatientName = "CT", "FAKE", "FAKE^PEER"
    ds.ImagePositionPatient, ds.ImageOrientationPatient = [0, 0, 2.0 * k], [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing, ds.SliceThickness, ds.InstanceNumber = [1, 1], 2, k + 1
    ds.Rows = ds.Columns = 16
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.RescaleIntercept, ds.RescaleSlope = 0, 1
    ds.PixelData = np.full((16, 16), k, np.int16).tobytes()
    return ds


class FakePeer:
    """A Q/R SCP that lists N instances and misbehaves on C-GET as told.

    ``get_plan`` is a list of datasets to send; the string "drop" aborts the association there.
    """

    def __init__(self, get_plan=(), find_delay_s: float = 0.0, series_rows=None, get_delay_s: float = 0.0):
        self.get_plan = list(get_plan)
        self.get_delay_s = get_delay_s
        self.find_delay_s = find_delay_s
        self.series_rows = series_rows
        self.port = free_port()
        ae = AE("FAKEPACS")
        ae.add_supported_context(StudyRootQueryRetrieveInformationModelFind)
        ae.add_supported_context(StudyRootQueryRetrieveInformationModelGet)
        for uid in (CTImageStorage, MRImageStorage):
            ae.add_supported_context(uid, ExplicitVRLittleEndian, scu_role=True, scp_role=True)
        self.server = ae.start_server(("127.0.0.1", self.port), block=False, evt_handlers=[
            (evt.EVT_C_FIND, self.on_find), (evt.EVT_C_GET, self.on_get)])

    def close(self):
        self.server.shutdown()

    def on_find(self, event):
        if self.find_delay_s:
            time.sleep(self.find_delay_s)
        level = event.identifier.QueryRetrieveLevel
        if level == "STUDY":
            yield 0xFF00, _row(QueryRetrieveLevel="STUDY", StudyInstanceUID=STUDY, PatientID="FAKE",
                               NumberOfStudyRelatedInstances=str(N))
        elif level == "SERIES":
            for row in self.series_rows or [dict(SeriesInstanceUID=SERIES, Modality="CT",
                                                 NumberOfSeriesRelatedInstances=str(N))]:
                yield 0xFF00, _row(QueryRetrieveLevel="SERIES", StudyInstanceUID=STUDY, **row)
        elif level == "IMAGE":
            for k in range(N):
                yield 0xFF00, _row(QueryRetrieveLevel="IMAGE", SOPInstanceUID=f"{SERIES}.{k + 1}",
                                   SOPClassUID=CTImageStorage)

    def on_get(self, event):
        yield sum(1 for item in self.get_plan if item != "drop")
        for item in self.get_plan:
            if item == "drop":
                event.assoc.abort()
                return
            time.sleep(self.get_delay_s)
            yield 0xFF00, item


def _row(**values) -> Dataset:
    ds = Dataset()
    for key, value in values.items():
        setattr(ds, key, value)
    return ds


@pytest.fixture
def peer_factory():
    peers = []

    def make(**kw) -> FakePeer:
        peers.append(FakePeer(**kw))
        return peers[-1]

    yield make
    for p in peers:
        p.close()


def _client(peer: FakePeer, timeout_s: float = 5) -> PacsClient:
    return PacsClient(PacsNode("fake", "FAKEPACS", "127.0.0.1", peer.port), LocalAE(), timeout_s=timeout_s)


def _assert_consistent(folder: Path, n_files: int):
    """Only complete, parseable files with final names; nothing half-written."""
    assert not [p for p in folder.rglob("*") if p.is_file() and p.name.startswith(".")]
    files = list(folder.rglob("*.dcm"))
    assert len(files) == n_files
    scan = scan_folder(folder)
    assert scan.skipped == []
    assert sum(e.n_slices for e in scan.series) == n_files


def test_association_dropped_midway_keeps_what_arrived_and_says_what_is_missing(peer_factory, tmp_path):
    peer = peer_factory(get_plan=[make_slice(0), make_slice(1), make_slice(2), "drop"])
    with pytest.raises(RetrieveIncompleteError,
                       match=r"missing: 3 of 6 from CT.*stopped answering.*The 3 instance\(s\) there are kept") as info:
        retrieve_study(_client(peer), STUDY, folder=tmp_path / "s")
    report = info.value.report
    assert report.series[0].missing == [f"{SERIES}.{k}" for k in (4, 5, 6)]
    _assert_consistent(tmp_path / "s", 3)
    # the peer behaves again: only the 3 missing instances are asked for and written
    peer.get_plan = [make_slice(k) for k in (3, 4, 5)]
    again = retrieve_study(_client(peer), STUDY, folder=tmp_path / "s")
    assert (again.n_received, again.n_skipped, again.complete) == (3, 3, True)
    _assert_consistent(tmp_path / "s", 6)


def test_garbage_datasets_are_refused_and_never_land_in_the_cache(peer_factory, tmp_path):
    truncated = make_slice(1)
    truncated.PixelData = b"\x00" * 10  # header says 16 x 16 x 2 bytes
    other_study = make_slice(2, study="1.2.3.999")
    evil_name = make_slice(3, sop_uid="../../../escaped")
    peer = peer_factory(get_plan=[make_slice(0), truncated, other_study, evil_name, make_slice(4), make_slice(5)])
    with pytest.raises(RetrieveIncompleteError, match=r"missing: 3 of 6.*3 instance\(s\) refused on arrival") as info:
        retrieve_study(_client(peer), STUDY, folder=tmp_path / "s")
    reasons = " | ".join(r for _, r in info.value.report.failed)
    assert "pixel data" in reasons.lower() or "does not parse" in reasons
    assert "another study" in reasons
    assert "malformed SOP Instance UID" in reasons
    _assert_consistent(tmp_path / "s", 3)
    assert not list(tmp_path.glob("escaped*")) and not list(tmp_path.parent.glob("escaped*"))


def test_an_instance_of_a_class_we_did_not_ask_for_is_reported_missing(peer_factory, tmp_path):
    mr = make_slice(0)
    mr.SOPClassUID = MRImageStorage  # the C-FIND said CT: no context for MR was negotiated
    peer = peer_factory(get_plan=[mr] + [make_slice(k) for k in range(1, N)])
    with pytest.raises(RetrieveIncompleteError, match=rf"missing: 1 of 6 from CT.*\[{SERIES}\]"):
        retrieve_study(_client(peer), STUDY, folder=tmp_path / "s")
    _assert_consistent(tmp_path / "s", N - 1)


def test_a_peer_that_answers_too_late_gives_a_timeout_message(peer_factory):
    peer = peer_factory(find_delay_s=3)
    with pytest.raises(PacsError, match=r"no answer within 1 s"):
        _client(peer, timeout_s=1).find(FindQuery(level="study"))


def test_garbage_find_answers_read_as_absent_not_as_a_crash(peer_factory, tmp_path):
    peer = peer_factory(series_rows=[
        dict(SeriesInstanceUID="not/a uid", Modality="CT", NumberOfSeriesRelatedInstances="7"),
        dict(SeriesInstanceUID=SERIES, Modality="CT", NumberOfSeriesRelatedInstances="-3"),
    ])
    rows = _client(peer).find(FindQuery(level="series"))
    assert [(r.series_uid, r.n_instances) for r in rows] == [(None, 7), (SERIES, None)]


def test_cancel_stops_a_retrieve_and_keeps_only_complete_files(peer_factory, tmp_path):
    peer = peer_factory(get_plan=[make_slice(k) for k in range(N)], get_delay_s=0.3)
    from core.errors import Cancelled

    seen = []

    def progress(done, total, message):
        seen.append(done)

    with pytest.raises(Cancelled):
        retrieve_study(_client(peer), STUDY, folder=tmp_path / "s", progress=progress,
                       cancel=lambda: bool(seen) and max(seen) >= 3)
    n = len(list((tmp_path / "s").rglob("*.dcm")))
    assert 3 <= n < N
    _assert_consistent(tmp_path / "s", n)

"""The DICOM network client (pynetdicom): associations, C-ECHO and C-FIND.

Retrieval (C-GET, C-MOVE) is :mod:`core.pacs.retrieve`, sending (C-STORE)
:mod:`core.pacs.send`; both open their associations here. Every failure a user
can meet (host unreachable, association rejected, no answer within the
timeout, a refusal status) becomes a :class:`core.errors.PacsError` naming the
node and what to check. pynetdicom's own logging of identifiers (patient
names and IDs) is switched off.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

from pydicom.dataset import Dataset
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)
from pynetdicom import AE, _config
from pynetdicom.association import Association
from pynetdicom.sop_class import (
    PatientRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelFind,
    Verification,
)

from core.errors import Cancelled, PacsError
from core.pacs import query as q
from core.pacs.nodes import LocalAE, PacsNode

# No patient names or IDs in logs: pynetdicom would log every identifier.
_config.LOG_REQUEST_IDENTIFIERS = False
_config.LOG_RESPONSE_IDENTIFIERS = False
_config.LOG_HANDLER_LEVEL = "none"
# Our own messages say what went wrong; pynetdicom's would repeat them on stderr.
logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)
log = logging.getLogger("oligoplan.pacs")

DEFAULT_TIMEOUT_S = 30.0
#: Receive PDUs as large as the peer sends (0: no limit): fewer, larger reads.
MAX_PDU = 0

#: Transfer syntaxes we accept for received images: all that pydicom and the
#: pylibjpeg plugins decode, uncompressed first.
ACCEPTED_SYNTAXES = [
    ExplicitVRLittleEndian, ImplicitVRLittleEndian, DeflatedExplicitVRLittleEndian,
    JPEGLossless, JPEGLosslessSV1, JPEGLSLossless, JPEGLSNearLossless, JPEG2000Lossless,
    JPEG2000, JPEGBaseline8Bit, JPEGExtended12Bit, RLELossless,
]

Progress = Callable[[int, int, str], None]
CancelCheck = Callable[[], bool]

PENDING = (0xFF00, 0xFF01)
STATUS_TEXT = {
    0xA700: "refused: out of resources",
    0xA701: "refused: out of resources (unable to calculate the number of matches)",
    0xA702: "refused: out of resources (unable to perform the sub-operations)",
    0xA801: "refused: the move destination (our AE title) is unknown to the PACS",
    0xA900: "failed: the request does not match what the PACS supports",
    0xFE00: "cancelled",
    0x0122: "refused: SOP class not supported",
    0x0124: "refused: not authorised",
}


def status_text(code: int) -> str:
    if code in STATUS_TEXT:
        return STATUS_TEXT[code]
    if 0xC000 <= code <= 0xCFFF:
        return "failed: the PACS was unable to process the request"
    return "failed"


class PacsClient:
    """Talks to one PACS node as ``local.ae_title``.

    Parameters
    ----------
    node
        The peer: called AE title, host, port.
    local
        Our AE title and retrieve SCP address (C-MOVE destination).
    timeout_s
        Longest wait for the connection, the association and each answer, seconds.
    """

    def __init__(self, node: PacsNode, local: LocalAE | None = None, timeout_s: float = DEFAULT_TIMEOUT_S):
        self.node = node
        self.local = local or LocalAE()
        self.timeout_s = float(timeout_s)

    # ------------------------------------------------------------ association
    def make_ae(self) -> AE:
        ae = AE(ae_title=self.local.ae_title)
        ae.acse_timeout = self.timeout_s
        ae.dimse_timeout = self.timeout_s
        ae.network_timeout = self.timeout_s
        ae.connection_timeout = self.timeout_s
        ae.maximum_pdu_size = MAX_PDU
        return ae

    @contextmanager
    def association(self, ae: AE, *, ext_neg: Sequence | None = None, evt_handlers: Sequence | None = None,
                    doing: str = "talking to") -> Iterator[Association]:
        """An established association with the node, released (or aborted) on exit."""
        node = self.node
        start = time.monotonic()
        try:
            assoc = ae.associate(node.host, node.port, ae_title=node.ae_title, ext_neg=list(ext_neg or []),
                                 evt_handlers=list(evt_handlers or []))
        except (OSError, ValueError, RuntimeError) as exc:
            raise PacsError(f"{doing} {node.describe()}: cannot connect ({exc}); check the host and port") from None
        if not assoc.is_established:
            raise PacsError(self._association_failure(assoc, doing, time.monotonic() - start))
        quick_ack(assoc)
        try:
            yield assoc
        except BaseException:
            if assoc.is_established:
                assoc.abort()
            raise
        else:
            if assoc.is_established:
                assoc.release()

    def _association_failure(self, assoc: Association, doing: str, waited_s: float) -> str:
        node = self.node
        if assoc.is_rejected:
            return (f"{doing} {node.describe()}: the PACS rejected the association. Check that its AE title "
                    f"is {node.ae_title!r} and that it knows our AE title {self.local.ae_title!r} "
                    "(its list of DICOM nodes)")
        if not _reachable(node.host, node.port, min(self.timeout_s, 5.0)):
            return (f"{doing} {node.describe()}: cannot connect (nothing answers at {node.host}:{node.port} "
                    "or the network blocks it); check the host, the port and that the PACS is running")
        if self.timed_out(waited_s):  # pynetdicom aborts a silent peer itself: not the PACS's abort
            return (f"{doing} {node.describe()}: the PACS is silent: it accepted the connection at "
                    f"{node.host}:{node.port} but did not answer the association request within "
                    f"{self.timeout_s:g} s; check that this is its DICOM port (not a web port) and that "
                    "the PACS is not hung or overloaded, or raise the timeout")
        if assoc.is_aborted:
            return (f"{doing} {node.describe()}: the PACS aborted the association; check its AE title "
                    f"{node.ae_title!r} and that it accepts our AE title {self.local.ae_title!r}")
        return (f"{doing} {node.describe()}: no answer to the association request within "
                f"{self.timeout_s:g} s; check the host, port and AE title")

    def timed_out(self, waited_s: float) -> bool:
        """Whether a wait that ended after ``waited_s`` ended by our timeout (the peer was
        silent), rather than by the peer closing or aborting the association."""
        return waited_s >= 0.9 * self.timeout_s

    # ------------------------------------------------------------------ echo
    def echo(self) -> float:
        """C-ECHO; returns the round trip in seconds (association included)."""
        ae = self.make_ae()
        ae.add_requested_context(Verification)
        start = time.perf_counter()
        with self.association(ae, doing="echo to") as assoc:
            status = assoc.send_c_echo()
            code = _status_code(status)
            if code is None:
                raise PacsError(self._no_answer("echo to"))
            if code != 0x0000:
                raise PacsError(f"echo to {self.node.describe()}: status 0x{code:04X} ({status_text(code)})")
        return time.perf_counter() - start

    # ------------------------------------------------------------------ find
    def find(self, query: q.FindQuery, cancel: CancelCheck | None = None) -> list[q.FindResult]:
        """C-FIND at the query's level.

        Patient level uses the Patient Root model (grouped from a study query
        when study filters are given); series level queries the matching
        studies first, then each study's series (hierarchical, as every PACS
        answers).
        """
        level = query.level
        if level is q.QueryLevel.PATIENT and not query.has_study_filters:
            with FindSession(self, PatientRootQueryRetrieveInformationModelFind, "searching") as session:
                found = session.find(q.patient_identifier(query), cancel)
            return [q.patient_result(ds) for ds in found if q.matches_literally(query, ds)]
        with FindSession(self, StudyRootQueryRetrieveInformationModelFind, "searching") as session:
            studies = [q.study_result(ds) for ds in session.find(q.study_identifier(query), cancel)
                       if q.matches_literally(query, ds)]
            if level is q.QueryLevel.PATIENT:
                return q.patients_from_studies(studies)
            if level is q.QueryLevel.STUDY:
                return studies
            rows: list[q.FindResult] = []
            for study in studies:
                if study.study_uid is None:
                    continue
                found = session.find(q.series_identifier(query, study.study_uid), cancel)
                rows.extend(q.series_result(ds, study) for ds in found)
            return rows

    def run_find(self, assoc: Association, identifier: Dataset, model, cancel: CancelCheck | None = None
                 ) -> list[Dataset]:
        """Send one C-FIND; the matches (unreadable ones dropped with a log line)."""
        matches: list[Dataset] = []
        unreadable = 0
        if not assoc.is_established:  # pynetdicom would raise RuntimeError
            raise AssociationDropped(self._dropped("searching", before=True))
        waiting_since = time.monotonic()
        for status, ds in assoc.send_c_find(identifier, model):
            if cancel is not None and cancel():
                assoc.abort()
                raise Cancelled("search cancelled")
            code = _status_code(status)
            if code is None:
                if self.timed_out(time.monotonic() - waiting_since):
                    raise PacsError(self._silent("searching"))
                raise AssociationDropped(self._dropped("searching"))
            waiting_since = time.monotonic()
            if code in PENDING:
                if ds is None:
                    unreadable += 1
                else:
                    matches.append(ds)
                continue
            if code != 0x0000:
                raise PacsError(f"searching {self.node.describe()}: status 0x{code:04X} ({status_text(code)}); "
                                f"check that the PACS allows queries from {self.local.ae_title!r}")
        if unreadable:
            log.warning("C-FIND: %d unreadable match(es) from %s dropped", unreadable, self.node.describe())
        return matches

    def _silent(self, doing: str) -> str:
        return (f"{doing} {self.node.describe()}: no answer within {self.timeout_s:g} s: the PACS is silent "
                "(the association is open but nothing came back); check that it is not hung or overloaded, "
                "or raise the timeout, then try again")

    def _dropped(self, doing: str, before: bool = False) -> str:
        when = "between two requests" if before else "before it answered"
        return (f"{doing} {self.node.describe()}: the PACS closed the association {when} "
                f"(it does so when it restarts, or when it does not know our AE title "
                f"{self.local.ae_title!r}); check the PACS's list of DICOM nodes, then try again")

    def _no_answer(self, doing: str) -> str:
        return (f"{doing} {self.node.describe()}: no answer within {self.timeout_s:g} s, or the PACS "
                f"closed the association (as it does when it does not know our AE title "
                f"{self.local.ae_title!r}); check the PACS's list of DICOM nodes, then try again")


class AssociationDropped(PacsError):
    """The peer closed or aborted the association before or during a request (not our timeout)."""


class FindSession:
    """C-FINDs on one association, reopened when the PACS drops it.

    A search at series level, and the plan of a retrieve, ask several C-FINDs in a
    row on one association; a PACS may close it between two of them (a restart, an
    idle limit). C-FIND only reads, so it is safe to ask again: a request whose
    association was dropped is asked once more on a new association; a second drop
    is reported (:class:`AssociationDropped`, a PacsError naming the node).
    """

    def __init__(self, client: "PacsClient", model, doing: str):
        self.client, self.model, self.doing = client, model, doing
        self.assoc: Association | None = None
        self._cm = None
        self.reopened = 0

    def __enter__(self) -> "FindSession":
        self._open()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._close(exc_type, exc, tb)

    def _open(self) -> None:
        ae = self.client.make_ae()
        ae.add_requested_context(self.model)
        cm = self.client.association(ae, doing=self.doing)
        self.assoc = cm.__enter__()
        self._cm = cm

    def _close(self, exc_type=None, exc=None, tb=None) -> None:
        cm, self._cm = self._cm, None
        if cm is not None:
            cm.__exit__(exc_type, exc, tb)

    def find(self, identifier: Dataset, cancel: CancelCheck | None = None) -> list[Dataset]:
        """One C-FIND (see :meth:`PacsClient.run_find`), asked again once on a new association
        when the PACS dropped the association."""
        for attempt in (1, 2):
            try:
                return self.client.run_find(self.assoc, identifier, self.model, cancel)
            except AssociationDropped as exc:
                if attempt == 2:
                    raise AssociationDropped(f"{exc} (it did so twice, also on a new association)") from None
                log.info("C-FIND: %s dropped the association; asking again on a new one",
                         self.client.node.describe())
                self._close()
                self._open()
                self.reopened += 1
        raise AssertionError("unreachable")


def _status_code(status: Dataset | None) -> int | None:
    """(0000,0900) Status, or None when the response never came (timeout, abort)."""
    if status is None:
        return None
    try:
        return int(status.Status)
    except (AttributeError, TypeError, ValueError):
        return None


class _QuickAckSocket:
    """A socket that acknowledges every read at once (Linux ``TCP_QUICKACK``).

    During a retrieve the PACS writes two small messages in a row (the pending
    C-GET response, then the next C-STORE request); with Nagle's algorithm on
    its side and delayed ACKs on ours, each instance then waits about 40 ms.
    Acknowledging at once removes the wait (Orthanc: 169 small instances in
    1 s instead of 8 s). The kernel clears the flag by itself, so it is set
    again after every read.
    """

    def __init__(self, sock: socket.socket):
        self._sock = sock

    def recv(self, n: int) -> bytes:
        data = self._sock.recv(n)
        try:
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError:
            pass
        return data

    def __getattr__(self, name):
        return getattr(self._sock, name)


def quick_ack(assoc: Association) -> None:
    """Make an association's socket acknowledge every read at once (Linux only)."""
    transport = getattr(assoc.dul, "socket", None)
    sock = getattr(transport, "socket", None)
    if not hasattr(socket, "TCP_QUICKACK") or sock is None or isinstance(sock, _QuickAckSocket):
        return
    if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
        transport.socket = _QuickAckSocket(sock)


def _reachable(host: str, port: int, timeout_s: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


class CancelWatch:
    """Aborts an association when ``cancel()`` turns true (checked every 0.1 s).

    A blocking wait for the next response cannot check a cancel flag itself;
    the watch thread ends the association so that the wait ends at once.
    """

    def __init__(self, assoc: Association, cancel: CancelCheck | None):
        self.assoc = assoc
        self.cancel = cancel
        self.fired = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "CancelWatch":
        if self.cancel is not None:
            self._thread = threading.Thread(target=self._watch, name="pacs-cancel-watch", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _watch(self) -> None:
        while not self._stop.wait(0.1):
            if self.cancel():
                self.fired = True
                if self.assoc.is_established:
                    self.assoc.abort()
                # a local abort does not wake a thread waiting for the next
                # response (it would wait for the DIMSE timeout): wake it
                queue = getattr(getattr(self.assoc, "dimse", None), "msg_queue", None)
                if queue is not None:
                    queue.put((None, None))
                return

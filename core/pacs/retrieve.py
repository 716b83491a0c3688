"""Retrieve a study (or some of its series) into the cache: C-GET or C-MOVE.

1. Plan: C-FIND the study's series (count promised per series) and, at IMAGE
   level, their instances (SOP Instance UID and class).
2. Skip what the study folder already holds; ask only for what is missing
   (a whole series, or its missing instances by UID).
3. Retrieve: C-GET on one association (we take the storage SCP role for the
   SOP classes found), or C-MOVE to our own storage SCP, which listens on the
   configured address only while the retrieve runs and only accepts the node.
   A PACS that refuses C-GET (rejects its presentation context, answers
   "refused" / "not supported", closes the association on the request, or
   fails every sub-operation because it cannot store on our association) is
   asked again by C-MOVE when a listen port is configured; the report's
   ``note`` says so. Without a listen port the error says what to configure.
4. Check: every file was parsed as it arrived (:class:`core.pacs.cache.InstanceWriter`);
   the folder's instances are compared with what C-FIND promised. A partial
   retrieve raises :class:`core.errors.RetrieveIncompleteError` saying what is
   missing; what arrived stays in the cache.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.uid import (
    JPEG2000,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    JPEGLSNearLossless,
    RLELossless,
)
from pynetdicom import build_role, evt
from pynetdicom.presentation import StoragePresentationContexts
from pynetdicom.sop_class import (
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelGet,
    StudyRootQueryRetrieveInformationModelMove,
)

from core.errors import Cancelled, PacsError, RetrieveIncompleteError
from core.pacs import query as q
from core.pacs.cache import InstanceWriter, cached_instances, remove_partial_files, study_folder
from core.pacs.client import ACCEPTED_SYNTAXES, PENDING, AssociationDropped, CancelCheck, CancelWatch, \
    FindSession, PacsClient, Progress, _reachable, _status_code, quick_ack, status_text

#: Storage SOP classes proposed for C-GET when the PACS does not list the
#: instances' classes at IMAGE level: what OligoPlan reads or writes.
DEFAULT_GET_CLASSES = (
    "1.2.840.10008.5.1.4.1.1.2",      # CT Image
    "1.2.840.10008.5.1.4.1.1.2.1",    # Enhanced CT Image
    "1.2.840.10008.5.1.4.1.1.4",      # MR Image
    "1.2.840.10008.5.1.4.1.1.4.1",    # Enhanced MR Image
    "1.2.840.10008.5.1.4.1.1.128",    # PET Image
    "1.2.840.10008.5.1.4.1.1.130",    # Enhanced PET Image
    "1.2.840.10008.5.1.4.1.1.128.1",  # Legacy Converted Enhanced PET
    "1.2.840.10008.5.1.4.1.1.2.2",    # Legacy Converted Enhanced CT
    "1.2.840.10008.5.1.4.1.1.481.3",  # RT Structure Set
    "1.2.840.10008.5.1.4.1.1.481.2",  # RT Dose
    "1.2.840.10008.5.1.4.1.1.481.5",  # RT Plan
    "1.2.840.10008.5.1.4.1.1.88.22",  # Enhanced SR
    "1.2.840.10008.5.1.4.1.1.88.33",  # Comprehensive SR
    "1.2.840.10008.5.1.4.1.1.88.34",  # Comprehensive 3D SR
    "1.2.840.10008.5.1.4.1.1.88.11",  # Basic Text SR
    "1.2.840.10008.5.1.4.1.1.66.4",   # Segmentation
    "1.2.840.10008.5.1.4.1.1.66.7",   # Label Map Segmentation
    "1.2.840.10008.5.1.4.1.1.66.1",   # Spatial Registration
    "1.2.840.10008.5.1.4.1.1.7",      # Secondary Capture
    "1.2.840.10008.5.1.4.1.1.88.59",  # Key Object Selection
)
MAX_CONTEXTS = 127  # 128 minus the C-GET context
#: Final C-GET statuses that mean "not this way": ask again by C-MOVE.
GET_REFUSALS = {
    0x0122: "SOP class not supported",
    0x0124: "not authorised",
    0xA702: "out of resources: unable to perform the sub-operations",
}
#: What to configure for C-MOVE; ``{aet}`` is our AE title.
MOVE_SETUP_HINT = ("set 'Listen port (C-MOVE)' (and the listen address) in File > Query / retrieve from PACS > "
                   "Nodes…, or give --listen-port P on the command line, and add our AE title {aet!r} with this "
                   "computer's address and that port to the PACS's DICOM nodes")
#: C-GET storage contexts, most wanted first: uncompressed, then each
#: compressed syntax we decode (lossless first) in a context of its own.
SYNTAX_GROUPS = (
    (ExplicitVRLittleEndian, ImplicitVRLittleEndian, DeflatedExplicitVRLittleEndian),
    (JPEG2000Lossless,), (JPEGLosslessSV1,), (JPEGLossless,), (JPEGLSLossless,), (RLELossless,),
    (JPEG2000,), (JPEGBaseline8Bit,), (JPEGExtended12Bit,), (JPEGLSNearLossless,),
)


class RetrieveMethod(str, Enum):
    GET = "get"
    MOVE = "move"


@dataclass
class SeriesOutcome:
    series_uid: str
    modality: str | None
    description: str | None
    promised: int | None            # (0020,1209) Number of Series Related Instances
    expected: set[str] | None       # SOP Instance UIDs listed at IMAGE level, if the PACS lists them
    before: int = 0                 # already in the cache
    received: int = 0
    present: set[str] = field(default_factory=set)

    @property
    def n_expected(self) -> int | None:
        return len(self.expected) if self.expected is not None else self.promised

    @property
    def missing(self) -> list[str]:
        """SOP Instance UIDs listed by the PACS that are not in the cache."""
        return sorted(self.expected - self.present) if self.expected is not None else []

    @property
    def n_missing(self) -> int:
        if self.expected is not None:
            return len(self.expected - self.present)
        return max((self.promised or 0) - len(self.present), 0)

    def name(self) -> str:
        return f"{self.modality or '?'} {self.description or ''}".strip() + f" [{self.series_uid}]"

    def to_json(self) -> dict:
        return {"series_uid": self.series_uid, "modality": self.modality, "description": self.description,
                "expected": self.n_expected, "already_cached": self.before, "received": self.received,
                "present": len(self.present), "missing": self.n_missing}


@dataclass
class RetrieveReport:
    study_uid: str
    folder: Path
    method: RetrieveMethod
    series: list[SeriesOutcome] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (SOP UID, reason) refused on arrival
    peer_status: str = ""  # what the PACS said at the end, when not plain success
    note: str = ""  # e.g. "C-GET refused by PACS X (...); retrieved by C-MOVE instead"
    requested: RetrieveMethod | None = None  # the method asked for, when another one was used

    @property
    def n_received(self) -> int:
        return sum(s.received for s in self.series)

    @property
    def n_skipped(self) -> int:
        return sum(s.before for s in self.series)

    @property
    def n_missing(self) -> int:
        return sum(s.n_missing for s in self.series)

    @property
    def complete(self) -> bool:
        return self.n_missing == 0

    def summary(self) -> str:
        total = sum(s.n_expected or 0 for s in self.series)
        text = (f"{self.n_received} instance(s) received, {self.n_skipped} already cached, "
                f"{total - self.n_missing}/{total} present in {self.folder}")
        return f"{self.note}. {text}" if self.note else text

    def missing_text(self) -> str:
        parts = [f"{s.n_missing} of {s.n_expected} from {s.name()}" for s in self.series if s.n_missing]
        text = "missing: " + "; ".join(parts)
        if self.failed:
            reasons = sorted({r for _, r in self.failed})
            text += f". {len(self.failed)} instance(s) refused on arrival: " + "; ".join(reasons[:3])
        if self.peer_status:
            text += f". The PACS said: {self.peer_status}"
        return text

    def to_json(self) -> dict:
        return {"study_uid": self.study_uid, "folder": str(self.folder), "method": self.method.value,
                "requested_method": (self.requested or self.method).value, "note": self.note,
                "complete": self.complete, "received": self.n_received, "already_cached": self.n_skipped,
                "missing": self.n_missing, "series": [s.to_json() for s in self.series],
                "refused": [{"sop_instance_uid": u, "reason": r} for u, r in self.failed],
                "peer_status": self.peer_status}


# ------------------------------------------------------------------ plan
def plan_study(client: PacsClient, study_uid: str, series_uids: list[str] | None = None,
               cancel: CancelCheck | None = None) -> tuple[list[SeriesOutcome], set[str]]:
    """The series to retrieve with what C-FIND promises, and the SOP classes seen."""
    outcomes: list[SeriesOutcome] = []
    classes: set[str] = set()
    with FindSession(client, StudyRootQueryRetrieveInformationModelFind, "listing the study on") as session:
        found = session.find(q.series_identifier(q.FindQuery(level="series"), study_uid), cancel)
        listed = {}
        for ds in found:
            uid = q.uid(ds, "SeriesInstanceUID")
            if uid is not None:
                listed[uid] = ds
        wanted = list(series_uids) if series_uids else sorted(listed)
        for uid in wanted:
            if uid not in listed:
                raise PacsError(f"series {uid} is not in study {study_uid} on {client.node.describe()}; "
                                "search again to see its series")
        if not wanted:
            raise PacsError(f"study {study_uid} is not on {client.node.describe()} (no series found); "
                            "check the study UID or search again")
        for uid in wanted:
            ds = listed[uid]
            expected: set[str] | None = None
            try:
                images = session.find(q.image_identifier(study_uid, uid), cancel)
            except AssociationDropped:
                raise
            except PacsError:  # no IMAGE-level query support: count only
                images = []
            if images:
                expected = {v for v in (q.uid(i, "SOPInstanceUID") for i in images) if v}
                classes.update(v for v in (q.uid(i, "SOPClassUID") for i in images) if v)
            outcomes.append(SeriesOutcome(uid, q.text(ds, "Modality"), q.text(ds, "SeriesDescription"),
                                          q.count(ds, "NumberOfSeriesRelatedInstances"), expected))
    return outcomes, classes


def _identifiers(study_uid: str, outcomes: list[SeriesOutcome]) -> list[Dataset]:
    """One retrieve identifier per series that lacks instances: the series, or its missing UIDs."""
    out = []
    for s in outcomes:
        if s.n_missing == 0 and (s.expected is not None or s.promised is not None):
            continue
        ds = Dataset()
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = s.series_uid
        if s.expected is not None and s.present:
            ds.QueryRetrieveLevel = "IMAGE"
            ds.SOPInstanceUID = s.missing
        else:
            ds.QueryRetrieveLevel = "SERIES"
        out.append(ds)
    return out


# -------------------------------------------------------------- retrieve
def retrieve_study(client: PacsClient, study_uid: str, series_uids: list[str] | None = None, *,
                   folder: str | Path | None = None, method: RetrieveMethod | str = RetrieveMethod.GET,
                   progress: Progress | None = None, cancel: CancelCheck | None = None) -> RetrieveReport:
    """Retrieve a study (or the given series) into ``folder`` (default: its cache folder).

    Raises
    ------
    RetrieveIncompleteError
        Instances are missing at the end; ``exc.report`` says which; what arrived is kept.
    Cancelled
        ``cancel()`` turned true; what arrived is kept (complete files only).
    PacsError
        The PACS cannot be reached, rejects us or refuses the retrieve.
    """
    method = RetrieveMethod(getattr(method, "value", method))
    in_cache = folder is None
    folder = Path(folder) if folder is not None else study_folder(study_uid)
    if not q.is_uid(study_uid):
        raise PacsError(f"study UID {study_uid!r}: not a DICOM UID")
    check_folder_writable(folder, in_cache=in_cache)
    remove_partial_files(folder)
    progress = progress or (lambda done, total, message="": None)
    progress(0, 0, f"Listing the study on {client.node.describe()}")
    outcomes, classes = plan_study(client, study_uid, series_uids, cancel)
    report = RetrieveReport(study_uid, folder, method, outcomes)
    _refresh(report)
    for s in outcomes:
        s.before = len(s.present)
    todo = sum(s.n_missing for s in outcomes)
    writer = None
    if todo or any(s.n_expected is None for s in outcomes):
        writer = InstanceWriter(folder, study_uid,
                                on_written=lambda n: progress(n, todo, f"Received {n} of {todo} instance(s)"))
        progress(0, todo, f"Retrieving {todo} instance(s) by C-{method.value.upper()}")
        identifiers = _identifiers(study_uid, outcomes)
        try:
            if method is RetrieveMethod.GET:
                try:
                    report.peer_status = _get(client, identifiers, classes, writer, cancel)
                except GetRefused as refusal:
                    note = f"C-GET refused by PACS {client.node.describe()} ({refusal})"
                    if client.local.listen_port is None:
                        raise PacsError(f"{note}; C-MOVE is the other way to retrieve, and it needs a listen "
                                        f"port: {MOVE_SETUP_HINT.format(aet=client.local.ae_title)}") from None
                    report.method, report.requested = RetrieveMethod.MOVE, RetrieveMethod.GET
                    report.note = f"{note}; retrieved by C-MOVE instead"
                    progress(writer.log.n_written, todo, f"{note}; retrieving by C-MOVE instead")
                    _refresh(report)
                    try:
                        report.peer_status = _move(client, _identifiers(study_uid, outcomes), writer, cancel)
                    except PacsError as exc:
                        raise PacsError(f"{note}; C-MOVE failed too: {exc}") from None
            else:
                report.peer_status = _move(client, identifiers, writer, cancel)
        finally:
            remove_partial_files(folder)
            report.failed = list(writer.log.failed)
            _refresh(report)
            for s in outcomes:
                s.received = len(writer.log.written.get(s.series_uid, ()))
    if not report.complete:
        n_present = sum(len(s.present) for s in outcomes)
        kept = (f"The {n_present} instance(s) there are kept in {folder}; retrieve again to fetch only "
                "what is missing" if n_present else "Nothing arrived")
        hint = ""
        if report.method is RetrieveMethod.MOVE and report.n_received == 0:
            hint = (f". For C-MOVE the PACS must reach our storage SCP {client.local.ae_title!r} at "
                    f"{client.local.bind_address}:{client.local.listen_port}: check that address and port "
                    "in its DICOM nodes" + (", or use C-GET" if report.requested is None else ""))
        if writer is not None and writer.log.refused_callers:
            hint += ". " + store_aet_hint(client, writer)
        note = f"{report.note}. " if report.note else ""
        raise RetrieveIncompleteError(
            f"{note}retrieve of study {study_uid} from {client.node.describe()} is incomplete: "
            f"{report.missing_text()}. {kept}{hint}", report)
    progress(todo, todo, report.summary())
    return report


def check_folder_writable(folder: str | Path, *, in_cache: bool = False, label: str | None = None,
                          todo: str | None = None) -> None:
    """Refuse, before anything is asked of the PACS, a study folder that cannot be created or
    written: every arriving instance would fail to be stored, and the PACS would then report
    the retrieve as refused (the message blamed the PACS for our folder).

    Nothing is left behind: the nearest existing folder is probed with a temporary file, and
    the study folder itself is created only when the first instance arrives.
    ``in_cache``: the folder is the default cache folder (the message then says how to move it).
    ``label`` and ``todo``: the start and the end of the message (default: "cannot retrieve
    into FOLDER" and what to do), e.g. ``--out DIR`` on the command line.

    Raises
    ------
    PacsError
        Naming the folder, why it cannot be used and what to do.
    """
    folder = Path(folder)
    label = label or f"cannot retrieve into {'the PACS cache folder ' if in_cache else ''}{folder}"
    todo = todo or ("make the user data folder writable, or set OLIGOPLAN_DATA_DIR to a folder you can write to"
                    if in_cache else "choose a folder you can write to (command line: --out DIR)")
    if folder.exists() and not folder.is_dir():
        raise PacsError(f"{label}: it is a file, not a folder; {todo}")
    existing = next((p for p in (folder, *folder.absolute().parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise PacsError(f"{label}: the folder cannot be created ({existing} is a file); {todo}")
    try:
        handle, probe = tempfile.mkstemp(prefix=".oligoplan-write-test-", dir=existing)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise PacsError(f"{label}: {existing} is not writable ({exc.strerror or exc}); {todo}") from None


def store_aet_hint(client: PacsClient, writer: InstanceWriter) -> str:
    """Why deliveries were turned away, and the setting that lets the PACS in."""
    return (f"our storage SCP refused deliveries from AE title(s) "
            f"{', '.join(repr(a) for a in sorted(writer.log.refused_callers))} (it accepts only "
            f"{', '.join(repr(a) for a in client.node.delivering_ae_titles)}): if that is the PACS, "
            "set it as the node's store AE title (PACS nodes dialog; command line: --store-aet)")


def _refresh(report: RetrieveReport) -> None:
    cached = cached_instances(report.folder)
    for s in report.series:
        s.present = set(cached.get(s.series_uid, set()))


def _get(client: PacsClient, identifiers: list[Dataset], classes: set[str], writer: InstanceWriter,
         cancel: CancelCheck | None) -> str:
    ae = client.make_ae()
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    storage = sorted(classes) if classes else list(DEFAULT_GET_CLASSES)
    if len(storage) > MAX_CONTEXTS:
        raise PacsError(f"the study holds {len(storage)} kinds of DICOM objects; C-GET can ask for at most "
                        f"{MAX_CONTEXTS}: retrieve fewer series at a time, or use C-MOVE")
    # One context per transfer syntax group: the PACS sends each instance as
    # stored when a context with its syntax exists (it may not transcode).
    groups = SYNTAX_GROUPS[: max(1, MAX_CONTEXTS // len(storage))]
    for syntaxes in groups:
        for uid in storage:
            ae.add_requested_context(uid, list(syntaxes))
    roles = [build_role(uid, scp_role=True) for uid in storage]
    handlers = [(evt.EVT_C_STORE, writer.handle_store)]
    statuses = []
    with client.association(ae, ext_neg=roles, evt_handlers=handlers, doing="retrieving from") as assoc:
        get_model = str(StudyRootQueryRetrieveInformationModelGet)
        if not any(c.abstract_syntax == get_model for c in assoc.accepted_contexts):
            raise GetRefused("it rejected the C-GET presentation context")
        with CancelWatch(assoc, cancel) as watch:
            try:
                for identifier in identifiers:
                    seen = writer.log.n_seen
                    start = time.monotonic()
                    responses = assoc.send_c_get(identifier, StudyRootQueryRetrieveInformationModelGet)
                    statuses.append(_drain(client, responses, "C-GET", watch,
                                           refusal=_GetWatch(writer, seen, start, client.timeout_s)))
            except _Dropped as exc:
                statuses.append(str(exc))
    return "; ".join(dict.fromkeys(s for s in statuses if s))


def _move(client: PacsClient, identifiers: list[Dataset], writer: InstanceWriter,
          cancel: CancelCheck | None) -> str:
    local, node = client.local, client.node
    if local.listen_port is None:
        raise PacsError(f"C-MOVE from {node.describe()} needs a listen port for our storage SCP: "
                        + MOVE_SETUP_HINT.format(aet=local.ae_title) + "; or use C-GET")
    scp = client.make_ae()
    scp.supported_contexts = [c for c in _storage_contexts()]
    # only the node we asked may deliver (from its AE title, or its store AE title)
    scp.require_calling_aet = node.delivering_ae_titles

    def on_rejected(event) -> None:
        caller = str(getattr(event.assoc.requestor, "ae_title", "") or "").strip()
        writer.log.refused_callers.add(caller[:16] or "(none)")

    try:
        server = scp.start_server((local.bind_address, local.listen_port), block=False,
                                  evt_handlers=[(evt.EVT_C_STORE, writer.handle_store),
                                                (evt.EVT_REQUESTED, lambda event: quick_ack(event.assoc)),
                                                (evt.EVT_REJECTED, on_rejected)])
    except OSError as exc:
        raise PacsError(f"cannot listen on {local.bind_address}:{local.listen_port} for the C-MOVE ({exc}); "
                        "choose another listen port or address in the PACS settings (on the command line: "
                        "--listen-port P, --listen-address ADDR)") from None
    try:
        ae = client.make_ae()
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelMove)
        statuses = []
        with client.association(ae, doing="retrieving from") as assoc:
            with CancelWatch(assoc, cancel) as watch:
                try:
                    for identifier in identifiers:
                        responses = assoc.send_c_move(identifier, local.ae_title,
                                                      StudyRootQueryRetrieveInformationModelMove)
                        statuses.append(_drain(client, responses, "C-MOVE", watch, writer=writer))
                except _Dropped as exc:
                    statuses.append(str(exc))
        return "; ".join(dict.fromkeys(s for s in statuses if s))
    finally:
        server.shutdown()  # nothing listens once the retrieve is over


def _storage_contexts():
    from pynetdicom.presentation import build_context

    return [build_context(c.abstract_syntax, ACCEPTED_SYNTAXES) for c in StoragePresentationContexts]


def _drain(client: PacsClient, responses, what: str, watch: CancelWatch,
           refusal: "_GetWatch | None" = None, writer: InstanceWriter | None = None) -> str:
    """Read a C-GET/C-MOVE's responses; '' on success, the peer's complaint otherwise.

    With ``refusal`` (C-GET), a response that means "C-GET is refused" raises
    :class:`GetRefused` so that the caller can ask by C-MOVE instead.
    """
    last = ""
    answered = False
    waiting_since = time.monotonic()
    for status, identifier in responses:
        code = _status_code(status)
        if watch.fired:
            raise Cancelled("retrieve cancelled")
        if code is None:  # the association ended without a final response
            node = client.node
            if not _reachable(node.host, node.port, min(client.timeout_s, 5.0)):
                raise _Dropped(f"{what}: the PACS stopped answering and no longer accepts connections at "
                               f"{node.host}:{node.port} (it stopped or restarted); retrieve again when it "
                               "is back")
            if refusal is not None and not answered and refusal.nothing_arrived() and refusal.peer_ended():
                raise GetRefused("it closed the association on the C-GET request")
            if client.timed_out(time.monotonic() - waiting_since):
                raise _Dropped(f"{what}: the PACS stopped answering: it was silent, no response within "
                               f"{client.timeout_s:g} s (it may be hung or overloaded)")
            raise _Dropped(f"{what}: the PACS stopped answering: it closed the association before the "
                           "retrieve ended")
        answered = True
        waiting_since = time.monotonic()
        if code in PENDING:
            continue
        failed = _sub_ops(status, "NumberOfFailedSuboperations")
        if refusal is not None and refusal.nothing_arrived():
            # every sub-operation failed says more than 0xA702 "out of resources", not than a refusal
            if failed and not _sub_ops(status, "NumberOfCompletedSuboperations") and code not in (0x0122, 0x0124):
                raise GetRefused(f"status 0x{code:04X}: all {failed} sub-operation(s) failed without a single "
                                 "instance sent to us; it cannot store on our association (storage SCP role)")
            if code in GET_REFUSALS:
                raise GetRefused(f"status 0x{code:04X}, {GET_REFUSALS[code]}")
        if code == 0x0000:
            return ""
        if code == 0xA801 and writer is not None and writer.log.refused_callers:
            raise PacsError(f"C-MOVE from {client.node.describe()}: " + store_aet_hint(client, writer))
        if code == 0xA801:
            raise PacsError(
                f"{client.node.describe()} does not know our AE title {client.local.ae_title!r} as a C-MOVE "
                f"destination: add it with host {client.local.bind_address} and port "
                f"{client.local.listen_port} to the PACS's DICOM nodes, or use C-GET")
        if code in (0xB000, 0xFE00) or failed:
            last = f"{what} status 0x{code:04X}, {failed or 'some'} sub-operation(s) failed"
        else:
            last = f"{what} status 0x{code:04X} ({status_text(code)})"
        return last
    if watch.fired:
        raise Cancelled("retrieve cancelled")
    return last


class _Dropped(Exception):
    """The association ended before the final response (peer abort, timeout)."""


class GetRefused(Exception):
    """The PACS will not serve this C-GET (the text says how it refused); C-MOVE may work."""


class _GetWatch:
    """What a C-GET refusal check needs: did any instance reach us, and did the
    peer end the association (rather than our timeout)?"""

    def __init__(self, writer: InstanceWriter, seen_before: int, start: float, timeout_s: float):
        self.writer, self.seen_before, self.start, self.timeout_s = writer, seen_before, start, timeout_s

    def nothing_arrived(self) -> bool:
        return self.writer.log.n_seen == self.seen_before

    def peer_ended(self) -> bool:
        return time.monotonic() - self.start < 0.9 * self.timeout_s


def _sub_ops(status: Dataset, keyword: str) -> int:
    try:
        return int(status.get(keyword) or 0)
    except (TypeError, ValueError):
        return 0



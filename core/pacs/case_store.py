"""OligoPlan cases on the PACS: list a study's cases, send a case, never overwrite silently.

A case lives on the PACS as what ``oligoplan export --dicom`` writes, in the images' study:
the lesions' SEG, the TID 1500 SR (which rebuilds the case: core.rt.open_dicom) and the
summary as Encapsulated PDF. Each send is a new SR; nothing on the PACS is ever replaced.

* :func:`list_cases`: every OligoPlan SR of a study, newest first, with its date and time,
  author and review state. The SR series are retrieved into the study's cache folder (SRs
  are small) and read there, so what is shown is what the reports say, whatever the PACS
  returns to a C-FIND.
* :func:`send_case`: the case exported as DICOM into a staging folder and C-STOREd, with the
  images of the case the PACS does not hold yet (asked by C-FIND at IMAGE level, per series);
  images already there are not sent again. Before anything is sent, the study's OligoPlan SRs
  are compared with the case's *base* (the SR it was opened from, or last sent as,
  :func:`case_base`): when one made after it exists, :class:`NewerCaseOnPacs` is raised and
  nothing is sent (unless ``force``).
* The case remembers its base in ``case.extra["pacs_base"]`` (set by a send) or
  ``case.extra["rebuilt_from"]`` (set by open-dicom); both hold ``sr_sop_uid``, ``study_uid``
  and ``content_datetime`` (the SR's ContentDate + ContentTime).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import NewerCaseOnPacs, PacsError
from core.review import ReviewState
from core.pacs import query as q
from core.pacs.cache import study_folder
from core.pacs.client import CancelCheck, FindSession, PacsClient, Progress
from core.pacs.send import SendReport, send_files

#: where a case is exported before it is sent (removed after the send)
OUTGOING_DIR = "pacs-outgoing"
BASE_KEY = "pacs_base"


def iso_datetime(value: str) -> str:
    """``YYYYMMDDHHMMSS(.ffffff)`` -> ``YYYY-MM-DDTHH:MM:SS``; other text as it came."""
    d = str(value or "")
    if len(d) >= 14 and d[:14].isdigit():
        return f"{d[0:4]}-{d[4:6]}-{d[6:8]}T{d[8:10]}:{d[10:12]}:{d[12:14]}"
    return d


@dataclass(frozen=True)
class CaseOnPacs:
    """One OligoPlan SR of a study on the PACS: one version of the case."""

    sr_sop_uid: str
    series_uid: str
    study_uid: str
    content_datetime: str  # YYYYMMDDHHMMSS(.ffffff), as the SR says
    author: str  # who sent it ("" when the report does not say)
    role: str
    review_state: ReviewState | None  # None: the report names a state this OligoPlan does not know
    signoffs: tuple[dict, ...] = ()
    path: Path | None = None  # the SR in the study's cache folder
    #: why the report could not be read ('' when it was): listed all the same, by its header's time
    problem: str = ""

    @property
    def when(self) -> str:
        return iso_datetime(self.content_datetime)

    @property
    def state_text(self) -> str:
        if self.problem:
            return "unreadable report"
        return self.review_state.value if self.review_state is not None else "unknown state"

    def describe(self) -> str:
        who = self.author or "an unknown author"
        return f"{self.state_text} version by {who}" + (f" ({self.role})" if self.role else "") + \
            f", made {self.when.replace('T', ' ')}"

    def to_json(self) -> dict:
        return {"sr_sop_uid": self.sr_sop_uid, "series_uid": self.series_uid, "study_uid": self.study_uid,
                "content_datetime": self.when, "author": self.author or None, "role": self.role or None,
                "review_state": self.review_state.value if self.review_state is not None else None,
                "signoffs": [{k: s.get(k) for k in ("state", "name", "role", "when", "comment")}
                             for s in self.signoffs], "problem": self.problem or None}


def read_case_version(path: Path, series_uid: str = "") -> CaseOnPacs:
    """One OligoPlan SR read from its file: date, author, review state and sign-offs."""
    import highdicom as hd

    from core.rt import sr_case

    try:
        sr = hd.sr.srread(path)
        items = sr_case.read_case_items(sr)
    except Exception as exc:  # noqa: BLE001 - a report that cannot be parsed is named, not dropped
        raise PacsError(f"{Path(path).name}: an OligoPlan SR that cannot be read ({type(exc).__name__}: {exc})") \
            from None
    author, role = items.author.get("name", ""), items.author.get("role", "")
    if not author and items.signoffs:  # older reports: their last signer
        author, role = str(items.signoffs[-1].get("name", "")), str(items.signoffs[-1].get("role", ""))
    return CaseOnPacs(str(sr.SOPInstanceUID), series_uid or str(sr.SeriesInstanceUID), str(sr.StudyInstanceUID),
                      f"{getattr(sr, 'ContentDate', '')}{getattr(sr, 'ContentTime', '')}", author, role,
                      _state(items.review_state), tuple(items.signoffs), Path(path))


def _state(text: str) -> ReviewState | None:
    try:
        return ReviewState(str(text))
    except ValueError:
        return None


def list_cases(client: PacsClient, study_uid: str, *, cache_root: str | Path | None = None,
               progress: Progress | None = None, cancel: CancelCheck | None = None) -> list[CaseOnPacs]:
    """Every OligoPlan SR of ``study_uid`` on the PACS, newest first (retrieved into the study's
    cache folder; what is there already is not fetched again)."""
    from core.pacs.retrieve import retrieve_study
    from core.rt.open_dicom import find_objects

    if not q.is_uid(study_uid):
        raise PacsError(f"study UID {study_uid!r}: not a DICOM UID")
    progress = progress or (lambda done, total, message="": None)
    progress(0, 0, f"Looking for OligoPlan cases on {client.node.describe()}")
    # every series of the study, SRs picked here: a PACS that does not fill in Modalities in Study
    # would otherwise hide the cases (and a send would go on top of them)
    series = [r.series_uid for r in client.find(q.FindQuery(level="series", study_uid=study_uid), cancel=cancel)
              if r.series_uid and (r.modality or "").upper() == "SR"]
    if not series:
        return []
    folder = study_folder(study_uid, cache_root)
    retrieve_study(client, study_uid, series, folder=folder, progress=progress, cancel=cancel)
    found = find_objects(folder)
    on_pacs = set(series)
    out = []
    for report in found.reports:
        if report.study_uid != study_uid:
            continue
        try:
            version = read_case_version(report.path)
        except PacsError as exc:  # listed all the same (its time still counts): never hidden
            out.append(CaseOnPacs(report.sop_uid, "", report.study_uid, report.content_datetime, "", "", None,
                                  path=report.path, problem=str(exc)))
            continue
        if version.series_uid in on_pacs:  # not one left in the cache after it went from the PACS
            out.append(version)
    out.sort(key=lambda c: (c.content_datetime, c.sr_sop_uid), reverse=True)
    return out


def case_base(case) -> dict | None:
    """The SR this case is based on: the one it was last sent as, else the one it was rebuilt from."""
    for key in (BASE_KEY, "rebuilt_from"):
        base = case.extra.get(key)
        if isinstance(base, dict) and base.get("sr_sop_uid"):
            return base
    return None


def newer_versions(cases: list[CaseOnPacs], base: dict | None) -> list[CaseOnPacs]:
    """The versions on the PACS made after ``base`` or at the same time (all of them when the case has
    no base, or when the base's time is not known: unknown is not "older")."""
    if base is None:
        return list(cases)
    uid = base.get("sr_sop_uid")
    on_pacs = next((c for c in cases if c.sr_sop_uid == uid), None)
    when = on_pacs.content_datetime if on_pacs is not None else str(base.get("content_datetime") or "")
    if not when:
        return [c for c in cases if c.sr_sop_uid != uid]
    # made at the same time as the base is not known to be older: counted as newer
    return [c for c in cases if c.sr_sop_uid != uid and c.content_datetime >= when]


def conflict_message(newer: list[CaseOnPacs], base: dict | None) -> str:
    first = newer[0]
    since = ("this case was opened or last sent" if base is not None
             else "this case was made here (it was never opened from or sent to the PACS)")
    more = f" ({len(newer)} newer versions in all)" if len(newer) > 1 else ""
    return (f"not sent: the PACS holds a newer version of this case: the {first.describe()}, SR "
            f"{first.sr_sop_uid}{more}, made after {since}. Sending would put an older version on top of it. "
            "Open the newer one (`oligoplan open-dicom ... --sr-uid UID`, or the PACS dialog), or send anyway "
            "as a new version with --force (nothing on the PACS is replaced)")


@dataclass
class SendCaseReport:
    """What :func:`send_case` did."""

    study_uid: str
    sr_sop_uid: str = ""
    content_datetime: str = ""
    images_total: int = 0
    images_skipped: int = 0
    skip_reason: str = ""
    objects: list[str] = field(default_factory=list)  # the exported files sent (names)
    send: SendReport = field(default_factory=SendReport)
    #: newer versions on the PACS that a forced send went past
    forced_past: list[CaseOnPacs] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.send.ok

    @property
    def images_sent(self) -> int:
        return self.images_total - self.images_skipped

    def summary(self) -> str:
        text = (f"case sent as a new OligoPlan SR ({', '.join(self.objects)}) with {self.images_sent} image(s)"
                if self.ok else f"the case was not sent completely: {self.send.summary()}")
        if self.images_skipped:
            text += f"; {self.images_skipped} image(s) not sent again: {self.skip_reason}"
        elif self.skip_reason:
            text += f"; {self.skip_reason}"
        return text

    def to_json(self) -> dict:
        return {"study_uid": self.study_uid, "sr_sop_uid": self.sr_sop_uid or None,
                "content_datetime": iso_datetime(self.content_datetime) or None, "ok": self.ok,
                "objects": list(self.objects), "images": {"total": self.images_total, "sent": self.images_sent,
                                                          "skipped": self.images_skipped,
                                                          "skip_reason": self.skip_reason or None},
                "send": self.send.to_json(), "forced_past": [c.to_json() for c in self.forced_past],
                "notes": list(self.notes)}


def _image_files(volumes) -> dict[str, list[tuple[str, str]]]:
    """{series UID: [(SOP instance UID, file)]} of the case's images."""
    import pydicom

    out: dict[str, list[tuple[str, str]]] = {}
    for volume in volumes:
        files = list(volume.source_files)
        uids = list(volume.sop_instance_uids)
        if len(files) != len(uids):
            uids = [str(pydicom.dcmread(f, stop_before_pixels=True, specific_tags=["SOPInstanceUID"]).SOPInstanceUID)
                    for f in files]
        pairs = out.setdefault(volume.info.series_uid, [])
        pairs.extend((u, f) for u, f in zip(uids, files) if (u, f) not in pairs)
    return out


def _held_by_pacs(client: PacsClient, study_uid: str, series: list[str], cancel) -> tuple[dict[str, set[str]], str]:
    """The SOP instance UIDs the PACS holds of each series (C-FIND at IMAGE level), and why none
    could be asked ('' when asked)."""
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind

    from core.pacs.client import AssociationDropped

    held: dict[str, set[str]] = {}
    try:
        with FindSession(client, StudyRootQueryRetrieveInformationModelFind, "asking which images are on") as s:
            for uid in series:
                found = s.find(q.image_identifier(study_uid, uid), cancel)
                held[uid] = {v for v in (q.uid(ds, "SOPInstanceUID") for ds in found) if v}
    except AssociationDropped:
        raise
    except PacsError as exc:
        return {}, f"the PACS did not say which images it holds ({exc}); all are sent"
    return held, ""


#: a staging folder older than this was left by a send that was killed
STALE_AFTER_S = 24 * 3600


def _remove_stale(staging_root: Path) -> None:
    import time

    for folder in staging_root.glob("send-*"):
        try:
            if time.time() - folder.stat().st_mtime > STALE_AFTER_S:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def _export_options(author: tuple[str, str] | None):
    """The options of `export --dicom` with their defaults (the case's own rule sets, today's date),
    the sender as the summary's author."""
    import argparse

    from core.summary.export_steps import add_summary_options

    parser = argparse.ArgumentParser(prog="oligoplan pacs send-case", add_help=False)
    add_summary_options(parser)
    args = parser.parse_args(["--author", author[0]] if author else [])
    args.command = "pacs send-case"
    return args


def send_case(client: PacsClient, case, case_path: str | Path, *, workspace=None,
              author: tuple[str, str] | None = None, force: bool = False,
              staging_root: str | Path | None = None, cache_root: str | Path | None = None,
              progress: Progress | None = None, cancel: CancelCheck | None = None) -> SendCaseReport:
    """Export ``case`` as DICOM and send it, with the images the PACS lacks; record the SR sent as
    the case's base (``case.extra["pacs_base"]``; the caller saves the case).

    ``workspace``: the case's images when already open (the gui); else they are opened from the
    case file's folder. ``author``: (name, role) recorded in the SR as who sent it. ``staging_root``:
    where the export is made (default: the data folder's ``pacs-outgoing/``; removed after the send,
    and what a killed send left there is removed after a day); ``cache_root``: the PACS cache, where
    the study's OligoPlan SRs are retrieved to be compared.

    Raises
    ------
    NewerCaseOnPacs
        The PACS holds a version made after the case's base (not with ``force``): nothing sent.
    PacsError, ExportError, Cancelled
        As the export and the send raise them; the case is left as it was.
    """
    from core.appdirs import data_dir
    from core.cli_export import ExportJob
    from core.rt.export_job import SR_NAME, write_case_dicom
    from core.rt.rtstruct_write import read_image_header

    progress = progress or (lambda done, total, message="": None)
    case_path = Path(case_path)
    staging_root = Path(staging_root) if staging_root is not None else data_dir() / OUTGOING_DIR
    staging_root.mkdir(parents=True, exist_ok=True)
    _remove_stale(staging_root)
    out_dir = Path(tempfile.mkdtemp(prefix="send-", dir=staging_root))
    try:
        job = ExportJob(case=case, case_path=case_path, out_dir=out_dir, sr_author=author,
                        args=_export_options(author))
        if workspace is not None:
            job.workspace = workspace
        volumes = [v for v in (job.workspace.primary, job.workspace.pet) if v is not None]
        header = read_image_header(job.workspace.primary)
        study_uid = str(getattr(header, "StudyInstanceUID", "") or job.workspace.primary.info.study_uid)
        if not q.is_uid(study_uid):
            raise PacsError("the case's images name no study (Study Instance UID); they cannot be sent to a PACS")
        report = SendCaseReport(study_uid)
        base = case_base(case)
        if base is not None and base.get("study_uid") and base["study_uid"] != study_uid:
            report.notes.append(f"the case was based on SR {base['sr_sop_uid']} of another study; every version "
                                "of this study on the PACS counts as newer")
            base = None
        versions = list_cases(client, study_uid, cache_root=cache_root, progress=progress, cancel=cancel)
        newer = newer_versions(versions, base)
        if newer and not force:
            raise NewerCaseOnPacs(conflict_message(newer, base), newer, base)
        report.forced_past = newer
        progress(0, 0, f"Asking {client.node.describe()} which images it holds")
        files = _image_files(volumes)
        held, why = _held_by_pacs(client, study_uid, list(files), cancel)
        report.skip_reason = why or "the PACS already holds them (C-FIND at IMAGE level)"
        to_send = []
        for series, pairs in files.items():
            report.images_total += len(pairs)
            there = held.get(series, set())
            report.images_skipped += sum(1 for u, _ in pairs if u in there)
            to_send.extend(f for u, f in pairs if u not in there)
        progress(0, 0, "Exporting the case as DICOM (SEG, SR, summary PDF)")
        written = write_case_dicom(job, cancel)
        report.notes.extend(job.notes)
        sr_path = out_dir / SR_NAME
        objects = [p for p in written if p != sr_path] + [sr_path]  # the SR last: what it references is there
        report.objects = [p.name for p in objects]
        report.send = send_files(client, to_send + [str(p) for p in objects], progress, cancel)
        import pydicom

        sr = pydicom.dcmread(sr_path, stop_before_pixels=True)
        report.sr_sop_uid = str(sr.SOPInstanceUID)
        report.content_datetime = f"{getattr(sr, 'ContentDate', '')}{getattr(sr, 'ContentTime', '')}"
        if str(sr_path) in report.send.sent:
            case.extra[BASE_KEY] = {"sr_sop_uid": report.sr_sop_uid, "study_uid": study_uid,
                                    "content_datetime": report.content_datetime, "node": client.node.describe()}
        return report
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)

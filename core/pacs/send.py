"""Send DICOM files (exports, or any folder of DICOM) to a PACS: C-STORE.

Files are found as the folder scan finds them (recursively, hidden files and
known non-DICOM names skipped); each is read once for its SOP class and
transfer syntax so that the association proposes exactly what is needed, and
sent as stored. Files that are not DICOM are reported, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from pydicom import dcmread
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from core.errors import Cancelled, PacsError
from core.pacs.client import CancelCheck, CancelWatch, PacsClient, Progress, _status_code, status_text

MAX_CONTEXTS = 128

STORE_WARNINGS = {0xB000: "coerced some attributes", 0xB006: "elements were discarded",
                  0xB007: "the data set does not match its SOP class"}


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)   # (file, what the PACS said)
    failed: list[tuple[str, str]] = field(default_factory=list)     # (file, reason)
    not_dicom: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.not_dicom

    def summary(self) -> str:
        text = f"{len(self.sent)} file(s) sent"
        if self.warnings:
            text += f", {len(self.warnings)} with a warning"
        if self.failed:
            text += f", {len(self.failed)} refused"
        if self.not_dicom:
            text += f", {len(self.not_dicom)} not DICOM (not sent)"
        return text

    def to_json(self) -> dict:
        return {"sent": len(self.sent), "warnings": [{"file": f, "message": m} for f, m in self.warnings],
                "failed": [{"file": f, "reason": r} for f, r in self.failed],
                "not_dicom": [{"file": f, "reason": r} for f, r in self.not_dicom]}


@dataclass(frozen=True)
class _Outgoing:
    path: str
    sop_class: str
    transfer_syntax: str


def collect_files(paths: Sequence[str | Path], report: SendReport) -> list[_Outgoing]:
    """Every DICOM file among ``paths`` (files, or folders searched recursively)."""
    from core.dicom.scan import list_files

    found: list[_Outgoing] = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise PacsError(f"{path}: no such file or folder; nothing was sent")
        for name in list_files(path):
            try:
                ds = dcmread(name, stop_before_pixels=True, specific_tags=["SOPClassUID", "SOPInstanceUID"])
                sop_class = str(ds.SOPClassUID)
                syntax = str(ds.file_meta.TransferSyntaxUID)
            except Exception as exc:  # noqa: BLE001 - not DICOM, or no SOP class / file meta
                report.not_dicom.append((name, f"not a DICOM file with a SOP class ({type(exc).__name__})"))
                continue
            found.append(_Outgoing(name, sop_class, syntax))
    return found


def send_files(client: PacsClient, paths: Sequence[str | Path], progress: Progress | None = None,
               cancel: CancelCheck | None = None) -> SendReport:
    """C-STORE every DICOM file among ``paths`` to the client's node."""
    report = SendReport()
    files = collect_files(paths, report)
    if not files:
        raise PacsError("no DICOM files to send among "
                        + ", ".join(str(p) for p in paths)
                        + (f" ({len(report.not_dicom)} file(s) are not DICOM)" if report.not_dicom else ""))
    # One context per (SOP class, transfer syntax): the PACS accepts one syntax
    # per context, and compressed files are sent as stored, never re-encoded.
    uncompressed = (str(ExplicitVRLittleEndian), str(ImplicitVRLittleEndian))
    contexts = sorted({(f.sop_class, f.transfer_syntax if f.transfer_syntax not in uncompressed else "")
                       for f in files})
    if len(contexts) > MAX_CONTEXTS:
        raise PacsError(f"the files hold {len(contexts)} kinds of DICOM objects and encodings; one association "
                        f"carries at most {MAX_CONTEXTS}: send them in smaller groups")
    ae = client.make_ae()
    for sop_class, syntax in contexts:
        ae.add_requested_context(sop_class, [syntax] if syntax else list(uncompressed))
    progress = progress or (lambda done, total, message="": None)
    with client.association(ae, doing="sending to") as assoc:
        accepted = {(c.abstract_syntax, c.transfer_syntax[0]) for c in assoc.accepted_contexts}
        with CancelWatch(assoc, cancel) as watch:
            for n, f in enumerate(files):
                if watch.fired:
                    raise Cancelled(f"sending cancelled after {len(report.sent)} file(s)")
                progress(n, len(files), f"Sending {n + 1} of {len(files)}")
                if (f.sop_class, f.transfer_syntax) not in accepted and not (
                        f.transfer_syntax in uncompressed and any((f.sop_class, u) in accepted for u in uncompressed)):
                    report.failed.append((f.path, f"the PACS does not accept SOP class {f.sop_class} in transfer "
                                                  f"syntax {f.transfer_syntax}"))
                    continue
                try:
                    status = assoc.send_c_store(f.path)
                except (ValueError, AttributeError) as exc:
                    report.failed.append((f.path, f"cannot be sent as stored ({exc})"))
                    continue
                code = _status_code(status)
                if watch.fired:
                    raise Cancelled(f"sending cancelled after {len(report.sent)} file(s)")
                if code is None:
                    raise PacsError(
                        f"sending to {client.node.describe()}: the PACS stopped answering after "
                        f"{len(report.sent)} of {len(files)} file(s); send again (files already stored "
                        "are simply stored again)")
                if code == 0x0000:
                    report.sent.append(f.path)
                elif code in STORE_WARNINGS:
                    report.sent.append(f.path)
                    report.warnings.append((f.path, STORE_WARNINGS[code]))
                else:
                    report.failed.append((f.path, f"status 0x{code:04X} ({status_text(code)})"))
    progress(len(files), len(files), report.summary())
    return report

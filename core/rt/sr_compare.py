"""A case file's audit trail compared with the OligoPlan SR(s) exported from it.

``oligoplan export --dicom`` writes, in the report's case container (core.rt.sr_case), the
sign-offs and a record of the audit trail as it was at export: its ``head`` and ``count``
and each entry's seq, hash, action, time and author. The SR lives in the PACS, outside the
case file, so it anchors the chain: a file whose entries, sign-offs or lesions were cut
after the export (even with the chain's hashes, head and count recomputed, which the file
alone cannot show) no longer holds what the SR recorded.

:func:`compare_with_reports` compares a case with every OligoPlan SR of its images (a file
or a folder; a PACS retrieval is a folder) exported from this case (the SR names the case's
``case_uid``: SRs of other cases on the same images are left out and counted) and says, in lines a clinician reads, what
differs:

* an entry the SR recorded that the file no longer has (removed or changed after the export);
* a chain head the SR recorded that the file's chain does not contain (cut or rewritten);
* a trail that no longer begins with the SR's first entry (rewritten from its start);
* a sign-off in the SR missing from the file, or changed (name, role, time, comment);
* a lesion in the SR missing from the file with no recorded deletion.

Those are *differences* (warnings: they reach the verdict panel and the report as the
audit trail's own warnings do). Entries added after the export and lesions deleted after
it by a recorded edit are normal and listed as such. What it cannot show: a change made
*before* the export (the SR recorded it as it was), a case never exported, and an SR
replaced in the PACS by one written from the altered file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import highdicom as hd
import pydicom

from core.audit import AuditAction, AuditEntry
from core.errors import OligoPlanError
from core.rt import sr_case
from core.rt.open_dicom import COMPREHENSIVE_3D_SR, Report, find_objects

#: at most this many lines of one kind per report (the rest are counted in one line)
MAX_LINES = 12


class SrCompareError(OligoPlanError):
    """No OligoPlan SR of the case's images where the user pointed."""


class Finding(str, Enum):
    """What one line of a comparison says."""

    ENTRY_REMOVED = "entry_removed"
    HEAD_MISSING = "head_missing"
    CHAIN_REWRITTEN = "chain_rewritten"
    SIGNOFF_MISSING = "signoff_missing"
    SIGNOFF_CHANGED = "signoff_changed"
    LESION_MISSING = "lesion_missing"
    ENTRY_ADDED = "entry_added_after_export"
    LESION_DELETED = "lesion_deleted_after_export"
    NOT_COMPARED = "not_compared"

    @property
    def is_difference(self) -> bool:
        return self in _DIFFERENCES


_DIFFERENCES = {Finding.ENTRY_REMOVED, Finding.HEAD_MISSING, Finding.CHAIN_REWRITTEN, Finding.SIGNOFF_MISSING,
                Finding.SIGNOFF_CHANGED, Finding.LESION_MISSING}


@dataclass(frozen=True)
class Line:
    finding: Finding
    text: str

    def to_json(self) -> dict:
        return {"kind": self.finding.value, "text": self.text}


@dataclass
class ReportComparison:
    """The case compared with one SR."""

    report: Report
    author: str
    lines: list[Line] = field(default_factory=list)

    @property
    def when(self) -> str:
        d = self.report.content_datetime
        return f"{d[0:4]}-{d[4:6]}-{d[6:8]} {d[8:10]}:{d[10:12]}" if len(d) >= 12 else (d or "unknown date")

    @property
    def differences(self) -> list[Line]:
        return [line for line in self.lines if line.finding.is_difference]

    @property
    def consistent(self) -> bool:
        return not self.differences

    @property
    def name(self) -> str:
        return f"the SR of {self.when} by {self.author}"

    def headline(self) -> str:
        if self.consistent:
            return f"Consistent with {self.name}"
        n = len(self.differences)
        return f"Differs from {self.name}: {n} difference{'s' if n != 1 else ''}"

    def to_json(self) -> dict:
        return {**self.report.to_json(), "author": self.author, "consistent": self.consistent,
                "headline": self.headline(),
                "differences": [line.to_json() for line in self.differences],
                "notes": [line.to_json() for line in self.lines if not line.finding.is_difference]}


@dataclass
class SrComparison:
    """The case compared with every OligoPlan SR of its images found at ``source``."""

    source: str
    reports: list[ReportComparison] = field(default_factory=list)
    #: SRs of the same images made from other cases (another case id): not compared
    other_cases: list[Report] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return all(r.consistent for r in self.reports)

    def warnings(self) -> list[str]:
        """The differences as audit-trail warnings (case.integrity_warnings)."""
        return [f"Audit trail compared with {r.name}: {line.text}" for r in self.reports for line in r.differences]

    def text_lines(self) -> list[str]:
        out = []
        for r in self.reports:
            out.append(f"{r.headline()} ({r.report.path.name})")
            out.extend(f"  {'DIFFERS' if line.finding.is_difference else 'note'}: {line.text}" for line in r.lines)
        if self.other_cases:
            out.append(f"Not compared: {len(self.other_cases)} SR(s) of other cases on the same images "
                       f"({', '.join(r.path.name for r in self.other_cases)})")
        return out

    def to_json(self) -> dict:
        return {"source": self.source, "consistent": self.consistent,
                "reports": [r.to_json() for r in self.reports], "warnings": self.warnings(),
                "other_cases": [r.to_json() for r in self.other_cases]}


# ------------------------------------------------------------------ finding
def reports_at(path: str | Path) -> list[Report]:
    """The OligoPlan SRs in ``path`` (an SR file, or a folder searched below)."""
    path = Path(path)
    if path.is_dir():
        return find_objects(path).reports
    if not path.is_file():
        raise SrCompareError(f"{path}: no such file or folder; give an OligoPlan SR (sr.dcm) or the folder "
                             "holding it")
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except Exception as exc:  # noqa: BLE001 - not DICOM, or broken
        raise SrCompareError(f"{path.name}: not a DICOM file ({exc.__class__.__name__}); give the sr.dcm "
                             "`oligoplan export --dicom` wrote") from None
    if str(getattr(ds, "SOPClassUID", "")) != COMPREHENSIVE_3D_SR or str(getattr(ds, "Manufacturer", "")) != "OligoPlan":
        raise SrCompareError(f"{path.name}: not an OligoPlan SR (a Comprehensive 3D SR written by "
                             "`oligoplan export --dicom`)")
    return [Report(path, str(ds.SOPInstanceUID), str(getattr(ds, "StudyInstanceUID", "")),
                   f"{getattr(ds, 'ContentDate', '')}{getattr(ds, 'ContentTime', '')}",
                   str(getattr(ds, "VerificationFlag", "")) == "VERIFIED")]


def _evidence_series(sr) -> set[str]:
    found = set()
    for keyword in ("CurrentRequestedProcedureEvidenceSequence", "PertinentOtherEvidenceSequence"):
        for study in getattr(sr, keyword, []) or []:
            for series in getattr(study, "ReferencedSeriesSequence", []) or []:
                found.add(str(series.SeriesInstanceUID))
    return found


def compare_with_reports(case, path: str | Path, *, source: str | None = None) -> SrComparison:
    """``case`` compared with every OligoPlan SR at ``path`` made on its images (oldest first).

    Raises :class:`SrCompareError` when there is none (naming what was found instead)."""
    path = Path(path)
    reports = sorted(reports_at(path), key=lambda r: (r.content_datetime, r.sop_uid))
    if not reports:
        raise SrCompareError(f"{path}: no OligoPlan SR found; export the case with `oligoplan export CASE.json "
                             "--out DIR --dicom` (or fetch its study from the PACS) and compare with that")
    series = {ref.series_uid for ref in case.images}
    out = SrComparison(source or str(path))
    of_images = 0
    for report in reports:
        try:
            sr = hd.sr.srread(report.path)
        except Exception as exc:  # noqa: BLE001 - a report highdicom cannot parse
            raise SrCompareError(f"{report.path.name}: the SR cannot be read as a TID 1500 report ({exc})") from None
        if series and not (_evidence_series(sr) & series):
            continue
        of_images += 1
        items = sr_case.read_case_items(sr)
        other = str((items.audit or {}).get("case_uid") or "")
        if other and other != case.case_uid:  # another case on the same images (a trainee's, a colleague's)
            out.other_cases.append(report)
            continue
        out.reports.append(compare_with_report(case, report, sr, items))
    if not out.reports and of_images:
        raise SrCompareError(f"{path}: {of_images} OligoPlan SR(s) of this case's images, all of other cases (their "
                             f"case id is not this file's {case.case_uid}); if this case was exported there, its "
                             "file's case_uid was changed since")
    if not out.reports:
        raise SrCompareError(f"{path}: {len(reports)} OligoPlan SR(s) found, none made on this case's images "
                             f"(series {', '.join(sorted(series))}); compare with the SR exported from this case")
    return out


# --------------------------------------------------------------- comparing
def compare_with_report(case, report: Report, sr=None, items: sr_case.CaseItems | None = None) -> ReportComparison:
    """``case`` compared with one SR (``sr``: the report as highdicom read it, read here if None)."""
    sr = sr if sr is not None else hd.sr.srread(report.path)
    items = items if items is not None else sr_case.read_case_items(sr)
    audit = items.audit
    author = _author(sr, items)
    lines: list[Line] = [Line(Finding.NOT_COMPARED, f"part of the SR cannot be read: {p}") for p in items.problems]
    anonymised = str(getattr(sr, "PatientIdentityRemoved", "")).upper() == "YES"
    lines += _entry_lines(case, audit)
    if anonymised:
        lines.append(Line(Finding.NOT_COMPARED, "the SR is anonymised: its sign-offs carry no names or real "
                                                "times and are not compared"))
    else:
        lines += _signoff_lines(case, items.signoffs)
    lines += _lesion_lines(case, sr, audit)
    return ReportComparison(report, author, lines)


def _author(sr, items: sr_case.CaseItems) -> str:
    if items.audit and str(items.audit.get("exported_by", "")).strip():
        return str(items.audit["exported_by"]).strip()
    if items.signoffs and str(items.signoffs[-1].get("name", "")).strip():
        return str(items.signoffs[-1]["name"]).strip()
    return "an unrecorded user"


def _entry_text(e: dict) -> str:
    action = str(e.get("action", ""))
    try:
        action = AuditAction(action).label.lower()
    except ValueError:
        pass
    when = str(e.get("when", ""))[:16].replace("T", " ")
    return f"entry #{e.get('seq')} ({action}, {e.get('who') or 'unknown user'}, {when or 'no time'} UTC)"


def _capped(lines: list[Line], finding: Finding, what: str) -> list[Line]:
    if len(lines) <= MAX_LINES:
        return lines
    return lines[:MAX_LINES] + [Line(finding, f"and {len(lines) - MAX_LINES} more {what}")]


def _entry_lines(case, audit: dict | None) -> list[Line]:
    if audit is None:
        return [Line(Finding.NOT_COMPARED, "the SR records no audit trail (it is anonymised, or an earlier "
                                           "OligoPlan wrote it): only its sign-offs and lesions are compared")]
    sr_entries = [e for e in audit.get("entries", []) if isinstance(e, dict)]
    file_entries: list[AuditEntry] = list(case.audit)
    held = {e.hash for e in file_entries}
    recorded = {str(e.get("hash")) for e in sr_entries}
    count = len(sr_entries)
    if sr_entries and (not file_entries or str(sr_entries[0].get("hash")) != file_entries[0].hash):
        rebuilt = (case.extra.get("rebuilt_from") or {}).get("sr_sop_uid") if isinstance(case.extra, dict) else None
        if rebuilt:
            return [Line(Finding.NOT_COMPARED, f"this case was rebuilt from DICOM SR {rebuilt}: its audit trail "
                                               "begins there, so the entries this SR recorded are not compared "
                                               "(its sign-offs and lesions are)")]
        return [Line(Finding.CHAIN_REWRITTEN,
                     f"the file's audit trail does not begin with the first entry the SR recorded "
                     f"({_entry_text(sr_entries[0])}); the SR recorded {count} entries, none of which the "
                     "file holds as they were: the trail was replaced or rewritten after the export")]
    lines = _capped([Line(Finding.ENTRY_REMOVED, f"{_entry_text(e)} is in the SR but not in the file: it was "
                                                 "removed or changed after the export")
                     for e in sr_entries if str(e.get("hash")) not in held], Finding.ENTRY_REMOVED,
                    "entries of the SR not in the file")
    head = str(audit.get("head", ""))
    if sr_entries and head not in held:
        lines.append(Line(Finding.HEAD_MISSING, f"the SR recorded the trail ending at entry #{audit.get('count')} "
                                                f"(hash {head[:12]}…); the file's trail does not contain it: it "
                                                "was cut or rewritten after the export"))
    added = [e for e in file_entries if e.hash not in recorded and e.seq > count]
    lines += _capped([Line(Finding.ENTRY_ADDED, f"entry #{e.seq} added after the export (normal): {e.when[:16].replace('T', ' ')} "
                                                f"UTC, {e.who or 'unknown user'}: {e.what}") for e in added],
                     Finding.ENTRY_ADDED, "entries added after the export")
    return lines


def _signoff_lines(case, signoffs: list[dict]) -> list[Line]:
    mine = [{"state": str(e.details.get("state", "")), "name": e.who, "role": e.role, "when": e.when,
             "comment": str(e.details.get("comment", "")), "seq": e.seq}
            for e in case.audit if e.action == AuditAction.SIGNED_OFF.value]
    docs = [s for s in signoffs if isinstance(s, dict)]
    key = lambda s: (str(s.get("state", "")), str(s.get("when", "")))  # noqa: E731
    exact = {key(s) for s in docs}
    free = [m for m in mine if key(m) not in exact]
    lines = []
    for s in docs:
        said = (f"{s.get('state')} by {s.get('name') or 'unknown'}" + (f" ({s['role']})" if s.get("role") else "")
                + f", {str(s.get('when', ''))[:16].replace('T', ' ')} UTC")
        match = next((m for m in mine if key(m) == key(s)), None)
        if match is None:
            same_state = [m for m in free if m["state"] == str(s.get("state", ""))]
            match = next((m for m in same_state if m["name"] == s.get("name")), same_state[0] if same_state else None)
            if match is not None:
                free.remove(match)
        if match is None:
            lines.append(Line(Finding.SIGNOFF_MISSING, f"the sign-off {said} is in the SR but not in the file: "
                                                       "it was removed after the export"))
            continue
        changed = [f"{field_} {str(s.get(field_, ''))!r} in the SR, {match[field_]!r} in the file"
                   for field_ in ("name", "role", "when", "comment") if str(s.get(field_, "")) != match[field_]]
        if changed:
            lines.append(Line(Finding.SIGNOFF_CHANGED, f"the sign-off {said} was changed after the export "
                                                       f"(entry #{match['seq']}): " + "; ".join(changed)))
    return lines


def _lesion_lines(case, sr, audit: dict | None) -> list[Line]:
    recorded = {str(e.get("hash")) for e in (audit or {}).get("entries", []) if isinstance(e, dict)}
    deleted = {e.details.get("lesion"): e for e in case.audit
               if e.action == AuditAction.LESION_DELETED.value and e.hash not in recorded}
    lines = []
    for n, group in enumerate(sr.content.get_volumetric_roi_measurement_groups(), start=1):
        own = sr_case.read_lesion_items(group[0])
        lesion_id = own.get(sr_case.LESION_ID.value) or str(group.tracking_identifier or f"L{n}")
        if lesion_id in case.lesions:
            continue
        label = str(group.tracking_identifier or lesion_id)
        entry = deleted.get(lesion_id)
        if entry is not None:
            lines.append(Line(Finding.LESION_DELETED, f"lesion {lesion_id} ({label}) was deleted after the export "
                                                      f"(entry #{entry.seq}, {entry.who or 'unknown user'}, "
                                                      f"{entry.when[:16].replace('T', ' ')} UTC)"))
        else:
            lines.append(Line(Finding.LESION_MISSING, f"lesion {lesion_id} ({label}) is in the SR but not in the "
                                                      "file, and no deletion of it is recorded: it was removed "
                                                      "outside OligoPlan"))
    return lines


def apply_to_case(case, comparison: SrComparison) -> list[str]:
    """Add the comparison's differences to the case's audit-trail warnings (once each), so they reach
    the verdict panel, the history and the summary as the trail's own warnings do; returns the new ones."""
    new = [w for w in comparison.warnings() if w not in case.integrity_warnings]
    case.integrity_warnings.extend(new)
    return new


def case_study_uid(case) -> str | None:
    """The Study Instance UID of the case's images (read from one of their files), None when unreadable."""
    from core.dicom.scan import list_files

    for ref in case.images:
        folder = Path(ref.folder)
        if not folder.is_dir():
            continue
        for path in list_files(folder):
            try:
                ds = pydicom.dcmread(path, stop_before_pixels=True,
                                     specific_tags=["SeriesInstanceUID", "StudyInstanceUID"])
            except Exception:  # noqa: BLE001 - not DICOM: the next file
                continue
            if str(getattr(ds, "SeriesInstanceUID", "")) == ref.series_uid and "StudyInstanceUID" in ds:
                return str(ds.StudyInstanceUID)
    return None

"""A case rebuilt from its DICOM objects: the newest OligoPlan SR of a study plus its SEG.

``oligoplan export --dicom`` writes, in the images' study, the lesions' SEG and a TID 1500
SR that also holds what the case file holds beyond the masks (core.rt.sr_case). This module
finds those objects in a folder (the images and the exported objects, e.g. a PACS retrieval),
picks the newest OligoPlan report of the study (or the one asked for) and rebuilds:

* lesions: id, label (tracking identifier), site, laterality, kind, treatability, marker
  point, notes; the mask of each contoured lesion is its SEG segment on the images;
* facts and rule sets; the review state and its sign-offs (entries of the new case's audit
  trail with the time they were signed, recorded as rebuilt from the report).

A report of another tool (no OligoPlan items) still rebuilds: site and kind come from the
coded finding site and type where they are OligoPlan's codes, else the site is "other"
and a note says so; lesion ids are numbered. Nothing is guessed silently: every such
fallback is in :attr:`Rebuilt.notes`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import highdicom as hd
import numpy as np
import pydicom
from pydicom.sr.codedict import codes

from core.audit import AuditAction
from core.case import Case
from core.codes import Laterality, LesionKind, Site, Treatability
from core.dicom.scan import list_files
from core.errors import OligoPlanError
from core.lesions import Lesion, LesionMask, LesionSet
from core.rt import sr_case

COMPREHENSIVE_3D_SR = "1.2.840.10008.5.1.4.1.1.88.34"
SEGMENTATION = "1.2.840.10008.5.1.4.1.1.66.4"
_TAGS = ["SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "Manufacturer",
         "ContentDate", "ContentTime", "VerificationFlag", "Modality"]


class OpenDicomError(OligoPlanError):
    """The folder holds no report to rebuild a case from, or one that cannot be read."""


@dataclass(frozen=True)
class Report:
    """An OligoPlan SR found in the folder."""

    path: Path
    sop_uid: str
    study_uid: str
    content_datetime: str  # YYYYMMDDHHMMSS(.ffffff)
    verified: bool

    def to_json(self) -> dict:
        d = self.content_datetime
        when = f"{d[0:4]}-{d[4:6]}-{d[6:8]}T{d[8:10]}:{d[10:12]}:{d[12:14]}" if len(d) >= 14 else d
        return {"sop_uid": self.sop_uid, "study_uid": self.study_uid, "content_datetime": when,
                "verified": self.verified, "file": self.path.name}


@dataclass
class Found:
    reports: list[Report] = field(default_factory=list)
    segs: dict[str, Path] = field(default_factory=dict)  # SOP instance UID -> file


def find_objects(folder: Path) -> Found:
    """OligoPlan reports and every SEG below ``folder`` (headers only)."""
    found = Found()
    for path in list_files(folder):
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=_TAGS)
        except Exception:  # noqa: BLE001 - not DICOM, or broken: the image scan reports those
            continue
        sop_class = str(getattr(ds, "SOPClassUID", ""))
        if sop_class == SEGMENTATION:
            found.segs[str(ds.SOPInstanceUID)] = Path(path)
        elif sop_class == COMPREHENSIVE_3D_SR and str(getattr(ds, "Manufacturer", "")) == "OligoPlan":
            found.reports.append(Report(Path(path), str(ds.SOPInstanceUID), str(getattr(ds, "StudyInstanceUID", "")),
                                        f"{getattr(ds, 'ContentDate', '')}{getattr(ds, 'ContentTime', '')}",
                                        str(getattr(ds, "VerificationFlag", "")) == "VERIFIED"))
    return found


def choose_report(found: Found, folder: Path, study_uid: str | None = None, sr_uid: str | None = None) -> Report:
    """The report asked for (``sr_uid``), else the newest of the study (``study_uid`` needed only
    when the folder holds reports of several studies)."""
    reports = found.reports
    if not reports:
        raise OpenDicomError(f"{folder}: no OligoPlan SR found; export the case with `oligoplan export "
                             "CASE.json --out DIR --dicom` and put its files beside the images")
    if sr_uid:
        picked = [r for r in reports if r.sop_uid == sr_uid]
        if not picked:
            raise OpenDicomError(f"{folder}: no OligoPlan SR with SOP Instance UID {sr_uid}; the reports found "
                                 "are listed by `oligoplan open-dicom PATH --json`")
        return picked[0]
    if study_uid:
        reports = [r for r in reports if r.study_uid == study_uid]
        if not reports:
            raise OpenDicomError(f"{folder}: no OligoPlan SR of study {study_uid}")
    studies = sorted({r.study_uid for r in reports})
    if len(studies) > 1:
        raise OpenDicomError(f"{folder} holds OligoPlan cases of {len(studies)} studies; choose one with "
                             f"--study-uid ({', '.join(studies)})")
    return max(reports, key=lambda r: (r.content_datetime, r.sop_uid))


@dataclass
class Rebuilt:
    case: Case
    report: Report
    seg_uid: str = ""
    #: what the user should know: fallbacks taken, items that could not be read
    notes: list[str] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)


def _enum(cls, value, default, what: str, notes: list[str], lesion_id: str):
    try:
        return cls(value)
    except ValueError:
        notes.append(f"lesion {lesion_id}: {what} {value!r} is not known to this OligoPlan; "
                     f"set to {default.value or 'none'}")
        return default


def _from_code(cls, code_value: str):
    """The member of ``cls`` (Site, LesionKind, Laterality) whose code has this value, or None."""
    return next((m for m in cls if getattr(m, "code", None) is not None and m.code.value == code_value), None)


def rebuild_case(folder: str | Path, study_uid: str | None = None, sr_uid: str | None = None,
                 workspace=None) -> Rebuilt:
    """The case the chosen report and its SEG describe, on the images in ``folder``."""
    from core.workspace import Workspace, matching_pet

    folder = Path(folder)
    if not folder.is_dir():
        raise OpenDicomError(f"{folder}: no such folder")
    found = find_objects(folder)
    report = choose_report(found, folder, study_uid, sr_uid)
    try:
        sr = hd.sr.srread(report.path)
        groups = sr.content.get_volumetric_roi_measurement_groups()
    except Exception as exc:  # noqa: BLE001 - a report highdicom cannot parse as TID 1500
        raise OpenDicomError(f"{report.path.name}: the SR cannot be read as a TID 1500 measurement report "
                             f"({exc})") from None
    notes: list[str] = []
    refs = [_segment_ref(group) for group in groups]
    seg_uids = {uid for uid, _ in refs if uid}
    if len(seg_uids) > 1:
        raise OpenDicomError(f"{report.path.name}: its lesions reference {len(seg_uids)} segmentations; "
                             "OligoPlan writes one")
    seg_uid = next(iter(seg_uids), "")
    if workspace is None:
        from core.dicom import load_series, scan_folder

        scan = scan_folder(folder)
        series_uid = _image_series(sr, found, seg_uid, scan)
        entry = scan.find(series_uid) if series_uid else None
        if entry is None:
            raise OpenDicomError(f"{folder}: the images the report was made on (series {series_uid or '?'}) "
                                 "are not there; put the report with its images")
        pet_entry = matching_pet(scan.series, entry) if entry.info.modality.value != "PT" else None
        workspace = Workspace(folder=folder, scan=scan, primary=load_series(entry),
                              pet=load_series(pet_entry) if pet_entry is not None else None)
    volume = workspace.primary
    masks = _seg_masks(found, seg_uid, [n for _, n in refs if n is not None], volume, report) if seg_uid else {}
    lesions = []
    for n, (group, (_, segment)) in enumerate(zip(groups, refs), start=1):
        lesion = _lesion(group, n, masks.get(segment), notes)
        if lesion.id in {existing.id for existing in lesions}:
            raise OpenDicomError(f"{report.path.name}: lesion id {lesion.id} is there twice")
        lesions.append(lesion)
    case = Case(images=workspace.image_refs(), lesions=LesionSet(lesions), facts={})
    items = sr_case.read_case_items(sr)
    notes.extend(items.problems)
    case.facts.update(items.facts)
    if items.rule_sets and not any(k in case.facts for k in ("rule_sets", "rule_set")):
        case.facts["rule_sets"] = list(items.rule_sets)
    _restore_review(case, items, report, notes)
    if report.verified and case.review.state.value != "approved":
        notes.append(f"{report.path.name} is a verified report, but holds no OligoPlan approval; the case opens as "
                     f"{case.review.state.value}: review and sign it again")
    if items.audit and str(items.audit.get("case_uid") or ""):
        case.case_uid = str(items.audit["case_uid"])  # the same case, continued from its report
    case.extra["rebuilt_from"] = {"sr_sop_uid": report.sop_uid, "seg_sop_uid": seg_uid,
                                  "study_uid": report.study_uid, "content_datetime": report.content_datetime}
    return Rebuilt(case, report, seg_uid, notes, reports=sorted(found.reports, key=lambda r: r.content_datetime))


def _segment_ref(group) -> tuple[str, int | None]:
    """(SEG SOP instance UID, segment number) of a lesion group, ("", None) for a point region."""
    if group.reference_type != codes.DCM.ReferencedSegment:
        return "", None
    item = next(i for i in group[0].ContentSequence if i.name == codes.DCM.ReferencedSegment)
    return str(item.referenced_sop_instance_uid), int(item.referenced_segment_numbers[0])


def _image_series(sr, found: Found, seg_uid: str, scan) -> str:
    """The series the lesions were drawn on: the SEG's source series, else the report's evidence."""
    if seg_uid and seg_uid in found.segs:
        seg = pydicom.dcmread(found.segs[seg_uid], stop_before_pixels=True)
        for item in getattr(seg, "ReferencedSeriesSequence", []):
            return str(item.SeriesInstanceUID)
    for study in getattr(sr, "CurrentRequestedProcedureEvidenceSequence", []):
        for series in getattr(study, "ReferencedSeriesSequence", []):
            uid = str(series.SeriesInstanceUID)
            if scan.find(uid) is not None:
                return uid
    return ""


def _seg_masks(found: Found, seg_uid: str, numbers: list[int], volume, report: Report) -> dict[int, LesionMask]:
    """Each referenced segment's mask on ``volume`` (a fractional segment's voxel is in at >= 0.5).

    Frame by frame (any order, empty frames left out): each frame's segment and source image
    come from its functional groups, so only the frames there are decoded and placed, not a
    full volume per segment (20 lesions on a 300-slice CT: 1.5 GB that way)."""
    if seg_uid not in found.segs:
        raise OpenDicomError(f"{report.path.name}: the segmentation its lesions reference (SEG {seg_uid}) is "
                             "not in the folder; put the SEG of the same export beside it")
    path = found.segs[seg_uid]
    index = {uid: k for k, uid in enumerate(volume.sop_instance_uids)}
    wanted = set(numbers)
    try:
        seg = hd.seg.segread(path)
        frames = seg.pixel_array
        if frames.ndim == 2:
            frames = frames[np.newaxis]
        fractional = str(getattr(seg, "SegmentationType", "")) == "FRACTIONAL"
        cut = 0.5 * float(getattr(seg, "MaximumFractionalValue", 255) or 255) if fractional else 0.5
        placed: dict[int, list[tuple[int, np.ndarray]]] = {n: [] for n in wanted}
        shared = seg.SharedFunctionalGroupsSequence[0] if "SharedFunctionalGroupsSequence" in seg else None
        for f, group in enumerate(seg.PerFrameFunctionalGroupsSequence):
            number = int(_functional(group, shared, "SegmentIdentificationSequence").ReferencedSegmentNumber)
            if number not in wanted:
                continue
            source = str(_functional(group, shared, "DerivationImageSequence")
                         .SourceImageSequence[0].ReferencedSOPInstanceUID)
            if source not in index:
                raise ValueError(f"frame {f + 1} is on image {source}, which is not in the series")
            plane = frames[f] >= cut
            if plane.shape != volume.shape[1:]:
                raise ValueError(f"frames of {plane.shape[0]}x{plane.shape[1]} pixels on images of "
                                 f"{volume.shape[1]}x{volume.shape[2]}")
            placed[number].append((index[source], plane))
    except (ValueError, AttributeError, IndexError, KeyError, TypeError) as exc:
        raise OpenDicomError(f"{path.name}: the lesion segmentation cannot be placed on the images of series "
                             f"{volume.info.series_uid} ({exc})") from None
    out = {}
    for number, planes in placed.items():
        if not planes:
            out[number] = None
            continue
        z = [k for k, _ in planes]
        box = np.zeros((max(z) - min(z) + 1,) + volume.shape[1:], dtype=bool)
        for k, plane in planes:
            box[k - min(z)] |= plane
        out[number] = LesionMask.from_box(box, (min(z), 0, 0), volume.shape, volume.info.series_uid)
    return out


def _functional(group, shared, keyword: str):
    """A functional group macro of one frame: its own, else the one shared by every frame (a SEG
    of one segment names it once, in the shared groups)."""
    if keyword in group:
        return group[keyword].value[0]
    if shared is not None and keyword in shared:
        return shared[keyword].value[0]
    raise ValueError(f"a frame has no {keyword}")


def _lesion(group, n: int, mask: LesionMask | None, notes: list[str]) -> Lesion:
    own = sr_case.read_lesion_items(group[0])
    lesion_id = own.get(sr_case.LESION_ID.value) or f"L{n}"
    if sr_case.LESION_ID.value not in own:
        notes.append(f"lesion {lesion_id}: the report gives no OligoPlan lesion id; numbered in report order")
    sites = group.finding_sites
    site_code = sites[0].value.value if sites else ""
    if sr_case.LESION_SITE.value in own:
        site = _enum(Site, own[sr_case.LESION_SITE.value], Site.OTHER, "site", notes, lesion_id)
    else:
        site = _from_code(Site, site_code) or Site.OTHER
        if site is Site.OTHER:
            notes.append(f"lesion {lesion_id}: finding site {site_code or 'missing'} is none of OligoPlan's "
                         "sites; set to other: check it")
    laterality = Laterality.NONE
    if sr_case.LESION_LATERALITY.value in own:
        laterality = _enum(Laterality, own[sr_case.LESION_LATERALITY.value], Laterality.NONE, "laterality",
                           notes, lesion_id)
    elif sites and sites[0].laterality is not None:
        laterality = _from_code(Laterality, sites[0].laterality.value) or Laterality.NONE
    if sr_case.LESION_KIND.value in own:
        kind = _enum(LesionKind, own[sr_case.LESION_KIND.value], LesionKind.METASTASIS, "kind", notes, lesion_id)
    else:
        finding = group.finding_type
        kind = (_from_code(LesionKind, finding.value) if finding is not None else None) or LesionKind.METASTASIS
    treatable = _enum(Treatability, own.get(sr_case.LESION_TREATABLE.value, Treatability.NOT_ASSESSED.value),
                      Treatability.NOT_ASSESSED, "treatability", notes, lesion_id)
    point = None
    if sr_case.LESION_POINT.value in own:
        try:
            point = tuple(float(v) for v in json.loads(own[sr_case.LESION_POINT.value]))[:3]
        except (ValueError, TypeError):
            notes.append(f"lesion {lesion_id}: its marker point cannot be read; left out")
    if point is None and group.reference_type == codes.DCM.VolumeSurface:
        surface = next(i for i in group[0].ContentSequence if i.name == codes.DCM.VolumeSurface)
        point = tuple(float(v) for v in surface.value[0][:3])
    if mask is None and point is None:
        notes.append(f"lesion {lesion_id}: its segment is empty and it has no marker point")
    label = str(group.tracking_identifier or lesion_id)
    return Lesion(lesion_id, label, site=site, laterality=laterality, kind=kind, treatable=treatable,
                  notes=own.get(sr_case.LESION_NOTES.value, ""), point_mm=point, mask=mask)


def _restore_review(case: Case, items: sr_case.CaseItems, report: Report, notes: list[str]) -> None:
    """The report's sign-offs as audit entries of the rebuilt case (with the time they were made)."""
    from core.review import ReviewState, content_digest

    case.review.sync()  # the lesions and facts as rebuilt are recorded first
    state = ReviewState.DRAFT
    for doc in items.signoffs:
        try:
            target = ReviewState(str(doc.get("state")))
        except ValueError:
            notes.append(f"a sign-off of the report has state {doc.get('state')!r}; left out")
            continue
        if target is not state.next:
            notes.append(f"a sign-off to {target.value} of the report does not follow {state.value}; left out")
            continue
        name, comment = str(doc.get("name", "")), str(doc.get("comment", ""))
        case.audit.append(
            AuditAction.SIGNED_OFF, f"{target.label} by {name or 'unknown'}" + (f": {comment}" if comment else "")
            + f" (rebuilt from DICOM SR {report.sop_uid})", who=name, role=str(doc.get("role", "")),
            when=str(doc.get("when", "")) or None,
            details={"state": target.value, "comment": comment, "content_digest": content_digest(case),
                     "rebuilt_from_sr": report.sop_uid})
        state = target
    if items.review_state != state.value:
        notes.append(f"the report says the case was {items.review_state}, but its sign-offs make it "
                     f"{state.value}; it opens as {state.value}")

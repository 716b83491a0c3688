"""A case rebuilt from its DICOM objects: the newest OligoPlan SR of a study plus the SEG it references.

What an OligoPlan export writes today (:mod:`core.rt.sr`, :mod:`core.rt.seg`) is read back:

* each TID 1411 group of the SR is a lesion: its tracking identifier the label, its tracking
  UID gives back the lesion id (:func:`core.rt.sr.lesion_uid` is a hash of the series and the
  id, so ids of the form L<n> are found again; others are numbered in report order, with a
  warning), finding type the kind, finding site (and laterality) the site;
* its region: the referenced segment of the SEG (placed on the images like any SEG,
  :func:`core.rt.seg_read.read_seg`), else its marker point (a 3D POINT volume surface);
* measurements are measured again from the masks (the SR's values are compared: a
  difference over 1% is a warning).

What today's SR does not hold (case facts, rule sets, review state) is not guessed: the case
rebuilt has none (facts unknown: verdicts undetermined) and a warning says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pydicom

from core.case import Case
from core.codes import Laterality, LesionKind, Site
from core.errors import CaseFileError, DicomError, NoImagesError
from core.lesions import AddLesion, Lesion

#: SR storage classes an OligoPlan report may use (Comprehensive 3D SR is what export writes)
SR_SOP_CLASSES = {"1.2.840.10008.5.1.4.1.1.88.34", "1.2.840.10008.5.1.4.1.1.88.33",
                  "1.2.840.10008.5.1.4.1.1.88.22"}
MAX_LESION_NUMBER = 999


@dataclass(frozen=True)
class ReportFile:
    path: str
    sop_uid: str
    study_uid: str
    written: str  # ContentDate + ContentTime (else the instance creation date and time)


@dataclass
class RebuiltCase:
    case: Case
    report: ReportFile
    seg_path: str = ""
    warnings: list[str] = field(default_factory=list)


def find_reports(scan) -> list[ReportFile]:
    """The OligoPlan SRs among the files a folder scan did not take as images."""
    out = []
    for skipped in scan.skipped:
        try:
            ds = pydicom.dcmread(skipped.path, stop_before_pixels=True, force=True)
        except Exception:  # noqa: BLE001 - not DICOM, or broken: the scan listed its reason already
            continue
        if str(ds.get("SOPClassUID", "")) not in SR_SOP_CLASSES:
            continue
        if str(ds.get("Manufacturer", "") or "").strip() != "OligoPlan":
            continue
        written = (str(ds.get("ContentDate", "") or ds.get("InstanceCreationDate", "") or "")
                   + str(ds.get("ContentTime", "") or ds.get("InstanceCreationTime", "") or ""))
        out.append(ReportFile(skipped.path, str(ds.get("SOPInstanceUID", "")),
                              str(ds.get("StudyInstanceUID", "")), written))
    return out


def choose_report(reports: list[ReportFile], root, study_uid: str | None) -> ReportFile:
    """The newest report of the study (``study_uid`` needed only when the folder holds several)."""
    if study_uid:
        reports = [r for r in reports if r.study_uid == study_uid]
        if not reports:
            raise CaseFileError(f"{root}: no OligoPlan SR of study {study_uid}; "
                                "`oligoplan inspect` lists what the folder holds")
    if not reports:
        raise CaseFileError(f"{root}: no OligoPlan SR (measurement report) found; export the case with "
                            "`oligoplan export CASE.json --out DIR --sr` and copy it beside the images")
    studies = sorted({r.study_uid for r in reports})
    if len(studies) > 1:
        raise CaseFileError(f"{root}: OligoPlan reports of {len(studies)} studies are here "
                            f"({', '.join(studies)}); choose one with --study-uid UID")
    return max(reports, key=lambda r: (r.written, r.path))


def _evidence_series(sr) -> set[str]:
    found = set()
    for key in ("CurrentRequestedProcedureEvidenceSequence", "PertinentOtherEvidenceSequence"):
        for study in sr.get(key, []) or []:
            for series in study.get("ReferencedSeriesSequence", []) or []:
                found.add(str(series.get("SeriesInstanceUID", "")))
    return found


def rebuild_case(root: str | Path, study_uid: str | None = None, progress=None, cancel=None) -> RebuiltCase:
    """The case the newest OligoPlan SR of the study in ``root`` (and its SEG) describe."""
    import highdicom as hd

    from core.dicom.scan import scan_folder
    from core.dicom.series import load_series
    from core.rt.matching import ImageStack
    from core.rt.seg_read import read_seg
    from core.workspace import Workspace, matching_pet, select_series

    root = Path(root)
    if not root.exists():
        raise NoImagesError(f"{root}: no such folder or file; check the path")
    scan = scan_folder(root, progress, cancel)
    report = choose_report(find_reports(scan), root, study_uid)
    try:
        sr = hd.sr.srread(report.path)
    except Exception as exc:  # noqa: BLE001 - highdicom raises many types on a malformed report
        raise CaseFileError(f"{Path(report.path).name}: the report cannot be read ({exc})") from exc
    evidence = _evidence_series(sr)
    images = [e for e in scan.series if e.info.series_uid in evidence]
    if not images:
        raise NoImagesError(f"{root}: the images the report {Path(report.path).name} was made on are not here "
                            f"(series {', '.join(sorted(evidence)) or 'none named'}); put the report beside them")
    primary_entry, pet_entry = select_series(images)  # the one rule of the window and `check`
    primary = load_series(primary_entry, progress, cancel)
    if pet_entry is None and primary.modality.value != "PT":
        pet_entry = matching_pet(scan.series, primary_entry)
    pet = load_series(pet_entry, progress, cancel) if pet_entry is not None else None
    workspace = Workspace(folder=primary_entry_folder(primary_entry, root), scan=scan, primary=primary, pet=pet)
    rebuilt = RebuiltCase(Case(images=workspace.image_refs()), report)
    warnings = rebuilt.warnings
    warnings.append(f"case rebuilt from the OligoPlan SR {Path(report.path).name} (SOP Instance UID "
                    f"{report.sop_uid}, written {_when(report.written)}) in {root}")
    groups = list(sr.content.get_volumetric_roi_measurement_groups())
    segs: dict[str, dict[int, object]] = {}
    stacks = [ImageStack.from_entry(e) for e in scan.series]
    used_ids: set[str] = set()
    lesions = []
    for n, group in enumerate(groups, start=1):
        label = str(group.tracking_identifier or "")
        lesion_id = _lesion_id(str(group.tracking_uid or ""), primary.info.series_uid, used_ids)
        if lesion_id is None:
            lesion_id = _free_id(n, used_ids)
            warnings.append(f"{label or lesion_id}: its lesion id is not in the report; numbered {lesion_id}")
        used_ids.add(lesion_id)
        fields = _coded_fields(group, label or lesion_id, warnings)
        mask, point = None, None
        if group.reference_type == hd.sr.CodedConcept("121191", "DCM", "Referenced Segment"):
            item = next(i for i in group[0].ContentSequence if i.name.value == "121191")
            seg_uid, number = str(item.referenced_sop_instance_uid), int(item.referenced_segment_numbers[0])
            if seg_uid not in segs:
                segs[seg_uid] = _read_seg_by_uid(scan, seg_uid, primary, stacks, read_seg, warnings, rebuilt)
            structure = segs[seg_uid].get(number)
            mask = structure.mask if structure is not None else None
            if mask is None:
                warnings.append(f"{label}: segment {number} of the SEG it references is not here or has no "
                                "voxel on these images; the lesion is left out")
                continue
        else:
            point = _point(group)
            if point is None:
                warnings.append(f"{label}: the report gives neither a segment nor a point; left out")
                continue
        lesion = Lesion(lesion_id, label or lesion_id, mask=mask, point_mm=point, **fields)
        _compare_measurements(group, lesion, workspace, warnings)
        lesions.append(lesion)
    lesions.sort(key=lambda lesion: _number(lesion.id))
    for lesion in lesions:
        AddLesion(rebuilt.case.lesions, lesion).redo()
    warnings.append("the report holds no case facts, rule sets or review state: they are unknown in the "
                    "rebuilt case (verdicts undetermined until they are entered) and it is a draft")
    return rebuilt


def primary_entry_folder(entry, root: Path) -> Path:
    """The folder the case's images are referenced by: the scanned folder."""
    return root if root.is_dir() else root.parent


def _when(written: str) -> str:
    if len(written) >= 12:
        return f"{written[:4]}-{written[4:6]}-{written[6:8]} {written[8:10]}:{written[10:12]}"
    return written or "at an unknown time"


def _number(lesion_id: str) -> tuple:
    digits = lesion_id[1:]
    return (0, int(digits)) if lesion_id[:1] == "L" and digits.isdigit() else (1, lesion_id)


def _lesion_id(tracking_uid: str, series_uid: str, used: set[str]) -> str | None:
    from core.rt.sr import lesion_uid

    if not tracking_uid:
        return None
    for k in range(1, MAX_LESION_NUMBER + 1):
        candidate = f"L{k}"
        if candidate not in used and lesion_uid(None, candidate, series_uid) == tracking_uid:
            return candidate
    return None


def _free_id(n: int, used: set[str]) -> str:
    while f"L{n}" in used:
        n += 1
    return f"L{n}"


def _coded_fields(group, name: str, warnings: list[str]) -> dict:
    from core.rt.seg_read import KIND_BY_CODE, SITE_BY_CODE

    fields: dict = {}
    kind = group.finding_type
    if kind is not None and str(kind.value) in KIND_BY_CODE:
        fields["kind"] = KIND_BY_CODE[str(kind.value)]
    elif kind is not None:
        warnings.append(f"{name}: finding type '{kind.meaning}' is not a kind OligoPlan knows; "
                        f"taken as {LesionKind.METASTASIS.value}")
    sites = group.finding_sites
    if sites:
        code = str(sites[0].value.value)
        if code in SITE_BY_CODE:
            fields["site"] = SITE_BY_CODE[code]
        else:
            warnings.append(f"{name}: finding site '{sites[0].value.meaning}' is not a site OligoPlan knows; "
                            f"taken as {Site.OTHER.value}")
        lat = sites[0].laterality
        if lat is not None:
            by_code = {c.code.value: c for c in Laterality if c.code is not None}
            if str(lat.value) in by_code:
                fields["laterality"] = by_code[str(lat.value)]
    return fields


def _read_seg_by_uid(scan, seg_uid, volume, stacks, read_seg, warnings, rebuilt) -> dict:
    summary = next((s for s in scan.segmentations if s.sop_uid == seg_uid), None)
    if summary is None:
        warnings.append(f"the SEG the report references (SOP Instance UID {seg_uid}) is not in the folder")
        return {}
    try:
        placed = read_seg(summary.path, volume, stacks)
    except DicomError as exc:
        warnings.append(f"the SEG the report references cannot be used: {exc}")
        return {}
    rebuilt.seg_path = summary.path
    return {s.number: s for s in placed.structures}


def _point(group) -> tuple[float, float, float] | None:
    try:
        for item in group[0].ContentSequence:
            if item.name.value == "121231":  # Volume Surface, a SCOORD3D POINT
                data = np.asarray(item.value, dtype=np.float64).reshape(-1, 3)
                return tuple(float(v) for v in data[0])
    except Exception:  # noqa: BLE001 - a malformed item is reported by the caller as no region
        return None
    return None


#: SR measurement concept -> attribute of core.measure's result
_MEASURED = {"118565006": "volume_cc", "103339001": "longest_axial_diameter_mm", "103340004": "short_axis_mm"}


def _compare_measurements(group, lesion: Lesion, workspace, warnings: list[str]) -> None:
    from core.measure import measure_lesion

    grid = workspace.volume_for(lesion.mask.series_uid) if lesion.mask is not None else None
    try:
        measured = measure_lesion(lesion, grid, ct=workspace.ct, pet=workspace.pet)
    except Exception:  # noqa: BLE001 - measuring is a check here, not the rebuild
        return
    for m in group.get_measurements():
        attribute = _MEASURED.get(str(m.name.value))
        now = getattr(measured, attribute, None) if attribute else None
        if now is None or not m.value:
            continue
        if abs(float(now) - float(m.value)) > 0.01 * abs(float(m.value)):
            warnings.append(f"{lesion.label}: {m.name.meaning} measures {float(now):.4g} now, the report "
                            f"gives {float(m.value):.4g} {m.unit.value}")

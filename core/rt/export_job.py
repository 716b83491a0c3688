"""The DICOM steps of `oligoplan export` (and of File > Export in the gui).

* :func:`case_rtstruct` - the case's lesions (GTV, coded by kind, colour per
  lesion) and optionally the organs at risk of the structure sets the case
  records (core.rt.case_structures; those found with the images when it records
  none), as one RTSTRUCT dataset on the lesions' series.
* :func:`write_case_rtstruct`, :func:`write_case_sr` - validated, optionally
  de-identified, written atomically into the job's folder (the SR comes with
  the DICOM SEG of the lesions its groups reference). When both are
  written in one export, the SR references the RTSTRUCT's ROIs.

A lesion that cannot go into the RTSTRUCT (drawn on another series) is named
in the job's notes, never dropped silently; a point-only lesion becomes a
POINT contour (RT ROI Interpreted Type MARKER).

Cancel (the gui's Cancel button): both writers take a ``cancel() -> bool`` check, asked
between their slow steps (RTSTRUCT; SEG; SR) and once more before anything is written;
they raise :class:`core.errors.Cancelled` with nothing written. Every file goes to disk
only after the last check (SEG and SR together), so a cancel never leaves part of an
export; one that comes while the files are being written is too late, and
:func:`cancelled_note` says what was written (``job.written``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from core.case import Case
from core.errors import Cancelled, ExportError
from core.lesion_colours import lesion_colour
from core.rt.rtstruct_write import (
    RoiSpec,
    build_rtstruct,
    read_image_header,
    unique_names,
    write_validated,
)
from core.volume import Volume

RTSTRUCT_NAME = "rtstruct.dcm"
SR_NAME = "sr.dcm"
SEG_NAME = "seg.dcm"


def lesion_rois(case: Case, volume: Volume, notes: list[str]
                ) -> tuple[list[RoiSpec], list[tuple[str, np.ndarray, tuple[int, int, int]]]]:
    """ROIs of the lesions with a mask on ``volume``; point-only lesions as markers (name, point in
    LPS mm, colour). Each lesion's colour is the one the views show it in (core.lesion_colours)."""
    rois, points = [], []
    for lesion in case.lesions:
        color = lesion_colour(lesion.id)  # the colour the views show it in (core.lesion_colours)
        if lesion.mask is not None:
            if lesion.mask.series_uid != volume.info.series_uid:
                notes.append(f"{lesion.id} ({lesion.label}) is drawn on another series; it is not in the RTSTRUCT")
                continue
            rois.append(RoiSpec(lesion.label or lesion.id, lesion.mask, color, "GTV", lesion.kind.code,
                                description=f"OligoPlan lesion {lesion.id}, {lesion.site_text}"))
        elif lesion.point_mm is not None:
            points.append((lesion.label or lesion.id, np.array(lesion.point_mm, dtype=np.float64),
                           lesion_colour(lesion.id)))
    return rois, points


def oar_rois(workspace, case: Case | None = None, notes: list[str] | None = None) -> list[RoiSpec]:
    """Organs at risk of the structure sets the case records (those found with the images
    when it records none), placed on the workspace's primary image; the ones the user
    turned off in the structure list stay out, as in the gui."""
    from core.rt.case_structures import case_structure_sets

    found = case_structure_sets(case if case is not None else Case(), workspace.scan, workspace.primary)
    if notes is not None:
        notes.extend(found.notes)
        notes.extend(f"{Path(path).name}: {reason}" for path, reason in found.refused)
    out = []
    for placed in found.placed:
        for s in placed.organs_at_risk:
            if s.mask is not None and (placed.sop_uid, s.number) not in found.hidden:
                out.append(RoiSpec(s.name, s.mask, s.color, s.interpreted_type or "ORGAN", algorithm="MANUAL",
                                   description=f"imported from structure set '{placed.label}'"))
    return out


def case_rtstruct(case: Case, workspace, include_oars: bool, notes: list[str],
                  oars: list[RoiSpec] | None = None) -> Dataset:
    """The RTSTRUCT dataset of a case (not validated, not written)."""
    volume = workspace.primary
    rois, points = lesion_rois(case, volume, notes)
    if include_oars:
        extra = oars if oars is not None else oar_rois(workspace, case, notes)
        if not extra:
            notes.append("no organ at risk was found with the images; the RTSTRUCT holds the lesions only")
        rois += extra
    if not rois and not points:
        raise ExportError("nothing to export: the case has no lesion on its images")
    if not rois:
        raise ExportError("the case's lesions are marker points only; contour at least one lesion "
                          "to export an RTSTRUCT")
    ds = build_rtstruct(rois, volume, read_image_header(volume))
    if points:
        _add_markers(ds, points, volume)
    return ds


def _add_markers(ds: Dataset, points: list[tuple[str, np.ndarray, tuple[int, int, int]]],
                 volume: Volume) -> None:
    """Point-only lesions as POINT contours (MARKER), on the slice nearest the point."""
    taken = [str(r.ROIName) for r in ds.StructureSetROISequence]
    names = unique_names(taken + [name for name, _, _ in points])[len(taken):]
    image_class = ds.ReferencedFrameOfReferenceSequence[0].RTReferencedStudySequence[0] \
        .RTReferencedSeriesSequence[0].ContourImageSequence[0].ReferencedSOPClassUID
    for (name, point, color), unique in zip(points, names):
        number = len(ds.StructureSetROISequence) + 1
        k = int(np.clip(np.rint(volume.patient_to_index(point)[0]), 0, volume.shape[0] - 1))
        roi = Dataset()
        roi.ROINumber = number
        roi.ReferencedFrameOfReferenceUID = volume.info.frame_of_reference_uid
        roi.ROIName = unique
        roi.ROIGenerationAlgorithm = "MANUAL"
        ds.StructureSetROISequence.append(roi)
        contour = Dataset()
        image = Dataset()
        image.ReferencedSOPClassUID = image_class
        image.ReferencedSOPInstanceUID = volume.sop_instance_uids[k]
        contour.ContourImageSequence = DicomSequence([image])
        contour.ContourGeometricType = "POINT"
        contour.NumberOfContourPoints = 1
        contour.ContourNumber = 1
        contour.ContourData = [f"{v:.4f}" for v in point]
        rc = Dataset()
        rc.ROIDisplayColor = [int(c) for c in color]
        rc.ReferencedROINumber = number
        rc.ContourSequence = DicomSequence([contour])
        ds.ROIContourSequence.append(rc)
        obs = Dataset()
        obs.ObservationNumber = number
        obs.ReferencedROINumber = number
        obs.RTROIInterpretedType = "MARKER"
        obs.ROIInterpreter = ""
        ds.RTROIObservationsSequence.append(obs)


CancelCheck = Callable[[], bool]


def _check(cancel: CancelCheck | None, what: str) -> None:
    if cancel is not None and cancel():
        raise Cancelled(f"export cancelled before {what}; nothing was written")


def _case(job) -> Case:
    """The case as the job exports it (anonymised: generic labels, no notes; core.export_privacy)."""
    return getattr(job, "export_case", job.case)


def _write(job, ds: Dataset, path: Path, what: str) -> None:
    write_validated(ds, path, what)
    if path not in job.written:  # --sr and --dicom both write seg.dcm and sr.dcm: one file, listed once
        job.written.append(path)


def write_case_rtstruct(job, cancel: CancelCheck | None = None) -> Path:
    """The --rtstruct step: validated (and de-identified with --anonymise) RTSTRUCT.

    ``cancel`` is asked before the RTSTRUCT is built and before it is written (Cancelled,
    nothing written)."""
    _check(cancel, "the RTSTRUCT was built")
    ds = case_rtstruct(_case(job), job.workspace, job.include_oars, job.notes, oars=job.oars)
    job.rtstruct = ds  # the SR of the same export references it (UIDs remapped alike)
    if job.anonymiser is not None:
        ds = job.anonymiser.dataset(ds)
    path = Path(job.out_dir) / RTSTRUCT_NAME
    _check(cancel, "the RTSTRUCT was written")
    _write(job, ds, path, "the RTSTRUCT")
    return path


def write_case_sr(job, cancel: CancelCheck | None = None) -> Path:
    """The --sr step: TID 1500 measurement report of the lesions, and the SEG of their
    contours it references (``job.seg_path``; none when no lesion is contoured).

    ``cancel`` is asked before the SEG, before the SR and before writing (Cancelled, nothing
    written); the SEG is written with the SR, never alone."""
    from core.rt.seg import case_seg
    from core.rt.sr import case_sr

    _check(cancel, "the SEG was built")
    try:
        seg = case_seg(_case(job), job.workspace, [])  # lesions left out are noted by the SR already
    except ExportError as exc:  # e.g. a multi-frame image: the report still goes out, with points
        seg = None
        job.notes.append(f"no SEG written: {exc}; the SR gives each lesion's centre point instead")
    _check(cancel, "the SR was built")
    ds = case_sr(_case(job), job.workspace, rtstruct=job.rtstruct, notes=job.notes, seg=seg,
                 policy=getattr(job, "policy", None), author=getattr(job, "sr_author", None))
    if job.anonymiser is not None:
        ds = job.anonymiser.dataset(ds)
    seg_ds = None
    if seg is not None:
        seg_ds = job.anonymiser.dataset(seg.dataset) if job.anonymiser is not None else seg.dataset
    path = Path(job.out_dir) / SR_NAME
    _check(cancel, "the SEG and SR were written")
    job.seg_path = None
    if seg_ds is not None:
        job.seg_path = Path(job.out_dir) / SEG_NAME
        _write(job, seg_ds, job.seg_path, "the lesion segmentation (SEG)")
    _write(job, ds, path, "the SR measurement report")
    return path


def cancelled_note(job) -> str:
    """What to tell the user after a cancelled export: nothing written, or (a cancel that came
    while the files were being written) the files that are there all the same."""
    if not job.written:
        return "Export cancelled: nothing was written"
    names = ", ".join(p.name for p in job.written)
    return f"Cancelled too late: the export had finished; wrote {names} to {job.written[0].parent}"



PDF_DICOM_NAME = "summary-pdf.dcm"


def write_case_dicom(job, cancel: CancelCheck | None = None) -> list[Path]:
    """The --dicom step: what rebuilds the case (``oligoplan open-dicom``), all in the images' study:
    the SEG of the lesions and the SR (write_case_sr: measurements, site, kind, facts, rule sets,
    review state) and the candidacy summary PDF as a DICOM Encapsulated PDF."""
    from core.rt.encapsulated_pdf import encapsulated_pdf
    from core.summary.export_steps import summary_pdf_bytes

    sr = write_case_sr(job, cancel)
    _check(cancel, "the summary PDF was made")
    pdf = summary_pdf_bytes(job)
    header = read_image_header(job.workspace.primary)
    if header is None:
        raise ExportError(f"the images of series {job.workspace.primary.info.series_uid} cannot be read; "
                          "the encapsulated PDF must name their study")
    ds = encapsulated_pdf(pdf, header)
    if job.anonymiser is not None:
        document = ds.EncapsulatedDocument
        ds = job.anonymiser.dataset(ds)  # PS3.15 blanks the document: it is the anonymised summary already
        ds.EncapsulatedDocument = document
    path = Path(job.out_dir) / PDF_DICOM_NAME
    _write(job, ds, path, "the summary as DICOM Encapsulated PDF")
    return [p for p in (job.seg_path, sr, path) if p is not None]

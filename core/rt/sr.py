"""DICOM SR measurement report (TID 1500) of a case's lesions, with highdicom.

One TID 1411 volumetric measurement group per lesion:

* tracking identifier (the lesion label) and tracking UID (stable for a case
  and lesion id, so successive reports of the same lesion can be linked);
* finding type: the lesion kind (metastasis / primary, SNOMED CT), finding
  site: the coded organ (with laterality where it applies);
* volume (cm3), longest axial diameter (SCT 103339001 Long axis, mm), short
  axis (SCT 103340004, mm) and, when the case has a PET, SUVbw maximum;
* the region: the lesion's segment in the DICOM SEG of the same export (TID
  1411 row 7, Referenced Segment, with its source series) when the lesion is
  contoured, otherwise its marker point as a 3D POINT volume surface (row 10).

Why a SEG, and not the RTSTRUCT ROI. TID 1411 offers four mutually exclusive
region references: row 5 Image Region (SCOORD), row 7 Referenced Segment
(IMAGE 121191, a segment of a Segmentation or Surface Segmentation instance),
row 10 Volume Surface (SCOORD3D 121231) and row 12b Region in Space (COMPOSITE
DCM 130488, e.g. an RT Structure Set, with row 12c Referenced Region of
Interest Identifier, TEXT DCM 130489, holding the ROI Number). What was tried:

* an IMAGE item naming the RTSTRUCT ("source of measurement", the first
  version): dciodvfy passes it, but DCMTK (dsrdump 3.6.7) refuses to read the
  whole document ("Invalid or unknown image SOP class referenced from IMAGE
  content item"): an IMAGE item must reference an image;
* Referenced Segment pointing at the RTSTRUCT: dciodvfy rejects it;
* Region in Space on the RTSTRUCT (rows 12b/12c): dciodvfy passes and
  highdicom reads it back, but DCMTK 3.6.7 refuses the document ("Cannot add
  'has properties TEXT' to COMPOSITE in Comprehensive 3D SR"): the row is
  newer than the relationship constraints most readers enforce;
* a SEG written with the report, referenced by segment: valid for dciodvfy,
  read by DCMTK and by highdicom, and the pattern the TID 1500 readers in use
  (3D Slicer QuantitativeReporting / dcmqi, OHIF) expect. This is what we write.

The RTSTRUCT stays the object for planning systems (they do not read SR); when
it is part of the same export it is listed in the report's evidence, and its
ROI and the SEG segment come from the same lesion mask.

The report reads back with :func:`read_sr_lesions` (highdicom's parser), and
is validated with dciodvfy like every export.
"""

from __future__ import annotations

from dataclasses import dataclass

import highdicom as hd
import highdicom.sr as hsr
import numpy as np
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

import core
from core.case import Case
from core.codes import UID_PREFIX, Code, Laterality
from core.errors import ExportError
from core.measure import measure_lesion
from core.rt.quiet import no_names_in_warnings
from core.rt.rtstruct_write import read_image_header
from core.rt.seg import CaseSeg
from core.rt.sr_case import add_lesion_items, case_items, set_verification_time, verification, with_type_2

SUVBW = hd.sr.CodedConcept("126401", "DCM", "SUVbw")

MAXIMUM = hd.sr.CodedConcept("56851009", "SCT", "Maximum")
UNIT_CC = hd.sr.CodedConcept("cm3", "UCUM", "cubic centimeter")
UNIT_MM = hd.sr.CodedConcept("mm", "UCUM", "millimeter")
UNIT_SUV = hd.sr.CodedConcept("{SUVbw}g/ml", "UCUM", "Standardized Uptake Value body weight")
PROCEDURE = hd.sr.CodedConcept("25045-6", "LN", "CT unspecified body region")
PROCEDURE_PET = hd.sr.CodedConcept("44139-4", "LN", "PET whole body")


def _coded(code: Code) -> hd.sr.CodedConcept:
    return hd.sr.CodedConcept(code.value, code.scheme, code.meaning)


def lesion_uid(case: Case, lesion_id: str, series_uid: str) -> str:
    """A tracking UID that stays the same for a lesion across reports of its case."""
    return generate_uid(UID_PREFIX, entropy_srcs=["oligoplan-lesion", series_uid, lesion_id])


def case_sr(case: Case, workspace, rtstruct: Dataset | None = None, notes: list[str] | None = None,
            seg: CaseSeg | None = None, policy=None, author: tuple[str, str] | None = None) -> Dataset:
    """The TID 1500 measurement report of ``case`` on the workspace's images (not written).

    ``seg`` (core.rt.seg.case_seg) holds the segments the lesion groups reference;
    ``rtstruct`` the RTSTRUCT of the same export, listed in the evidence. The report also holds
    what rebuilds the case (core.rt.sr_case: lesion values, facts, rule sets, review state);
    ``policy`` is the anonymised export's core.export_privacy.AnonymisePolicy; ``author`` (name,
    role) who makes the report (sending it to a PACS), recorded unless anonymised."""
    notes = notes if notes is not None else []
    volume = workspace.primary
    header = read_image_header(volume)
    if header is None:
        raise ExportError(f"the images of series {volume.info.series_uid} cannot be read; "
                          "the report must reference them")
    groups = []
    for lesion in case.lesions:
        grid = workspace.volume_for(lesion.mask.series_uid) if lesion.mask is not None else None
        m = measure_lesion(lesion, grid, ct=workspace.ct, pet=workspace.pet)
        tracking = hsr.TrackingIdentifier(uid=lesion_uid(case, lesion.id, volume.info.series_uid),
                                          identifier=lesion.label or lesion.id)
        site = hsr.FindingSite(
            anatomic_location=_coded(lesion.site.code),
            laterality=_coded(lesion.laterality.code) if lesion.laterality is not Laterality.NONE else None,
        )
        measurements = []
        if m.volume_cc is not None:
            measurements.append(hsr.Measurement(codes.SCT.Volume, float(m.volume_cc), UNIT_CC))
        if m.longest_axial_diameter_mm is not None:
            measurements.append(hsr.Measurement(codes.SCT.LongAxis, float(m.longest_axial_diameter_mm), UNIT_MM))
        if m.short_axis_mm is not None:
            measurements.append(hsr.Measurement(codes.SCT.ShortAxis, float(m.short_axis_mm), UNIT_MM))
        if m.suv_max is not None:
            measurements.append(hsr.Measurement(SUVBW, float(m.suv_max), UNIT_SUV, derivation=MAXIMUM))
        point = m.centroid_mm if m.centroid_mm is not None else lesion.point_mm
        if point is None:
            notes.append(f"{lesion.id} has neither contour nor marker; not in the SR")
            continue
        segment = seg.segments.get(lesion.id) if seg is not None else None
        if segment is not None:
            region = {"referenced_segment": hsr.ReferencedSegment(
                seg.dataset.SOPClassUID, seg.dataset.SOPInstanceUID, segment,
                source_series=hsr.SourceSeriesForSegmentation(volume.info.series_uid))}
        else:
            region = {"referenced_volume_surface": hsr.VolumeSurface(
                graphic_type=hsr.GraphicTypeValues3D.POINT, graphic_data=np.array([point], dtype=np.float64),
                frame_of_reference_uid=volume.info.frame_of_reference_uid,
                source_series=hsr.SourceSeriesForSegmentation(volume.info.series_uid))}
        group = hsr.VolumetricROIMeasurementsAndQualitativeEvaluations(
            tracking_identifier=tracking, finding_type=_coded(lesion.kind.code), finding_sites=[site],
            measurements=measurements or None, **region)
        add_lesion_items(group, lesion)
        groups.append(group)
    if not groups:
        raise ExportError("nothing to export: the case has no lesion")
    observer = hsr.ObservationContext(observer_device_context=hsr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hsr.DeviceObserverIdentifyingAttributes(
            uid=generate_uid(UID_PREFIX, entropy_srcs=["oligoplan-device"]), name="OligoPlan",
            manufacturer_name="OligoPlan", model_name=f"OligoPlan {core.__version__}")))
    procedures = [PROCEDURE] + ([PROCEDURE_PET] if workspace.pet is not None else [])
    report = hsr.MeasurementReport(observation_context=observer, procedure_reported=procedures,
                                   imaging_measurements=groups)
    report[0].ContentSequence.append(case_items(case, policy, author))
    evidence = [with_type_2(header)] + [ds for ds in (rtstruct, seg.dataset if seg is not None else None) if ds is not None]
    with no_names_in_warnings():  # highdicom would quote a one-part Patient's Name on the console
        sr = hsr.Comprehensive3DSR(
            evidence=evidence, content=report, series_instance_uid=generate_uid(UID_PREFIX), series_number=902,
            sop_instance_uid=generate_uid(UID_PREFIX), instance_number=1, manufacturer="OligoPlan",
            is_complete=True, record_evidence=True, **verification(case, policy))
    set_verification_time(sr, case, policy)
    sr.SeriesDescription = "OligoPlan lesion measurements"
    return sr


@dataclass(frozen=True)
class SrLesion:
    """One lesion as read back from a report."""

    identifier: str
    uid: str
    finding_site: str
    measurements: dict[str, tuple[float, str]]  # concept meaning -> (value, unit)
    referenced_sop_uid: str  # the SEG holding the lesion's segment ("" for a point region)
    referenced_segment: int | None = None  # its (0062,0004) Segment Number


def read_sr_lesions(path) -> list[SrLesion]:
    """The lesion groups of a TID 1500 report, parsed by highdicom."""
    sr = hd.sr.srread(path)
    out = []
    for group in sr.content.get_volumetric_roi_measurement_groups():
        sites = group.finding_sites
        values, ref, segment = {}, "", None
        for m in group.get_measurements():
            label = m.name.meaning if m.derivation is None else f"{m.name.meaning} {m.derivation.meaning}"
            values[label] = (float(m.value), m.unit.value)
        if group.reference_type == codes.DCM.ReferencedSegment:
            item = next(i for i in group[0].ContentSequence if i.name == codes.DCM.ReferencedSegment)
            ref = str(item.referenced_sop_instance_uid)
            segment = int(item.referenced_segment_numbers[0])
        out.append(SrLesion(group.tracking_identifier, group.tracking_uid,
                            sites[0].value.value if sites else "", values, ref, segment))
    return out

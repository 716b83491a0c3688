"""The candidacy summary PDF as a DICOM Encapsulated PDF in the images' study.

Patient and study come from the case's images (their first file's header), so the
document files beside the images, the SEG and the SR in the PACS. The PDF's bytes are
kept as they are (an odd length padded with one NUL, as DICOM requires; the length
written in Encapsulated Document Length).
"""

from __future__ import annotations

from datetime import datetime, timezone

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

import core
from core.codes import UID_PREFIX

ENCAPSULATED_PDF = "1.2.840.10008.5.1.4.1.1.104.1"
TITLE = "OligoPlan SBRT candidacy summary"
#: copied from the images: Patient, General Study and Patient Study modules
_FROM_IMAGES = ("SpecificCharacterSet", "PatientName", "PatientID", "IssuerOfPatientID", "PatientBirthDate", "PatientSex",
                "PatientAge", "PatientWeight", "PatientSize", "StudyInstanceUID", "StudyDate", "StudyTime",
                "StudyID", "AccessionNumber", "ReferringPhysicianName", "StudyDescription")
_TYPE_2 = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
           "StudyID", "AccessionNumber", "ReferringPhysicianName")


def encapsulated_pdf(pdf: bytes, image_header: Dataset, *, series_number: int = 904) -> Dataset:
    """The Encapsulated PDF dataset (not written) of ``pdf`` in the study of ``image_header``."""
    ds = Dataset()
    for keyword in _FROM_IMAGES:
        if keyword in image_header:
            setattr(ds, keyword, image_header.data_element(keyword).value)
    for keyword in _TYPE_2:
        if keyword not in ds:
            setattr(ds, keyword, "")
    now = datetime.now(timezone.utc)
    ds.SOPClassUID = ENCAPSULATED_PDF
    ds.SOPInstanceUID = generate_uid(UID_PREFIX)
    ds.Modality = "DOC"
    ds.SeriesInstanceUID = generate_uid(UID_PREFIX)
    ds.SeriesNumber = series_number
    ds.SeriesDescription = TITLE
    ds.Manufacturer = "OligoPlan"
    ds.ManufacturerModelName = "OligoPlan"
    ds.SoftwareVersions = core.__version__
    ds.ConversionType = "WSD"
    ds.InstanceNumber = 1
    ds.ContentDate = now.strftime("%Y%m%d")
    ds.ContentTime = now.strftime("%H%M%S")
    ds.AcquisitionDateTime = now.strftime("%Y%m%d%H%M%S")
    ds.InstanceCreationDate, ds.InstanceCreationTime = ds.ContentDate, ds.ContentTime
    ds.TimezoneOffsetFromUTC = "+0000"
    ds.BurnedInAnnotation = "YES"
    ds.DocumentTitle = TITLE
    ds.ConceptNameCodeSequence = []
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.EncapsulatedDocumentLength = len(pdf)
    ds.EncapsulatedDocument = pdf + (b"\0" if len(pdf) % 2 else b"")
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ENCAPSULATED_PDF
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    return ds

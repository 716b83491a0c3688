"""De-identification of exports: DICOM PS3.15 Annex E, Basic Application Level
Confidentiality Profile, with UIDs remapped consistently within one export.

One :class:`Anonymiser` serves one export (every file of it): the same
original UID always becomes the same new UID, so the SR still references the
RTSTRUCT, and both the same study, series and frame of reference. A new
export draws a new secret salt, so two exports cannot be linked by their UIDs.

Actions, by attribute (a subset of PS3.15 Table E.1-1 covering what our
objects and the image headers they copy can hold), then by value
representation for everything else:

* X: removed; Z: emptied (type 2 attributes); D: a dummy value (type 1
  attributes, names); U: a new UID (every UI value that is not a DICOM
  standard UID such as a SOP class or transfer syntax).
* Every private attribute is removed; every person name (PN) is replaced.
* Free text is scanned for the patient's name parts and ID and they are
  replaced by the pseudonym (a lesion label typed as a name stays private).
* (0012,0062) Patient Identity Removed YES and (0012,0063)/(0012,0064)
  De-identification Method (code 113100 DCM, Basic Application
  Confidentiality Profile) are set.

The anonymiser never logs any value it removes.
"""

from __future__ import annotations

import copy
import hashlib
import re
import secrets

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import generate_uid

from core.codes import UID_PREFIX

#: DICOM standard UIDs (SOP classes, transfer syntaxes, coding schemes) are kept.
STANDARD_UID_ROOT = "1.2.840.10008."

REMOVE = frozenset({
    "OtherPatientIDs", "OtherPatientIDsSequence", "OtherPatientNames", "PatientAddress",
    "PatientTelephoneNumbers", "PatientBirthName", "PatientMotherBirthName", "PatientAge", "PatientSize",
    "PatientWeight", "PatientBirthTime", "MilitaryRank", "BranchOfService", "EthnicGroup", "Occupation",
    "AdditionalPatientHistory", "PatientComments", "MedicalRecordLocator", "IssuerOfPatientID",
    "InstitutionName", "InstitutionAddress", "InstitutionalDepartmentName", "InstitutionCodeSequence",
    "ReferringPhysicianAddress", "ReferringPhysicianTelephoneNumbers", "ReferringPhysicianIdentificationSequence",
    "PhysiciansOfRecord", "PhysiciansOfRecordIdentificationSequence", "PerformingPhysicianName",
    "PerformingPhysicianIdentificationSequence", "NameOfPhysiciansReadingStudy", "RequestingPhysician",
    "StationName", "StudyDescription", "SeriesDescription", "RequestAttributesSequence",
    "AdmittingDiagnosesDescription", "AdmittingDiagnosesCodeSequence", "PatientInsurancePlanCodeSequence",
    "CurrentPatientLocation", "PatientState", "PregnancyStatus", "SmokingStatus", "MedicalAlerts", "Allergies",
    "ProtocolName", "PerformedProcedureStepDescription", "PerformedProcedureStepID",
    "RequestedProcedureDescription", "ScheduledProcedureStepDescription", "ImageComments", "AcquisitionComments",
    "DerivationDescription", "OperatorIdentificationSequence", "InstitutionalDepartmentTypeCodeSequence",
    "SeriesDate", "SeriesTime", "AcquisitionDate", "AcquisitionTime", "AcquisitionDateTime",
    "PatientSexNeutered", "ResponsibleOrganization", "ResponsiblePerson", "PersonAddress",
    "PersonTelephoneNumbers", "ReferencedPatientSequence", "PatientBreedDescription",
})
EMPTY = frozenset({
    "PatientBirthDate", "PatientSex", "StudyID", "AccessionNumber", "ReferringPhysicianName",
    "OperatorsName", "ROIInterpreter", "PositionReferenceIndicator",
})
DUMMY_DATE, DUMMY_TIME = "20000101", "000000"
#: type 1 dates and times of our objects: a dummy value keeps them valid.
DUMMY = {
    "StudyDate": DUMMY_DATE, "StudyTime": DUMMY_TIME, "ContentDate": DUMMY_DATE, "ContentTime": DUMMY_TIME, "InstanceCreationDate": DUMMY_DATE,
    "InstanceCreationTime": DUMMY_TIME, "StructureSetDate": DUMMY_DATE, "StructureSetTime": DUMMY_TIME,
    "VerificationDateTime": DUMMY_DATE + DUMMY_TIME, "ObservationDateTime": DUMMY_DATE + DUMMY_TIME,
    "DateTime": DUMMY_DATE + DUMMY_TIME, "Date": DUMMY_DATE, "Time": DUMMY_TIME,
    # X/Z/D in the basic profile; type 1 in the SEG's Enhanced General Equipment module
    "DeviceSerialNumber": "0",
}
TEXT_VRS = frozenset({"LO", "SH", "ST", "LT", "UT", "UC"})
MAX_LENGTH = {"SH": 16, "LO": 64, "ST": 1024, "LT": 10240}


class Anonymiser:
    """De-identifies the datasets of one export, consistently.

    Parameters
    ----------
    salt
        Secret mixed into every new UID and pseudonym; a random one by
        default (so exports cannot be linked). Give the same salt to get the
        same mapping again (e.g. tests).
    """

    def __init__(self, salt: str | None = None) -> None:
        self._salt = salt or secrets.token_hex(16)
        self._uids: dict[str, str] = {}
        self._secrets: set[str] = set()

    # -------------------------------------------------------------- values
    def uid(self, original: str) -> str:
        """The new UID of ``original`` (the same every time within this export)."""
        original = str(original).strip()
        if not original or original.startswith(STANDARD_UID_ROOT):
            return original
        if original not in self._uids:
            self._uids[original] = generate_uid(UID_PREFIX, entropy_srcs=[self._salt, original])
        return self._uids[original]

    def pseudonym(self, patient_id: str) -> str:
        """A stand-in for the patient ID: ``ANON-`` and 10 hex digits (the name is ``ANON^`` and the same digits)."""
        digest = hashlib.sha256(f"{self._salt}\0{patient_id}".encode()).hexdigest()
        return f"ANON-{digest[:10].upper()}"

    def scrub(self, text: str) -> str:
        """``text`` with every identifier seen so far (name parts, ID) replaced by the pseudonym."""
        out = str(text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            # whole words only (letters and digits around do not count): "OLIGO" in a
            # name must not turn "OLIGOPLAN" into "ANON-...PLAN", but "L1_Smith" is scrubbed
            out = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", self._pseudonym_for_text,
                         out, flags=re.IGNORECASE)
        return out

    def remember(self, patient_name: str, patient_id: str) -> None:
        """Identifiers to scrub from free text (name parts of 3+ characters, the ID)."""
        self._current = self.pseudonym(patient_id or patient_name)
        for part in re.split(r"[\^=\s,]+", str(patient_name or "")):
            if len(part) >= 3:
                self._secrets.add(part)
        if patient_id and len(str(patient_id)) >= 2:
            self._secrets.add(str(patient_id))

    def _pseudonym_for_text(self, _match) -> str:
        return getattr(self, "_current", "ANON")

    # ------------------------------------------------------------- datasets
    def dataset(self, ds: Dataset) -> Dataset:
        """A de-identified copy of ``ds`` (the original is not changed)."""
        out = copy.deepcopy(ds)
        name = str(out.get("PatientName", "") or "")
        pid = str(out.get("PatientID", "") or "")
        self.remember(name, pid)
        pseudonym = self.pseudonym(pid or name)
        out.remove_private_tags()
        self._walk(out)
        out.PatientName = pseudonym.replace("-", "^", 1)  # family^given, as PN wants
        out.PatientID = pseudonym
        out.PatientIdentityRemoved = "YES"
        out.DeidentificationMethod = "DICOM PS3.15 E.1 Basic Profile (OligoPlan)"
        code = Dataset()
        code.CodeValue = "113100"
        code.CodingSchemeDesignator = "DCM"
        code.CodeMeaning = "Basic Application Confidentiality Profile"
        out.DeidentificationMethodCodeSequence = DicomSequence([code])
        meta = getattr(out, "file_meta", None)
        if meta is not None and "MediaStorageSOPInstanceUID" in meta:
            meta.MediaStorageSOPInstanceUID = out.SOPInstanceUID
        return out

    def _walk(self, ds: Dataset) -> None:
        for elem in list(ds):
            keyword = elem.keyword
            if elem.tag.is_private:
                del ds[elem.tag]
                continue
            if keyword in REMOVE:
                del ds[elem.tag]
                continue
            if elem.VR == "SQ":
                for item in elem.value or []:
                    self._walk(item)
                continue
            if keyword in EMPTY:
                elem.value = ""
            elif keyword in DUMMY and elem.value not in (None, ""):
                elem.value = DUMMY[keyword]
            elif elem.VR == "UI":
                self._remap(elem)
            elif elem.VR == "PN" and elem.value not in (None, ""):
                elem.value = "ANONYMOUS"
            elif elem.VR in TEXT_VRS and elem.value not in (None, ""):
                self._scrub_element(elem)

    def _remap(self, elem: DataElement) -> None:
        if elem.value in (None, ""):
            return
        if elem.VM > 1:
            elem.value = [self.uid(v) for v in elem.value]
        else:
            elem.value = self.uid(elem.value)

    def _scrub_element(self, elem: DataElement) -> None:
        limit = MAX_LENGTH.get(elem.VR)
        fit = (lambda v: v[:limit]) if limit else (lambda v: v)  # noqa: E731
        if elem.VM > 1:
            elem.value = [fit(self.scrub(v)) for v in elem.value]
        else:
            elem.value = fit(self.scrub(elem.value))

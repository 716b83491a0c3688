"""De-identification of exports: DICOM PS3.15 Annex E, Basic Application Level
Confidentiality Profile, with UIDs remapped consistently within one export.

One :class:`Anonymiser` serves one export (every file of it): the same
original UID always becomes the same new UID, so the SR still references the
RTSTRUCT, and both the same study, series and frame of reference. A new
export draws a new secret salt, so two exports cannot be linked by their UIDs.

Actions come from PS3.15 Table E.1-1 as data (core.rt.confidentiality, every
attribute it lists, at any depth), then by value representation for the rest:

* X: removed; Z: emptied; D: a dummy value by VR; U: a new UID (every UI
  value that is not a DICOM standard UID such as a SOP class or transfer
  syntax). A choice (X/Z, X/D, Z/D, X/Z/D) takes the milder one, so the
  object stays valid; X/Z/U* sequences keep their references, remapped.
* Every attribute of the Patient and Clinical Trial groups (0010,xxxx) and
  (0012,xxxx) other than the name, ID, birth date and sex (replaced or emptied)
  is removed, whether the table's edition lists it or not.
* Every private attribute is removed; every person name (PN) is replaced.
* Options (PS3.15 E.3), stated in (0012,0064):
  - Retain Longitudinal Temporal Information with Modified Dates (113107):
    every date (DA, DT) is shifted by the export's ``date_shift_days`` (the same
    for every file of an export and for the summaries, core.export_privacy), so
    intervals between dates hold; times of day are kept. (0028,0303)
    Longitudinal Temporal Information Modified is MODIFIED.
  - Clean Descriptors (113105) and Clean Structured Content (113104): what
    OligoPlan wrote itself from the de-identified case (ROI and segment names,
    the SR content tree) is kept, with free text scanned for the patient's name
    parts and ID, which are replaced by the pseudonym.
* (0012,0062) Patient Identity Removed YES and (0012,0063)/(0012,0064)
  De-identification Method are set.

The anonymiser never logs any value it removes.
"""

from __future__ import annotations

import copy
import hashlib
import re
import secrets
from datetime import date, timedelta

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import generate_uid

from core.codes import UID_PREFIX
from core.rt.confidentiality import PATIENT_KEPT, action_for, in_patient_groups

#: DICOM standard UIDs (SOP classes, transfer syntaxes, coding schemes) are kept.
STANDARD_UID_ROOT = "1.2.840.10008."

#: In OligoPlan's own objects, written from the de-identified case (generic lesion labels): kept,
#: cleaned (Clean Descriptors / Clean Structured Content options) instead of the table's Z or D.
#: Only for ``Anonymiser(own_objects=True)``: a third-party object gets the table as it is.
CLEANED = frozenset({"ROIName", "StructureSetLabel", "ContentSequence"})
#: Dummy values (action D) by value representation.
DUMMY_BY_VR = {"PN": "ANONYMOUS", "LO": "ANONYMOUS", "SH": "ANONYMOUS", "CS": "ANONYMOUS", "ST": "ANONYMOUS",
               "LT": "ANONYMOUS", "UT": "ANONYMOUS", "UC": "ANONYMOUS", "AE": "ANONYMOUS", "DA": "20000101",
               "DT": "20000101000000", "TM": "000000", "IS": "0", "DS": "0", "AS": "000Y"}
NUMERIC_VRS = frozenset({"US", "SS", "UL", "SL", "FL", "FD", "UV", "SV"})
TEXT_VRS = frozenset({"LO", "SH", "ST", "LT", "UT", "UC"})
MAX_LENGTH = {"SH": 16, "LO": 64, "ST": 1024, "LT": 10240}
#: PS3.16 CID 7050 de-identification methods this anonymiser applies.
METHOD_CODES = (
    ("113100", "Basic Application Confidentiality Profile"),
    ("113104", "Clean Structured Content Option"),
    ("113105", "Clean Descriptors Option"),
    ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
)
_DA = re.compile(r"^(\d{8})(.*)$", re.S)


def shift_dicom_date(value: str, days: int) -> str:
    """A DA ("YYYYMMDD") or DT ("YYYYMMDDhhmmss...") value moved by ``days``; a value that is
    not a full date is emptied (never kept unshifted)."""
    text = str(value).strip()
    m = _DA.match(text)
    if not m:
        return ""
    try:
        day = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return ""
    return (day + timedelta(days=days)).strftime("%Y%m%d") + m.group(2)


class Anonymiser:
    """De-identifies the datasets of one export, consistently.

    Parameters
    ----------
    salt
        Secret mixed into every new UID and pseudonym; a random one by
        default (so exports cannot be linked). Give the same salt to get the
        same mapping again (e.g. tests).
    date_shift_days
        Days every date is moved by (the export's offset, core.export_privacy);
        None: a random one of this anonymiser.
    own_objects
        The datasets are OligoPlan's exports of a de-identified case: the
        descriptors in :data:`CLEANED` are kept (scrubbed) rather than emptied.
    """

    def __init__(self, salt: str | None = None, date_shift_days: int | None = None,
                 own_objects: bool = False) -> None:
        self._salt = salt or secrets.token_hex(16)
        self._cleaned = CLEANED if own_objects else frozenset()
        if date_shift_days is None:
            from core.export_privacy import random_date_shift_days

            date_shift_days = random_date_shift_days()
        self.date_shift_days = int(date_shift_days)
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
        out.DeidentificationMethod = "DICOM PS3.15 E.1 Basic Profile with options (OligoPlan)"
        out.LongitudinalTemporalInformationModified = "MODIFIED"
        codes = []
        for value, meaning in METHOD_CODES:
            code = Dataset()
            code.CodeValue = value
            code.CodingSchemeDesignator = "DCM"
            code.CodeMeaning = meaning
            codes.append(code)
        out.DeidentificationMethodCodeSequence = DicomSequence(codes)
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
            if in_patient_groups(elem.tag) and keyword not in PATIENT_KEPT:
                del ds[elem.tag]  # every other Patient / Clinical Trial attribute, at any depth
                continue
            action = None if keyword in self._cleaned else action_for(elem.tag)
            if action == "X":
                del ds[elem.tag]
            elif elem.VR == "SQ":
                if action in ("Z", "X/Z", "Z/D", "X/D", "X/Z/D"):
                    elem.value = DicomSequence([])  # D on a sequence: no dummy item to invent
                else:  # D on the SR content tree (cleaned), X/Z/U* references (remapped), unlisted
                    for item in elem.value or []:
                        self._walk(item)
            elif elem.value in (None, "", b""):
                continue
            elif elem.VR == "UI":
                self._remap(elem)
            elif elem.VR in ("DA", "DT") and not in_patient_groups(elem.tag):
                self._shift(elem)  # Modified Dates option: intervals hold across the export
            elif action in ("Z", "X/Z"):
                elem.value = "" if elem.VR not in NUMERIC_VRS else None
            elif action is not None and elem.VR == "TM":
                pass  # times of day are kept (dates shift by whole days)
            elif action is not None:  # D, Z/D, X/D, X/Z/D
                elem.value = self._dummy(elem)
            elif elem.VR == "PN":
                elem.value = "ANONYMOUS"
            elif elem.VR in TEXT_VRS:
                self._scrub_element(elem)

    def _dummy(self, elem: DataElement):
        if elem.VR in NUMERIC_VRS:
            return 0
        if elem.VR in ("OB", "OW", "OF", "OD", "OL", "OV", "UN"):
            return b""
        return DUMMY_BY_VR.get(elem.VR, "ANONYMOUS")

    def _shift(self, elem: DataElement) -> None:
        if elem.VM > 1:
            elem.value = [shift_dicom_date(v, self.date_shift_days) for v in elem.value]
        else:
            elem.value = shift_dicom_date(elem.value, self.date_shift_days)

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

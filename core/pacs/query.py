"""C-FIND queries and their results: what a user searches for and what comes back.

A :class:`FindQuery` becomes the C-FIND identifier of its level; a response
identifier becomes a :class:`FindResult` (the ``oligoplan pacs find --json``
row). Responses are untrusted input: unreadable values read as absent.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import asdict, dataclass
from enum import Enum

from pydicom.dataset import Dataset

from core.choices import parse_choice
from core.errors import PacsConfigError

UID_PATTERN = re.compile(r"^[0-9]+(\.[0-9]+)*$")


def is_uid(value) -> bool:
    """A well-formed DICOM UID (digits and dots, at most 64 characters): safe as a file name."""
    text = str(value or "")
    return 0 < len(text) <= 64 and bool(UID_PATTERN.match(text))


class QueryLevel(str, Enum):
    PATIENT = "patient"
    STUDY = "study"
    SERIES = "series"
    IMAGE = "image"

    @classmethod
    def parse(cls, value: "QueryLevel | str") -> "QueryLevel":
        return parse_choice(cls, value, "query level", lenient=True, error=PacsConfigError)

    @property
    def dicom(self) -> str:
        """(0008,0052) Query/Retrieve Level."""
        return self.value.upper()


def parse_date(value: str | None, what: str) -> str:
    """``YYYY-MM-DD`` (or ``YYYYMMDD``) -> DICOM DA ``YYYYMMDD``; '' when not given."""
    if not value:
        return ""
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return _dt.datetime.strptime(text, fmt).strftime("%Y%m%d")
        except ValueError:
            continue
    raise PacsConfigError(f"{what} {value!r}: expected a date as YYYY-MM-DD, e.g. 2024-03-31")


#: Characters a PACS reads as wildcards; a backslash separates several values.
WILDCARDS = "*?"
VALUE_SEPARATOR = "\\"
#: The fields matched literally: DICOM has no escape for a wildcard in a C-FIND key.
LITERAL_FIELDS = {"patient_id": ("PatientID", "patient ID"),
                  "accession_number": ("AccessionNumber", "accession number")}


@dataclass(frozen=True)
class FindQuery:
    """What to search for. Empty fields match everything; ``patient_name`` takes
    the DICOM wildcards ``*`` and ``?``; dates are ``YYYY-MM-DD`` and inclusive.

    ``patient_id`` and ``accession_number`` match literally: DICOM cannot escape a
    wildcard, so a value holding ``*`` or ``?`` is sent as it is and the PACS's answers
    are kept only when the value is equal (:func:`matches_literally`); a ``\\`` (the
    separator of several values) cannot be sent at all and is refused."""

    level: QueryLevel = QueryLevel.STUDY
    patient_id: str = ""
    patient_name: str = ""
    study_uid: str = ""
    series_uid: str = ""
    modality: str = ""
    date_from: str = ""
    date_to: str = ""
    accession_number: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", QueryLevel.parse(self.level))
        for name, (_, label) in LITERAL_FIELDS.items():
            if VALUE_SEPARATOR in getattr(self, name):
                raise PacsConfigError(
                    f"{label} '{getattr(self, name)}': contains a backslash, which DICOM reads as the separator "
                    f"between two values, so it cannot be searched for as written; only the patient name takes "
                    f"wildcards. Search by the patient's name, or by the part of the {label} without it")
        for name in ("study_uid", "series_uid"):
            value = getattr(self, name)
            if value and not is_uid(value):
                raise PacsConfigError(f"{name.replace('_', ' ')} {value!r}: not a DICOM UID "
                                      "(digits and dots, at most 64 characters)")
        start, end = parse_date(self.date_from, "date from"), parse_date(self.date_to, "date to")
        if start and end and start > end:
            raise PacsConfigError(f"date range {self.date_from} to {self.date_to}: the start is after the end")
        if self.modality and not re.fullmatch(r"[A-Z0-9_]{1,16}", self.modality.upper()):
            raise PacsConfigError(f"modality {self.modality!r}: expected a DICOM modality code such as CT, PT, MR")

    @property
    def date_range(self) -> str:
        """(0008,0020) Study Date as a DICOM range: ``from-to``, ``from-``, ``-to`` or ''."""
        start, end = parse_date(self.date_from, "date from"), parse_date(self.date_to, "date to")
        if not start and not end:
            return ""
        if start and start == end:
            return start
        return f"{start}-{end}"

    @property
    def has_study_filters(self) -> bool:
        return bool(self.study_uid or self.modality or self.date_range or self.accession_number)


def matches_literally(q: FindQuery, ds: Dataset | None) -> bool:
    """Whether an answer has exactly the patient ID and accession number asked for, where
    those hold a character the PACS may have taken as a wildcard (``*``, ``?``); other
    answers are the PACS's wildcard matches and are dropped."""
    for name, (keyword, _) in LITERAL_FIELDS.items():
        wanted = getattr(q, name).strip()
        if any(c in wanted for c in WILDCARDS) and (text(ds, keyword) or "") != wanted:
            return False
    return True


def patient_identifier(q: FindQuery) -> Dataset:
    """Patient Root, PATIENT level."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "PATIENT"
    ds.PatientID = q.patient_id
    ds.PatientName = q.patient_name
    ds.NumberOfPatientRelatedInstances = ""
    ds.NumberOfPatientRelatedStudies = ""
    return ds


def study_identifier(q: FindQuery) -> Dataset:
    """Study Root, STUDY level (modality matched on (0008,0061) Modalities in Study)."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.StudyInstanceUID = q.study_uid
    ds.PatientID = q.patient_id
    ds.PatientName = q.patient_name
    ds.StudyDate = q.date_range
    ds.StudyTime = ""
    ds.AccessionNumber = q.accession_number
    ds.StudyDescription = ""
    ds.ModalitiesInStudy = q.modality.upper()
    ds.NumberOfStudyRelatedInstances = ""
    ds.NumberOfStudyRelatedSeries = ""
    return ds


def series_identifier(q: FindQuery, study_uid: str) -> Dataset:
    """Study Root, SERIES level, within one study (the hierarchical query every PACS answers)."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "SERIES"
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = q.series_uid
    ds.Modality = q.modality.upper()
    ds.SeriesNumber = ""
    ds.SeriesDescription = ""
    ds.NumberOfSeriesRelatedInstances = ""
    return ds


def image_identifier(study_uid: str, series_uid: str) -> Dataset:
    """Study Root, IMAGE level: every instance of one series with its SOP class."""
    ds = Dataset()
    ds.QueryRetrieveLevel = "IMAGE"
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.SOPInstanceUID = ""
    ds.SOPClassUID = ""
    ds.InstanceNumber = ""
    return ds


@dataclass
class FindResult:
    """One C-FIND match; the row of ``oligoplan pacs find --json``."""

    level: str
    patient_id: str | None = None
    patient_name: str | None = None
    study_uid: str | None = None
    series_uid: str | None = None
    study_date: str | None = None
    modality: str | None = None
    description: str | None = None
    n_instances: int | None = None

    def to_json(self) -> dict:
        return asdict(self)


def text(ds: Dataset | None, keyword: str) -> str | None:
    """A response value as text; None when absent, empty or unreadable."""
    if ds is None:
        return None
    try:
        value = ds.get(keyword)
    except Exception:  # noqa: BLE001 - a peer's malformed value reads as absent
        return None
    if value is None:
        return None
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        value = "/".join(str(v) for v in value)
    value = str(value).strip()
    return value or None


def count(ds: Dataset | None, keyword: str) -> int | None:
    value = text(ds, keyword)
    try:
        n = int(str(value).split("/")[0]) if value is not None else None
    except ValueError:
        return None
    return n if n is not None and n >= 0 else None


def iso_date(value: str | None) -> str | None:
    """DICOM DA ``YYYYMMDD`` -> ``YYYY-MM-DD`` (other text is kept as it came)."""
    if value and len(value) == 8 and value.isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


def uid(ds: Dataset | None, keyword: str) -> str | None:
    value = text(ds, keyword)
    return value if is_uid(value) else None


def patient_result(ds: Dataset) -> FindResult:
    return FindResult(level="patient", patient_id=text(ds, "PatientID"), patient_name=text(ds, "PatientName"),
                      n_instances=count(ds, "NumberOfPatientRelatedInstances"))


def study_result(ds: Dataset) -> FindResult:
    return FindResult(
        level="study", patient_id=text(ds, "PatientID"), patient_name=text(ds, "PatientName"),
        study_uid=uid(ds, "StudyInstanceUID"), study_date=iso_date(text(ds, "StudyDate")),
        modality=text(ds, "ModalitiesInStudy"), description=text(ds, "StudyDescription"),
        n_instances=count(ds, "NumberOfStudyRelatedInstances"),
    )


def series_result(ds: Dataset, study: FindResult) -> FindResult:
    return FindResult(
        level="series", patient_id=study.patient_id, patient_name=study.patient_name,
        study_uid=study.study_uid, series_uid=uid(ds, "SeriesInstanceUID"), study_date=study.study_date,
        modality=text(ds, "Modality"), description=text(ds, "SeriesDescription"),
        n_instances=count(ds, "NumberOfSeriesRelatedInstances"),
    )


def patients_from_studies(studies: list[FindResult]) -> list[FindResult]:
    """Patient rows made from study rows (a patient search with study filters)."""
    rows: dict[tuple, FindResult] = {}
    for s in studies:
        key = (s.patient_id, s.patient_name)
        row = rows.setdefault(key, FindResult(level="patient", patient_id=s.patient_id,
                                               patient_name=s.patient_name, n_instances=0))
        if row.n_instances is not None:
            row.n_instances = None if s.n_instances is None else row.n_instances + s.n_instances
    return list(rows.values())

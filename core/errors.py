"""Every domain exception of OligoPlan, in one place.

Messages name the file or argument, what was found, what was expected and
what the user can do next. The gui turns these into dialogs; the command line
into a one-line message and exit status 2.
"""

from __future__ import annotations


class OligoPlanError(Exception):
    """Base class of every error OligoPlan raises on purpose."""


class Cancelled(OligoPlanError):
    """A long operation was cancelled by the user (through its cancel check)."""


class DicomError(OligoPlanError):
    """A DICOM file or series cannot be used."""


class NotDicomError(DicomError):
    """The file is not DICOM at all."""


class BrokenDicomError(DicomError):
    """The file looks like DICOM but is truncated or malformed."""


class UnsupportedDicomError(DicomError):
    """The file is valid DICOM but not an image OligoPlan can show."""


class GeometryError(DicomError):
    """The slices of a series do not form a usable 3D grid."""


class NoImagesError(OligoPlanError):
    """A folder holds no image series that could be loaded."""


class SegmentationError(OligoPlanError):
    """Click-to-segment found nothing it could delineate at the seed."""


class NewLesionSearchError(OligoPlanError):
    """New lesions could not be searched on the current images (core.tracking): not the same as none found."""


class CaseFileError(OligoPlanError):
    """A case file cannot be read or does not match the images."""


class SeveralPatientsError(OligoPlanError):
    """A folder given as a case's images holds the images of more than one patient."""


class ForeignLesionError(CaseFileError):
    """The case's images are there, but a lesion was drawn on a series that is not among them (a
    hand-edited file, a lesion of another case): the case itself is wrong, not just its images gone."""


class RuleSetError(OligoPlanError):
    """A rule-set file is malformed (the message names the file, the field and the problem)."""


class FactsError(OligoPlanError):
    """A case fact has a value of the wrong type or outside its allowed values."""


class OarSettingsError(OligoPlanError):
    """The organ-at-risk flag settings file (oar_flags.json) or a value in it is invalid."""


class ScoringError(OligoPlanError):
    """A trainee's lesions cannot be scored against the reference (e.g. other images)."""


class ReviewError(OligoPlanError):
    """A sign-off step is not allowed in the case's review state."""


class PacsError(OligoPlanError):
    """A PACS (DICOM network) operation failed: unreachable, rejected, timed out or refused."""


class PacsConfigError(PacsError):
    """A PACS node or our own network settings are invalid (AE title, host, port)."""


class RetrieveIncompleteError(PacsError):
    """A retrieve ended with instances missing; what arrived is kept in the cache.

    ``report`` is the :class:`core.pacs.retrieve.RetrieveReport` saying what is missing.
    """

    def __init__(self, message: str, report=None) -> None:
        super().__init__(message)
        self.report = report


class NewerCaseOnPacs(OligoPlanError):
    """The PACS holds a version of the case made after the one this case is based on (the SR it was
    opened from or last sent as): sending would put an older version on top of it; nothing was sent.

    ``newer`` lists those versions (core.pacs.case_store.CaseOnPacs), newest first; ``base`` is the
    case's base (a dict with ``sr_sop_uid``...), or None when it has none.
    """

    def __init__(self, message: str, newer=(), base: dict | None = None) -> None:
        super().__init__(message)
        self.newer = list(newer)
        self.base = base


class StructureSetError(DicomError):
    """An RT Structure Set cannot be placed on the images (other patient, other
    frame of reference, no images): nothing is loaded from it."""


class ExportError(OligoPlanError):
    """An export cannot be written (invalid DICOM found by validation, nothing to export)."""


class FileWriteError(ExportError):
    """A file cannot be written (no permission, disk full, a folder in its place); nothing half-written is left.

    ``path`` is the file, ``what`` what it holds ("summary PDF"), ``reason`` the system's reason.
    """

    def __init__(self, path, what: str, reason: str) -> None:
        super().__init__(f"{path}: the {what} cannot be written ({reason}); choose a folder you can write to, "
                         "or free disk space")
        self.path = path
        self.what = what
        self.reason = reason

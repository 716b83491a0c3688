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


class CaseFileError(OligoPlanError):
    """A case file cannot be read or does not match the images."""

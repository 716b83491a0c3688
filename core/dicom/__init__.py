"""DICOM in: find files, group series, read volumes, list structure sets."""

from core.dicom.scan import ScanResult, SeriesEntry, SkippedFile, scan_folder
from core.dicom.series import load_series

__all__ = ["ScanResult", "SeriesEntry", "SkippedFile", "load_series", "scan_folder"]

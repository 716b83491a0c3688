"""DICOM in: find files, group series, read volumes, list structure sets."""

import logging
import warnings

from core.dicom.scan import ScanResult, SeriesEntry, SkippedFile, scan_folder
from core.dicom.series import load_series

# pydicom reports a damaged file as a Python warning and a log record naming the
# file's full path ("End of file reached before delimiter ... in file /.../CT_0001.dcm").
# The loader already reports each such file once, with its reason, as a skipped
# file or a series warning; pydicom's own copies printed
# "site-packages/pydicom/filereader.py:487: UserWarning: ..." around the
# one-line output of `oligoplan inspect`, and put full paths (folders are often
# named after the patient) into the GUI's log.
warnings.filterwarnings("ignore", category=UserWarning, module=r"pydicom(\.|$)")
logging.getLogger("pydicom").setLevel(logging.ERROR)

__all__ = ["ScanResult", "SeriesEntry", "SkippedFile", "load_series", "scan_folder"]

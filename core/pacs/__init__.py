"""The hospital PACS: DICOM query/retrieve and send (pynetdicom).

- :mod:`core.pacs.nodes`: configured nodes and our AE title, in ``pacs.json``.
- :mod:`core.pacs.client`: associations, C-ECHO, C-FIND.
- :mod:`core.pacs.query`: search parameters and result rows.
- :mod:`core.pacs.retrieve`: C-GET / C-MOVE into the study cache, checked.
- :mod:`core.pacs.cache`: one folder per study; atomic, parsed writes.
- :mod:`core.pacs.send`: C-STORE of files or folders.
- :mod:`core.pacs.case_store`: OligoPlan cases on the PACS: list a study's versions, send a
  case (only the images the PACS lacks), never on top of a newer version.
"""

from core.pacs.cache import cache_root, cached_instances, study_folder
from core.pacs.client import PacsClient
from core.pacs.nodes import LocalAE, PacsNode, PacsSettings, load_settings, save_settings
from core.pacs.query import FindQuery, FindResult, QueryLevel
from core.pacs.retrieve import RetrieveMethod, RetrieveReport, retrieve_study
from core.pacs.send import SendReport, send_files

__all__ = [
    "FindQuery", "FindResult", "LocalAE", "PacsClient", "PacsNode", "PacsSettings", "QueryLevel",
    "RetrieveMethod", "RetrieveReport", "SendReport", "cache_root", "cached_instances", "load_settings",
    "retrieve_study", "save_settings", "send_files", "study_folder",
]

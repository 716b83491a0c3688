"""The OligoPlan SRs of a study fetched from a PACS (its SR series only, not the images).

Used to compare a case file with the reports exported from it (core.rt.sr_compare): the
SR series of the study are listed (C-FIND, series level, modality SR) and retrieved into
the study's cache folder (core.pacs.cache; what is already there is not fetched again).
"""

from __future__ import annotations

from pathlib import Path

from core.errors import PacsError


def fetch_reports(client, study_uid: str, *, progress=None, cancel=None) -> Path:
    """The folder (the study's cache folder) holding the study's SR series, fetched from ``client``'s node.

    Raises PacsError when the study holds no SR series (nothing was exported to this PACS)."""
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind

    from core.pacs import query as q
    from core.pacs.client import FindSession
    from core.pacs.retrieve import retrieve_study

    if not q.is_uid(study_uid):
        raise PacsError(f"study UID {study_uid!r}: not a DICOM UID")
    with FindSession(client, StudyRootQueryRetrieveInformationModelFind, "listing the study's reports on") as session:
        found = session.find(q.series_identifier(q.FindQuery(level="series", modality="SR"), study_uid), cancel)
    series = sorted({uid for ds in found if (uid := q.uid(ds, "SeriesInstanceUID"))
                     and (q.text(ds, "Modality") or "").upper() == "SR"})
    if not series:
        raise PacsError(f"study {study_uid} on {client.node.describe()} holds no SR series: the case was not "
                        "sent there (File > Send case to PACS, or `oligoplan export --dicom` then `pacs send`)")
    report = retrieve_study(client, study_uid, series, progress=progress, cancel=cancel)
    return Path(report.folder)

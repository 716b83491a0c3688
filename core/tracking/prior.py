"""The prior study a user compares the current scan with (gui Compare with prior, docs/tracking.md).

A prior study comes from a folder of images (or a PACS retrieve, which lands
in a folder), or from the case file of the earlier visit: its images are then
found as a case's images are found (core.rt.case_images), and its lesions can
be carried over. Whatever the source, the prior must be of the same patient:
nothing carries over between patients.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.case import Case, ImagesMissingError, load_case
from core.errors import NoImagesError, OligoPlanError
from core.lesions import Lesion
from core.dicom import ScanResult, SeriesEntry, load_series, scan_folder
from core.rt.case_images import open_case_images
from core.volume import Modality, SeriesInfo, Volume
from core.workspace import Workspace, choose_primary, matching_pet


class PriorStudyError(OligoPlanError):
    """The prior study cannot be compared with the current scan (another patient, the same series)."""


@dataclass(frozen=True)
class PriorStudy:
    images: Workspace
    source: str  # "folder", "case", "PACS"
    path: Path
    case: Case | None = None

    @property
    def date(self) -> str:
        return self.images.primary.info.study_date

    @property
    def lesions(self) -> list[Lesion]:
        return list(self.case.lesions) if self.case is not None else []

    @property
    def next_number(self) -> int | None:
        return self.case.lesions.next_number if self.case is not None else None


def open_prior_folder(folder: str | Path, progress=None, cancel=None, source: str = "folder",
                      current: SeriesInfo | None = None, scan: ScanResult | None = None) -> PriorStudy:
    """The prior study in ``folder`` (its CT, and the PET of the CT's frame of reference).

    A folder may hold both visits (a PACS export of the patient): with ``current`` (the current CT's
    series), the CT is taken from another study (:func:`choose_prior_ct`). ``scan``: the folder's scan
    when it was scanned already (the folder open in the window).
    """
    folder = Path(folder)
    if scan is None:
        if not folder.exists():
            raise NoImagesError(f"{folder}: no such folder; give the folder of the prior study")
        scan = scan_folder(folder, progress, cancel)
    entry = choose_prior_ct(scan, current)
    primary = load_series(entry, progress, cancel)
    pet_entry = matching_pet(scan.series, entry)
    pet = load_series(pet_entry, progress, cancel) if pet_entry is not None else None
    return PriorStudy(Workspace(folder=folder, scan=scan, primary=primary, pet=pet), source, folder)


def choose_prior_ct(scan: ScanResult, current: SeriesInfo | None) -> SeriesEntry:
    """The prior's primary series in a scanned folder: without ``current``, the folder's primary image
    (core.workspace.select_series); with it, the largest CT of the latest study of the same patient other
    than the current one, dated before it where dates say so. When the folder holds no other study,
    the folder's primary image (and :func:`check_comparable` then says it is the series shown)."""
    if current is None:
        return choose_primary(scan)
    others = [e for e in scan.series if e.info.modality is Modality.CT and e.info.study_uid != current.study_uid
              and e.info.series_uid != current.series_uid
              and not (e.info.patient_id and current.patient_id and e.info.patient_id != current.patient_id)]
    if not others:
        return choose_primary(scan)
    earlier = [e for e in others if not (e.info.study_date and current.study_date)
               or e.info.study_date < current.study_date] or others
    latest = max(e.info.study_date or "" for e in earlier)
    candidates = [e for e in earlier if (e.info.study_date or "") == latest]
    return max(candidates, key=lambda e: (e.n_slices * e.shape[1] * e.shape[2]))


def open_prior_case(path: str | Path, progress=None, cancel=None) -> PriorStudy:
    """The earlier visit's case file and its images (where the case says they are).

    Images absent: :class:`core.case.ImagesMissingError` saying that nothing was compared and what to do.
    """
    path = Path(path)
    case = load_case(path)
    try:
        images = open_case_images(case, path.resolve().parent, progress, cancel)
    except ImagesMissingError as exc:
        raise ImagesMissingError(
            f"{exc}. The prior case's images are needed to measure its lesions and register its CT; nothing "
            "was compared. Put the images back where the case names them, or open the earlier visit's images "
            "as a folder (its lesions are then not carried over)", exc.ref) from None
    return PriorStudy(images, "case", path, case)


def check_comparable(prior: Volume, current: Volume) -> list[str]:
    """Refuse a prior of another patient or the current series itself; return warnings (dates)."""
    a, b = prior.info, current.info
    if a.patient_id and b.patient_id and a.patient_id.strip() != b.patient_id.strip():
        raise PriorStudyError("the prior study is of another patient (its patient ID differs from the current "
                              "scan's): nothing is carried over between patients. Open an earlier study of "
                              "this patient")
    if a.series_uid and a.series_uid == b.series_uid:
        raise PriorStudyError("the prior study is the series shown now: open an earlier study of this patient "
                              "as the prior")
    warnings = []
    if not (a.patient_id and b.patient_id):
        warnings.append("the patient ID is missing from one of the two studies: check that both are of this "
                        "patient")
    if a.study_date and b.study_date and a.study_date > b.study_date:
        warnings.append(f"the prior study ({a.study_date}) is later than the current one ({b.study_date})")
    return warnings

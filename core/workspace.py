"""The images a case is drawn on: a folder scanned, its CT and a fused PET.

Used by the command line and the gui alike: open a folder, pick the primary
image (the CT with most slices, else the largest series) and a PET sharing its
frame of reference (or study), and check a case's image references against
what was found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.case import Case, ImageRef
from core.dicom import ScanResult, SeriesEntry, load_series, scan_folder
from core.dicom.scan import CancelCheck, Progress
from core.errors import CaseFileError, NoImagesError
from core.lesions import LesionMask
from core.segment import Segmentation, SegmentParams, segment_lesion
from core.volume import Modality, Volume


@dataclass
class Workspace:
    folder: Path
    scan: ScanResult
    primary: Volume
    pet: Volume | None = None
    others: dict[str, Volume] = field(default_factory=dict)

    @property
    def ct(self) -> Volume | None:
        return self.primary if self.primary.modality is not Modality.PT else None

    @property
    def volumes(self) -> list[Volume]:
        return [v for v in (self.primary, self.pet) if v is not None] + list(self.others.values())

    def volume_for(self, series_uid: str) -> Volume | None:
        return next((v for v in self.volumes if v.info.series_uid == series_uid), None)

    @property
    def segmentation_volume(self) -> Volume:
        """PET when there is one (the click tool's %SUVmax), otherwise the primary image."""
        return self.pet if self.pet is not None else self.primary

    def segment(self, seed_mm, params: SegmentParams = SegmentParams()) -> LesionMask:
        """The click tool: on the PET when there is one (contoured on the CT grid),
        otherwise region growing on the primary image."""
        return self.segment_lesion(seed_mm, params).mask

    def segment_lesion(self, seed_mm, params: SegmentParams = SegmentParams()) -> Segmentation:
        """As :meth:`segment`, with the record of the method and threshold used."""
        if self.pet is not None:
            return segment_lesion(self.pet, seed_mm, params, grid=self.ct)
        return segment_lesion(self.primary, seed_mm, params)

    def image_refs(self) -> list[ImageRef]:
        return [
            ImageRef(str(self.folder.resolve()), v.info.series_uid, v.info.frame_of_reference_uid,
                     v.info.modality.value)
            for v in (self.primary, self.pet) if v is not None
        ]


def choose_primary(scan: ScanResult) -> SeriesEntry:
    if not scan.series:
        raise NoImagesError(
            f"{scan.root}: no image series found"
            + (f" ({len(scan.skipped)} file(s) skipped, e.g. {scan.skipped[0].reason})" if scan.skipped else "")
        )
    cts = [e for e in scan.series if e.info.modality is Modality.CT]
    pool = cts or [e for e in scan.series if e.info.modality is not Modality.PT] or scan.series
    return max(pool, key=lambda e: e.n_slices * e.shape[1] * e.shape[2])


def matching_pet(scan: ScanResult, primary: SeriesEntry) -> SeriesEntry | None:
    """A PET of the same frame of reference, else of the same study."""
    pets = [e for e in scan.series if e.info.modality is Modality.PT and e is not primary]
    for same in (
        lambda e: e.info.frame_of_reference_uid and e.info.frame_of_reference_uid == primary.info.frame_of_reference_uid,
        lambda e: e.info.study_uid and e.info.study_uid == primary.info.study_uid,
    ):
        found = [e for e in pets if same(e)]
        if found:
            return max(found, key=lambda e: e.n_slices)
    return None


def open_folder(
    folder: str | Path, progress: Progress | None = None, cancel: CancelCheck | None = None
) -> Workspace:
    folder = Path(folder)
    if not folder.exists():
        raise NoImagesError(f"{folder}: no such folder")
    scan = scan_folder(folder, progress, cancel)
    primary_entry = choose_primary(scan)
    primary = load_series(primary_entry, progress, cancel)
    pet_entry = matching_pet(scan, primary_entry) if primary_entry.info.modality is not Modality.PT else None
    pet = load_series(pet_entry, progress, cancel) if pet_entry is not None else None
    return Workspace(folder=folder, scan=scan, primary=primary, pet=pet)


def check_case_images(case: Case, workspace: Workspace) -> None:
    """Refuse images whose UIDs do not match the case (nothing is changed)."""
    found = {e.info.series_uid for e in workspace.scan.series}
    for ref in case.images:
        if ref.series_uid not in found:
            raise CaseFileError(
                f"the images in {workspace.folder} do not belong to this case: series "
                f"{ref.series_uid} ({ref.modality or 'image'}) is not there. "
                "Choose the folder the case was drawn on"
            )
    for lesion in case.lesions:
        if lesion.mask is not None and lesion.mask.series_uid not in found:
            raise CaseFileError(
                f"lesion {lesion.id} was drawn on series {lesion.mask.series_uid}, which is not in "
                f"{workspace.folder}"
            )

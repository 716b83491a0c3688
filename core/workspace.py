"""The images a case is drawn on: a folder scanned, its CT and a fused PET.

Used by the command line and the gui alike: open a folder, pick the primary
image and the PET fused over it (:func:`select_series`, the one rule of both
faces), and check a case's image references against what was found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from core.case import Case, ImageRef
from core.dicom import ScanResult, SeriesEntry, load_series, scan_folder
from core.dicom.scan import CancelCheck, Progress
from core.errors import CaseFileError, ForeignLesionError, NoImagesError, SeveralPatientsError
from core.lesions import Lesion, LesionMask
from core.measure import Measurements, measure_lesion
from core.segment import Segmentation, SegmentParams, segment_lesion
from core.volume import Modality, SeriesInfo, ValueUnit, Volume


@dataclass
class Workspace:
    folder: Path
    scan: ScanResult
    primary: Volume
    pet: Volume | None = None
    others: dict[str, Volume] = field(default_factory=dict)

    @classmethod
    def of_images(cls, scan: ScanResult | None, base: Volume, overlay: Volume | None = None) -> "Workspace":
        """The images a window shows (``base``, ``overlay`` if it is a PET, from the scanned folder
        ``scan``, None when they did not come from one) as core sees a case's images."""
        pet = overlay if overlay is not None and overlay.modality is Modality.PT else None
        return cls(folder=Path(getattr(scan, "root", None) or "."), scan=scan, primary=base, pet=pet)

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


def grid_for(volumes, mask: LesionMask) -> Volume | None:
    """The volume among ``volumes`` a mask was drawn on (same series UID and grid shape), if any."""
    for vol in volumes:
        if vol is not None and vol.info.series_uid == mask.series_uid and vol.shape == tuple(mask.grid_shape):
            return vol
    return None


def measure_on(lesion: Lesion, volumes) -> Measurements:
    """core.measure of a lesion on the images open (the gui's shown ones, a case's loaded ones):
    sizes on the grid it was drawn on, HU on the CT (a volume in HU), SUV on the PET. A lesion
    drawn on images that are not open is measured without them (its marker only)."""
    vols = [v for v in volumes if v is not None]
    ct = next((v for v in vols if v.modality is not Modality.PT and v.unit is ValueUnit.HU), None)
    pet = next((v for v in vols if v.modality is Modality.PT), None)
    grid = grid_for(vols, lesion.mask) if lesion.mask is not None else None
    if lesion.mask is not None and grid is None:
        return measure_lesion(lesion, None)
    return measure_lesion(lesion, grid, ct=ct, pet=pet)


def choose_primary(scan: ScanResult, case: Case | None = None) -> SeriesEntry:
    """The primary image of a scanned folder (:func:`select_series`); NoImagesError when it has none."""
    if not scan.series:
        raise NoImagesError(
            f"{scan.root}: no image series found"
            + (f" ({len(scan.skipped)} file(s) skipped, e.g. {scan.skipped[0].reason})" if scan.skipped else "")
        )
    return select_series(scan.series, case)[0]


def select_series(series: Sequence[SeriesEntry], case: Case | None = None
                  ) -> tuple[SeriesEntry | None, SeriesEntry | None]:
    """(primary, PET) to open from the series of a folder: the one rule of the gui and the command line.

    * The primary image is the series the case's lesions were drawn on, else the case's recorded
      CT/MR, when ``case`` records one that is among ``series``; otherwise the largest CT (most
      voxels: a volume before single slices or a scout), else the largest non-PET series, else the
      largest series.
    * The PET is, for a case, the PET it records (none when it records none: the case was drawn
      without one); otherwise :func:`matching_pet`.
    """
    if not series:
        return None, None
    recorded = _recorded(series, case)
    if recorded is not None:
        return recorded
    cts = [e for e in series if e.info.modality is Modality.CT]
    pool = cts or [e for e in series if e.info.modality is not Modality.PT] or list(series)
    primary = max(pool, key=_voxels)
    return primary, matching_pet(series, primary)


def _voxels(entry) -> int:
    n, rows, cols = entry.shape
    return int(n) * int(rows) * int(cols)


def _recorded(series, case: Case | None):
    if case is None or not case.images:
        return None
    by_uid = {e.info.series_uid: e for e in series}
    masks = [lesion.mask.series_uid for lesion in case.lesions if lesion.mask is not None]
    refs = [r for r in case.images if r.series_uid in by_uid]
    primary = next((r for r in refs if r.series_uid in masks), None) or next(
        (r for r in refs if r.modality != Modality.PT.value), None)
    if primary is None:
        return None
    pet = next((r for r in refs if r.modality == Modality.PT.value and r is not primary), None)
    return by_uid[primary.series_uid], (by_uid[pet.series_uid] if pet is not None else None)


def can_overlay(base: SeriesInfo, overlay: SeriesInfo) -> bool:
    """Can ``overlay`` (a PET) be fused over ``base`` (a CT or MR)? Not when either is known to be
    of another patient; yes when they share a frame of reference (0020,0052) or a study (0020,000D)."""
    if overlay.modality is not Modality.PT or base.modality is Modality.PT:
        return False
    if base.series_uid == overlay.series_uid:
        return False
    if base.patient_id and overlay.patient_id and base.patient_id != overlay.patient_id:
        return False
    if base.frame_of_reference_uid and base.frame_of_reference_uid == overlay.frame_of_reference_uid:
        return True
    return bool(base.study_uid) and base.study_uid == overlay.study_uid


def matching_pet(series: Sequence[SeriesEntry], primary: SeriesEntry) -> SeriesEntry | None:
    """The PET to fuse over ``primary`` (:func:`can_overlay`): one of the same frame of reference
    first, then of the same study; the one with most slices."""
    candidates = [e for e in series if e is not primary and can_overlay(primary.info, e.info)]
    same_for = [e for e in candidates if primary.info.frame_of_reference_uid
                and e.info.frame_of_reference_uid == primary.info.frame_of_reference_uid]
    pool = same_for or candidates
    return max(pool, key=lambda e: e.n_slices) if pool else None


def refuse_several_patients(scan: ScanResult) -> None:
    """A folder whose images are of several patients (Patient ID; an empty one is not a mismatch) is
    refused (SeveralPatientsError) before anything is loaded: a case is of one patient, and a command given
    such a folder opened the largest CT of either, silently. The IDs are not in the message."""
    patients = {e.info.patient_id for e in scan.series if e.info.patient_id}
    if len(patients) > 1:
        raise SeveralPatientsError(
            f"{scan.root}: holds the images of {len(patients)} patients; a case is of one patient: give the "
            f"folder of that patient's images (`oligoplan inspect FOLDER` lists the series)")


def open_folder(
    folder: str | Path, progress: Progress | None = None, cancel: CancelCheck | None = None
) -> Workspace:
    folder = Path(folder)
    if not folder.exists():
        raise NoImagesError(f"{folder}: no such folder")
    scan = scan_folder(folder, progress, cancel)
    refuse_several_patients(scan)
    primary_entry = choose_primary(scan)
    primary = load_series(primary_entry, progress, cancel)
    pet_entry = matching_pet(scan.series, primary_entry)
    pet = load_series(pet_entry, progress, cancel) if pet_entry is not None else None
    return Workspace(folder=folder, scan=scan, primary=primary, pet=pet)


def check_case_images(case: Case, workspace: Workspace) -> None:
    """Refuse images whose UIDs do not match the case (nothing is changed)."""
    check_case_series(case, workspace.folder, workspace.scan)


def check_case_series(case: Case, folder: Path, scan: ScanResult) -> None:
    """Refuse a scanned folder that lacks a series of the case or of its lesions (CaseFileError)."""
    found = {e.info.series_uid for e in scan.series}
    for ref in case.images:
        if ref.series_uid not in found:
            raise CaseFileError(
                f"the images in {folder} do not belong to this case: series "
                f"{ref.series_uid} ({ref.modality or 'image'}) is not there. "
                "Choose the folder the case was drawn on"
            )
    for lesion in case.lesions:
        if lesion.mask is not None and lesion.mask.series_uid not in found:
            raise ForeignLesionError(
                f"lesion {lesion.id} was drawn on series {lesion.mask.series_uid}, which is not in "
                f"{folder}; the lesion belongs to other images (another case or patient?): remove it "
                "from the case file, or open the case with the images it was drawn on"
            )


def load_pair(primary: SeriesEntry, pet: SeriesEntry | None, progress: Progress | None = None,
              cancel: CancelCheck | None = None) -> tuple[Volume, Volume | None]:
    """Load a primary series and an optional PET one after the other, with one combined progress
    (counted in slices). The loader is looked up when called, so tests can replace it."""
    from core.dicom import series as series_module

    entries = [e for e in (primary, pet) if e is not None]
    grand_total = sum(max(int(e.n_slices), 1) for e in entries)
    volumes: list[Volume] = []
    offset = 0
    for entry in entries:
        n = max(int(entry.n_slices), 1)
        name = entry.info.title

        def scaled(done: int, total: int, message: str = "", offset=offset, n=n, name=name) -> None:
            if progress is not None:
                frac = done / total if total else 0.0
                progress(offset + int(round(frac * n)), grand_total, message or f"Loading {name}")

        volumes.append(series_module.load_series(entry, progress=scaled, cancel=cancel))
        offset += n
    return volumes[0], (volumes[1] if len(volumes) > 1 else None)

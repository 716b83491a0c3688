"""Open the images a case was drawn on (headless, for exports).

The case names its image folder (relative to the case file) and the series
UIDs. Exports need those very images: every contour references an image SOP
instance. When the folder is gone, :class:`~core.case.ImagesMissingError`;
when it holds other images, :class:`~core.errors.CaseFileError` (the command
line turns both into one line and exit status 2).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from core.case import Case, ImagesMissingError
from core.dicom import load_series, scan_folder
from core.dicom.scan import CancelCheck, Progress
from core.errors import CaseFileError
from core.volume import Modality
from core.workspace import Workspace, check_case_images


def open_case_images(case: Case, base_dir: Path, progress: Progress | None = None,
                     cancel: CancelCheck | None = None) -> Workspace:
    """Scan the case's image folder, check its UIDs, load the lesions' series (and PET)."""
    name = case.path.name if case.path else "the case"
    if not case.images:
        raise CaseFileError(f"{name}: names no images, so nothing can reference them")
    ref = case.images[0]
    folder = ref.resolve(Path(base_dir))
    if not folder.is_dir():
        raise ImagesMissingError(
            f"the images of {name} are not found: {folder} does not exist. Move them back, or open the "
            "case in OligoPlan, locate the images and save it again", ref)
    scan = scan_folder(folder, progress, cancel)
    check_case_images(case, SimpleNamespace(folder=folder, scan=scan))
    mask_series = {lesion.mask.series_uid for lesion in case.lesions if lesion.mask is not None}
    primary_ref = next((r for r in case.images if r.series_uid in mask_series), None) or next(
        (r for r in case.images if r.modality != Modality.PT.value), ref)
    pet_ref = next((r for r in case.images if r.modality == Modality.PT.value and r is not primary_ref), None)
    primary = load_series(scan.find(primary_ref.series_uid), progress, cancel)
    pet = load_series(scan.find(pet_ref.series_uid), progress, cancel) if pet_ref is not None else None
    for lesion in case.lesions:
        if lesion.mask is not None and lesion.mask.series_uid == primary.info.series_uid \
                and lesion.mask.grid_shape != primary.shape:
            raise CaseFileError(
                f"lesion {lesion.id} was drawn on a grid of {list(lesion.mask.grid_shape)} voxels, but its "
                f"series in {folder} has {list(primary.shape)}; open the case with the images it was drawn on")
    return Workspace(folder=folder, scan=scan, primary=primary, pet=pet)

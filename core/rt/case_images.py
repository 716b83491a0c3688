"""Open the images a case was drawn on: the one path of the gui and the command line.

The case names its image folder (relative to the case file) and the series
UIDs. Exports need those very images: every contour references an image SOP
instance. When the folder is gone, :class:`~core.case.ImagesMissingError`;
when it holds other images, or a lesion's mask does not fit its series' grid,
:class:`~core.errors.CaseFileError` (the command line turns both into one line
and exit status 2; the gui asks the user to locate the images).

Which series are opened is :func:`core.workspace.select_series` with the case:
the series its lesions were drawn on, and the PET it records.
"""

from __future__ import annotations

from pathlib import Path

from core.case import Case, ImagesMissingError
from core.dicom.scan import CancelCheck, Progress
from core.errors import CaseFileError
from core.workspace import Workspace, check_case_series, load_pair, select_series


def case_images_folder(case: Case, base_dir: Path) -> Path:
    """The folder the case names for its images (relative to ``base_dir``); ImagesMissingError when gone."""
    name = case.name_in_messages()
    if not case.images:
        raise CaseFileError(f"{name}: names no images, so nothing can reference them")
    ref = case.images[0]
    folder = ref.resolve(Path(base_dir))
    if not folder.is_dir():
        raise ImagesMissingError(
            f"the images of {name} are not found: {folder} does not exist. Move them back, or open the "
            "case in OligoPlan, locate the images and save it again", ref)
    return folder


def open_case_images(case: Case, base_dir: Path, progress: Progress | None = None,
                     cancel: CancelCheck | None = None) -> Workspace:
    """The case's images from the folder it names (:func:`load_case_images`)."""
    return load_case_images(case, case_images_folder(case, base_dir), progress, cancel)


def load_case_images(case: Case, folder: Path, progress: Progress | None = None,
                     cancel: CancelCheck | None = None) -> Workspace:
    """Scan ``folder``, check it holds the case's series, load the primary image and PET.

    Raises CaseFileError (nothing loaded) when a series of the case is not in the folder,
    or when a lesion's mask does not fit the grid of the images loaded.
    """
    from core.dicom import scan as scan_module  # looked up when called: tests replace the scanner

    folder = Path(folder)
    name = case.name_in_messages()
    if not case.images:
        raise CaseFileError(f"{name}: names no images, so nothing can reference them")
    scan = scan_module.scan_folder(folder, progress=progress, cancel=cancel)
    check_case_series(case, folder, scan)
    primary_entry, pet_entry = select_series(scan.series, case)
    primary, pet = load_pair(primary_entry, pet_entry, progress, cancel)
    workspace = Workspace(folder=folder, scan=scan, primary=primary, pet=pet)
    check_grids(case, workspace.volumes, f" in {folder}")
    return workspace


def check_grids(case: Case, volumes, where: str = "") -> None:
    """Refuse images (``volumes``, found ``where``) on which a lesion's mask does not fit
    (CaseFileError naming the lesion)."""
    shapes = {v.info.series_uid: v.shape for v in volumes if v is not None}
    for lesion in case.lesions:
        mask = lesion.mask
        if mask is not None and shapes.get(mask.series_uid) != mask.grid_shape:
            raise CaseFileError(
                f"lesion {lesion.id} was drawn on a grid of {list(mask.grid_shape)} voxels of series "
                f"{mask.series_uid}, which is not the grid of the images found{where} "
                f"({list(shapes.get(mask.series_uid, ())) or 'series not opened'}); "
                "open the case with the images it was drawn on"
            )

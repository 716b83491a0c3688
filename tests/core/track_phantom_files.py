"""The two-timepoint phantom written as DICOM folders and a prior case file (made in a fixture, never committed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.two_timepoints import TwoTimepoints, current_volumes, prior_volumes
from core.case import Case, save_case
from core.lesions import AddLesion, Lesion, UndoStack
from core.samples import sphere_mask
from core.volume import Volume
from core.workspace import open_folder
from tests.core.dicom_factory import write_series


def write_volume(volume: Volume, folder: Path, study_date: str) -> None:
    write_series(folder, np.asarray(volume.voxels), volume.positions_mm,
                 pixel_spacing=volume.pixel_spacing_mm, series_uid=volume.info.series_uid,
                 frame_uid=volume.info.frame_of_reference_uid, study_uid=volume.info.series_uid + ".7",
                 description=volume.info.description, study_date=study_date)


def write_two_timepoints(case: TwoTimepoints, root: Path) -> tuple[Path, Path]:
    """(prior case file, current image folder) under ``root``."""
    prior_ct, _ = prior_volumes(case)
    current_ct, _ = current_volumes(case)
    write_volume(prior_ct, root / "prior" / "images", "20240102")
    write_volume(current_ct, root / "current", "20240502")
    workspace = open_folder(root / "prior" / "images")
    prior = Case(images=workspace.image_refs())
    stack = UndoStack()
    for lesion_id, ball in case.prior_lesions.items():
        centre = case.prior_pose.apply(np.array(ball.centre_mm))
        stack.push(AddLesion(prior.lesions, Lesion(lesion_id, lesion_id, site="lung", point_mm=tuple(centre),
                                                   mask=sphere_mask(workspace.primary, centre, ball.diameter_mm))))
    path = save_case(prior, root / "prior" / "case.json")
    return path, root / "current"

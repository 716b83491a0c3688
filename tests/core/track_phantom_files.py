"""The two-timepoint phantom written as DICOM folders and a prior case file (made in a fixture, never committed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.two_timepoints import TwoTimepoints, current_volumes, prior_volumes
from core.case import Case, save_case
from core.lesions import AddLesion, Lesion, UndoStack
from core.samples import sphere_mask
from core.volume import Modality, Volume
from core.workspace import open_folder
from tests.core.dicom_factory import write_series


#: the phantom PET's header: SUVbw = stored x slope x weight / dose (no decay: scanned at injection)
PET_WEIGHT_KG, PET_DOSE_BQ = 75.0, 3.7e8


def write_volume(volume: Volume, folder: Path, study_date: str, study_uid: str | None = None) -> None:
    study_uid = study_uid or volume.info.series_uid + ".7"
    if volume.modality is Modality.PT:  # SUVbw back to Bq/ml, stored in thousandths
        slope = PET_DOSE_BQ / (PET_WEIGHT_KG * 1000.0) / 1000.0
        stored = np.rint(np.asarray(volume.voxels) * 1000.0).astype(np.int16)
        write_series(folder, stored, volume.positions_mm, pixel_spacing=volume.pixel_spacing_mm,
                     series_uid=volume.info.series_uid, frame_uid=volume.info.frame_of_reference_uid,
                     study_uid=study_uid, description=volume.info.description, study_date=study_date,
                     modality="PT", slopes=[slope] * len(stored), intercepts=[0.0] * len(stored),
                     pet=dict(weight_kg=PET_WEIGHT_KG, dose_bq=PET_DOSE_BQ, half_life_s=6586.2,
                              injection_time="100000", series_time="100000"))
        return
    write_series(folder, np.asarray(volume.voxels), volume.positions_mm,
                 pixel_spacing=volume.pixel_spacing_mm, series_uid=volume.info.series_uid,
                 frame_uid=volume.info.frame_of_reference_uid, study_uid=study_uid,
                 description=volume.info.description, study_date=study_date)


def write_two_timepoints(case: TwoTimepoints, root: Path, pet: bool = False) -> tuple[Path, Path]:
    """(prior case file, current image folder) under ``root``; with ``pet`` a PET at both dates (fused with
    its CT: same study and frame of reference)."""
    prior_ct, prior_pet = prior_volumes(case, pet=pet)
    current_ct, current_pet = current_volumes(case, pet=pet)
    dates = {"prior": "20240102", "current": "20240502"}
    folders = {"prior": root / "prior" / "images", "current": root / "current"}
    for when, ct, pet_volume in (("prior", prior_ct, prior_pet), ("current", current_ct, current_pet)):
        study = f"1.2.826.0.1.3680043.8.498.95{dates[when]}"
        write_volume(ct, folders[when] / "ct" if pet else folders[when], dates[when], study_uid=study)
        if pet_volume is not None:
            write_volume(pet_volume, folders[when] / "pet", dates[when], study_uid=study)
    workspace = open_folder(root / "prior" / "images")
    prior = Case(images=workspace.image_refs())
    stack = UndoStack()
    for lesion_id, ball in case.prior_lesions.items():
        centre = case.prior_pose.apply(np.array(ball.centre_mm))
        stack.push(AddLesion(prior.lesions, Lesion(lesion_id, lesion_id, site="lung", point_mm=tuple(centre),
                                                   mask=sphere_mask(workspace.primary, centre, ball.diameter_mm))))
    path = save_case(prior, root / "prior" / "case.json")
    return path, root / "current"

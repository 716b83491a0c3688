"""Which image series a structure set was drawn on.

1. By the images its contours reference ((3006,0016) Contour Image Sequence):
   the series holding most of the referenced SOP instances.
2. When those references are missing or dangling (common in real data: MIM
   exports, anonymised copies), by frame of reference: a series sharing a
   (0020,0052) Frame of Reference UID with the structure set, the one whose
   slices coincide with most contour planes. The match says so.
3. A structure set of another patient ((0010,0020) Patient ID differs), or
   whose frame of reference no series has, is refused with
   :class:`~core.errors.StructureSetError`: nothing is loaded from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.dicom.structure_sets import StructureSetSummary
from core.errors import StructureSetError

BY_REFERENCE = "referenced images"
BY_FRAME = "frame of reference and slice positions"


@dataclass(frozen=True)
class ImageStack:
    """What matching needs of an image series (from a scan entry or a loaded volume)."""

    series_uid: str
    frame_of_reference_uid: str
    patient_id: str
    sop_uids: frozenset[str]
    offsets_mm: np.ndarray  # slice positions along the normal, ascending
    normal: np.ndarray
    label: str = ""

    @classmethod
    def from_entry(cls, entry) -> "ImageStack":
        """From a :class:`core.dicom.scan.SeriesEntry` (no pixels read)."""
        positions = np.array([s.position_mm for s in entry.slices], dtype=np.float64)
        normal = np.asarray(entry.geometry.normal, dtype=np.float64)
        return cls(entry.info.series_uid, entry.info.frame_of_reference_uid, entry.info.patient_id,
                   frozenset(s.sop_instance_uid for s in entry.slices), np.sort(positions @ normal),
                   normal, entry.info.title)

    @classmethod
    def from_volume(cls, volume) -> "ImageStack":
        """From a loaded :class:`core.volume.Volume`."""
        return cls(volume.info.series_uid, volume.info.frame_of_reference_uid, volume.info.patient_id,
                   frozenset(volume.sop_instance_uids), np.asarray(volume.slice_offsets_mm),
                   np.asarray(volume.normal), volume.info.title)


@dataclass(frozen=True)
class StructureSetMatch:
    series_uid: str
    how: str
    warnings: tuple[str, ...] = ()


def match_structure_set(
    summary: StructureSetSummary,
    stacks: Sequence[ImageStack],
    contour_points_mm: np.ndarray | None = None,
) -> StructureSetMatch:
    """The series ``summary`` belongs to, among ``stacks``.

    ``contour_points_mm`` is one point (LPS mm) per contour, used to rank
    series of the same frame of reference by how many contour planes fall on
    their slices; without it the referenced series, else the longest, wins.

    Raises StructureSetError when the structure set belongs to another patient
    or frame of reference, or when there is no image series at all.
    """
    name = summary_name(summary)
    if not stacks:
        raise StructureSetError(
            f"{name}: no image series to place it on (it references series "
            f"{summary.referenced_series_uid or 'none'}); open the folder with its images"
        )
    refs = summary.referenced_sop_uids
    hits = [(len(refs & s.sop_uids), s) for s in stacks] if refs else []
    best_hits, best = max(hits, key=lambda h: h[0]) if hits else (0, None)
    if best is not None and best_hits > 0:
        check_patient(summary, best, name)
        warnings = []
        if best_hits < len(refs):
            warnings.append(
                f"{len(refs) - best_hits} of the {len(refs)} images it references are not in the series; "
                "their contours are placed by slice position"
            )
        frames = set(summary.frame_of_reference_uids)
        if frames and best.frame_of_reference_uid and best.frame_of_reference_uid not in frames:
            warnings.append(
                "its frame of reference UID differs from the images' although its contours reference "
                "them; matched by the referenced images"
            )
        return StructureSetMatch(best.series_uid, BY_REFERENCE, tuple(warnings))

    frames = set(summary.frame_of_reference_uids)
    same_frame = [s for s in stacks if s.frame_of_reference_uid and s.frame_of_reference_uid in frames]
    if not same_frame:
        if not frames:
            raise StructureSetError(
                f"{name}: its contours reference no image here and it names no frame of reference, "
                "so it cannot be placed; nothing was loaded from it"
            )
        raise StructureSetError(
            f"{name}: drawn on another frame of reference (no image series here shares its Frame of "
            "Reference UID and none of the images it references is here); nothing was loaded from it. "
            "Open it with the images it was drawn on"
        )
    for stack in same_frame:
        check_patient(summary, stack, name)
    chosen = _rank_by_planes(same_frame, summary, contour_points_mm)
    why = "references no image" if not refs else f"references {len(refs)} image(s) that are not here"
    return StructureSetMatch(
        chosen.series_uid, BY_FRAME,
        (f"it {why}: matched to {chosen.label or 'the series'} by frame of reference and slice positions",),
    )


def summary_name(summary: StructureSetSummary) -> str:
    from pathlib import Path

    what = getattr(summary, "object_name", "structure set")  # a SEG summary says "segmentation"
    return f"{what} '{summary.label}'" if summary.label else f"{what} {Path(summary.path).name}"


def check_patient(summary: StructureSetSummary, stack: ImageStack, name: str) -> None:
    a, b = summary.patient_id.strip(), stack.patient_id.strip()
    if a and b and a != b:
        raise StructureSetError(
            f"{name} belongs to another patient (its Patient ID differs from the images'); "
            "nothing was loaded from it"
        )


def _rank_by_planes(stacks: list[ImageStack], summary: StructureSetSummary,
                    points: np.ndarray | None) -> ImageStack:
    def score(stack: ImageStack) -> tuple:
        on_slice = 0
        if points is not None and len(points) and len(stack.offsets_mm):
            along = np.asarray(points, dtype=np.float64).reshape(-1, 3) @ stack.normal
            steps = np.diff(stack.offsets_mm)
            tol = 0.1 * (float(np.median(steps)) if len(steps) else 1.0)
            nearest = np.min(np.abs(along[:, None] - stack.offsets_mm[None, :]), axis=1)
            on_slice = int(np.sum(nearest <= tol))
        return (stack.series_uid == summary.referenced_series_uid, on_slice, len(stack.offsets_mm))

    return max(stacks, key=score)

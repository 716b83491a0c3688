"""A two-timepoint CT (and PET) phantom with a known rigid motion between the scans.

Used by the tests of `oligoplan track` and by `oligoplan bench track`; made in
memory (or written as DICOM by the tests), never committed as binaries.

The patient is an analytic body (an elliptic trunk with a spine, two unequal
lungs, a liver, a kidney and ribs: no symmetry a registration could slip along)
in "body" coordinates. The couch is in scanner coordinates: it is where it is
in both scans, while the patient lies shifted and rotated on it. The current
scan has the body at the identity; the prior scan has it at ``prior_pose``
(body -> prior LPS mm), so the true prior -> current map is ``prior_pose``'s
inverse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.registration.transform import PriorToCurrent, rotation_matrix
from core.volume import Modality, SeriesInfo, Volume

SOFT_HU, FAT_HU, LUNG_HU, BONE_HU, AIR_HU, LIVER_HU = 40.0, -90.0, -820.0, 700.0, -1000.0, 60.0
LESION_HU = 75.0  # soft-tissue lesions (in lung or fat: clear edges)


@dataclass(frozen=True)
class Ball:
    """A lesion: centre in body coordinates (mm), diameter (mm), SUV."""

    centre_mm: tuple[float, float, float]
    diameter_mm: float
    suv: float = 8.0


@dataclass(frozen=True)
class Scan:
    """One timepoint's grid: in-plane size and spacing, slice spacing and count, table start (z of slice 0)."""

    n_xy: int = 192
    pixel_mm: float = 2.0
    slice_mm: float = 3.0
    n_slices: int = 80
    z_start_mm: float = -120.0
    frame_uid: str = "1.2.826.0.1.3680043.8.498.9001"
    series_uid: str = "1.2.826.0.1.3680043.8.498.9101"
    noise_hu: float = 8.0
    seed: int = 1


@dataclass(frozen=True)
class TwoTimepoints:
    """The lesions at each date (body coordinates) and the pose of the body in the prior scan."""

    prior_lesions: dict[str, Ball]
    current_lesions: dict[str, Ball]
    prior_pose: PriorToCurrent  # body -> prior scan
    prior_scan: Scan = Scan()
    current_scan: Scan = field(default_factory=lambda: Scan(slice_mm=2.5, n_slices=100, z_start_mm=-131.0,
                                                            frame_uid="1.2.826.0.1.3680043.8.498.9002",
                                                            series_uid="1.2.826.0.1.3680043.8.498.9102",
                                                            seed=2))

    @property
    def truth(self) -> PriorToCurrent:
        """The true prior -> current map."""
        return self.prior_pose.inverse()


def standard_case(shift_mm=(6.0, -4.0, 9.0), angles_deg=(2.0, -1.5, 3.0)) -> TwoTimepoints:
    """Five prior lesions: grown 30% (L1), shrunk 50% (L2), gone (L3), stable (L4, L5); two new (N1, N2)."""
    prior = {
        "L1": Ball((-70.0, -10.0, -20.0), 20.0, 6.0),    # right lung: grows 20 -> 26 mm
        "L2": Ball((75.0, 0.0, 10.0), 26.0, 9.0),        # left lung: shrinks 26 -> 13 mm
        "L3": Ball((-60.0, 20.0, 50.0), 16.0, 7.0),      # right lung: gone
        "L4": Ball((65.0, 25.0, -40.0), 18.0, 5.0),      # left lung: stable
        "L5": Ball((-75.0, -25.0, 30.0), 14.0, 4.0),     # right lung: stable
    }
    current = {
        "L1": Ball(prior["L1"].centre_mm, 26.0, 9.0),
        "L2": Ball(prior["L2"].centre_mm, 13.0, 3.0),
        "L4": prior["L4"],
        "L5": prior["L5"],
        "N1": Ball((70.0, -20.0, 45.0), 15.0, 6.0),
        "N2": Ball((-55.0, 30.0, -45.0), 12.0, 5.0),
    }
    pose = PriorToCurrent.from_rotation_translation(rotation_matrix(angles_deg), shift_mm)
    return TwoTimepoints(prior, current, pose)


def _labels_hu(bx: np.ndarray, by: np.ndarray, bz: np.ndarray, lesions: dict[str, Ball]) -> np.ndarray:
    """HU at body coordinates (arrays of one shape)."""
    hu = np.full(bx.shape, AIR_HU, dtype=np.float32)
    # trunk: ellipse 150 x 105 mm semi-axes, tapering towards the ends (z: -150..150)
    taper = 1.0 - 0.15 * (bz / 150.0) ** 2
    trunk = ((bx / (150 * taper)) ** 2 + ((by - 5) / (105 * taper)) ** 2 <= 1.0) & (np.abs(bz) <= 150)
    hu[trunk] = FAT_HU
    inner = ((bx / (135 * taper)) ** 2 + ((by - 5) / (92 * taper)) ** 2 <= 1.0) & trunk
    hu[inner] = SOFT_HU
    right_lung = (((bx + 70) / 50) ** 2 + ((by - 0) / 60) ** 2 + ((bz - 10) / 110) ** 2) <= 1.0
    left_lung = (((bx - 68) / 44) ** 2 + ((by - 5) / 55) ** 2 + ((bz - 25) / 95) ** 2) <= 1.0
    hu[right_lung | left_lung] = LUNG_HU
    liver = (((bx + 55) / 70) ** 2 + ((by - 10) / 55) ** 2 + ((bz + 120) / 50) ** 2) <= 1.0
    hu[liver & inner] = LIVER_HU
    kidney = (((bx - 50) / 25) ** 2 + ((by - 60) / 20) ** 2 + ((bz + 110) / 40) ** 2) <= 1.0
    hu[kidney & inner] = 35.0
    spine = ((bx / 18) ** 2 + ((by - 75) / 16) ** 2 <= 1.0) & (np.abs(bz) <= 150)
    hu[spine] = BONE_HU
    sternum = ((bx / 14) ** 2 + ((by + 90) / 6) ** 2 <= 1.0) & (bz > -60) & (bz < 90)
    hu[sternum] = BONE_HU
    rib_level = np.abs(((bz + 200) % 28) - 14) < 4  # ribs every 28 mm
    ring = (bx / (128 * taper)) ** 2 + ((by - 5) / (86 * taper)) ** 2
    hu[rib_level & (ring > 0.85) & (ring <= 1.0) & (bz > -100) & (bz < 120) & (by < 60)] = BONE_HU
    for ball in lesions.values():
        cx, cy, cz = ball.centre_mm
        inside = (bx - cx) ** 2 + (by - cy) ** 2 + (bz - cz) ** 2 <= (ball.diameter_mm / 2) ** 2
        hu[inside] = LESION_HU
    return hu


def _suv(bx, by, bz, hu: np.ndarray, lesions: dict[str, Ball]) -> np.ndarray:
    suv = np.where(hu > -500, 0.8, 0.05).astype(np.float32)
    suv[hu == LIVER_HU] = 2.2
    for ball in lesions.values():
        cx, cy, cz = ball.centre_mm
        inside = (bx - cx) ** 2 + (by - cy) ** 2 + (bz - cz) ** 2 <= (ball.diameter_mm / 2) ** 2
        suv[inside] = ball.suv
    return suv


def make_ct(scan: Scan, pose: PriorToCurrent, lesions: dict[str, Ball], couch: bool = True,
            pet: bool = False) -> Volume:
    """A CT (or its PET) of the body at ``pose`` (body -> this scan's LPS mm), couch in place."""
    half = (scan.n_xy - 1) * scan.pixel_mm / 2
    xs = -half + np.arange(scan.n_xy) * scan.pixel_mm
    ys = -half + np.arange(scan.n_xy) * scan.pixel_mm
    zs = scan.z_start_mm + np.arange(scan.n_slices) * scan.slice_mm
    inverse = pose.inverse()
    out = np.empty((scan.n_slices, scan.n_xy, scan.n_xy), dtype=np.float32)
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    rng = np.random.default_rng(scan.seed)
    for k, z in enumerate(zs):
        points = np.stack([xx.ravel(), yy.ravel(), np.full(xx.size, z)], axis=1)
        body = inverse.apply(points)
        bx, by, bz = (body[:, i].reshape(xx.shape) for i in range(3))
        hu = _labels_hu(bx, by, bz, lesions)
        if pet:
            out[k] = _suv(bx, by, bz, hu, lesions)
            continue
        if couch:  # scanner coordinates: does not move with the patient
            top = (yy >= 128) & (yy <= 136) & (np.abs(xx) <= 170)
            hu[top] = 300.0
            core_ = (yy > 136) & (yy <= 160) & (np.abs(xx) <= 170)
            hu[core_] = -300.0
        out[k] = hu + rng.normal(0.0, scan.noise_hu, hu.shape).astype(np.float32)
    positions = np.stack([np.full(len(zs), xs[0]), np.full(len(zs), ys[0]), zs], axis=1)
    modality = Modality.PT if pet else Modality.CT
    voxels = out if pet else np.clip(np.rint(out), -1024, 3000).astype(np.int16)
    uid = scan.series_uid + (".1" if pet else "")
    return Volume(voxels, positions, [1, 0, 0], [0, 1, 0], (scan.pixel_mm, scan.pixel_mm),
                  SeriesInfo(uid, frame_of_reference_uid=scan.frame_uid, modality=modality,
                             description="phantom PET" if pet else "phantom CT"),
                  unit="SUVbw" if pet else "HU")


def prior_volumes(case: TwoTimepoints, pet: bool = False) -> tuple[Volume, Volume | None]:
    ct = make_ct(case.prior_scan, case.prior_pose, case.prior_lesions)
    return ct, (make_ct(case.prior_scan, case.prior_pose, case.prior_lesions, pet=True) if pet else None)


def current_volumes(case: TwoTimepoints, pet: bool = False) -> tuple[Volume, Volume | None]:
    identity = PriorToCurrent.identity()
    ct = make_ct(case.current_scan, identity, case.current_lesions)
    return ct, (make_ct(case.current_scan, identity, case.current_lesions, pet=True) if pet else None)

"""A whole-body FDG PET/CT phantom with physiological uptake, in memory (no files).

Harder than the bundled torso phantoms (sample_scans/): it reaches from the
top of the head to the thighs and has the uptake a detector must leave out:
brain (SUV 8), a myocardial shell (6) around the blood pool (1.8), kidneys
(7), ureters (10) and a full bladder (30). Lesions include 8 mm lung nodules,
a lesion across the liver's edge, a node 1 cm from the bladder wall, two
touching nodes with separate peaks, a vertebral and an adrenal-region lesion.

Shapes are evaluated at the PET voxel centres (lesions with partial volume,
supersampled), blurred to 6 mm FWHM and given 8 % correlated noise. The CT
is the same anatomy in HU on the same grid. Used by the detection tests and
`oligoplan bench detect`; coordinates are LPS mm (+x the patient's left, +y
posterior, +z superior).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from core.volume import Modality, SeriesInfo, Volume

FWHM_MM = 6.0
NOISE = 0.08
#: z extent (mm): thighs to the top of the head
Z_RANGE_MM = (-620.0, 530.0)
FOV_MM = 420.0


@dataclass(frozen=True)
class PhantomLesion:
    name: str
    centre_mm: tuple[float, float, float]
    diameter_mm: float
    suv: float
    site: str
    #: uptake highest at the centre (1 - 0.9 (r/R)^2, scaled to mean 1), as in many nodes; else even
    peaked: bool = False


LESIONS = (
    PhantomLesion("lung 8 mm right", (-100.0, 20.0, 150.0), 8.0, 12.0, "lung"),
    PhantomLesion("lung 8 mm left", (95.0, -10.0, 100.0), 8.0, 12.0, "lung"),
    PhantomLesion("liver edge", (-150.0, -5.0, -40.0), 16.0, 9.0, "liver"),
    PhantomLesion("node beside bladder", (56.0, -40.0, -370.0), 12.0, 7.0, "lymph node"),
    PhantomLesion("touching node upper", (20.0, 30.0, -184.0), 16.0, 8.0, "lymph node", peaked=True),
    PhantomLesion("touching node lower", (20.0, 30.0, -200.0), 16.0, 8.0, "lymph node", peaked=True),
    PhantomLesion("vertebra", (0.0, 60.0, -50.0), 14.0, 7.0, "bone"),
    PhantomLesion("adrenal region 8 mm", (40.0, 45.0, -60.0), 8.0, 12.0, "adrenal"),
    PhantomLesion("mediastinal node", (-5.0, -5.0, 160.0), 10.0, 9.0, "lymph node"),
)

#: where the physiological organs are (centre mm), for the tests
ORGAN_CENTRES = {
    "brain": (0.0, 0.0, 425.0), "myocardium": (25.0, -30.0, 60.0), "kidney_r": (-70.0, 60.0, -140.0),
    "kidney_l": (72.0, 58.0, -130.0), "bladder": (0.0, -40.0, -370.0),
}


def _ell(X, Y, Z, c, s):
    return ((X - c[0]) / s[0]) ** 2 + ((Y - c[1]) / s[1]) ** 2 + ((Z - c[2]) / s[2]) ** 2


def _tube_d2(X, Y, Z, p0, p1):
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    d = p1 - p0
    t = np.clip(((X - p0[0]) * d[0] + (Y - p0[1]) * d[1] + (Z - p0[2]) * d[2]) / float(d @ d), 0.0, 1.0)
    return (X - p0[0] - t * d[0]) ** 2 + (Y - p0[1] - t * d[1]) ** 2 + (Z - p0[2] - t * d[2]) ** 2


def _maps(X, Y, Z):
    """(SUV, HU) of the anatomy at the points (broadcast arrays)."""
    shape = np.broadcast_shapes(X.shape, Y.shape, Z.shape)
    suv = np.zeros(shape, np.float32)
    hu = np.full(shape, -1000.0, np.float32)

    def put(mask, s, h):
        m = np.broadcast_to(mask, shape)
        suv[m], hu[m] = s, h

    torso = (((X / 170.0) ** 2 + (Y / 115.0) ** 2) < 1.0) & (Z > -420.0) & (Z < 300.0)
    put(torso, 0.4, -100.0)
    put((((X / 158.0) ** 2 + (Y / 103.0) ** 2) < 1.0) & (Z > -420.0) & (Z < 295.0), 0.8, 40.0)
    put(((X**2 + Y**2) < 55.0**2) & (Z >= 295.0) & (Z < 340.0), 0.8, 40.0)  # neck
    put(_ell(X, Y, Z, (0, 0, 420), (75, 95, 105)) < 1.0, 0.8, 40.0)  # head
    put(_ell(X, Y, Z, (0, 0, 425), (65, 82, 88)) < 1.0, 8.0, 35.0)  # brain
    for side in (-1, 1):
        put((((X - side * 90.0) ** 2 + Y**2) < 80.0**2) & (Z <= -420.0), 0.7, 40.0)  # thighs
        put(_ell(X, Y, Z, (side * 80.0, 5.0, 140.0), (60, 80, 140)) < 1.0, 0.4, -850.0)  # lungs
    put(_ell(X, Y, Z, (25, -30, 60), (55, 45, 45)) < 1.0, 6.0, 40.0)  # myocardium
    put(_ell(X, Y, Z, (25, -30, 60), (40, 30, 30)) < 1.0, 1.8, 45.0)  # blood pool
    put(_ell(X, Y, Z, (-60, -5, -40), (95, 80, 70)) < 1.0, 2.3, 60.0)  # liver
    put(_ell(X, Y, Z, (90, 30, -40), (30, 45, 40)) < 1.0, 2.0, 50.0)  # spleen
    put((((X**2 + (Y - 60.0) ** 2) < 18.0**2) & (Z > -380.0) & (Z < 290.0)), 1.5, 300.0)  # spine
    for c in ((-70, 60, -140), (72, 58, -130)):
        put(_ell(X, Y, Z, c, (25, 30, 45)) < 1.0, 7.0, 32.0)  # kidneys
    for top, bottom in (((-62, 55, -180), (-25, -25, -355)), ((64, 55, -170), (25, -25, -355))):
        put(_tube_d2(X, Y, Z, top, bottom) < 3.5**2, 10.0, 20.0)  # ureters
    put(_ell(X, Y, Z, (0, -40, -370), (40, 35, 35)) < 1.0, 30.0, 10.0)  # bladder
    return suv, hu


def _axes(shape, spacing_mm):
    nz, ny, nx = shape
    dz, dy, dx = spacing_mm
    z = Z_RANGE_MM[0] + dz * np.arange(nz)
    y = -0.5 * (ny - 1) * dy + dy * np.arange(ny)
    x = -0.5 * (nx - 1) * dx + dx * np.arange(nx)
    return z, y, x


def grid_shape(spacing_mm) -> tuple[int, int, int]:
    dz, dy, dx = spacing_mm
    return (int((Z_RANGE_MM[1] - Z_RANGE_MM[0]) / dz) + 1, int(FOV_MM / dy), int(FOV_MM / dx))


def make_pet_ct(spacing_mm=(4.0, 4.0, 4.0), lesions=LESIONS, seed: int = 13) -> tuple[Volume, Volume]:
    """(PET in SUVbw, CT in HU) on one grid of ``spacing_mm`` (dz, dy, dx)."""
    shape = grid_shape(spacing_mm)
    z, y, x = _axes(shape, spacing_mm)
    suv = np.empty(shape, np.float32)
    hu = np.empty(shape, np.float32)
    X, Y = x[None, None, :], y[None, :, None]
    for start in range(0, shape[0], 32):
        s, h = _maps(X, Y, z[start:start + 32, None, None])
        suv[start:start + 32], hu[start:start + 32] = s, h
    for les in lesions:
        idx, frac, weighted = _sphere_fraction((z, y, x), spacing_mm, les.centre_mm, les.diameter_mm / 2.0,
                                               les.peaked)
        suv[idx] = suv[idx] * (1.0 - frac) + les.suv * weighted
        hu[idx] = hu[idx] * (1.0 - frac) + 45.0 * frac
    sigma = (FWHM_MM / 2.3548) / np.asarray(spacing_mm, float)
    suv = ndimage.gaussian_filter(suv, sigma)
    rng = np.random.default_rng(seed)
    noise = ndimage.gaussian_filter(rng.standard_normal(shape).astype(np.float32), 0.7)
    suv *= 1.0 + noise * np.float32(NOISE / noise.std())
    suv = np.clip(suv, 0.0, None)
    positions = np.stack([np.full(shape[0], x[0]), np.full(shape[0], y[0]), z], axis=1)
    common = dict(positions_mm=positions, row_dir=(1, 0, 0), col_dir=(0, 1, 0),
                  pixel_spacing_mm=(spacing_mm[1], spacing_mm[2]))
    pet = Volume(voxels=suv.astype(np.float32), info=SeriesInfo("phantom-wb-pt", frame_of_reference_uid="phantom-wb",
                 modality=Modality.PT, description="whole-body phantom PET"), unit="SUVbw", **common)
    ct = Volume(voxels=np.clip(np.rint(hu), -1024, 3071).astype(np.int16),
                info=SeriesInfo("phantom-wb-ct", frame_of_reference_uid="phantom-wb", modality=Modality.CT,
                                description="whole-body phantom CT"), unit="HU", **common)
    return pet, ct


def _sphere_fraction(axes, spacing_mm, centre_mm, radius_mm, peaked: bool = False, n: int = 4):
    centre_zyx = (centre_mm[2], centre_mm[1], centre_mm[0])
    index, sub = [], []
    for ax, step, c in zip(axes, spacing_mm, centre_zyx):
        near = np.nonzero(np.abs(ax - c) < radius_mm + step)[0]
        index.append(slice(int(near[0]), int(near[-1]) + 1))
        offsets = ((np.arange(n) + 0.5) / n - 0.5) * step
        sub.append((ax[near][:, None] + offsets[None, :]).ravel() - c)
    d2 = sub[0][:, None, None] ** 2 + sub[1][None, :, None] ** 2 + sub[2][None, None, :] ** 2
    nz, ny, nx = (s.stop - s.start for s in index)
    inside = (d2 < radius_mm**2).astype(np.float32)
    profile = inside * (1.0 - 0.9 * d2 / radius_mm**2) / (1.0 - 0.9 * 0.6) if peaked else inside
    frac = inside.reshape(nz, n, ny, n, nx, n).mean(axis=(1, 3, 5))
    weighted = profile.reshape(nz, n, ny, n, nx, n).mean(axis=(1, 3, 5))
    return tuple(index), frac, weighted


def score(detection, lesions=LESIONS, tolerance_mm: float = 10.0) -> dict:
    """Sensitivity and false positives of a detection against the phantom's lesions: a lesion is found when
    a candidate's centroid lies within its radius + ``tolerance_mm``; each candidate matches one lesion."""
    unused = list(detection.candidates)
    found, missed = [], []
    for les in lesions:
        reach = les.diameter_mm / 2.0 + tolerance_mm
        hit = min(unused, key=lambda c: np.linalg.norm(np.subtract(c.centroid_mm, les.centre_mm)), default=None)
        if hit is not None and np.linalg.norm(np.subtract(hit.centroid_mm, les.centre_mm)) <= reach:
            unused.remove(hit)
            found.append(les.name)
        else:
            missed.append(les.name)
    return {"lesions": len(lesions), "found": len(found), "missed": missed,
            "sensitivity": len(found) / len(lesions) if lesions else 1.0,
            "false_positives": len(unused),
            "false_positive_centroids_mm": [[round(v, 1) for v in c.centroid_mm] for c in unused],
            "suppressed": sorted(s.organ for s in detection.suppressed)}

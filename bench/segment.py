"""One-click segmentation figure: a 20 mm lesion on a 512 x 512 CT.

The bench makes its own images in memory (no files): a 512 x 512 x 120 CT of
0.977 mm pixels and 1.5 mm slices (body, liver, a 20 mm hypodense liver
lesion with partial volume, scanner blur and 10 HU noise), and the matching
FDG PET of 4 mm voxels (lesion SUV 10 in liver SUV 2.5, blurred to 6 mm FWHM,
8 % noise). Each click is a seed a few mm from the lesion centre (a different
one every time, as a user's clicks are) and is timed around
:func:`core.segment.segment_at`, the call the gui's click tool and
``oligoplan segment`` make. Reported: median and 95th percentile over the
clicks, and the volume found against the true sphere volume, so a fast but
wrong result cannot pass unnoticed.
"""

from __future__ import annotations

import time

import numpy as np
from scipy import ndimage

from core.volume import Modality, SeriesInfo, Volume

TARGET_MEDIAN_MS = 150.0
LESION_DIAMETER_MM = 20.0
CT_SHAPE = (120, 512, 512)
CT_SPACING_MM = (1.5, 0.977, 0.977)  # (dz, dy, dx)
PET_SPACING_MM = 4.0
PET_FWHM_MM = 6.0
LESION_CENTRE_MM = (-80.0, -20.0, 0.0)  # in the liver, LPS


def _axes(shape, spacing, origin):
    return [origin[2] + spacing[0] * np.arange(shape[0]),
            origin[1] + spacing[1] * np.arange(shape[1]),
            origin[0] + spacing[2] * np.arange(shape[2])]


def _volume(voxels, spacing, origin, uid, modality, unit) -> Volume:
    positions = np.array([[origin[0], origin[1], origin[2] + spacing[0] * k] for k in range(voxels.shape[0])])
    return Volume(voxels=voxels, positions_mm=positions, row_dir=(1, 0, 0), col_dir=(0, 1, 0),
                  pixel_spacing_mm=(spacing[1], spacing[2]),
                  info=SeriesInfo(series_uid=uid, frame_of_reference_uid="bench-for", modality=modality,
                                  description=f"bench {modality.value}"),
                  unit=unit)


def _sphere_fraction(z, y, x, centre, radius, steps, n=3):
    """Fraction of each voxel inside the sphere (partial volume), supersampled n^3."""
    frac = np.zeros((len(z), len(y), len(x)), np.float32)
    offs = ((np.arange(n) + 0.5) / n - 0.5)
    for oz in offs * steps[0]:
        for oy in offs * steps[1]:
            for ox in offs * steps[2]:
                frac += ((z[:, None, None] + oz - centre[2]) ** 2 + (y[None, :, None] + oy - centre[1]) ** 2
                         + (x[None, None, :] + ox - centre[0]) ** 2 <= radius**2)
    return frac / n**3


def _tissue(z, y, x):
    """Body (40 HU, SUV 0.8) with a liver (60 HU, SUV 2.5); returns (hu, suv) arrays."""
    Y, X = y[:, None], x[None, :]
    body = (X / 240.0) ** 2 + (Y / 170.0) ** 2 <= 1.0
    Z = z[:, None, None]
    liver = ((X + 70.0) / 95.0) ** 2 + ((Y + 5.0) / 80.0) ** 2 + (Z / 70.0) ** 2 <= 1.0
    hu = np.where(liver, 60.0, np.where(body, 40.0, -1000.0)).astype(np.float32)
    suv = np.where(liver, 2.5, np.where(body, 0.8, 0.0)).astype(np.float32)
    return hu, suv


def synthetic_pet_ct(seed: int = 0) -> tuple[Volume, Volume]:
    """(CT, PET) of the bench: a 20 mm liver lesion at :data:`LESION_CENTRE_MM`."""
    rng = np.random.default_rng(seed)
    origin = (-250.0, -250.0, -0.5 * CT_SPACING_MM[0] * (CT_SHAPE[0] - 1))
    z, y, x = _axes(CT_SHAPE, CT_SPACING_MM, origin)
    hu, _ = _tissue(z, y, x)
    hu = ndimage.gaussian_filter(hu, sigma=(0.4, 0.6, 0.6))
    radius = LESION_DIAMETER_MM / 2
    box = [np.nonzero(np.abs(a - c) < radius + 3 * s)[0] for a, c, s in
           zip((z, y, x), LESION_CENTRE_MM[::-1], CT_SPACING_MM)]
    sl = tuple(slice(int(b[0]), int(b[-1]) + 1) for b in box)
    frac = _sphere_fraction(z[sl[0]], y[sl[1]], x[sl[2]], LESION_CENTRE_MM, radius, CT_SPACING_MM)
    hu[sl] = hu[sl] * (1 - frac) + 10.0 * frac
    hu += rng.normal(0.0, 10.0, hu.shape).astype(np.float32)
    ct = _volume(np.rint(hu).astype(np.int16), CT_SPACING_MM, origin, "bench-ct", Modality.CT, "HU")

    pet_shape = (int(CT_SHAPE[0] * CT_SPACING_MM[0] / PET_SPACING_MM), 128, 128)
    pet_spacing = (PET_SPACING_MM,) * 3
    pet_origin = (-254.0, -254.0, -0.5 * PET_SPACING_MM * (pet_shape[0] - 1))
    pz, py, px = _axes(pet_shape, pet_spacing, pet_origin)
    _, suv = _tissue(pz, py, px)
    frac = _sphere_fraction(pz, py, px, LESION_CENTRE_MM, radius, pet_spacing, n=5)
    suv = suv * (1 - frac) + 10.0 * frac
    suv = ndimage.gaussian_filter(suv, sigma=PET_FWHM_MM / 2.3548 / PET_SPACING_MM)
    suv *= 1.0 + rng.normal(0.0, 0.08, suv.shape).astype(np.float32)
    pet = _volume(np.clip(suv, 0, None).astype(np.float32), pet_spacing, pet_origin, "bench-pt",
                  Modality.PT, "SUVbw")
    return ct, pet


def _time_clicks(segment, n: int, rng) -> tuple[np.ndarray, list[float]]:
    from core.measure import mask_volume_cc

    times, volumes = [], []
    for i in range(n + 2):
        offset = rng.uniform(-3.0, 3.0, 3)  # a click within 3 mm of the centre
        seed_mm = np.add(LESION_CENTRE_MM, offset)
        t0 = time.perf_counter()
        mask, grid = segment(seed_mm)
        elapsed = time.perf_counter() - t0
        if i >= 2:  # the first two warm caches and imports
            times.append(elapsed)
            volumes.append(mask_volume_cc(mask, grid))
    return np.array(times) * 1000.0, volumes


def run(n: int = 30) -> dict:
    """Time ``n`` clicks on the CT and ``n`` on the PET (contoured on the CT grid)."""
    from core.segment import segment_at

    ct, pet = synthetic_pet_ct()
    rng = np.random.default_rng(1)
    true_cc = 4.0 / 3.0 * np.pi * (LESION_DIAMETER_MM / 2) ** 3 / 1000.0
    doc = {"ct_shape": list(CT_SHAPE), "ct_spacing_mm": list(CT_SPACING_MM), "lesion_diameter_mm": LESION_DIAMETER_MM,
           "true_volume_cc": round(true_cc, 3), "n": n, "target_median_ms": TARGET_MEDIAN_MS}
    for key, segment in (
        ("ct", lambda s: (segment_at(ct, s), ct)),
        ("pet", lambda s: (segment_at(pet, s, grid=ct), ct)),
    ):
        ms, volumes = _time_clicks(segment, n, rng)
        doc[key] = {
            "median_ms": round(float(np.median(ms)), 1),
            "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "volume_cc_median": round(float(np.median(volumes)), 3),
            "volume_error_max_percent": round(float(np.max(np.abs(np.divide(volumes, true_cc) - 1))) * 100, 1),
        }
    doc["meets_target"] = doc["ct"]["median_ms"] <= TARGET_MEDIAN_MS
    return doc


def describe(doc: dict) -> str:
    lines = [f"One-click segmentation of a {doc['lesion_diameter_mm']:g} mm lesion "
             f"(true {doc['true_volume_cc']} cm3) on a {'x'.join(map(str, doc['ct_shape'][::-1]))} CT, "
             f"{doc['n']} clicks each:"]
    for key, name in (("ct", "CT region growing"), ("pet", "PET on the CT grid")):
        r = doc[key]
        lines.append(f"  {name:19s}: median {r['median_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms; "
                     f"volume {r['volume_cc_median']:.2f} cm3 (worst {r['volume_error_max_percent']:.1f}% off)")
    verdict = "met" if doc["meets_target"] else "NOT met"
    lines.append(f"  target: CT median <= {doc['target_median_ms']:g} ms: {verdict}")
    return "\n".join(lines)

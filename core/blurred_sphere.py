"""A uniform sphere seen through a Gaussian point-spread function (PET physics).

A PET scanner blurs a lesion of uniform uptake with its point-spread
function, well approximated by a 3-D Gaussian of the scanner's reconstructed
resolution (FWHM, mm). For a sphere of radius ``R`` and unit uptake above the
background, blurred by an isotropic Gaussian of standard deviation ``s``,
the value at distance ``r`` from the centre is (the convolution in closed
form)::

    p(r) = 1/2 [erf((R - r) / (s sqrt 2)) + erf((R + r) / (s sqrt 2))]
           + s / (r sqrt(2 pi)) [exp(-(R + r)^2 / 2s^2) - exp(-(R - r)^2 / 2s^2)]

``p(R)`` is the value on the true surface; a large sphere gives 1/2 there
(the edge of a blurred step), a sphere not much larger than the blur gives
less, and its centre ``p(0)`` falls below 1 (the partial-volume effect).
The adaptive PET threshold of :mod:`core.segment` is drawn at ``p(R)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import erf

#: FWHM = FWHM_PER_SIGMA x sigma for a Gaussian.
FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


def sigma_from_fwhm(fwhm_mm: float) -> float:
    return float(fwhm_mm) / FWHM_PER_SIGMA


def profile(r_mm, radius_mm: float, sigma_mm: float) -> np.ndarray:
    """Blurred unit sphere at distances ``r_mm`` from its centre (0 far away, up to 1 inside).

    Parameters
    ----------
    r_mm
        Distance(s) from the sphere centre, mm (>= 0).
    radius_mm
        Sphere radius, mm (> 0).
    sigma_mm
        Standard deviation of the Gaussian blur, mm (> 0).
    """
    r = np.abs(np.asarray(r_mm, dtype=np.float64))
    R, s = float(radius_mm), float(sigma_mm)
    if R <= 0 or s <= 0:
        raise ValueError(f"radius_mm and sigma_mm must be > 0, got {R} and {s}")
    root2s = np.sqrt(2.0) * s
    out = 0.5 * (erf((R - r) / root2s) + erf((R + r) / root2s))
    small = r < 1e-6 * s
    safe_r = np.where(small, 1.0, r)
    tail = s / (safe_r * np.sqrt(2.0 * np.pi)) * (
        np.exp(-((R + r) ** 2) / (2 * s * s)) - np.exp(-((R - r) ** 2) / (2 * s * s)))
    centre = erf(R / root2s) - np.sqrt(2.0 / np.pi) * (R / s) * np.exp(-R * R / (2 * s * s))
    return np.where(small, centre, out + tail)


def edge_fraction(radius_mm: float, sigma_mm: float) -> float:
    """Value on the true surface as a fraction of the blurred sphere's centre value.

    The background-corrected threshold, as a fraction of (centre - background),
    that contours a sphere of this radius at its true surface: 0.5 for a
    sphere much larger than the blur, less for a small one.
    """
    return float(profile(radius_mm, radius_mm, sigma_mm) / profile(0.0, radius_mm, sigma_mm))


@dataclass(frozen=True)
class SphereFit:
    """A blurred sphere on a sloping background, fitted around a lesion (image units)."""

    radius_mm: float
    background: float  # at the centre
    uptake: float  # above the background
    sigma_mm: float
    #: change of the background per mm along patient x, y, z (LPS)
    gradient_per_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def surface_value(self) -> float:
        """The model's value on the sphere's surface at the centre's background: the contour level."""
        return self.background + self.uptake * float(profile(self.radius_mm, self.radius_mm, self.sigma_mm))

    def model(self, offsets_mm: np.ndarray) -> np.ndarray:
        """Model values at points ``offsets_mm`` (n, 3) from the centre (x, y, z mm)."""
        offsets_mm = np.asarray(offsets_mm, dtype=np.float64)
        d = np.linalg.norm(offsets_mm, axis=-1)
        return (self.background + offsets_mm @ np.asarray(self.gradient_per_mm)
                + self.uptake * profile(d, self.radius_mm, self.sigma_mm))


def fit_blurred_sphere(values, offsets_mm, radius0_mm: float, sigma_mm: float) -> SphereFit | None:
    """Fit a blurred uniform sphere of known blur and centre to voxel values.

    The model is ``B + g . x + A p(|x|)``: a background ``B`` that may slope
    linearly (``g``, e.g. from bone into muscle) plus the uptake ``A`` of the
    blurred sphere. The radius ``R`` is found by a bounded one-dimensional
    search; for each ``R`` the other parameters follow by linear least squares.
    Only voxels within ``radius0_mm + 2 sigma`` of the centre take part: farther
    out the blurred sphere adds under 3 % of its uptake, and other tissue would
    only bias the background.

    Parameters
    ----------
    values
        (n,) voxel values on the image's own grid.
    offsets_mm
        (n, 3) voxel centres minus the sphere centre, patient mm (x, y, z).
    radius0_mm
        A first estimate of the radius (e.g. a thresholded region's equivalent sphere).
    sigma_mm
        Blur of the image (Gaussian standard deviation, mm), known.

    Returns
    -------
    SphereFit or None
        None when too few voxels take part or there is no uptake above the background.
    """
    offsets_mm = np.asarray(offsets_mm, dtype=np.float64)
    distance = np.linalg.norm(offsets_mm, axis=1)
    window = distance <= radius0_mm + 2.0 * sigma_mm
    if window.sum() < 12:
        return None
    d, x = distance[window], offsets_mm[window]
    v = np.asarray(values, dtype=np.float64)[window]

    def solve(radius: float):
        design = np.column_stack([np.ones_like(d), x, profile(d, radius, sigma_mm)])
        coef, *_ = np.linalg.lstsq(design, v, rcond=None)
        return float(np.sum((design @ coef - v) ** 2)), coef

    best = minimize_scalar(lambda r: solve(r)[0], bounds=(0.25 * sigma_mm, 1.5 * radius0_mm + 2.0 * sigma_mm),
                           method="bounded", options={"xatol": 0.02})
    _, coef = solve(float(best.x))
    if coef[-1] <= 0:
        return None
    return SphereFit(float(best.x), float(coef[0]), float(coef[-1]), float(sigma_mm),
                     (float(coef[1]), float(coef[2]), float(coef[3])))

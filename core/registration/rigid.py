"""Registration of the prior CT to the current CT (SimpleITK).

Same frame of reference UID -> identity (the scanner put both in one frame).
Otherwise a rigid registration, then optionally an affine refinement:

* Only the patient counts. A body mask (HU above -350, opened by 10 mm to cut
  thin bridges, largest connected component) is made on each CT at a coarse
  grid and used as the metric's fixed and moving masks: the couch, which stays
  where it is in both scans while the patient moves, cannot pull the result
  towards itself.
* Initialised by the centres of mass of the two body masks (image moments).
* Mattes mutual information (50 bins, a fixed number of random samples per
  level, seeded: the same input gives the same answer), regular-step gradient
  descent with the angles weighed by the body's radius squared, 3 levels
  (shrink 4/2/1 on blocks of voxels averaged to at most 2 mm, smoothing 2/1/0 mm).

Progress is reported per optimiser iteration; the cancel check is polled at
the same moments and stops the optimiser, then :class:`core.errors.Cancelled`
is raised. Quality: the final metric value, and the mean distance of matched
landmarks when pairs are given.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from core.errors import Cancelled, OligoPlanError
from core.registration.transform import PriorToCurrent
from core.volume import Modality, Volume

Progress = Callable[[int, int, str], None]
CancelCheck = Callable[[], bool]

BODY_THRESHOLD_HU = -350.0
#: the opening that separates the patient from the couch and other thin things
BODY_OPENING_MM = 10.0
#: coarse grid of the body masks (mm)
MASK_GRID_MM = 4.0
#: the finest grid the registration works on (mm): finer adds time, not accuracy
WORK_GRID_MM = 2.0
SAMPLES_PER_LEVEL = 20000


class RegistrationError(OligoPlanError):
    """The two scans could not be registered (no body found, nothing in common)."""


@dataclass(frozen=True)
class RegistrationParams:
    affine: bool = False
    shrink_factors: tuple[int, ...] = (4, 2, 1)
    smoothing_mm: tuple[float, ...] = (2.0, 1.0, 0.0)
    iterations: int = 200
    samples_per_level: int = SAMPLES_PER_LEVEL
    seed: int = 7


@dataclass(frozen=True)
class RegistrationResult:
    transform: PriorToCurrent
    method: str  # "identity", "rigid", "rigid+affine"
    metric: str  # "none", "Mattes mutual information"
    metric_value: float | None
    seconds: float
    landmark_error_mm: float | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        """The `oligoplan track --json` "registration" object."""
        return {
            "method": self.method,
            "metric": self.metric,
            "metric_value": None if self.metric_value is None else round(float(self.metric_value), 5),
            "seconds": round(self.seconds, 2),
            "transform": self.transform.to_json(),
        }


def register_ct(
    prior: Volume,
    current: Volume,
    params: RegistrationParams = RegistrationParams(),
    landmarks_mm: Sequence[tuple[Sequence[float], Sequence[float]]] = (),
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
) -> RegistrationResult:
    """Register ``prior`` (CT) onto ``current`` (CT); the result maps prior LPS mm to current LPS mm.

    ``landmarks_mm``: pairs (prior point, current point) of the same anatomy, for the
    quality figure (mean distance after the map).
    """
    start = time.perf_counter()
    for name, vol in (("prior", prior), ("current", current)):
        if vol.modality is not Modality.CT:
            raise RegistrationError(f"the {name} image is {vol.modality.value}, not CT; registration needs a CT "
                                    "at both dates (a PET follows its CT)")
    same = prior.info.frame_of_reference_uid and prior.info.frame_of_reference_uid == current.info.frame_of_reference_uid
    if same:
        result = RegistrationResult(PriorToCurrent.identity(), "identity", "none", None,
                                    time.perf_counter() - start)
    else:
        result = _register(prior, current, params, progress, cancel, start)
    if landmarks_mm:
        pairs = np.asarray(landmarks_mm, dtype=np.float64).reshape(-1, 2, 3)
        error = float(np.linalg.norm(result.transform.apply(pairs[:, 0]) - pairs[:, 1], axis=1).mean())
        result = RegistrationResult(**{**result.__dict__, "landmark_error_mm": error})
    return result


def to_sitk(volume: Volume, coarsest_mm: float = 0.0):
    """The volume as a float32 SimpleITK image in LPS mm (origin, spacing, direction).

    With ``coarsest_mm``, blocks of voxels are averaged (SimpleITK BinShrink, whole numbers of voxels
    per axis, as many as keep the spacing at or below ``coarsest_mm``): a 512 x 512 x 300
    CT is then a few million voxels before the registration sees it (means rounded to whole HU for int16 CTs).
    """
    import SimpleITK as sitk

    spacing = np.array(volume.spacing_mm[::-1], dtype=np.float64)  # x, y, z
    spacing[2] = max(spacing[2], 1e-3)
    factors = np.maximum(1, np.floor(coarsest_mm / spacing).astype(int)) if coarsest_mm else np.ones(3, int)
    step = volume.slice_step_mm
    z_dir = step / np.linalg.norm(step) if np.linalg.norm(step) > 0 else volume.normal
    direction = np.column_stack([volume.row_dir, volume.col_dir, z_dir])
    image = sitk.GetImageFromArray(np.asarray(volume.voxels))
    image.SetSpacing(tuple(float(v) for v in spacing))
    image.SetOrigin(tuple(float(v) for v in volume.positions_mm[0]))
    image.SetDirection(tuple(float(v) for v in direction.ravel()))
    if int(np.prod(factors)) > 1:
        image = sitk.BinShrink(image, [int(f) for f in factors])  # block means; origin and spacing follow
    image = sitk.Cast(image, sitk.sitkFloat32)
    return image


def body_mask(image):
    """The patient: HU above -350, opened to cut the couch off, largest component (uint8 image)."""
    import SimpleITK as sitk

    # every n-th voxel is enough for a mask of the patient (and far quicker than smoothing first)
    factors = [max(1, int(MASK_GRID_MM // s)) for s in image.GetSpacing()]
    coarse = sitk.Shrink(image, factors) if max(factors) > 1 else image
    mask = sitk.BinaryThreshold(coarse, BODY_THRESHOLD_HU, 1e9, 1, 0)
    radius = [max(1, int(round(BODY_OPENING_MM / 2 / s))) for s in coarse.GetSpacing()]
    radius[2] = max(1, int(round(BODY_OPENING_MM / 2 / coarse.GetSpacing()[2])))
    opened = sitk.BinaryMorphologicalOpening(mask, radius)
    labels = sitk.RelabelComponent(sitk.ConnectedComponent(opened), sortByObjectSize=True)
    body = sitk.BinaryThreshold(labels, 1, 1, 1, 0)
    if not np.any(sitk.GetArrayViewFromImage(body)):
        raise RegistrationError("no patient found in the CT (nothing above -350 HU survives a 10 mm opening); "
                                "check that both images are CTs of the patient")
    # holes (lungs, bowel gas) belong to the patient
    body = sitk.BinaryFillhole(body)
    return sitk.BinaryDilate(body, [1, 1, 1])


def _register(prior: Volume, current: Volume, params: RegistrationParams, progress: Progress | None,
              cancel: CancelCheck | None, start: float) -> RegistrationResult:
    import SimpleITK as sitk

    fixed, moving = to_sitk(current, WORK_GRID_MM), to_sitk(prior, WORK_GRID_MM)
    fixed_mask, moving_mask = body_mask(fixed), body_mask(moving)
    initial = sitk.CenteredTransformInitializer(
        sitk.Cast(fixed_mask, sitk.sitkFloat32), sitk.Cast(moving_mask, sitk.sitkFloat32),
        sitk.Euler3DTransform(), sitk.CenteredTransformInitializerFilter.MOMENTS)
    rigid, value = _run(fixed, moving, fixed_mask, moving_mask, initial, params, progress, cancel, "rigid", 0)
    method, final = "rigid", rigid
    if params.affine:
        affine = sitk.AffineTransform(3)
        affine.SetMatrix(rigid.GetMatrix())
        affine.SetTranslation(rigid.GetTranslation())
        affine.SetCenter(rigid.GetCenter())
        coarse_params = RegistrationParams(**{**params.__dict__, "shrink_factors": params.shrink_factors[-2:],
                                              "smoothing_mm": params.smoothing_mm[-2:]})
        final, value = _run(fixed, moving, fixed_mask, moving_mask, affine, coarse_params, progress, cancel,
                            "affine", 1)
        method = "rigid+affine"
    matrix = np.array(final.GetMatrix()).reshape(3, 3)
    centre, translation = np.array(final.GetCenter()), np.array(final.GetTranslation())
    current_to_prior = np.eye(4)
    current_to_prior[:3, :3] = matrix
    current_to_prior[:3, 3] = centre + translation - matrix @ centre
    transform = PriorToCurrent(np.linalg.inv(current_to_prior), "affine" if params.affine else "rigid")
    return RegistrationResult(transform, method, "Mattes mutual information", value,
                              time.perf_counter() - start)


def _rms_radius_mm(mask) -> float:
    """Root-mean-square distance of the mask's voxels from their centre (mm)."""
    import SimpleITK as sitk

    array = sitk.GetArrayViewFromImage(mask)
    idx = np.argwhere(array)[:, ::-1].astype(np.float64)  # x, y, z
    points = idx * np.array(mask.GetSpacing())
    return float(max(np.sqrt(((points - points.mean(axis=0)) ** 2).sum(axis=1).mean()), 10.0))


def _run(fixed, moving, fixed_mask, moving_mask, initial, params: RegistrationParams, progress, cancel,
         stage: str, stage_index: int):
    import SimpleITK as sitk

    method = sitk.ImageRegistrationMethod()
    method.SetMetricAsMattesMutualInformation(numberOfHistogramBins=50)
    method.SetMetricFixedMask(fixed_mask)
    method.SetMetricMovingMask(moving_mask)
    n_fixed = int(np.prod(fixed.GetSize()))
    shrinks = list(params.shrink_factors)
    fractions = [min(1.0, params.samples_per_level * s ** 3 / max(n_fixed, 1)) for s in shrinks]
    method.SetMetricSamplingStrategy(method.RANDOM)
    method.SetMetricSamplingPercentagePerLevel(fractions, params.seed)
    method.SetInterpolator(sitk.sitkLinear)
    # gradients at the sampled points only: by default ITK first computes gradient images of both
    # whole images at every level, which took 20 of the 21 seconds of a level on a 300-slice CT
    method.SetMetricUseFixedImageGradientFilter(False)
    method.SetMetricUseMovingImageGradientFilter(False)
    method.SetOptimizerAsRegularStepGradientDescent(
        learningRate=2.0, minStep=1e-3, numberOfIterations=params.iterations,
        relaxationFactor=0.5, gradientMagnitudeTolerance=1e-8)
    if stage == "rigid":
        # a turn of one radian moves the body's points by about its radius: weigh the three angles
        # by that squared (the estimator from physical shifts finds the same, at the cost of seconds)
        radius = _rms_radius_mm(fixed_mask)
        method.SetOptimizerScales([radius ** 2] * 3 + [1.0] * 3)
    else:
        method.SetOptimizerScalesFromPhysicalShift()
    method.SetShrinkFactorsPerLevel(shrinks)
    method.SetSmoothingSigmasPerLevel(list(params.smoothing_mm))
    method.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
    method.SetInitialTransform(initial, inPlace=False)
    cancelled = []
    total = params.iterations * len(shrinks)

    def on_iteration() -> None:
        if cancel is not None and cancel():
            cancelled.append(True)
            method.StopRegistration()
            return
        if progress is not None:
            done = method.GetCurrentLevel() * params.iterations + method.GetOptimizerIteration()
            progress(min(done, total), total, f"Registering the prior CT ({stage}, level "
                                              f"{method.GetCurrentLevel() + 1}/{len(shrinks)})")

    method.AddCommand(sitk.sitkIterationEvent, on_iteration)
    result = method.Execute(fixed, moving)
    if cancelled:
        raise Cancelled("registration cancelled")
    if isinstance(result, sitk.CompositeTransform):
        result = result.GetBackTransform() if result.GetNumberOfTransforms() == 1 else result.GetNthTransform(0)
    result = result.Downcast() if hasattr(result, "Downcast") else result
    return result, float(method.GetMetricValue())

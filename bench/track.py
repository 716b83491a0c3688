"""Registration figure for `oligoplan track`: two 300-slice CTs with a known rigid motion.

The bench makes both CTs in memory (bench.two_timepoints: a body with spine,
lungs, liver and ribs; a couch that stays put while the patient is shifted and
turned on it; 512 x 512 pixels of 0.8 mm; 300 slices of 1 mm in the current
scan, 1.2 mm in the prior one with another table start and frame of
reference). Two contenders register the prior CT to the current one in the
same run:

* ours: core.registration.register_ct (body masks, moments initialiser,
  regular-step gradient descent, 3 levels on a grid of at most 2 mm);
* SimpleITK's textbook pipeline (its notebooks' rigid example): Mattes mutual
  information (50 bins, 1 % random samples), centred initialiser (geometry),
  plain gradient descent (learning rate 1, 100 iterations), scales from
  physical shift, 3 levels (shrink 4/2/1, smoothing 2/1/0 mm), on the full
  images, no masks.

Reported: seconds, and the residual error (mean and max distance, mm) between
where each result and the truth put 2000 points spread through the body.
"""

from __future__ import annotations

import time

import numpy as np

from bench.two_timepoints import Scan, TwoTimepoints, make_ct, standard_case
from core.registration import PriorToCurrent, register_ct, residual_mm
from core.registration.rigid import to_sitk

TARGET_SECONDS = 10.0
TARGET_ERROR_MM = 1.0


def make_case(slices: int = 300) -> TwoTimepoints:
    base = standard_case()
    return TwoTimepoints(
        base.prior_lesions, base.current_lesions, base.prior_pose,
        prior_scan=Scan(n_xy=512, pixel_mm=0.8, slice_mm=1.2, n_slices=slices, z_start_mm=-170.0, seed=11,
                        frame_uid="1.2.826.0.1.3680043.8.498.9201", series_uid="1.2.826.0.1.3680043.8.498.9211"),
        current_scan=Scan(n_xy=512, pixel_mm=0.8, slice_mm=1.0, n_slices=slices, z_start_mm=-150.0, seed=12,
                          frame_uid="1.2.826.0.1.3680043.8.498.9202", series_uid="1.2.826.0.1.3680043.8.498.9212"))


def body_points(case: TwoTimepoints, n: int = 2000, seed: int = 3) -> np.ndarray:
    """Points inside the body (prior scan coordinates) over the length both scans cover."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n)
    r = np.sqrt(rng.uniform(0, 1, n)) * 0.9
    z = rng.uniform(-140.0, 140.0, n)
    body = np.stack([130 * r * np.cos(t), 5 + 90 * r * np.sin(t), z], axis=1)
    return case.prior_pose.apply(body)


def textbook(prior, current) -> PriorToCurrent:
    import SimpleITK as sitk

    fixed, moving = to_sitk(current), to_sitk(prior)
    initial = sitk.CenteredTransformInitializer(fixed, moving, sitk.Euler3DTransform(),
                                                sitk.CenteredTransformInitializerFilter.GEOMETRY)
    method = sitk.ImageRegistrationMethod()
    method.SetMetricAsMattesMutualInformation(numberOfHistogramBins=50)
    method.SetMetricSamplingStrategy(method.RANDOM)
    method.SetMetricSamplingPercentage(0.01, 5)
    method.SetInterpolator(sitk.sitkLinear)
    method.SetOptimizerAsGradientDescent(learningRate=1.0, numberOfIterations=100, convergenceMinimumValue=1e-6,
                                         convergenceWindowSize=10)
    method.SetOptimizerScalesFromPhysicalShift()
    method.SetShrinkFactorsPerLevel([4, 2, 1])
    method.SetSmoothingSigmasPerLevel([2, 1, 0])
    method.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
    method.SetInitialTransform(initial, inPlace=False)
    result = method.Execute(fixed, moving)
    if isinstance(result, sitk.CompositeTransform):
        result = result.GetNthTransform(result.GetNumberOfTransforms() - 1)
    result = result.Downcast()
    matrix = np.array(result.GetMatrix()).reshape(3, 3)
    centre, translation = np.array(result.GetCenter()), np.array(result.GetTranslation())
    m = np.eye(4)
    m[:3, :3] = matrix
    m[:3, 3] = centre + translation - matrix @ centre
    return PriorToCurrent(np.linalg.inv(m))


def run(slices: int = 300, with_textbook: bool = True) -> dict:
    case = make_case(slices)
    t0 = time.perf_counter()
    prior = make_ct(case.prior_scan, case.prior_pose, case.prior_lesions)
    current = make_ct(case.current_scan, PriorToCurrent.identity(), case.current_lesions)
    made_s = time.perf_counter() - t0
    points = body_points(case)
    rows = []
    t0 = time.perf_counter()
    ours = register_ct(prior, current)
    seconds = time.perf_counter() - t0
    mean, worst = residual_mm(ours.transform, case.truth, points)
    rows.append({"name": "oligoplan (core.registration)", "seconds": round(seconds, 2),
                 "mean_error_mm": round(mean, 3), "max_error_mm": round(worst, 3),
                 "rotation_error_deg": round(ours.transform.compose(case.truth.inverse()).rotation_deg, 3)})
    if with_textbook:
        t0 = time.perf_counter()
        theirs = textbook(prior, current)
        seconds = time.perf_counter() - t0
        mean, worst = residual_mm(theirs, case.truth, points)
        rows.append({"name": "SimpleITK textbook (Mattes MI, centred, gradient descent, 3 levels)",
                     "seconds": round(seconds, 2), "mean_error_mm": round(mean, 3), "max_error_mm": round(worst, 3),
                     "rotation_error_deg": round(theirs.compose(case.truth.inverse()).rotation_deg, 3)})
    return {
        "shape_prior": list(prior.shape), "shape_current": list(current.shape),
        "truth": case.truth.to_json(), "images_made_s": round(made_s, 1),
        "contenders": rows, "target_seconds": TARGET_SECONDS, "target_error_mm": TARGET_ERROR_MM,
        "ours_within_target": rows[0]["seconds"] <= TARGET_SECONDS and rows[0]["max_error_mm"] <= TARGET_ERROR_MM,
    }


def describe(doc: dict) -> str:
    lines = [f"Registration of two CTs ({' x '.join(map(str, doc['shape_prior']))} onto "
             f"{' x '.join(map(str, doc['shape_current']))} voxels), known motion: shift "
             f"{', '.join(f'{v:.1f}' for v in doc['truth']['translation_mm'])} mm, rotation "
             f"{doc['truth']['rotation_deg']:.1f} degrees"]
    for row in doc["contenders"]:
        lines.append(f"  {row['name']}: {row['seconds']:.1f} s, error mean {row['mean_error_mm']:.2f} mm, "
                     f"max {row['max_error_mm']:.2f} mm, rotation {row['rotation_error_deg']:.2f} degrees")
    lines.append(f"target for ours: at most {doc['target_seconds']:g} s and {doc['target_error_mm']:g} mm: "
                 + ("met" if doc["ours_within_target"] else "NOT met"))
    return "\n".join(lines)

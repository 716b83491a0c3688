"""Site proposal figure: one lesion's organ and side on a whole-body-sized CT.

The bench builds a 500 x 512 x 512 CT (0.8 mm pixels, 2 mm slices, a metre of
patient) in memory from the sample phantom's analytic anatomy
(``sample_scans/phantom_model.py``: torso with lungs, liver, spine; a plain
body above and below it) with 10 HU noise, and places phantom-poly's eight
metastases in it. Reported: the first proposal (it builds the CT's coarse
anatomy, once per volume: core.anatomy.ct_anatomy), then the median and 95th
percentile of a proposal for one lesion once the anatomy is cached, and how
many of the eight were proposed the organ and side of the ground truth (the
adrenal one is "soft tissue / lymph node" for the user: the CT cannot tell an
adrenal gland), so a fast but wrong result cannot pass unnoticed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time

import numpy as np

from core.anatomy import propose_site
from core.codes import Laterality, Site
from core.samples import SAMPLE_ROOT, sphere_mask
from core.volume import Modality, SeriesInfo, Volume

TARGET_MS = 50.0
SHAPE = (500, 512, 512)
SPACING_MM = (2.0, 0.8, 0.8)  # (dz, dy, dx)
LABEL_STEP = 2  # the anatomy is evaluated on every second pixel and repeated (the grid stays 0.8 mm)


def _phantom_model():
    spec = importlib.util.spec_from_file_location("phantom_model", SAMPLE_ROOT / "phantom_model.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("phantom_model", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def whole_body_ct(seed: int = 0) -> Volume:
    model = _phantom_model()
    nz, ny, nx = SHAPE
    dz, dy, dx = SPACING_MM
    x0, y0, z0 = -(nx - 1) * dx / 2, -(ny - 1) * dy / 2, -(nz - 1) * dz / 2
    x = x0 + dx * LABEL_STEP * (np.arange(nx // LABEL_STEP) + 0.25)
    y = y0 + dy * LABEL_STEP * (np.arange(ny // LABEL_STEP) + 0.25)
    z = z0 + dz * np.arange(nz)
    labels = model.label_map(x, y, z)
    lut = np.zeros(256, np.int16)
    for tissue, hu in model.TISSUE_HU.items():
        lut[int(tissue)] = hu
    hu = lut[labels].repeat(LABEL_STEP, axis=1).repeat(LABEL_STEP, axis=2)
    rng = np.random.default_rng(seed)
    for item in _truth():
        centre = np.array(item["centre_mm"])
        k = np.rint((centre[2] - z0) / dz).astype(int)
        r = item["diameter_mm"] / 2
        kk = slice(max(k - int(r / dz) - 1, 0), k + int(r / dz) + 2)
        zz = (z0 + dz * np.arange(nz))[kk][:, None, None]
        yy = (y0 + dy * np.arange(ny))[None, :, None]
        xx = (x0 + dx * np.arange(nx))[None, None, :]
        inside = (xx - centre[0]) ** 2 + (yy - centre[1]) ** 2 + (zz - centre[2]) ** 2 <= r * r
        hu[kk][inside] = int(item["hu"])
    hu = (hu + rng.normal(0, 10, size=hu.shape).astype(np.float32)).astype(np.int16)
    positions = np.array([[x0, y0, z0 + dz * k] for k in range(nz)])
    info = SeriesInfo(series_uid="bench-site-ct", frame_of_reference_uid="bench-for", modality=Modality.CT,
                      description="bench whole-body CT")
    return Volume(voxels=hu, positions_mm=positions, row_dir=(1, 0, 0), col_dir=(0, 1, 0),
                  pixel_spacing_mm=(dy, dx), info=info, unit="HU")


def _truth() -> list[dict]:
    return json.loads((SAMPLE_ROOT / "phantom-poly" / "ground_truth.json").read_text(encoding="utf-8"))["lesions"]


def run(n: int = 20) -> dict:
    started = time.perf_counter()
    ct = whole_body_ct()
    made_s = time.perf_counter() - started
    lesions = [(item, sphere_mask(ct, item["centre_mm"], item["diameter_mm"])) for item in _truth()]
    t0 = time.perf_counter()
    propose_site(lesions[0][1], ct, ct=ct)  # builds and caches the CT's anatomy
    first_ms = (time.perf_counter() - t0) * 1000
    times, right, found = [], 0, []
    for item, mask in lesions:
        for _ in range(n):
            t0 = time.perf_counter()
            proposal = propose_site(mask, ct, ct=ct)
            times.append((time.perf_counter() - t0) * 1000)
        organ = Site.parse(item["organ"])
        want = (Site.UNKNOWN if organ is Site.ADRENAL else organ, Laterality.parse(item.get("laterality") or ""))
        right += (proposal.site, proposal.side) == want
        found.append({"id": item["id"], "truth": item["organ"], "proposed": proposal.site.value,
                      "side": proposal.side.value, "detail": proposal.detail})
    return {
        "ct_shape": list(SHAPE), "ct_spacing_mm": list(SPACING_MM), "ct_made_s": round(made_s, 2),
        "first_proposal_ms": round(first_ms, 1), "median_ms": round(float(np.median(times)), 2),
        "p95_ms": round(float(np.percentile(times, 95)), 2), "target_ms": TARGET_MS, "proposals": len(times),
        "right": right, "lesions": len(lesions), "found": found,
    }


def describe(doc: dict) -> str:
    lines = [
        f"Site proposal on a {'x'.join(map(str, doc['ct_shape']))} CT "
        f"({'/'.join(f'{v:g}' for v in doc['ct_spacing_mm'])} mm):",
        f"  first proposal (builds the CT anatomy, once per volume): {doc['first_proposal_ms']:.0f} ms",
        f"  one lesion, anatomy cached: median {doc['median_ms']:.1f} ms, p95 {doc['p95_ms']:.1f} ms "
        f"over {doc['proposals']} proposals (target: <= {doc['target_ms']:g} ms)",
        f"  organ and side right for {doc['right']} of {doc['lesions']} phantom metastases",
    ]
    lines += [f"    {f['id']} {f['truth']}: {f['proposed']} {f['side']} ({f['detail']})" for f in doc["found"]]
    return "\n".join(lines)

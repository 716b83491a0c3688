"""Benchmark: load a CT series, against SimpleITK and the raw file read.

Each contender runs in a fresh Python process, so its peak memory above its
own idle state is measured alone: the child records its resident size after
imports (idle), loads, then reads its high-water mark (VmHWM). Files are read
once beforehand so that every contender sees a warm page cache. The raw read
(every byte of every file into memory) is the physical floor; the raw read into
one new buffer of the series' size adds what fresh memory costs (the kernel
zeroes every page on first touch), which any loader that returns a volume pays.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DEFAULT_SLICES = 300
DEFAULT_SIZE = 512


def generated_ct_path(n_slices: int = DEFAULT_SLICES, size: int = DEFAULT_SIZE) -> Path:
    """A folder of n_slices uncompressed 512x512 CT files, made once and reused."""
    root = Path(tempfile.gettempdir()) / f"oligoplan-bench-ct-{n_slices}x{size}"
    if len(list(root.glob("*.dcm"))) == n_slices:
        return root
    root.mkdir(parents=True, exist_ok=True)
    write_synthetic_ct(root, n_slices, size)
    return root


def write_synthetic_ct(root: Path, n_slices: int, size: int) -> None:
    """Write a body-like synthetic CT (int16 stored, intercept -1024), files shuffled by name."""
    import pydicom
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size]
    body = ((xx - size / 2) / (size * 0.42)) ** 2 + ((yy - size / 2) / (size * 0.3)) ** 2 <= 1
    study, series, frame = (generate_uid(entropy_srcs=["bench", s]) for s in ("st", "se", "fr"))
    order = rng.permutation(n_slices)
    for k in range(n_slices):
        hu = np.where(body, 40, -1000) + rng.normal(0, 10, (size, size))
        stored = np.clip(hu + 1024, 0, 4095).astype(np.uint16)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=["bench", str(k)])
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = pydicom.Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
        ds.Modality, ds.PatientName, ds.PatientID = "CT", "BENCH^CT", "BENCH"
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.SeriesDescription = f"benchmark CT {n_slices} slices"
        ds.ImagePositionPatient = [-250.0, -250.0, -450.0 + 1.5 * k]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing, ds.SliceThickness = [0.977, 0.977], 1.5
        ds.InstanceNumber = int(n_slices - k)
        ds.Rows = ds.Columns = size
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        ds.PixelData = stored.tobytes()
        ds.save_as(root / f"img{order[k]:04d}.dcm", enforce_file_format=True)


# ------------------------------------------------------------------ workers
def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _worker(kind: str, path: str) -> dict:
    """Run one contender in this process; return seconds, peak above idle, voxels."""
    if kind == "oligoplan":
        from core.dicom import load_series, scan_folder
    elif kind == "simpleitk":
        import SimpleITK as sitk
    idle = _rss_kb("VmRSS")
    start = time.perf_counter()
    if kind == "oligoplan":
        result = scan_folder(path)
        volume = load_series(result.series[0])
        voxels = volume.voxels.size
    elif kind == "simpleitk":
        reader = sitk.ImageSeriesReader()
        reader.SetFileNames(reader.GetGDCMSeriesFileNames(path))
        image = reader.Execute()
        voxels = int(np.prod(image.GetSize()))
    elif kind == "raw_fresh":  # every byte into one new buffer: what any loader's memory costs
        names = sorted(os.listdir(path))
        sizes = [os.path.getsize(os.path.join(path, name)) for name in names]
        buffer = np.empty(sum(sizes), dtype=np.uint8)
        offset = 0
        for name, size in zip(names, sizes):
            with open(os.path.join(path, name), "rb", buffering=0) as fh:
                fh.readinto(memoryview(buffer[offset:offset + size]))
            offset += size
        voxels = offset
    else:  # raw read: the floor
        voxels = 0
        for name in sorted(os.listdir(path)):
            with open(os.path.join(path, name), "rb") as fh:
                voxels += len(fh.read())
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_rss_mb": (_rss_kb("VmHWM") - idle) / 1024.0, "voxels": voxels}


def _run_child(kind: str, path: Path) -> dict:
    code = f"import json, bench.load as b; print(json.dumps(b._worker({kind!r}, {str(path)!r})))"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parent.parent),
                                                       os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{kind} benchmark failed: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def simpleitk_available() -> bool:
    try:
        import SimpleITK  # noqa: F401
    except ImportError:
        return False
    return True


DROP_CACHES = Path("/proc/sys/vm/drop_caches")


def can_drop_caches() -> bool:
    return DROP_CACHES.exists() and os.access(DROP_CACHES, os.W_OK)


def _drop_caches() -> None:
    os.sync()
    DROP_CACHES.write_text("3\n")


def run(path: str | Path | None = None, repeats: int = 3, cold: bool = False) -> dict:
    """Median of ``repeats`` runs of each contender on the same files, same run.

    ``cold`` empties the page cache before every run (needs root), so each
    contender reads from disk; otherwise every run sees a warm cache.
    """
    folder = Path(path) if path else generated_ct_path()
    if cold and not can_drop_caches():
        raise PermissionError("--cold needs write access to /proc/sys/vm/drop_caches (run as root)")
    for name in os.listdir(folder):  # warm the page cache for every contender alike
        with open(folder / name, "rb") as fh:
            fh.read()
    kinds = ["raw", "raw_fresh", "oligoplan"] + (["simpleitk"] if simpleitk_available() else [])
    runs: dict[str, list[dict]] = {k: [] for k in kinds}
    for _ in range(repeats):
        for kind in kinds:  # interleaved, so machine noise hits all alike
            if cold:
                _drop_caches()
            runs[kind].append(_run_child(kind, folder))
    med = {k: {f: statistics.median(r[f] for r in v) for f in ("seconds", "peak_rss_mb", "voxels")}
           for k, v in runs.items()}
    ours = med["oligoplan"]
    voxel_mb = ours["voxels"] * 2 / 2**20  # int16
    doc = {
        "seconds": round(ours["seconds"], 4),
        "peak_rss_mb": round(ours["peak_rss_mb"], 1),
        "voxels": int(ours["voxels"]),
        "path": str(folder),
        "repeats": repeats,
        "cache": "cold" if cold else "warm",
        "raw_read_seconds": round(med["raw"]["seconds"], 4),
        "ratio_to_raw_read": round(ours["seconds"] / med["raw"]["seconds"], 2),
        "raw_fresh_read_seconds": round(med["raw_fresh"]["seconds"], 4),
        "ratio_to_raw_fresh_read": round(ours["seconds"] / med["raw_fresh"]["seconds"], 2),
        "peak_rss_to_voxel_bytes": round(ours["peak_rss_mb"] / voxel_mb, 2) if voxel_mb else None,
    }
    if "simpleitk" in med:
        doc["simpleitk_seconds"] = round(med["simpleitk"]["seconds"], 4)
        doc["simpleitk_peak_rss_mb"] = round(med["simpleitk"]["peak_rss_mb"], 1)
        doc["ratio_to_simpleitk"] = round(ours["seconds"] / med["simpleitk"]["seconds"], 2)
    return doc


def describe(doc: dict) -> str:
    lines = [
        f"Loaded {doc['voxels']:,} voxels from {doc['path']} (median of {doc['repeats']} runs, {doc['cache']} page cache)",
        f"  OligoPlan : {doc['seconds']:.3f} s, peak {doc['peak_rss_mb']:.0f} MB above idle "
        f"({doc['peak_rss_to_voxel_bytes']}x the voxel bytes)",
        f"  raw read  : {doc['raw_read_seconds']:.3f} s  -> OligoPlan/raw = {doc['ratio_to_raw_read']}x",
        f"  raw read into one new buffer (pays for fresh memory, as any loader does): "
        f"{doc['raw_fresh_read_seconds']:.3f} s  -> OligoPlan/that = {doc['ratio_to_raw_fresh_read']}x",
    ]
    if "simpleitk_seconds" in doc:
        lines.append(
            f"  SimpleITK : {doc['simpleitk_seconds']:.3f} s, peak {doc['simpleitk_peak_rss_mb']:.0f} MB"
            f"  -> OligoPlan/SimpleITK = {doc['ratio_to_simpleitk']}x"
        )
    else:
        lines.append("  SimpleITK : not installed (pip install -e '.[bench]'); no baseline")
    return "\n".join(lines)

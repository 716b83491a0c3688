"""`oligoplan bench seg`: reading a DICOM SEG of 20 segments on a 300-slice CT.

OligoPlan's reader (:func:`core.rt.seg_read.read_seg`: parse, match to the series, every
segment placed on the CT grid as a lesion-ready mask) against highdicom's plain reader in the
same run (``segread`` and, per segment, ``get_pixels_by_source_instance`` over the series:
one dense array per segment). The SEG is made once with highdicom and kept in the temp folder.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

N_SEGMENTS = 20
RADIUS_MM = 10.0


def generated_seg_path(ct_folder: Path) -> Path:
    """A binary SEG of 20 spheres (20 mm) on the generated CT, made once."""
    import highdicom as hd
    import pydicom
    from pydicom.sr.codedict import codes
    from pydicom.uid import generate_uid

    path = Path(tempfile.gettempdir()) / f"oligoplan-bench-seg-{N_SEGMENTS}-{ct_folder.name}.dcm"
    if path.is_file():
        return path
    sources = [pydicom.dcmread(p, stop_before_pixels=True) for p in sorted(ct_folder.glob("*.dcm"))]
    sources.sort(key=lambda d: float(d.ImagePositionPatient[2]))
    for ds in sources:  # what highdicom copies into the SEG
        ds.PatientBirthDate, ds.PatientSex, ds.AccessionNumber, ds.ReferringPhysicianName = "", "", "", ""
        ds.StudyDate, ds.StudyTime, ds.StudyID = "20240101", "120000", "1"
    n, rows, cols = len(sources), int(sources[0].Rows), int(sources[0].Columns)
    dz = abs(float(sources[1].ImagePositionPatient[2]) - float(sources[0].ImagePositionPatient[2]))
    dy, dx = (float(v) for v in sources[0].PixelSpacing)
    labels = np.zeros((n, rows, cols), dtype=np.uint8)  # segment numbers (highdicom's label-map input)
    rng = np.random.default_rng(7)
    zz, yy, xx = np.ogrid[0:n, 0:rows, 0:cols]
    for number in range(1, N_SEGMENTS + 1):
        cz, cy, cx = rng.uniform(0.1, 0.9) * n, rng.uniform(0.35, 0.65) * rows, rng.uniform(0.25, 0.75) * cols
        r = max(1, int(RADIUS_MM / dz) + 1)
        z0, z1 = max(0, int(cz) - r), min(n, int(cz) + r + 1)
        ball = (((zz[z0:z1] - cz) * dz) ** 2 + ((yy - cy) * dy) ** 2 + ((xx - cx) * dx) ** 2) <= RADIUS_MM ** 2
        labels[z0:z1][ball] = number
    descriptions = [hd.seg.SegmentDescription(
        segment_number=k, segment_label=f"Lesion {k}",
        segmented_property_category=codes.SCT.MorphologicallyAbnormalStructure,
        segmented_property_type=hd.sr.CodedConcept("128462008", "SCT", "Metastasis"),
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL) for k in range(1, N_SEGMENTS + 1)]
    seg = hd.seg.Segmentation(
        source_images=sources, pixel_array=labels, segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=descriptions, series_instance_uid=generate_uid(), series_number=50,
        sop_instance_uid=generate_uid(), instance_number=1, manufacturer="bench", manufacturer_model_name="bench",
        software_versions="1", device_serial_number="1")
    partial = path.with_suffix(".partial")
    seg.save_as(partial, enforce_file_format=True)
    partial.replace(path)
    return path


def _ours(path: Path, volume) -> int:
    from core.rt.seg_read import read_seg

    placed = read_seg(path, volume)
    return sum(s.mask.n_voxels for s in placed.structures if s.mask is not None)


def _highdicom(path: Path, source_uids: list[str]) -> int:
    import highdicom as hd

    seg = hd.seg.segread(path)
    total = 0
    for number in seg.segment_numbers:
        pixels = seg.get_pixels_by_source_instance(source_sop_instance_uids=source_uids,
                                                   segment_numbers=[number], skip_overlap_checks=True)
        total += int(np.count_nonzero(pixels))
    return total


def run(repeats: int = 3) -> dict:
    from bench.load import generated_ct_path
    from core.dicom.scan import scan_folder
    from core.dicom.series import load_series

    ct_folder = generated_ct_path()
    path = generated_seg_path(ct_folder)
    scan = scan_folder(ct_folder)
    volume = load_series(scan.series[0])
    uids = list(volume.sop_instance_uids)
    times: dict[str, list[float]] = {"oligoplan": [], "highdicom": []}
    voxels = {}
    for _ in range(repeats):
        for name, read in (("oligoplan", lambda: _ours(path, volume)), ("highdicom", lambda: _highdicom(path, uids))):
            start = time.perf_counter()
            voxels[name] = read()
            times[name].append(time.perf_counter() - start)
    return {
        "seg_bytes": path.stat().st_size, "segments": N_SEGMENTS, "slices": volume.shape[0],
        "shape": list(volume.shape), "repeats": repeats,
        "median_s": {k: round(statistics.median(v), 4) for k, v in times.items()},
        "voxels": voxels, "same_voxels": voxels["oligoplan"] == voxels["highdicom"],
    }


def describe(doc: dict) -> str:
    ours, theirs = doc["median_s"]["oligoplan"], doc["median_s"]["highdicom"]
    return (f"SEG of {doc['segments']} segments on a {doc['slices']}-slice CT ({doc['seg_bytes'] / 1e6:.1f} MB), "
            f"median of {doc['repeats']}:\n"
            f"  OligoPlan read_seg (parse, match, masks on the CT grid): {ours:.3f} s\n"
            f"  highdicom segread + per-segment pixels by source instance: {theirs:.3f} s\n"
            f"  same voxels: {'yes' if doc['same_voxels'] else 'NO'} ({doc['voxels']['oligoplan']} voxels)")

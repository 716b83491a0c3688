"""`oligoplan bench seg`: a case of 20 lesions rebuilt from its SEG and SR (core.rt.open_dicom) on a
300-slice CT, against highdicom's plain reader of the same SEG (segread + the pixels of every
segment on the CT's instances), in the same run. The images are loaded once beforehand, as
in the gui; the figure is what rebuilding the case adds (target: at most 1 s)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

N_LESIONS = 20
TARGET_S = 1.0


def _case_on(workspace, n: int):
    from core.case import Case
    from core.lesions import Lesion, LesionSet
    from core.samples import sphere_mask

    ct = workspace.primary
    nz, ny, nx = ct.shape
    lesions = []
    for k in range(n):
        index = np.array([nz * (k + 1) / (n + 1), ny / 2 + 40 * np.sin(k), nx / 2 + 80 * np.cos(k)])
        centre = ct.index_to_patient(index)
        lesions.append(Lesion(f"L{k + 1}", f"Liver L{k + 1}", site="liver", mask=sphere_mask(ct, centre, 15.0),
                              point_mm=tuple(float(v) for v in centre)))
    return Case(images=workspace.image_refs(), lesions=LesionSet(lesions))


def run(repeats: int = 3, n_slices: int = 300) -> dict:
    import highdicom as hd

    from bench.load import DEFAULT_SIZE, generated_ct_path
    from core.export_job import ExportJob
    from core.rt.export_job import write_case_sr
    from core.rt.open_dicom import rebuild_case
    from core.workspace import open_folder

    workspace = open_folder(generated_ct_path(n_slices, DEFAULT_SIZE))
    with tempfile.TemporaryDirectory(prefix="oligoplan-bench-seg-") as tmp:
        out = Path(tmp)
        case = _case_on(workspace, N_LESIONS)
        job = ExportJob(case=case, case_path=out / "case.json", out_dir=out)
        job.workspace = workspace
        write_case_sr(job)
        uids = list(workspace.primary.sop_instance_uids)
        ours, plain = [], []
        for _ in range(max(1, repeats)):
            t0 = time.perf_counter()
            rebuilt = rebuild_case(out, workspace=workspace)
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            seg = hd.seg.segread(job.seg_path)
            pixels = seg.get_pixels_by_source_instance(
                source_sop_instance_uids=uids, segment_numbers=list(range(1, N_LESIONS + 1)),
                assert_missing_frames_are_empty=True)
            plain.append(time.perf_counter() - t0)
        same = all(np.array_equal(a.mask.full(), b.mask.full()) for a, b in zip(case.lesions, rebuilt.case.lesions))
        return {"slices": n_slices, "size": DEFAULT_SIZE, "segments": N_LESIONS, "repeats": len(ours),
                "seg_bytes": job.seg_path.stat().st_size,
                "oligoplan_rebuild_s": round(statistics.median(ours), 3),
                "highdicom_plain_read_s": round(statistics.median(plain), 3),
                "plain_read_shape": list(pixels.shape), "masks_identical": bool(same), "target_s": TARGET_S}


def describe(doc: dict) -> str:
    verdict = "within" if doc["oligoplan_rebuild_s"] <= doc["target_s"] else "OVER"
    return (f"case of {doc['segments']} lesions on a {doc['slices']}-slice {doc['size']}x{doc['size']} CT "
            f"(SEG {doc['seg_bytes'] / 1e6:.1f} MB), median of {doc['repeats']}:\n"
            f"  OligoPlan rebuild from SR + SEG: {doc['oligoplan_rebuild_s']:.3f} s ({verdict} the "
            f"{doc['target_s']:g} s target); masks identical to the exported ones: {doc['masks_identical']}\n"
            f"  highdicom plain SEG read (segread + pixels of every segment): {doc['highdicom_plain_read_s']:.3f} s")

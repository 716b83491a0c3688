"""Contour Data parsing of an RT Structure Set: pydicom's values against the raw-bytes parse.

``python -m bench.rtstruct [PATH] [--repeats N]`` prints the figures (best of N) for one
structure set (default: the real tcia-sts-001 FDG PET structure set, 1.2 MB, in ../shared/data).
"pydicom values" is how (3006,0050) was read before core.rt.rtstruct_read.contour_values:
one DSfloat per value, all under the GIL.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "tcia-sts-001" / "FDG_PET" / "mask" / "1-1.dcm"


def _pydicom_values(ds) -> int:
    n = 0
    for roi in ds.get("ROIContourSequence", []) or []:
        for item in roi.get("ContourSequence", []) or []:
            n += len(np.asarray([float(v) for v in (item.get("ContourData") or [])], dtype=np.float64))
    return n


def _ours(ds) -> int:
    from core.rt.rtstruct_read import read_contours

    return sum(c.points_mm.size for cs in read_contours(ds).values() for c in cs)


def run(path: str | Path = DEFAULT, repeats: int = 5) -> dict:
    from core.dicom.headers import read_dataset

    path = Path(path)
    doc = {"file": str(path), "bytes": path.stat().st_size}
    for name, parse in (("pydicom_values", _pydicom_values), ("raw_bytes_numpy", _ours)):
        best_read, best_parse = float("inf"), float("inf")
        for _ in range(max(1, repeats)):
            t0 = time.perf_counter()
            ds = read_dataset(path)
            t1 = time.perf_counter()
            n = parse(ds)
            t2 = time.perf_counter()
            best_read, best_parse = min(best_read, t1 - t0), min(best_parse, t2 - t1)
        doc[name] = {"read_file_ms": round(best_read * 1000, 1), "contour_data_ms": round(best_parse * 1000, 1),
                     "values": n}
    doc["speed_up"] = round(doc["pydicom_values"]["contour_data_ms"] / max(doc["raw_bytes_numpy"]["contour_data_ms"],
                                                                          1e-3), 1)
    return doc


def describe(doc: dict) -> str:
    a, b = doc["pydicom_values"], doc["raw_bytes_numpy"]
    return (f"{doc['file']} ({doc['bytes'] / 1e6:.2f} MB, {a['values']} values)\n"
            f"  file read (pydicom):          {a['read_file_ms']:7.1f} ms\n"
            f"  Contour Data, pydicom values: {a['contour_data_ms']:7.1f} ms\n"
            f"  Contour Data, raw bytes:      {b['contour_data_ms']:7.1f} ms  ({doc['speed_up']}x faster)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    doc = run(args.path, args.repeats)
    print(json.dumps(doc, indent=2) if args.json else describe(doc))


if __name__ == "__main__":
    main()

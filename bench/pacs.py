"""Benchmark: retrieve a 300-slice CT from a local Orthanc, against dcmtk's getscu.

Orthanc runs on free loopback ports with a temporary config (as in the tests);
the generated CT of :mod:`bench.load` is uploaded through its REST API. Then,
interleaved so machine noise hits both alike, each run retrieves the whole
study into an empty folder:

- OligoPlan: :func:`core.pacs.retrieve_study` by C-GET in this process
  (plan by C-FIND, receive, parse and rename every file, check the counts),
  and the same through ``oligoplan pacs get`` in a fresh process;
- dcmtk: ``getscu -S`` (study root C-GET, files written to a folder).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(path: str | Path | None = None, repeats: int = 3) -> dict:
    from bench.load import generated_ct_path
    from core.pacs import FindQuery, LocalAE, PacsClient, PacsNode, retrieve_study
    from bench.orthanc import AET, ORTHANC, start_orthanc

    if ORTHANC is None:
        raise RuntimeError("Orthanc is not installed (apt-get install orthanc)")
    getscu = shutil.which("getscu")
    folder = Path(path) if path else generated_ct_path()
    work = Path(tempfile.mkdtemp(prefix="oligoplan-bench-pacs-"))
    server = start_orthanc(work / "orthanc")
    try:
        upload_start = time.perf_counter()
        n_files = server.upload(folder)
        upload_s = time.perf_counter() - upload_start
        client = PacsClient(PacsNode("bench", AET, "127.0.0.1", server.dicom_port),
                            LocalAE(listen_port=server.listen_port), timeout_s=60)
        studies = client.find(FindQuery(level="study"))
        if len(studies) != 1:
            raise RuntimeError(f"expected one study in the benchmark Orthanc, found {len(studies)}")
        study_uid = studies[0].study_uid
        n_bytes = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        times: dict[str, list[float]] = {"oligoplan": [], "oligoplan_cli": []}
        if getscu:
            times["getscu"] = []
        for i in range(repeats):
            out = work / f"ours{i}"
            start = time.perf_counter()
            report = retrieve_study(client, study_uid, folder=out)
            times["oligoplan"].append(time.perf_counter() - start)
            if report.n_received != n_files:
                raise RuntimeError(f"OligoPlan received {report.n_received} of {n_files} files")
            shutil.rmtree(out)
            times["oligoplan_cli"].append(_timed_cli(server, study_uid, work / f"cli{i}", n_files))
            if getscu:
                times["getscu"].append(_timed_getscu(getscu, server, study_uid, work / f"dcmtk{i}", n_files))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    doc = {
        "path": str(folder), "files": n_files, "megabytes": round(n_bytes / 2**20, 1), "repeats": repeats,
        "upload_seconds": round(upload_s, 2),
        "oligoplan_seconds": round(med["oligoplan"], 3),
        "oligoplan_cli_seconds": round(med["oligoplan_cli"], 3),
    }
    if getscu:
        doc["getscu_seconds"] = round(med["getscu"], 3)
        doc["ratio_to_getscu"] = round(med["oligoplan"] / med["getscu"], 2)
        doc["cli_ratio_to_getscu"] = round(med["oligoplan_cli"] / med["getscu"], 2)
    return doc


def _timed_cli(server, study_uid: str, out: Path, n_files: int) -> float:
    code = "import sys; from gui.entry import main; sys.exit(main(sys.argv[1:]))"
    args = [sys.executable, "-c", code, "pacs", "get", "--host", "127.0.0.1", "--port", str(server.dicom_port),
            "--called-aet", "ORTHANC", "--study-uid", study_uid, "--out", str(out)]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"oligoplan pacs get failed: {done.stderr.strip()[-300:]}")
    _check_count(out, n_files, "oligoplan pacs get")
    shutil.rmtree(out)
    return seconds


def _timed_getscu(getscu: str, server, study_uid: str, out: Path, n_files: int) -> float:
    out.mkdir(parents=True)
    args = [getscu, "-S", "-aet", "OLIGOPLAN", "-aec", "ORTHANC", "-k", "QueryRetrieveLevel=STUDY",
            "-k", f"StudyInstanceUID={study_uid}", "-od", str(out), "127.0.0.1", str(server.dicom_port)]
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"getscu failed: {done.stderr.strip()[-300:]}")
    _check_count(out, n_files, "getscu")
    shutil.rmtree(out)
    return seconds


def _check_count(out: Path, n_files: int, who: str) -> None:
    n = sum(1 for p in out.rglob("*") if p.is_file())
    if n != n_files:
        raise RuntimeError(f"{who} wrote {n} of {n_files} files")


def describe(doc: dict) -> str:
    lines = [
        f"Retrieve of {doc['files']} files ({doc['megabytes']} MB) from a local Orthanc by C-GET "
        f"(median of {doc['repeats']} runs; upload took {doc['upload_seconds']} s)",
        f"  OligoPlan (in process)     : {doc['oligoplan_seconds']:.2f} s",
        f"  oligoplan pacs get (fresh) : {doc['oligoplan_cli_seconds']:.2f} s",
    ]
    if "getscu_seconds" in doc:
        lines.append(f"  dcmtk getscu               : {doc['getscu_seconds']:.2f} s  -> OligoPlan/getscu = "
                     f"{doc['ratio_to_getscu']}x in process, {doc['cli_ratio_to_getscu']}x from the command line "
                     "(target <= 1.5x)")
    else:
        lines.append("  dcmtk getscu               : not installed (apt-get install dcmtk); no baseline")
    return "\n".join(lines)

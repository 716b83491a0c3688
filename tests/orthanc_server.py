"""The real Orthanc of the PACS tests (a pytest fixture body over :mod:`bench.orthanc`)."""

from __future__ import annotations

from pathlib import Path

from bench.orthanc import AET, ORTHANC, OUR_AET, SKIP_REASON, OrthancServer, free_port, start_orthanc

__all__ = ["AET", "ORTHANC", "OUR_AET", "OrthancServer", "PHANTOM", "REPO", "free_port", "orthanc_fixture",
           "start_orthanc"]

REPO = Path(__file__).resolve().parents[1]
PHANTOM = REPO / "sample_scans" / "phantom-oligo"


def orthanc_fixture(tmp_path_factory, sample: Path | None = None, allow_get: bool = True):
    """Body of a pytest fixture: a running Orthanc holding ``sample`` (default
    phantom-oligo), stopped by its pid afterwards; skips without Orthanc.
    ``allow_get`` False: it refuses our C-GET, as many PACS do."""
    import pytest

    if ORTHANC is None:
        pytest.skip(SKIP_REASON)
    server = start_orthanc(tmp_path_factory.mktemp("orthanc"), allow_get=allow_get)
    try:
        server.upload(sample or PHANTOM)
        yield server
    finally:
        server.stop()

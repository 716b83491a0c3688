"""Cancel during an RTSTRUCT / SR export: asked between the steps (RTSTRUCT; SEG; SR) and before
writing, it leaves nothing on disk; a cancel that comes once the files are being written is
reported with the files that are there (the gui said nothing, and the files were written)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.case import load_case
from core.export_job import ExportJob
from core.errors import Cancelled
from core.rt.export_job import cancelled_note, write_case_rtstruct, write_case_sr
from tests.phantom_cases import phantom_case

PHANTOM = Path(__file__).resolve().parents[2] / "sample_scans" / "phantom-oligo"
pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")


@pytest.fixture(scope="module")
def case_path(tmp_path_factory):
    return phantom_case("phantom-oligo", tmp_path_factory.mktemp("case"))


def _job(case_path: Path, out: Path) -> ExportJob:
    out.mkdir()
    return ExportJob(case=load_case(case_path), case_path=case_path, out_dir=out)


class CancelAfter:
    """A cancel check that answers 'cancel' from its ``n``-th call on (0: at once); counts the calls."""

    def __init__(self, n: int | None):
        self.n, self.calls = n, 0

    def __call__(self) -> bool:
        self.calls += 1
        return self.n is not None and self.calls > self.n


@pytest.mark.parametrize("write, files", [(write_case_rtstruct, ["rtstruct.dcm"]),
                                          (write_case_sr, ["seg.dcm", "sr.dcm"])])
def test_a_cancel_at_any_step_leaves_nothing_written(case_path, tmp_path, write, files):
    full = CancelAfter(None)
    done = _job(case_path, tmp_path / "full")
    write(done, full)
    assert sorted(p.name for p in done.out_dir.iterdir()) == files  # uncancelled: everything
    assert [p.name for p in done.written] == files and full.calls >= 2
    for n in range(full.calls):  # cancelled at each check in turn: before each step and before writing
        job = _job(case_path, tmp_path / f"cancel-{n}")
        with pytest.raises(Cancelled, match="nothing was written"):
            write(job, CancelAfter(n))
        assert list(job.out_dir.iterdir()) == [] and job.written == []
        assert cancelled_note(job) == "Export cancelled: nothing was written"


def test_a_cancel_too_late_says_what_was_written(case_path, tmp_path):
    job = _job(case_path, tmp_path / "late")
    write_case_sr(job, lambda: False)  # the cancel came while the files were written
    note = cancelled_note(job)
    assert note.startswith("Cancelled too late") and "seg.dcm, sr.dcm" in note and str(job.out_dir) in note

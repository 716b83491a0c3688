"""The summary formats of `oligoplan export` (--pdf, --json, --csv) as export steps.

One evaluation is shared by the three steps of one export (kept on the job).
``--anonymise`` leaves the patient's name, ID and UIDs out of every file, and treats free text,
the author and dates as the export's policy says (core.export_privacy; one date shift for the
summaries and the DICOM files of one export).
"""

from __future__ import annotations

from pathlib import Path


def _check(job):
    cached = job.__dict__.get("_summary_check")
    if cached is None:
        from core.check_options import check_with_options
        from core.rules.case_check import CaseImages

        cached = check_with_options(job.options.check, job.case, open_images=lambda: CaseImages(job.workspace))
        job.notes.extend(cached.warnings[len(cached.setup_warnings):])  # the set-up's are on stderr already
        job.__dict__["_summary_check"] = cached
    return cached


def _write(job, **which) -> list[Path]:
    from core.summary.export import write_summary

    return write_summary(job.case, _check(job), job.out_dir, anonymise=job.anonymise,
                         author=job.author, policy=job.policy, **which)


def _pdf(job):
    return _write(job, pdf=True, json=False, csv=False)


def summary_pdf_bytes(job) -> bytes:
    """The summary PDF of the export (for its DICOM Encapsulated PDF), written to a scratch file
    in the export's staging folder that is not part of the export."""
    from core.summary.export import write_summary

    paths = write_summary(job.case, _check(job), job.out_dir, anonymise=job.anonymise,
                          author=job.author, policy=job.policy,
                          pdf=True, json=False, csv=False, stem=".summary-for-dicom")
    try:
        return paths[0].read_bytes()
    finally:
        paths[0].unlink(missing_ok=True)


def _json(job):
    return _write(job, pdf=False, json=True, csv=False)


def _csv(job):
    return _write(job, pdf=False, json=False, csv=True)


#: (flag, help, writer) of each summary format; core.cli.export makes them ExportSteps.
SUMMARY_STEPS = (
    ("--pdf", "candidacy summary as PDF (3 pages or more, decision support)", _pdf),
    ("--json", "candidacy summary as JSON (same content as the PDF)", _json),
    ("--csv", "lesion table of the summary as CSV", _csv),
)

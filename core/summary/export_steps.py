"""The summary formats of `oligoplan export` (--pdf, --json, --csv) as export steps.

One evaluation is shared by the three steps of one export (kept on the job).
``--anonymise`` leaves the patient's name, ID and UIDs out of every file.
"""

from __future__ import annotations

from pathlib import Path


def add_summary_options(p) -> None:
    from core.cli_rules import add_selection_options

    add_selection_options(p)
    p.add_argument("--author", default=None, help="author written in the summary (default: the login name)")


def _check(job):
    cached = job.__dict__.get("_summary_check")
    if cached is None:
        from core.cli_rules import catalog_for, parse_date, read_facts_file, selected_ids
        from core.rules.case_check import CaseImages, check_case

        args = job.args
        catalog = catalog_for(args)
        rule_sets = catalog.select(selected_ids(args, job.case.facts))
        overrides = read_facts_file(args.facts) if args.facts else None
        from core.rules.oar_settings import load_oar_settings

        cached = check_case(job.case, rule_sets, facts_override=overrides, today=parse_date(args.date),
                            cutoff_months=args.cutoff_months, images=CaseImages(job.workspace),
                            oar_settings=load_oar_settings())
        job.notes.extend(cached.warnings)
        job.__dict__["_summary_check"] = cached
    return cached


def _write(job, **which) -> list[Path]:
    from core.summary.export import write_summary

    return write_summary(job.case, _check(job), job.out_dir, anonymise=job.anonymise,
                         author=getattr(job.args, "author", None), **which)


def _pdf(job):
    return _write(job, pdf=True, json=False, csv=False)


def _json(job):
    return _write(job, pdf=False, json=True, csv=False)


def _csv(job):
    return _write(job, pdf=False, json=False, csv=True)


#: (flag, help, writer) of each summary format; core.cli_export makes them ExportSteps.
SUMMARY_STEPS = (
    ("--pdf", "candidacy summary as PDF (1-3 pages, decision support)", _pdf),
    ("--json", "candidacy summary as JSON (same content as the PDF)", _json),
    ("--csv", "lesion table of the summary as CSV", _csv),
)

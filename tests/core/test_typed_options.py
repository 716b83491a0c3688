"""Issue 15: `oligoplan check` and `export` turn their command line into frozen option objects
(core.check_options.CheckOptions, core.export_job.ExportOptions) that the writers read."""

from __future__ import annotations

import dataclasses

import pytest

from core.check_options import CheckOptions
from core.cli import build_parser
from core.cli.arg_types import check_options
from core.cli.export import export_options
from core.export_job import ExportJob, ExportOptions


def test_check_options_read_every_selection_option(tmp_path):
    rules_file = tmp_path / "local.json"
    rules_file.write_text("{}", encoding="utf-8")
    args = build_parser().parse_args(["check", "case.json", "--rules", "sabr-comet, local", "--rules", "sabr-comet",
                                      "--facts", "facts.json", "--rules-file", str(rules_file),
                                      "--cutoff-months", "3", "--date", "2024-03-20"])
    assert check_options(args) == CheckOptions(rule_ids=("sabr-comet", "local"), facts_file="facts.json",
                                               rules_files=(str(rules_file),), cutoff_months=3.0,
                                               date="2024-03-20", command="check", anonymise=False)


def test_export_options_carry_the_check_and_the_privacy_choices():
    args = build_parser().parse_args(["export", "case.json", "--out", "out", "--pdf", "--anonymise",
                                      "--keep-free-text", "--author", "Dr A", "--include-oars"])
    options = export_options(args)
    assert (options.include_oars, options.anonymise, options.keep_free_text, options.author) == (
        True, True, True, "Dr A")
    assert options.check.command == "export" and options.check.anonymise  # warnings say "the facts file"
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.anonymise = False  # type: ignore[misc]


def test_a_job_without_options_is_a_plain_export_checked_as_the_case_says(tmp_path):
    """The gui's and the bench's jobs: no command line at all."""
    job = ExportJob(case=None, case_path=tmp_path / "case.json", out_dir=tmp_path)  # type: ignore[arg-type]
    assert job.options == ExportOptions()
    assert (job.include_oars, job.anonymise, job.policy) == (False, False, None)
    assert job.options.check == CheckOptions(command="export")

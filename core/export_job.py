"""One export of a case (`oligoplan export`, File > Export in the gui): what it was asked for
(:class:`ExportOptions`, frozen; built from the command line by core.cli.export and from the
export dialog by the gui) and what it has done so far (:class:`ExportJob`: the notes for the user,
the files written). The writers (core.rt.export_job, core.summary.export_steps) take the job;
none of them sees the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from core.case import Case
from core.check_options import CheckOptions


@dataclass(frozen=True)
class ExportOptions:
    """What an export was asked for (the defaults: the lesions only, not anonymised)."""

    #: the organs at risk go into the RTSTRUCT too (--include-oars)
    include_oars: bool = False
    #: every file de-identified (--anonymise; core.export_privacy)
    anonymise: bool = False
    #: anonymised export: the user reviewed the free text and keeps it (--keep-free-text)
    keep_free_text: bool = False
    #: the author written in the summary (None: the login name; anonymised: left out unless given)
    author: str | None = None
    #: how the summary steps (--pdf, --json, --csv, --dicom's PDF) check the case
    check: CheckOptions = field(default_factory=lambda: CheckOptions(command="export"))


@dataclass
class ExportJob:
    """Everything a writer needs: the case, its images, where to write and how.

    ``workspace`` opens the case's images on first use (so a writer that needs
    no image does not pay for loading them); ``anonymiser`` is shared by every
    step of one export, so UIDs map the same way in every file.
    """

    case: Case
    case_path: Path
    out_dir: Path
    options: ExportOptions = field(default_factory=ExportOptions)
    #: what the user should know about the export (lesions left out and why)
    notes: list[str] = field(default_factory=list)
    #: the RTSTRUCT dataset of this export, once written (the SR references it)
    rtstruct: object = None
    #: the SEG the --sr step wrote beside the report (its groups reference its segments)
    seg_path: Path | None = None
    #: every file written so far, in order (what a cancel that came too late must still report)
    written: list[Path] = field(default_factory=list)
    #: names of the files a failed export had written before its error; none reached out_dir (core.export_set)
    discarded: list[str] = field(default_factory=list)
    #: organs at risk for --include-oars (core.rt.rtstruct_write.RoiSpec); None: those
    #: of the structure sets found with the images (the gui passes the ones it shows)
    oars: list | None = None
    #: (name, role) of who makes the SR (core.pacs.case_store sends it as theirs); None: not recorded
    sr_author: tuple[str, str] | None = None
    _anonymiser: object = field(default=None, init=False, repr=False)
    _policy: object = field(default=None, init=False, repr=False)

    @property
    def include_oars(self) -> bool:
        return self.options.include_oars

    @property
    def anonymise(self) -> bool:
        return self.options.anonymise

    @property
    def keep_free_text(self) -> bool:
        return self.options.keep_free_text

    @property
    def author(self) -> str | None:
        return self.options.author

    @property
    def policy(self):
        """The export's core.export_privacy.AnonymisePolicy (one date shift for every file), or None."""
        if not self.anonymise:
            return None
        if self._policy is None:
            from core.export_privacy import AnonymisePolicy

            self._policy = AnonymisePolicy.new(keep_free_text=self.keep_free_text, author=self.author)
        return self._policy

    @cached_property
    def export_case(self) -> Case:
        """The case the DICOM writers use: with --anonymise, generic labels and no notes."""
        if not self.anonymise:
            return self.case
        from core.export_privacy import anonymised_case

        return anonymised_case(self.case, self.policy)

    @cached_property
    def workspace(self):
        """The case's images (core.workspace.Workspace); ImagesMissingError when absent."""
        from core.rt.case_images import open_case_images

        return open_case_images(self.case, self.case_path.parent)

    @property
    def anonymiser(self):
        """The export's de-identifier (core.rt.anonymise.Anonymiser), or None without --anonymise."""
        if not self.anonymise:
            return None
        if self._anonymiser is None:
            from core.rt.anonymise import Anonymiser

            self._anonymiser = Anonymiser(date_shift_days=self.policy.date_shift_days, own_objects=True)
        return self._anonymiser

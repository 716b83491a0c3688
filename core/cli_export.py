"""`oligoplan export`: write a case's exports (RTSTRUCT, SR, and the summaries).

The command is a list of export steps (:data:`EXPORT_STEPS`). Each step owns
one flag (``--rtstruct``, ``--sr``, ...), a help line and a writer that takes
the :class:`ExportJob` and returns the files it wrote. A new format is one more
:class:`ExportStep` appended to the list: the parser, the "nothing chosen"
check and the summary printed at the end come from the list.

Options shared by every step: ``--out DIR`` (created when missing),
``--include-oars`` (the organs at risk of the structure sets the case records,
or when it records none of those matched to the case's images, go into the
RTSTRUCT too; structures turned off in the gui stay out) and ``--anonymise`` (every file is
de-identified following DICOM PS3.15 Table E.1-1; UIDs are remapped and dates shifted
consistently across all the files of one export; lesion labels generic, free text left out
unless ``--keep-free-text``, the author left out unless ``--author``: see
:mod:`core.rt.anonymise`, :mod:`core.export_privacy` and docs/anonymisation.md).

Exits 2 with a one-line message when the case file is bad or its images
cannot be found.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable

from core.case import Case, load_case
from core.errors import ExportError, FileWriteError, OligoPlanError
from core.export_set import MANIFEST_NAME, clean_recorded_leftovers, leftovers_message, write_as_set


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
    include_oars: bool = False
    anonymise: bool = False
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
    #: the parsed command line (summary steps read --rules, --facts, --author... from it)
    args: object = None
    #: anonymised export: the user reviewed the free text and keeps it (--keep-free-text)
    keep_free_text: bool = False
    #: anonymised export: the author written (None: left out)
    author: str | None = None
    #: (name, role) of who makes the SR (core.pacs.case_store sends it as theirs); None: not recorded
    sr_author: tuple[str, str] | None = None
    _anonymiser: object = field(default=None, init=False, repr=False)
    _policy: object = field(default=None, init=False, repr=False)

    @property
    def policy(self):
        """The export's core.export_privacy.AnonymisePolicy (one date shift for every file), or None."""
        if not self.anonymise:
            return None
        if self._policy is None:
            from core.export_privacy import AnonymisePolicy

            author = self.author if self.author is not None else getattr(self.args, "author", None)
            self._policy = AnonymisePolicy.new(keep_free_text=self.keep_free_text, author=author)
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


@dataclass(frozen=True)
class ExportStep:
    """One format of ``oligoplan export``: its flag and its writer."""

    flag: str  # e.g. "--rtstruct"
    help: str
    write: Callable[[ExportJob], list[Path]]

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


def _write_rtstruct(job: ExportJob) -> list[Path]:
    from core.rt.export_job import write_case_rtstruct

    return [write_case_rtstruct(job)]


def _write_sr(job: ExportJob) -> list[Path]:
    from core.rt.export_job import write_case_sr

    sr = write_case_sr(job)
    return [p for p in (job.seg_path, sr) if p is not None]


def _write_dicom(job: ExportJob) -> list[Path]:
    from core.rt.export_job import write_case_dicom

    return write_case_dicom(job)


#: The formats, in the order they are written. Add a format by appending a step.
EXPORT_STEPS: list[ExportStep] = [
    ExportStep("--rtstruct", "RT Structure Set of the lesions (GTV), validated before writing", _write_rtstruct),
    ExportStep("--sr", "DICOM SR measurement report (TID 1500) of the lesions, with the DICOM SEG of their "
                       "contours that it references", _write_sr),
    ExportStep("--dicom", "the case as DICOM in the images' study, what `oligoplan open-dicom` rebuilds it "
                          "from: SEG of the lesions, SR (measurements, sites, kinds, facts, rule sets, review "
                          "state) and the summary as DICOM Encapsulated PDF", _write_dicom),
]

from core.summary.export_steps import SUMMARY_STEPS, add_summary_options  # noqa: E402 (issue 5)

EXPORT_STEPS.extend(ExportStep(*step) for step in SUMMARY_STEPS)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export",
        help="write a case's RTSTRUCT, SR and summaries to a folder",
        description=(
            "Writes the chosen exports of a case into DIR. DICOM exports reference the case's "
            "images, which must be found where the case file says."
        ),
    )
    p.add_argument("case", metavar="CASE.json", help="case file")
    p.add_argument("--out", metavar="DIR", required=True, help="folder to write into (created when missing)")
    for step in EXPORT_STEPS:
        p.add_argument(step.flag, dest=step.dest, action="store_true", help=step.help)
    p.add_argument("--include-oars", action="store_true",
                   help="add the organs at risk of the case's structure sets (or, when it records none, of those "
                        "found with the images) to the RTSTRUCT")
    p.add_argument("--anonymise", action="store_true",
                   help="de-identify every file: DICOM PS3.15 basic profile (UIDs remapped consistently), "
                        "generic lesion labels, free text and the author left out, dates shifted by one "
                        "offset for every file of the export")
    p.add_argument("--keep-free-text", action="store_true",
                   help="with --anonymise: keep the free text (histology, other free-text facts, sign-off "
                        "comments) you have reviewed; the summary says so")
    add_summary_options(p)
    p.set_defaults(func=cmd_export)


#: how an anonymised export's warnings and errors name the case file (the user may have named it
#: after the patient: "smithers-case.json")
ANONYMISED_CASE_NAME = "the case file"


def _load_for_export(case_path: Path, anonymise: bool) -> Case:
    """The case; with ``anonymise``, its messages name it "the case file", a bad file's error too."""
    if not anonymise:
        return load_case(case_path)
    try:
        case = load_case(case_path)
    except OligoPlanError as exc:
        exc.args = tuple(a.replace(str(case_path), ANONYMISED_CASE_NAME).replace(case_path.name, ANONYMISED_CASE_NAME)
                         if isinstance(a, str) else a for a in exc.args)
        raise
    case.shown_as = ANONYMISED_CASE_NAME
    return case


def cmd_export(args) -> int:
    chosen = [step for step in EXPORT_STEPS if getattr(args, step.dest, False)]
    if not chosen:
        raise OligoPlanError(
            "nothing to export: choose at least one of " + ", ".join(s.flag for s in EXPORT_STEPS)
        )
    if getattr(args, "keep_free_text", False) and not args.anonymise:
        raise OligoPlanError("--keep-free-text applies to an anonymised export only: add --anonymise")
    removed = clean_recorded_leftovers()  # of exports killed earlier, wherever they wrote
    if removed:
        print(f"oligoplan export: {leftovers_message(removed)}", file=sys.stderr)
    case_path = Path(args.case)
    case = _load_for_export(case_path, bool(args.anonymise))
    out_dir = Path(args.out)
    if out_dir.exists() and not out_dir.is_dir():
        raise OligoPlanError(f"--out {out_dir}: is a file, not a folder")
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"--out {out_dir}: the folder cannot be created ({exc.strerror or exc}); "
                          "choose a folder you can write to") from None
    job = ExportJob(case=case, case_path=case_path, out_dir=out_dir,
                    include_oars=bool(args.include_oars), anonymise=bool(args.anonymise), args=args,
                    keep_free_text=bool(getattr(args, "keep_free_text", False)))
    written = job.written  # the DICOM writers add each file as it lands (a SEG before its SR fails, too)

    def write_all() -> None:
        for step in chosen:
            written.extend(p for p in _write_step(step, job, out_dir) if p not in written)

    try:
        write_as_set(job, write_all)  # all files land together, or none (core.export_set)
    except OligoPlanError as exc:
        if created and not any(out_dir.iterdir()):
            out_dir.rmdir()  # leave no empty folder behind a failed export
        if job.discarded and "nothing was written" not in str(exc):  # a script must know what is not there
            raise ExportError(f"{exc}; nothing was written to {out_dir}: the files of one export are written "
                              f"together or not at all ({', '.join(job.discarded)} left out)") from None
        raise
    print(f"{len(written)} file(s) written to {out_dir}" + (" (anonymised)" if job.anonymise else "")
          + f", listed in {MANIFEST_NAME}")
    if job.anonymise:
        policy = job.policy
        print("anonymised: generic lesion labels; free text "
              + ("kept (--keep-free-text)" if policy.keep_free_text else "left out (add --keep-free-text to keep it)")
              + "; author " + ("as given by --author" if policy.author else "left out")
              + "; dates shifted by one offset for every file of this export")
    for path in written:
        print(f"  {path.name}")
    notes = job.notes
    if job.anonymise:  # a note may quote a label or a fact: the console is an output too
        from core.export_privacy import image_identifiers, text_scrubber

        scrub = text_scrubber(case, job.policy, image_identifiers(job.__dict__.get("workspace")))  # never loads
        notes = [scrub(note) for note in notes]
    for note in notes:
        print(f"note: {note}")
    return 0


def _write_step(step: ExportStep, job: ExportJob, out_dir: Path) -> list[Path]:
    """Run one step (into the export's staging folder); ``out_dir`` is the destination its
    messages name. A folder in the destination where one of its files goes fails the step
    here, before any file of the export is moved into place."""
    try:
        paths = step.write(job)
        for path in paths:
            if (out_dir / path.name).is_dir():
                raise IsADirectoryError(21, "Is a directory", str(out_dir / path.name))
        return paths
    except OSError as exc:  # disk full, no permission, a folder where the file goes...
        raise ExportError(f"{step.flag}: cannot write into {out_dir} ({_os_reason(exc)}); free the "
                          "space, or choose another --out folder") from None
    except FileWriteError as exc:  # the same, raised by a writer that names its file
        raise ExportError(f"{step.flag}: cannot write into {out_dir} ({exc.reason}: {Path(exc.path).name}); "
                          "free the space, or choose another --out folder") from None


def _os_reason(exc: OSError) -> str:
    """'Is a directory: rtstruct.dcm': the reason and the file, without errno noise or temp names."""
    target = exc.filename2 or exc.filename
    reason = exc.strerror or str(exc)
    return f"{reason}: {Path(target).name}" if target else reason

"""Summary and scorecard files are written atomically: a write that fails says which file and why
(FileWriteError), leaves the previous file as it was and no temporary file behind."""

from __future__ import annotations

import os

import pytest

import core.atomic_file
from core.case import Case
from core.errors import FileWriteError
from core.lesions import AddLesion, Lesion, UndoStack
from core.rules.case_check import CaseImages, check_case
from core.rules.loader import load_catalog
from core.practice.report import write_scorecard_csv, write_scorecard_pdf
from core.summary.export import write_summary
from tests.core.test_scorecard_report import scored  # noqa: F401 - the fixture

SUMMARY_FILES = {"pdf": ("summary.pdf", "summary PDF"), "json": ("summary.json", "summary JSON"),
                 "csv": ("summary-lesions.csv", "lesion CSV")}


@pytest.fixture
def check():
    case = Case()
    stack = UndoStack()
    for n, site in enumerate(("liver", "lung"), start=1):
        stack.push(AddLesion(case.lesions, Lesion(f"L{n}", f"{site} {n}", site=site,
                                                  point_mm=(10.0 * n, 0.0, 0.0))))
    return case, check_case(case, load_catalog().select(["sabr-comet"]), images=CaseImages(None))


def write_one(case_check, folder, fmt):
    case, check = case_check
    return write_summary(case, check, folder, **{k: k == fmt for k in SUMMARY_FILES})


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("fmt", list(SUMMARY_FILES))
def test_a_folder_where_the_summary_goes_gives_an_error_naming_the_file_and_no_temp_file(check, tmp_path, fmt):
    name, what = SUMMARY_FILES[fmt]
    (tmp_path / name).mkdir()  # the rename onto it fails
    with pytest.raises(FileWriteError, match=rf"{name}: the {what} cannot be written \(.*\); choose a folder"):
        write_one(check, tmp_path, fmt)
    assert leftovers(tmp_path) == []
    assert (tmp_path / name).is_dir()


def test_summary_into_a_folder_below_a_file_names_the_file(check, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(FileWriteError, match=r"not-a-folder/sub/summary.pdf: the summary PDF cannot be written"):
        write_one(check, blocker / "sub", "pdf")
    assert blocker.read_text() == "x"


@pytest.mark.parametrize("fmt", list(SUMMARY_FILES))
def test_a_failed_sync_keeps_the_previous_summary(check, tmp_path, monkeypatch, fmt):
    name, what = SUMMARY_FILES[fmt]
    write_one(check, tmp_path, fmt)
    before = (tmp_path / name).read_bytes()
    synced = []

    def full_disk(fd):
        synced.append(fd)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(core.atomic_file.os, "fsync", full_disk)
    with pytest.raises(FileWriteError, match=rf"{name}: the {what} cannot be written \(No space left on device\)"):
        write_one(check, tmp_path, fmt)
    assert synced, "the file was never fsynced"
    assert (tmp_path / name).read_bytes() == before
    assert leftovers(tmp_path) == []


def test_summary_files_are_synced_before_they_replace_the_old_ones(check, tmp_path, monkeypatch):
    order = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(core.atomic_file.os, "fsync", lambda fd: (order.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(core.atomic_file.os, "replace",
                        lambda a, b: (order.append(f"replace {os.path.basename(b)}"), real_replace(a, b))[1])
    write_summary(*check, tmp_path)
    for name in ("summary.pdf", "summary.json", "summary-lesions.csv"):
        k = order.index(f"replace {name}")
        assert order[k - 1] == "fsync" and order[k + 1] == "fsync", order  # the file, then its folder
    assert leftovers(tmp_path) == []


def test_scorecard_pdf_and_csv_in_place_of_a_folder_name_the_file(scored, tmp_path):  # noqa: F811
    card, reference, trainee, grid, grids = scored
    (tmp_path / "card.pdf").mkdir()
    (tmp_path / "card.csv").mkdir()
    with pytest.raises(FileWriteError, match=r"card.pdf: the scorecard PDF cannot be written"):
        write_scorecard_pdf(tmp_path / "card.pdf", card, reference, trainee, grid, grids)
    with pytest.raises(FileWriteError, match=r"card.csv: the scorecard CSV cannot be written"):
        write_scorecard_csv(tmp_path / "card.csv", card, reference, trainee)
    assert leftovers(tmp_path) == []


def test_scorecard_pdf_that_fails_to_sync_keeps_the_previous_one(scored, tmp_path, monkeypatch):  # noqa: F811
    card, reference, trainee, grid, grids = scored
    path = write_scorecard_pdf(tmp_path / "card.pdf", card, reference, trainee, grid, grids)
    before = path.read_bytes()
    monkeypatch.setattr(core.atomic_file.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(5, "I/O error")))
    with pytest.raises(FileWriteError, match=r"card.pdf: the scorecard PDF cannot be written \(I/O error\)"):
        write_scorecard_pdf(path, card, reference, trainee, grid, grids)
    assert path.read_bytes() == before and leftovers(tmp_path) == []

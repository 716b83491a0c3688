"""Contract audit of the command line (issues 2-7), as a scripting user runs it.

Each test runs `oligoplan ...` through the console entry point's main() and
checks what a script relies on: the exit status, a one-line message naming the
problem and what to do, and never a traceback or an "internal error".
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from core.samples import SAMPLE_ROOT
from gui.entry import main
from tests.phantom_cases import phantom_case, truth

PHANTOM = SAMPLE_ROOT / "phantom-oligo"


def oligoplan(capsys, *args) -> tuple[int, str, str]:
    """Run `oligoplan ARGS` in process; (exit status, stdout, stderr)."""
    try:
        rc = main([str(a) for a in args])
    except SystemExit as exc:  # argparse's own exits
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(err: str, *words: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture(scope="module")
def case_file(tmp_path_factory) -> Path:
    if not PHANTOM.is_dir():
        pytest.skip("sample_scans/phantom-oligo not generated")
    return phantom_case("phantom-oligo", tmp_path_factory.mktemp("case"))


# ---------------------------------------------------------------- export
def test_export_out_folder_that_cannot_be_created_is_one_line_exit_2(capsys, case_file, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    rc, _, err = oligoplan(capsys, "export", case_file, "--out", blocker / "sub", "--csv")
    assert rc == 2
    assert_one_line_error(err, "--out", "cannot be created", "choose a folder")


@pytest.mark.parametrize("flag, name", [("--csv", "summary-lesions.csv"), ("--rtstruct", "rtstruct.dcm")])
def test_export_file_that_cannot_be_written_is_one_line_exit_2(capsys, case_file, tmp_path, flag, name):
    out = tmp_path / "out"
    (out / name).mkdir(parents=True)  # a folder sits where the file goes
    rc, _, err = oligoplan(capsys, "export", case_file, "--out", out, flag)
    assert rc == 2
    assert_one_line_error(err, flag, "cannot write", name, "choose another --out")
    assert "written before" not in err


def test_a_failed_export_writes_nothing_of_its_set(capsys, case_file, tmp_path):
    """The files of one export land together or not at all (core.export_set, issue 14)."""
    out = tmp_path / "out"
    out.mkdir()
    rc, _, err = oligoplan(capsys, "export", case_file, "--out", out, "--rtstruct", "--csv", "--rules", "no-such-set")
    assert rc == 2
    assert_one_line_error(err, "no-such-set", f"nothing was written to {out}")
    assert list(out.iterdir()) == []


def test_a_failed_sr_leaves_no_seg_behind(capsys, case_file, tmp_path):
    out = tmp_path / "out"
    (out / "sr.dcm").mkdir(parents=True)  # the SEG could be written, the SR cannot
    rc, _, err = oligoplan(capsys, "export", case_file, "--out", out, "--sr")
    assert rc == 2
    assert_one_line_error(err, "--sr", "Is a directory: sr.dcm", "nothing was written")
    assert sorted(p.name for p in out.iterdir()) == ["sr.dcm"]


def test_a_failed_export_leaves_no_empty_folder_behind(capsys, case_file, tmp_path):
    out = tmp_path / "new" / "out"
    rc, _, err = oligoplan(capsys, "export", case_file, "--out", out, "--csv", "--rules", "no-such-set")
    assert rc == 2
    assert_one_line_error(err, "no-such-set")
    assert "written before" not in err
    assert not out.exists()


# ---------------------------------------------------------------- score
@pytest.mark.parametrize("value", ["-5", "nan", "inf"])
def test_score_bad_tolerance_names_the_option_and_exits_2(capsys, case_file, value):
    rc, out, err = oligoplan(capsys, "score", case_file, case_file, "--tolerance-mm", value)
    assert rc == 2 and out == ""
    assert_one_line_error(err, "--tolerance-mm", value, "0 or more")


def test_score_a_folder_instead_of_a_file_says_so(capsys, case_file, tmp_path):
    rc, _, err = oligoplan(capsys, "score", case_file, tmp_path)
    assert rc == 2
    assert_one_line_error(err, "TRAINEE", str(tmp_path), "is a folder", "RTSTRUCT or SEG file in it")


# ---------------------------------------------------------------- segment
@pytest.mark.parametrize("seed", ["nan,0,0", "0,inf,0"])
def test_segment_seed_that_is_not_a_finite_number_is_one_line_exit_2(capsys, tmp_path, seed):
    if not PHANTOM.is_dir():
        pytest.skip("sample_scans/phantom-oligo not generated")
    out = tmp_path / "case.json"
    rc, _, err = oligoplan(capsys, "segment", PHANTOM, "--seed", seed, "--out", out)
    assert rc == 2
    assert_one_line_error(err, f"--seed '{seed}'", "three numbers")
    assert not out.exists()


# ---------------------------------------------------------------- pacs
@pytest.fixture(scope="module")
def orthanc(tmp_path_factory):
    from tests.orthanc_server import orthanc_fixture

    yield from orthanc_fixture(tmp_path_factory)


def peer(server) -> list[str]:
    from tests.orthanc_server import AET

    return ["--host", "127.0.0.1", "--port", str(server.dicom_port), "--called-aet", AET]


def test_pacs_get_into_a_file_says_so_instead_of_blaming_the_pacs(capsys, orthanc, tmp_path):
    study_uid = truth("phantom-oligo")["study_instance_uid"]
    a_file = tmp_path / "case.json"
    a_file.write_text("{}")
    for out in (a_file, a_file / "sub"):
        rc, _, err = oligoplan(capsys, "pacs", "get", *peer(orthanc), "--study-uid", study_uid,
                               "--out", out)
        assert rc == 2
        assert_one_line_error(err, f"--out {out}", "is a file")
        assert "refused" not in err
    assert a_file.read_text() == "{}"


@pytest.mark.parametrize("value", ["-1", "0", "nan"])
def test_pacs_bad_timeout_is_refused_before_connecting(capsys, value):
    rc, out, err = oligoplan(capsys, "pacs", "echo", "--host", "127.0.0.1", "--port", "1",
                             "--called-aet", "ORTHANC", "--timeout", value)
    assert rc == 2 and out == ""
    assert_one_line_error(err, "--timeout", value, "above 0")


# ---------------------------------------------------------------- every command
def test_output_into_a_closed_pipe_stops_quietly(tmp_path):
    """`oligoplan rules | head -0`: the reader has gone; no traceback, no 'Exception ignored'."""
    import os
    import subprocess

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "gui.entry", "rules"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    finally:
        os.close(write_end)
    assert proc.stderr == ""
    assert proc.returncode == 141  # as a shell reports a command stopped by SIGPIPE


def test_pacs_messages_name_the_verb_that_failed(capsys):
    rc, _, err = oligoplan(capsys, "pacs", "echo", "--host", "127.0.0.1", "--port", "1", "--called-aet", "ORTHANC")
    assert rc == 2
    assert_one_line_error(err, "cannot connect", "check the host, the port")
    assert err.startswith("oligoplan pacs echo: ")


# ---------------------------------------------------------------- bench
def test_bench_load_without_one_series_folder_says_what_to_give(capsys, tmp_path):
    rc, _, err = oligoplan(capsys, "bench", "load", tmp_path / "missing", "--repeats", "1")
    assert rc == 2
    assert_one_line_error(err, "oligoplan bench load: ", "no such folder", "no PATH to generate")
    if PHANTOM.is_dir():  # a study folder: CT/, PT/, RTSTRUCT/
        rc, _, err = oligoplan(capsys, "bench", "load", PHANTOM, "--repeats", "1")
        assert rc == 2
        assert_one_line_error(err, "holds sub-folders", str(PHANTOM / "CT"))
    (tmp_path / "notes.dcm").write_text("not DICOM")
    rc, _, err = oligoplan(capsys, "bench", "load", tmp_path, "--repeats", "1")
    assert rc == 2
    assert_one_line_error(err, "no image series found")


def test_bench_pacs_with_a_folder_that_is_not_one_study_says_so(capsys, tmp_path):
    rc, _, err = oligoplan(capsys, "bench", "pacs", tmp_path / "missing", "--repeats", "1")
    assert rc == 2
    assert_one_line_error(err, "oligoplan bench pacs: ", "no such folder")
    rc, _, err = oligoplan(capsys, "bench", "pacs", tmp_path, "--repeats", "1")
    assert rc == 2
    assert_one_line_error(err, "no image series found", "one study")


# ---------------------------------------------------------------- README
def _readme_rows() -> dict[str, set[str]]:
    """README's command-line table: 'pacs get' -> the options its row shows."""
    import re

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        m = re.match(r"\| `oligoplan ([a-z][a-z-]*(?: [a-z][a-z-]*)?) ([^`]*)` \|", line)  # open-dicom, pacs send-case
        if m:
            command = m.group(1)
            options = set(re.findall(r"(--[a-z][a-z0-9-]*)", m.group(2)))
            rows[command] = options
    return rows


def _parser_options() -> dict[str, set[str]]:
    import argparse

    from bench.cli import register as register_bench
    from core.cli import build_parser

    def subparsers(parser):
        return next((a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), {})

    out = {}
    for name, sub in subparsers(build_parser(extra=[register_bench])).items():
        verbs = subparsers(sub)
        for key, p in ({f"{name} {v}": p for v, p in verbs.items()} if verbs else {name: sub}).items():
            out[key] = {o for a in p._actions for o in a.option_strings if o.startswith("--") and o != "--help"}
    return out


def test_readme_command_table_shows_every_command_and_option_there_is():
    readme, parser = _readme_rows(), _parser_options()
    assert set(readme) == set(parser), "commands in README vs parser differ"
    for command, options in parser.items():
        assert readme[command] <= options, f"README shows options `{command}` does not have"
        missing = options - readme[command]
        if command.startswith("pacs ") and command != "pacs echo":
            missing -= {"--timeout"}  # said once, in the echo row, for every verb
        assert not missing, f"README's `{command}` row lacks {sorted(missing)}"


# ---------------------------------------------------------------- case file given wrongly
def test_a_folder_or_a_binary_file_given_as_the_case_says_what_it_is(capsys, tmp_path):
    binary = tmp_path / "rtstruct.dcm"
    binary.write_bytes(b"\0" * 128 + b"DICM" + bytes(range(256)))
    for command in (["check"], ["export", "--out", tmp_path / "out", "--csv"]):
        rc, _, err = oligoplan(capsys, command[0], tmp_path, *command[1:])
        assert rc == 2
        assert_one_line_error(err, str(tmp_path), "is a folder, not a case file", ".json")
        rc, _, err = oligoplan(capsys, command[0], binary, *command[1:])
        assert rc == 2
        assert_one_line_error(err, str(binary), "not a case file", ".json")
        assert "codec" not in err


# ---------------------------------------------------------------- the GUI launch
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY is how Linux finds a screen")
def test_opening_the_window_without_a_display_is_one_line_not_a_qt_abort(tmp_path):
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    for argv in ([], [str(tmp_path)]):
        proc = subprocess.run([sys.executable, "-m", "gui.entry", *argv], capture_output=True, text=True, env=env,
                              cwd=Path(__file__).resolve().parents[2], timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert_one_line_error(proc.stderr, "no display", "xvfb-run", "subcommands")


@pytest.mark.parametrize("argv, hint", [(["inpsect", "sample_scans", "--json"], "did you mean `oligoplan inspect`"),
                                        (["chek"], "did you mean `oligoplan check`"),
                                        (["no-such-thing", "--json"], "the commands are")])
def test_a_mistyped_command_is_refused_instead_of_opening_the_window(capsys, monkeypatch, argv, hint):
    import gui.entry

    monkeypatch.setattr(gui.entry, "_open_gui", lambda path: pytest.fail(f"the window opened on {path}"))
    rc, out, err = oligoplan(capsys, *argv)
    assert rc == 2 and out == ""
    assert_one_line_error(err, f"'{argv[0]}' is not a command", hint)


@pytest.mark.parametrize("key", ["lesions", "images"])
def test_a_case_whose_lists_are_not_lists_names_the_file(capsys, case_file, tmp_path, key):
    import json

    doc = json.loads(case_file.read_text(encoding="utf-8"))
    doc[key] = None
    broken = tmp_path / "broken-case.json"
    broken.write_text(json.dumps(doc), encoding="utf-8")
    rc, _, err = oligoplan(capsys, "check", broken)
    assert rc == 2
    assert_one_line_error(err, f"broken-case.json: {key}: expected a list, found null")


def test_pacs_get_move_on_a_busy_listen_port_names_the_options_to_change(capsys, orthanc, tmp_path):
    study_uid = truth("phantom-oligo")["study_instance_uid"]
    rc, _, err = oligoplan(capsys, "pacs", "get", *peer(orthanc), "--study-uid", study_uid, "--out", tmp_path / "s",
                           "--move", "--listen-port", str(orthanc.dicom_port))  # Orthanc holds that port
    assert rc == 2
    assert_one_line_error(err, "oligoplan pacs get: ", "cannot listen", "--listen-port P", "--listen-address")


def test_segment_pet_options_on_a_folder_without_pet_are_reported_ignored(capsys, tmp_path):
    if not PHANTOM.is_dir():
        pytest.skip("sample_scans/phantom-oligo not generated")
    centre = truth("phantom-oligo")["lesions"][0]["centre_mm"]
    out = tmp_path / "case.json"
    rc, stdout, err = oligoplan(capsys, "segment", PHANTOM / "CT", "--seed", ",".join(map(str, centre)),
                                "--pet-threshold", "40", "--out", out, "--json")
    assert rc == 0 and out.exists()
    assert '"suv_max": null' in stdout
    assert_one_line_error(err, "warning", "no PET", "--pet-threshold ignored", "CT")


def test_bench_rtstruct_reads_the_same_values_both_ways_and_refuses_a_missing_file(capsys, tmp_path):
    rc, _, err = oligoplan(capsys, "bench", "rtstruct", tmp_path / "absent.dcm")
    assert rc == 2
    assert_one_line_error(err, "oligoplan bench rtstruct", "absent.dcm: no such file", "RT Structure Set")
    rtstruct = PHANTOM / "RTSTRUCT" / "rtstruct.dcm"
    if not rtstruct.is_file():
        pytest.skip("sample_scans/phantom-oligo not generated")
    rc, out, _ = oligoplan(capsys, "bench", "rtstruct", rtstruct, "--repeats", "1", "--json")
    assert rc == 0
    import json

    doc = json.loads(out)
    assert doc["pydicom_values"]["values"] == doc["raw_bytes_numpy"]["values"] > 0


def test_bench_pacs_on_a_compressed_study_says_getscu_cannot_take_it(capsys):
    if not PHANTOM.is_dir():
        pytest.skip("sample_scans/phantom-oligo not generated")
    rc, _, err = oligoplan(capsys, "bench", "pacs", PHANTOM, "--repeats", "1")  # its CT is JPEG 2000
    assert rc == 2
    assert_one_line_error(err, "CT files are compressed", "getscu", "uncompressed")


# ---------------------------------------------------------------- inspect
def test_inspect_without_images_says_what_to_give_and_where_the_reasons_are(capsys, tmp_path):
    (tmp_path / "IM0001").write_bytes(b"not dicom at all")
    rc, out, err = oligoplan(capsys, "inspect", tmp_path)
    assert rc == 2
    assert_one_line_error(err, "no image series found", "1 file(s) skipped", "the list above",
                          "CT, PET or MR DICOM images")
    assert f"{tmp_path / 'IM0001'}: not a DICOM file" in out  # the file named once, then its reason
    rc, out, err = oligoplan(capsys, "inspect", tmp_path, "--json")
    assert rc == 2
    assert_one_line_error(err, '"skipped" in the JSON', "CT, PET or MR DICOM images")


def test_segment_and_score_on_a_folder_without_images_say_what_to_give(capsys, case_file, tmp_path):
    (tmp_path / "notes.dcm").write_text("not DICOM")
    rc, _, err = oligoplan(capsys, "segment", tmp_path, "--seed", "0,0,0", "--out", tmp_path / "c.json")
    assert rc == 2
    assert_one_line_error(err, "no image series found", "give the folder of the CT (and PET) images",
                          "oligoplan inspect")
    rc, _, err = oligoplan(capsys, "score", case_file, case_file, "--images", tmp_path)
    assert rc == 2
    assert_one_line_error(err, "no image series found", "give --images the folder of the CT (and PET) images")

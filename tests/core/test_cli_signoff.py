"""`oligoplan signoff`: the Review menu's sign-off for scripts, same rules and audit entry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.audit import AuditAction
from core.case import Case, load_case, save_case
from core.lesions import AddLesion, Lesion
from core.review import content_digest

ROOT = Path(__file__).resolve().parents[2]


def oligoplan(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "gui.entry", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.fixture()
def case_path(tmp_path):
    case = Case()
    AddLesion(case.lesions, Lesion("L1", "L1", site="liver", point_mm=(1.0, 2.0, 3.0))).redo()
    return save_case(case, tmp_path / "case.json")


def signoffs(path):
    return [e for e in load_case(path).audit if e.action == AuditAction.SIGNED_OFF.value]


def test_draft_to_reviewed_to_approved_with_audit_entries(case_path):
    run = oligoplan("signoff", case_path, "--state", "reviewed", "--name", "A. Physicist",
                    "--role", "medical physicist", "--comment", "contours checked")
    assert run.returncode == 0, run.stderr
    assert "Reviewed by A. Physicist (medical physicist)" in run.stdout
    case = load_case(case_path)
    assert case.review.state.value == "reviewed" and not case.integrity_warnings
    [entry] = signoffs(case_path)
    assert (entry.who, entry.role) == ("A. Physicist", "medical physicist")
    assert entry.details["state"] == "reviewed" and entry.details["comment"] == "contours checked"
    assert entry.details["content_digest"] == content_digest(case)  # what was signed is what is there

    run = oligoplan("signoff", case_path, "--state", "approved", "--name", "B. Oncologist",
                    "--role", "radiation_oncologist", "--json")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["review"]["state"] == "approved"
    assert doc["signoff"]["name"] == "B. Oncologist" and doc["signoff"]["role"] == "radiation oncologist"
    case = load_case(case_path)
    assert case.review.state.value == "approved" and not case.integrity_warnings
    assert [s.state.value for s in case.review.signoffs] == ["reviewed", "approved"]


def test_out_of_order_and_repeated_steps_are_refused_and_the_file_is_untouched(case_path):
    before = case_path.read_bytes()
    run = oligoplan("signoff", case_path, "--state", "approved", "--name", "X", "--role", "trainee")
    assert run.returncode == 2
    assert "draft" in run.stderr and "reviewed" in run.stderr and "Traceback" not in run.stderr
    assert case_path.read_bytes() == before

    assert oligoplan("signoff", case_path, "--state", "reviewed", "--name", "X", "--role", "trainee").returncode == 0
    reviewed = case_path.read_bytes()
    run = oligoplan("signoff", case_path, "--state", "reviewed", "--name", "X", "--role", "trainee")
    assert run.returncode == 2 and "can only be marked approved" in run.stderr
    assert case_path.read_bytes() == reviewed

    assert oligoplan("signoff", case_path, "--state", "approved", "--name", "Y", "--role", "other").returncode == 0
    approved = case_path.read_bytes()
    run = oligoplan("signoff", case_path, "--state", "approved", "--name", "Y", "--role", "other")
    assert run.returncode == 2 and "already approved" in run.stderr
    assert case_path.read_bytes() == approved


@pytest.mark.parametrize("args, message", [
    (["--state", "reviewed", "--name", "  ", "--role", "trainee"], "name"),
    (["--state", "reviewed", "--name", "X", "--role", " "], "--role"),
    (["--state", "draft", "--name", "X", "--role", "trainee"], "invalid choice"),
    (["--state", "reviewed", "--role", "trainee"], "--name"),
])
def test_bad_arguments_exit_2_naming_what_is_wrong(case_path, args, message):
    before = case_path.read_bytes()
    run = oligoplan("signoff", case_path, *args)
    assert run.returncode == 2 and message in run.stderr, run.stderr
    assert case_path.read_bytes() == before


def test_a_change_after_the_cli_approval_reopens_the_case(case_path):
    oligoplan("signoff", case_path, "--state", "reviewed", "--name", "X", "--role", "trainee")
    oligoplan("signoff", case_path, "--state", "approved", "--name", "Y", "--role", "trainee")
    case = load_case(case_path)
    AddLesion(case.lesions, Lesion("L2", "L2", site="lung", point_mm=(5.0, 5.0, 5.0))).redo()
    assert case.review.state.value == "draft"


def test_a_missing_or_broken_case_file_is_a_clear_message(tmp_path):
    run = oligoplan("signoff", tmp_path / "nope.json", "--state", "reviewed", "--name", "X", "--role", "trainee")
    assert run.returncode == 2 and "no such case file" in run.stderr

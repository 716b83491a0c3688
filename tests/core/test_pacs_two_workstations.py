"""Two workstations, one PACS (a real Orthanc holding phantom-oligo): the oncologist marks lesions
and sends the case; the physicist lists the study's cases, opens the oncologist's from the PACS,
signs it off (reviewed, approved) and sends it back; the oncologist sees the approved version
with the physicist's sign-off; the oncologist's older copy sent again is refused (exit 3, nothing
sent). Each workstation is `oligoplan` with its own data (cache) and config folders: its commands
run in this process under that workstation's environment (a program start costs ~2.5 s, seven of
them a third of the test), and the refused send runs as a real program, for its exit status."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.case import load_case
from core.pacs.case_store import CaseOnPacs, newer_versions
from core.review import ReviewState
from tests.orthanc_server import AET, orthanc_fixture
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory):
    yield from orthanc_fixture(tmp_path_factory)


class Workstation:
    def __init__(self, folder: Path, name: str, role: str, port: int):
        self.folder, self.name, self.role = folder, name, role
        self.peer = ["--host", "127.0.0.1", "--port", str(port), "--called-aet", AET]
        folder.mkdir(parents=True, exist_ok=True)

    def environment(self) -> dict[str, str]:
        return {"HOME": str(self.folder), "OLIGOPLAN_DATA_DIR": str(self.folder / "data"),
                "OLIGOPLAN_CONFIG_DIR": str(self.folder / "config")}

    def run(self, *args, program: bool = False) -> subprocess.CompletedProcess:
        """`oligoplan ARGS` on this workstation; ``program``: as its own process."""
        argv = [str(a) for a in args]
        if program:
            env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", **self.environment()}
            return subprocess.run([sys.executable, "-m", "gui.entry", *argv], capture_output=True, text=True,
                                  env=env, timeout=300)
        from gui.entry import main

        saved = {key: os.environ.get(key) for key in self.environment()}
        out, err = io.StringIO(), io.StringIO()
        try:
            os.environ.update(self.environment())
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(argv)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())

    def pacs(self, verb: str, *args, program: bool = False) -> subprocess.CompletedProcess:
        return self.run("pacs", verb, *self.peer, *args, program=program)

    def send(self, case: Path, *extra, json_out: bool = True, program: bool = False) -> subprocess.CompletedProcess:
        return self.pacs("send-case", case, "--name", self.name, "--role", self.role,
                         *(["--json"] if json_out else []), *extra, program=program)

    def cases(self, study: str) -> list[dict]:
        done = self.pacs("cases", "--study-uid", study, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["cases"]


def test_two_workstations_share_a_case_through_the_pacs(orthanc, tmp_path, monkeypatch, capsys):
    oncologist = Workstation(tmp_path / "onco", "Dr Ada Onco", "radiation oncologist", orthanc.dicom_port)
    physicist = Workstation(tmp_path / "phys", "Phil Physicist", "medical physicist", orthanc.dicom_port)
    case_path = phantom_case("phantom-oligo", oncologist.folder / "case", facts={**ELIGIBLE_FACTS,
                                                                                 "rule_sets": ["sabr-comet"]})
    lesion_ids = load_case(case_path).lesions.ids()

    # the oncologist sends: the PACS lacks 3 of the CT's images; only those go with the SEG, SR and PDF
    ct = next(sid for sid in orthanc.rest("GET", "/series")
              if orthanc.rest("GET", f"/series/{sid}")["MainDicomTags"].get("Modality") == "CT")
    for instance in orthanc.rest("GET", f"/series/{ct}")["Instances"][:3]:
        orthanc.rest("DELETE", f"/instances/{instance}")
    done = oncologist.send(case_path)
    assert done.returncode == 0, done.stderr
    sent = json.loads(done.stdout)
    assert sent["images"]["total"] > 3 and sent["images"]["skipped"] == sent["images"]["total"] - 3
    assert sent["images"]["sent"] == 3 and "already holds" in sent["images"]["skip_reason"]
    assert sent["send"]["sent"] == 3 + 3 and sent["objects"][-1] == "sr.dcm"
    assert len(orthanc.rest("GET", f"/series/{ct}")["Instances"]) == 96  # the CT is whole again
    study = sent["study_uid"]
    assert load_case(case_path).extra["pacs_base"]["sr_sop_uid"] == sent["sr_sop_uid"]

    # the physicist lists the study's cases and opens the oncologist's
    listed = physicist.cases(study)
    assert [(c["author"], c["role"], c["review_state"]) for c in listed] == [
        ("Dr Ada Onco", "radiation oncologist", "draft")]
    review = physicist.folder / "review.json"
    done = physicist.run("open-dicom", *physicist.peer, "--study-uid", study, "--out", review, "--json")
    assert done.returncode == 0, done.stderr
    assert [x["id"] for x in json.loads(done.stdout)["lesions"]] == lesion_ids
    from gui.entry import main  # the sign-offs touch the case file only: in process, as the physicist

    for state in ("reviewed", "approved"):
        assert main(["signoff", str(review), "--state", state, "--name", physicist.name, "--role", "physicist"]) == 0
    done = physicist.send(review, json_out=False)
    assert done.returncode == 0, done.stderr
    approved_uid = load_case(review).extra["pacs_base"]["sr_sop_uid"]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("case sent as a new OligoPlan SR (seg.dcm, summary-pdf.dcm, sr.dcm) with 0 image(s); ")
    assert "image(s) not sent again: the PACS already holds them" in lines[0]
    assert lines[1] == f"  SR {approved_uid}; review.json records it as the case's base"

    # the oncologist sees both versions, newest (approved) first, and opens the approved one
    listed = oncologist.cases(study)
    assert [(c["sr_sop_uid"], c["author"], c["review_state"]) for c in listed] == [
        (approved_uid, "Phil Physicist", "approved"), (sent["sr_sop_uid"], "Dr Ada Onco", "draft")]
    assert [s["name"] for s in listed[0]["signoffs"]] == ["Phil Physicist", "Phil Physicist"]
    opened = oncologist.folder / "approved.json"
    done = oncologist.run("open-dicom", *oncologist.peer, "--study-uid", study, "--out", opened, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["report"]["sop_uid"] == approved_uid
    case = load_case(opened)
    assert case.review.state.value == "approved"
    assert [(s.state.value, s.name) for s in case.review.signoffs] == [
        ("reviewed", "Phil Physicist"), ("approved", "Phil Physicist")]

    n_instances = len(orthanc.rest("GET", "/instances"))
    # the oncologist's older copy sent again: refused, says who/when/state, nothing sent
    before = case_path.read_bytes()
    done = oncologist.send(case_path, program=True)
    assert done.returncode == 3, done.stderr
    assert "newer version" in done.stderr and "approved version by Phil Physicist" in done.stderr
    refused = json.loads(done.stdout)
    assert refused["sent"] is False and refused["newer"][0]["sr_sop_uid"] == approved_uid
    assert case_path.read_bytes() == before
    assert len(orthanc.rest("GET", "/instances")) == n_instances  # nothing reached the PACS

    # the listing as text (a third workstation, in process)
    monkeypatch.setenv("OLIGOPLAN_DATA_DIR", str(tmp_path / "third"))
    capsys.readouterr()
    assert main(["pacs", "cases", *physicist.peer, "--study-uid", study]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("2 OligoPlan case version(s) of study") and "newest first" in lines[0]
    assert "approved  Phil Physicist (medical physicist)" in lines[1] and approved_uid in lines[1]
    assert "draft     Dr Ada Onco (radiation oncologist)" in lines[2]


def _version(uid: str, when: str) -> CaseOnPacs:
    return CaseOnPacs(uid, "1.2.3", "1.2", when, "A", "", ReviewState.DRAFT)


@pytest.mark.parametrize("when, newer", [
    ("20261206100000.000001", True),   # just after the base
    ("20261206100000", True),          # at the same time: not known to be older
    ("20261206095959.999999", False),  # just before it
])
def test_a_version_made_before_the_base_is_not_newer(when, newer):
    cases = [_version("9.9", when), _version("1.1", "20261206100000")]
    assert [c.sr_sop_uid for c in newer_versions(cases, {"sr_sop_uid": "1.1"})] == (["9.9"] if newer else [])


def test_an_unknown_base_makes_every_other_version_newer():
    cases = [_version("9.9", "20200101000000")]
    assert newer_versions(cases, None) == cases  # a case never opened from or sent to the PACS
    assert newer_versions(cases, {"sr_sop_uid": "1.1"}) == cases  # base gone from the PACS, time unknown
    # base gone from the PACS but its time recorded: compared with that
    assert newer_versions(cases, {"sr_sop_uid": "1.1", "content_datetime": "20210101000000"}) == []


def _main(capsys, *args) -> tuple[int, str]:
    from gui.entry import main

    try:
        rc = main([str(a) for a in args])
    except SystemExit as exc:
        rc = exc.code
    return rc, capsys.readouterr().err


PEER = ["--host", "127.0.0.1", "--port", "9", "--called-aet", "NOBODY", "--timeout", "2"]


def test_bad_input_is_one_line_exit_2_before_the_pacs_is_asked(capsys, tmp_path):
    rc, err = _main(capsys, "pacs", "send-case", *PEER, tmp_path / "missing.json")
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "missing.json" in err
    rc, err = _main(capsys, "pacs", "cases", *PEER, "--study-uid", "not-a-uid")
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "not a DICOM UID" in err


def test_an_unreadable_report_is_listed_and_still_counts_as_newer(tmp_path, monkeypatch):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    import core.pacs.retrieve as retrieve
    from core.pacs.case_store import list_cases
    from core.pacs.query import FindResult

    study = "1.2.826.0.1.3680043.8.498.1"
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.34"  # Comprehensive 3D SR, but no content
    ds.SOPInstanceUID, ds.StudyInstanceUID, ds.SeriesInstanceUID = "1.2.3.4", study, "1.2.3.5"
    ds.Manufacturer, ds.ContentDate, ds.ContentTime = "OligoPlan", "20261206", "101010"
    folder = tmp_path / "cache" / study / "1.2.3.5"
    folder.mkdir(parents=True)
    ds.save_as(folder / "sr.dcm", enforce_file_format=True)

    class Peer:
        node = type("Node", (), {"describe": lambda self: "test"})()

        def find(self, query, cancel=None):
            return [FindResult("series", study_uid=study, series_uid="1.2.3.5", modality="SR"),
                    FindResult("series", study_uid=study, series_uid="1.2.3.6", modality="CT")]

    asked = []
    monkeypatch.setattr(retrieve, "retrieve_study", lambda client, uid, series, **kw: asked.append(series))
    versions = list_cases(Peer(), study, cache_root=tmp_path / "cache")
    assert asked == [["1.2.3.5"]]  # only the SR series are fetched
    assert [(v.sr_sop_uid, v.state_text) for v in versions] == [("1.2.3.4", "unreadable report")]
    assert "cannot be read" in versions[0].problem
    assert newer_versions(versions, {"sr_sop_uid": "9.9", "content_datetime": "20261206101009"}) == versions

"""A case file's audit trail compared with the SR exported from it (issue 14, last part).

One signed phantom case is exported once (its SR written in-process); each test alters a
copy of the case file the way a forger would (keeping the chain, head and count consistent,
so the file alone shows nothing) and checks what the comparison says."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.audit import AuditTrail
from core.case import load_case, save_case
from core.lesions import RemoveLesion, UndoStack
from core.rt.sr_compare import Finding, SrCompareError, apply_to_case, compare_with_reports
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case, workspace

ROOT = Path(__file__).resolve().parents[2]
PHANTOM = ROOT / "sample_scans" / "phantom-oligo"
pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(case file, its JSON, the folder holding its SR): reviewed and approved, then exported."""
    from core.rt.sr import case_sr

    root = tmp_path_factory.mktemp("sr-compare")
    path = phantom_case("phantom-oligo", root, facts=ELIGIBLE_FACTS)
    case = load_case(path)
    case.review.set_user("C. Exporter", "radiation oncologist")
    case.review.sign("reviewed", "contours checked", name="A. Physicist", role="medical physicist")
    case.review.sign("approved", "", name="B. Oncologist", role="radiation oncologist")
    save_case(case, path)
    (root / "pacs").mkdir()
    case_sr(case, workspace("phantom-oligo")).save_as(root / "pacs" / "sr.dcm")
    return path, json.loads(path.read_text()), root / "pacs"


def altered(tmp_path, exported, change=None):
    path, doc, _ = exported
    doc = json.loads(json.dumps(doc))
    if change is not None:
        change(doc)
    copy = tmp_path / "case.json"
    copy.write_text(json.dumps(doc))
    return copy


def rechain(doc, entries):
    """The trail of ``entries`` (dicts as saved) hashed again from the start: a consistent chain."""
    trail = AuditTrail()
    for e in entries:
        trail.append(e["action"], e["what"], who=e["who"], role=e["role"], details=e["details"], when=e["when"])
    doc["audit"] = trail.to_json()


def compare(path, folder):
    case = load_case(path)
    return case, compare_with_reports(case, folder)


def kinds(comparison) -> list[Finding]:
    return [line.finding for r in comparison.reports for line in r.lines]


def test_an_untouched_case_is_consistent_with_its_sr_named_by_date_and_author(tmp_path, exported):
    case, comparison = compare(altered(tmp_path, exported), exported[2])
    assert comparison.consistent and kinds(comparison) == []
    (report,) = comparison.reports
    assert report.headline().startswith("Consistent with the SR of 20") and report.headline().endswith("by C. Exporter")
    assert comparison.warnings() == [] and apply_to_case(case, comparison) == []


def test_edits_after_the_export_are_normal_and_listed_as_such(tmp_path, exported):
    path = altered(tmp_path, exported)
    case = load_case(path)
    UndoStack().push(RemoveLesion(case.lesions, "L2"))  # recorded: reopens the approved case
    case.facts["ecog"] = 2
    save_case(case, path)
    _, comparison = compare(path, exported[2])
    assert comparison.consistent, comparison.text_lines()
    notes = comparison.reports[0].lines
    assert {line.finding for line in notes} == {Finding.ENTRY_ADDED, Finding.LESION_DELETED}
    assert any("added after the export (normal)" in line.text and "deleted L2" in line.text for line in notes)
    assert any(line.text.startswith("lesion L2 (") and "was deleted after the export" in line.text for line in notes)


def test_sign_offs_cut_from_the_file_with_every_trace_removed_are_found_by_the_sr(tmp_path, exported):
    def cut(doc):
        entries = [e for e in doc["audit"]["entries"] if e["action"] != "signed_off"]
        doc["audit"] = {"entries": entries, "count": len(entries), "head": entries[-1]["hash"]}
        doc["review"] = {"state": "draft", "signoffs": []}

    case, comparison = compare(altered(tmp_path, exported, cut), exported[2])
    assert case.integrity_warnings == []  # the file alone shows nothing
    found = kinds(comparison)
    assert found.count(Finding.SIGNOFF_MISSING) == 2 and found.count(Finding.ENTRY_REMOVED) == 2
    assert Finding.HEAD_MISSING in found and not comparison.consistent
    assert any("the sign-off approved by B. Oncologist (radiation oncologist)" in w and "removed after the export" in w
               for w in comparison.warnings())
    apply_to_case(case, comparison)  # reaches the verdict panel and the summary as the trail's own warnings
    assert case.review.status_text().endswith("not to be relied on; see Review > History)")


def test_a_sign_off_renamed_and_the_chain_rehashed_is_a_changed_sign_off(tmp_path, exported):
    def rename(doc):
        entries = doc["audit"]["entries"]
        entries[-1]["who"] = "D. Chief"
        rechain(doc, entries)
        doc["review"]["signoffs"][-1]["name"] = "D. Chief"

    case, comparison = compare(altered(tmp_path, exported, rename), exported[2])
    changed = [line.text for r in comparison.reports for line in r.lines if line.finding is Finding.SIGNOFF_CHANGED]
    assert len(changed) == 1 and "name 'B. Oncologist' in the SR, 'D. Chief' in the file" in changed[0]
    assert Finding.ENTRY_REMOVED in kinds(comparison) and Finding.HEAD_MISSING in kinds(comparison)


def test_a_lesion_removed_with_its_entries_and_the_chain_rehashed_is_missing(tmp_path, exported):
    def remove_l2(doc):
        doc["lesions"] = [item for item in doc["lesions"] if item["id"] != "L2"]
        rechain(doc, [e for e in doc["audit"]["entries"] if e["details"].get("lesion") != "L2"])

    _, comparison = compare(altered(tmp_path, exported, remove_l2), exported[2])
    missing = [line.text for r in comparison.reports for line in r.lines if line.finding is Finding.LESION_MISSING]
    assert len(missing) == 1 and missing[0].startswith("lesion L2 (") and "no deletion of it is recorded" in missing[0]
    assert Finding.ENTRY_REMOVED in kinds(comparison)


def test_an_emptied_trail_with_every_lesion_deleted_is_found_by_the_sr(tmp_path, exported):
    def empty(doc):
        doc["audit"] = {"entries": [], "count": 0, "head": "0" * 64}
        doc["lesions"], doc["review"] = [], {"state": "draft", "signoffs": []}

    case, comparison = compare(altered(tmp_path, exported, empty), exported[2])
    assert case.integrity_warnings == []  # nothing in the file gives it away (it has no history list)
    found = kinds(comparison)
    assert Finding.CHAIN_REWRITTEN in found and found.count(Finding.LESION_MISSING) == 5
    assert found.count(Finding.SIGNOFF_MISSING) == 2


def test_a_trail_rewritten_from_its_first_entry_is_reported_once(tmp_path, exported):
    def rewrite(doc):
        entries = doc["audit"]["entries"]
        entries[0]["when"] = "2020-01-01T00:00:00+00:00"
        rechain(doc, entries)

    case, comparison = compare(altered(tmp_path, exported, rewrite), exported[2])
    assert case.integrity_warnings == [] and kinds(comparison) == [Finding.CHAIN_REWRITTEN]
    assert "the trail was replaced or rewritten after the export" in comparison.warnings()[0]


def test_an_sr_without_an_audit_record_still_compares_sign_offs(tmp_path, exported):
    import pydicom

    from core.rt import sr_case

    folder = tmp_path / "old-sr"
    folder.mkdir()
    ds = pydicom.dcmread(exported[2] / "sr.dcm")
    for group in ds.ContentSequence:  # drop the audit item, as an SR of an earlier OligoPlan has none
        if "ContentSequence" in group:
            group.ContentSequence = [i for i in group.ContentSequence if not (
                "ConceptNameCodeSequence" in i and i.ConceptNameCodeSequence[0].get("CodeValue") == sr_case.AUDIT_TRAIL.value)]
    ds.save_as(folder / "sr.dcm")
    _, comparison = compare(altered(tmp_path, exported), folder / "sr.dcm")
    assert comparison.consistent and kinds(comparison) == [Finding.NOT_COMPARED]
    assert "records no audit trail" in comparison.reports[0].lines[0].text


def test_the_sr_of_another_case_on_the_same_images_is_left_out(tmp_path, exported):
    from core.rt.sr import case_sr

    other = load_case(phantom_case("phantom-oligo", tmp_path / "other"))  # a colleague's case, same images
    folder = tmp_path / "pacs"
    shutil.copytree(exported[2], folder)
    case_sr(other, workspace("phantom-oligo")).save_as(folder / "other-sr.dcm")
    case, comparison = compare(altered(tmp_path, exported), folder)
    assert comparison.consistent and len(comparison.reports) == 1
    assert [r.path.name for r in comparison.other_cases] == ["other-sr.dcm"]
    assert comparison.text_lines()[-1].startswith("Not compared: 1 SR(s) of other cases on the same images")
    with pytest.raises(SrCompareError, match="all of other cases"):
        compare_with_reports(case, folder / "other-sr.dcm")


@pytest.mark.parametrize("where, message", [
    ("missing", "no such file or folder"),
    ("empty", "no OligoPlan SR found"),
    ("not-dicom", "not a DICOM file"),
    ("other-images", "none made on this case's images"),
])
def test_nothing_to_compare_with_is_a_clear_error(tmp_path, exported, where, message):
    path = altered(tmp_path, exported)
    target = tmp_path / where
    if where == "empty":
        target.mkdir()
    elif where == "not-dicom":
        target.write_text("not a report")
    elif where == "other-images":
        doc = json.loads(path.read_text())
        doc["images"][0]["series_uid"] = "1.2.3.4"
        path.write_text(json.dumps(doc))
        target = exported[2]
    with pytest.raises(SrCompareError, match=message):
        compare_with_reports(load_case(path), target)


def test_check_compare_sr_adds_sr_comparison_and_keeps_every_other_key(tmp_path, exported):
    def cut(doc):
        entries = doc["audit"]["entries"][:-1]
        doc["audit"] = {"entries": entries, "count": len(entries), "head": entries[-1]["hash"]}
        doc["review"]["state"], doc["review"]["signoffs"] = "reviewed", doc["review"]["signoffs"][:1]

    path = altered(tmp_path, exported, cut)
    doc = json.loads(path.read_text())
    doc["images"][0]["folder"] = str(tmp_path / "images-elsewhere")  # the check without images: quicker
    path.write_text(json.dumps(doc))
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "gui.entry", "check", str(path)]
    plain = subprocess.run(run + ["--json"], capture_output=True, text=True, env=env, timeout=300)
    compared = subprocess.run(run + ["--json", "--compare-sr", str(exported[2])], capture_output=True, text=True,
                              env=env, timeout=300)
    assert plain.returncode == compared.returncode == 0, compared.stderr
    before, after = json.loads(plain.stdout), json.loads(compared.stdout)
    assert set(after) == set(before) | {"sr_comparison"}
    assert after["rule_sets"] == before["rule_sets"] and after["counts"] == before["counts"]
    sr = after["sr_comparison"]
    assert sr["consistent"] is False and sr["reports"][0]["author"] == "C. Exporter"
    assert [d["kind"] for d in sr["reports"][0]["differences"]] == ["entry_removed", "head_missing", "signoff_missing"]
    added = [w for w in after["warnings"] if w not in before["warnings"]]  # as the trail's own warnings
    assert len(sr["warnings"]) == 3 and added == [f"case.json: {d}" for d in sr["warnings"]]
    assert "warning: case.json: Audit trail compared with the SR of" in compared.stderr


def test_check_compare_sr_text_names_the_sr_and_each_difference(tmp_path, exported):
    def cut(doc):
        entries = doc["audit"]["entries"][:-1]
        doc["audit"] = {"entries": entries, "count": len(entries), "head": entries[-1]["hash"]}
        doc["review"]["state"], doc["review"]["signoffs"] = "reviewed", doc["review"]["signoffs"][:1]
        doc["images"][0]["folder"] = str(tmp_path / "images-elsewhere")

    path = altered(tmp_path, exported, cut)
    text = subprocess.run([sys.executable, "-m", "gui.entry", "check", str(path), "--compare-sr",
                           str(exported[2] / "sr.dcm")], capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=300)
    assert text.returncode == 0, text.stderr
    assert "Audit trail compared with the DICOM SR" in text.stdout and "Differs from the SR of" in text.stdout
    assert "DIFFERS: the sign-off approved by B. Oncologist" in text.stdout


@pytest.mark.parametrize("extra, message", [
    ([], "--compare-sr needs PATH"),
    (["--host", "127.0.0.1"], "needs --port, --called-aet too"),
    (["PACS-FOLDER", "--host", "127.0.0.1"], "give either PATH or the PACS options"),
])
def test_compare_sr_options_missing_or_mixed_are_one_line_exit_2(tmp_path, exported, extra, message, capsys):
    from core.cli import build_parser, run

    extra = [str(exported[2]) if e == "PACS-FOLDER" else e for e in extra]
    args = build_parser().parse_args(["check", str(altered(tmp_path, exported)), "--compare-sr", *extra])
    assert run(args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err

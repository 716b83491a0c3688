"""Structure sets recorded in the case file: saved, found again (also after a move), and
used by `oligoplan check` for the organ-at-risk flags and by `export --include-oars`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import generate_uid

from core.case import Case, StructureSetRef, load_case, save_case
from core.errors import CaseFileError, StructureSetError
from core.rt.case_structures import case_structure_sets, locate_structure_set
from core.samples import SAMPLE_ROOT
from tests.phantom_cases import ELIGIBLE_FACTS, phantom_case, workspace

PHANTOM = SAMPLE_ROOT / "phantom-oligo"
needs_phantom = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")


def only_rois(names, out: Path) -> tuple[Path, str]:
    """A copy of the phantom's RTSTRUCT with only the ROIs ``names`` and a new SOP Instance UID."""
    src = next((PHANTOM / "RTSTRUCT").glob("*.dcm"))
    ds = pydicom.dcmread(src)
    keep = {int(r.ROINumber) for r in ds.StructureSetROISequence if r.ROIName in names}
    ds.StructureSetROISequence = [r for r in ds.StructureSetROISequence if int(r.ROINumber) in keep]
    ds.ROIContourSequence = [r for r in ds.ROIContourSequence if int(r.ReferencedROINumber) in keep]
    ds.RTROIObservationsSequence = [r for r in ds.RTROIObservationsSequence if int(r.ReferencedROINumber) in keep]
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.StructureSetLabel = "+".join(names)[:16]
    out.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(out)
    return out, str(ds.SOPInstanceUID)


# ------------------------------------------------------------ case file
def test_recorded_structure_sets_round_trip_relative_to_the_case(tmp_path):
    rt = tmp_path / "plans" / "rs.dcm"
    case_path = tmp_path / "cases" / "a.json"
    case = Case()
    case.structure_sets = [StructureSetRef(str(rt), "1.2.3", "PLAN", (3, 1))]
    save_case(case, case_path)
    doc = json.loads(case_path.read_text())
    assert doc["structure_sets"] == [{"path": "../plans/rs.dcm", "sop_uid": "1.2.3", "label": "PLAN",
                                      "hidden_rois": [3, 1]}]
    again = load_case(case_path)
    (ref,) = again.structure_sets
    assert Path(ref.path) == rt.resolve() and ref.hidden_rois == (3, 1) and ref.label == "PLAN"
    # save as in another folder: the reference still points at the same file
    save_case(again, tmp_path / "elsewhere" / "deep" / "b.json")
    doc = json.loads((tmp_path / "elsewhere" / "deep" / "b.json").read_text())
    assert doc["structure_sets"][0]["path"] == "../../plans/rs.dcm"


def test_old_case_files_without_the_field_load_and_a_bad_field_is_named(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"schema": "oligoplan.case", "schema_version": 1, "images": [], "lesions": []}))
    assert load_case(path).structure_sets == []
    path.write_text(json.dumps({"schema": "oligoplan.case", "schema_version": 2, "images": [], "lesions": [],
                                "structure_sets": [{"label": "no path"}]}))
    with pytest.raises(CaseFileError, match=r"structure_sets\[0\]: missing field 'path'"):
        load_case(path)


# ------------------------------------------------------------ finding the file
@needs_phantom
def test_a_moved_structure_set_is_found_by_its_sop_uid_and_a_lost_one_is_named(tmp_path):
    images = tmp_path / "images"
    shutil.copytree(PHANTOM / "CT", images / "CT")
    rt, uid = only_rois(["SPINALCORD"], tmp_path / "plans" / "cord.dcm")
    ref = StructureSetRef(str(rt), uid, "SPINALCORD")
    assert locate_structure_set(ref, tmp_path).path == rt and not locate_structure_set(ref, tmp_path).note
    moved = images / "RT" / "renamed.dcm"
    moved.parent.mkdir()
    shutil.move(rt, moved)
    found = locate_structure_set(ref, tmp_path, search_folders=[images])
    assert found.path == moved and "found by its SOP Instance UID" in found.note
    # a file at the recorded path that holds another structure set is not taken
    only_rois(["HEART"], rt)
    assert locate_structure_set(ref, tmp_path, search_folders=[images]).path == moved
    moved.unlink()
    with pytest.raises(StructureSetError, match=r"'SPINALCORD' recorded in the case is not found.*Import it again"):
        locate_structure_set(ref, tmp_path, search_folders=[images])


# ------------------------------------------------------------ check and export
def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "gui.entry", *map(str, args)], capture_output=True, text=True)


@needs_phantom
def test_check_uses_the_recorded_structure_sets_for_oar_flags(tmp_path):
    case_path = phantom_case("phantom-oligo", tmp_path, ELIGIBLE_FACTS)
    # nothing recorded: the structure set with the images (L4 is within 20 mm of the bronchus)
    before = json.loads(run_cli("check", case_path, "--json", "--date", "2024-03-20").stdout)
    assert {e["lesion"]: e for e in before["oar_flags"]}["L4"]["flags"] == ["central_lung"]
    # the case records a structure set of the cord alone: the bronchus is no longer known
    rt, uid = only_rois(["SPINALCORD"], tmp_path / "plans" / "cord.dcm")
    case = load_case(case_path)
    case.structure_sets = [StructureSetRef(str(rt), uid, "SPINALCORD")]
    save_case(case, case_path)
    proc = run_cli("check", case_path, "--json", "--date", "2024-03-20")
    assert proc.returncode == 0, proc.stderr
    after = json.loads(proc.stdout)
    l4 = {e["lesion"]: e for e in after["oar_flags"]}["L4"]
    assert set(l4["distances_mm"]) == {"SPINALCORD"}
    assert next(d for d in l4["details"] if d["flag"] == "central_lung")["status"] == "unknown"
    # the recorded file is gone: check says which and why, the lesions still count
    rt.unlink()
    proc = run_cli("check", case_path, "--json", "--date", "2024-03-20")
    gone = json.loads(proc.stdout)
    assert proc.returncode == 0 and gone["counts"]["total"] == 5
    assert any("'SPINALCORD' recorded in the case is not found" in w for w in gone["warnings"])


@needs_phantom
def test_include_oars_exports_the_recorded_organs_the_user_left_visible(tmp_path):
    ws = workspace("phantom-oligo")
    case_path = phantom_case("phantom-oligo", tmp_path)
    rt, uid = only_rois(["SPINALCORD", "HEART", "LIVER"], tmp_path / "plans" / "three.dcm")
    numbers = {r.ROIName: int(r.ROINumber) for r in pydicom.dcmread(rt).StructureSetROISequence}
    case = load_case(case_path)
    case.structure_sets = [StructureSetRef(str(rt), uid, "three", (numbers["HEART"],))]
    save_case(case, case_path)
    found = case_structure_sets(load_case(case_path), ws.scan, ws.primary)
    assert found.recorded and [p.sop_uid for p in found.placed] == [uid]
    proc = run_cli("export", case_path, "--out", tmp_path / "out", "--rtstruct", "--include-oars")
    assert proc.returncode == 0, proc.stderr
    names = [r.ROIName for r in pydicom.dcmread(tmp_path / "out" / "rtstruct.dcm").StructureSetROISequence]
    assert "SPINALCORD" in names and "LIVER" in names
    assert "HEART" not in names and "LUNG_L" not in names  # hidden; not recorded


# ------------------------------------------------------------ the gui's background read
@needs_phantom
def test_recorded_sets_read_with_progress_skip_those_shown_and_stop_on_cancel(tmp_path):
    from core.errors import Cancelled
    from core.rt.case_structures import read_recorded_structure_sets

    ws = workspace("phantom-oligo")
    cord, cord_uid = only_rois(["SPINALCORD"], tmp_path / "plans" / "cord.dcm")
    heart, heart_uid = only_rois(["HEART"], tmp_path / "plans" / "heart.dcm")
    own = ws.scan.structure_sets[0]  # the phantom's structure set, in the image folder
    case = Case(images=ws.image_refs(), path=tmp_path / "case.json")
    case.structure_sets = [StructureSetRef(str(cord), cord_uid, "cord", (1,)),
                           StructureSetRef(str(heart), heart_uid, "heart"),
                           StructureSetRef(str(Path(own.path)), own.sop_uid, "own")]
    seen = []
    found = read_recorded_structure_sets(case, ws.scan, ws.primary, skip={heart_uid}, locate_only={own.sop_uid},
                                         progress=lambda d, t, m: seen.append((d, t, m)))
    # the heart is shown already and the folder import places the phantom's own set: only the cord is read
    assert [ss.sop_uid for ss in found.placed] == [cord_uid] and not found.refused
    assert found.hidden == {(cord_uid, 1)}
    assert seen[0] == (0, 3, "Reading structure set 'cord'") and seen[-1][:2] == (3, 3)
    # a structure set of the folder whose recorded path is gone is located (for the note), not read
    case.structure_sets[2] = StructureSetRef(str(tmp_path / "gone.dcm"), own.sop_uid, "own")
    found = read_recorded_structure_sets(case, ws.scan, ws.primary, skip={cord_uid, heart_uid},
                                         locate_only={own.sop_uid})
    assert not found.placed and len(found.notes) == 1 and "found by its SOP Instance UID" in found.notes[0]
    # a lost one is refused with the reason, the others still come
    cord.unlink()
    found = read_recorded_structure_sets(case, ws.scan, ws.primary, locate_only={own.sop_uid})
    assert [ss.sop_uid for ss in found.placed] == [heart_uid]
    assert len(found.refused) == 1 and "'cord' recorded in the case is not found" in found.refused[0][1]
    with pytest.raises(Cancelled, match="cancelled"):
        read_recorded_structure_sets(case, ws.scan, ws.primary, cancel=lambda: True)

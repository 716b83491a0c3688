"""The exported SEG read by a second, independent reader (issue 18, interoperability).

The reader here uses neither highdicom nor core.rt.seg_read: it follows the standard with
pydicom and numpy only. Segments from the Segment Sequence (0062,0002); each frame's segment
from its Segment Identification Sequence (0062,000A) and its place from the Plane Position
Sequence (0020,9113) (per frame, or shared by every frame); the binary frames' 1-bit pixels
unpacked as PS3.5 8.1.1 packs them: one continuous bit stream over all frames, the first pixel in
the lowest bit of each byte, so a frame need not start on a byte boundary.
The segments, the frames' positions and every voxel must be the case's lesions.
"""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from core.case import load_case
from core.samples import SAMPLE_ROOT
from tests.phantom_cases import phantom_case, workspace

PHANTOM = SAMPLE_ROOT / "phantom-oligo"

pytestmark = pytest.mark.skipif(not PHANTOM.is_dir(), reason="sample_scans/phantom-oligo not generated")


def unpack_frames(ds) -> np.ndarray:
    """(frames, rows, columns) of the pixel data as the standard lays it out."""
    rows, columns, n = int(ds.Rows), int(ds.Columns), int(getattr(ds, "NumberOfFrames", 1))
    syntax = ds.file_meta.TransferSyntaxUID
    if syntax not in (ExplicitVRLittleEndian, ImplicitVRLittleEndian):  # encapsulated: pydicom decodes
        from pydicom.pixels import pixel_array

        return pixel_array(ds).reshape(n, rows, columns)
    raw = np.frombuffer(ds.PixelData, dtype=np.uint8)
    if int(ds.BitsAllocated) == 1:
        bits = np.unpackbits(raw, bitorder="little")[: n * rows * columns]
        return bits.reshape(n, rows, columns).astype(bool)
    assert int(ds.BitsAllocated) == 8
    return raw[: n * rows * columns].reshape(n, rows, columns)


def functional(ds, frame: int, sequence: str):
    """One frame's item of a functional group macro: its own, else the shared one."""
    group = ds.PerFrameFunctionalGroupsSequence[frame]
    if sequence in group:
        return group[sequence].value[0]
    return ds.SharedFunctionalGroupsSequence[0][sequence].value[0]


def read_seg(path) -> dict:
    """{segment label: {"number", "frames": [(position mm, pixels)]}}."""
    ds = pydicom.dcmread(path)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.66.4" and ds.Modality == "SEG"
    frames = unpack_frames(ds)
    by_number = {int(s.SegmentNumber): {"label": str(s.SegmentLabel), "frames": []} for s in ds.SegmentSequence}
    for f in range(frames.shape[0]):
        number = int(functional(ds, f, "SegmentIdentificationSequence").ReferencedSegmentNumber)
        position = tuple(float(v) for v in functional(ds, f, "PlanePositionSequence").ImagePositionPatient)
        by_number[number]["frames"].append((position, frames[f]))
    orientation = [float(v) for v in ds.SharedFunctionalGroupsSequence[0].PlaneOrientationSequence[0]
                   .ImageOrientationPatient]
    spacing = [float(v) for v in ds.SharedFunctionalGroupsSequence[0].PixelMeasuresSequence[0].PixelSpacing]
    return {"segments": {s["label"]: {"number": n, "frames": s["frames"]} for n, s in by_number.items()},
            "orientation": orientation, "spacing": spacing, "type": str(ds.SegmentationType),
            "shape": (int(ds.Rows), int(ds.Columns))}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from core.rt.seg import case_seg

    folder = tmp_path_factory.mktemp("seg-second-reader")
    case = load_case(phantom_case("phantom-oligo", folder))
    ws = workspace("phantom-oligo")
    seg = case_seg(case, ws)
    seg.dataset.save_as(folder / "seg.dcm")
    return case, ws.primary, folder / "seg.dcm"


def test_the_seg_read_without_highdicom_holds_each_lesion_voxel_for_voxel(exported):
    case, ct, path = exported
    read = read_seg(path)
    lesions = [lesion for lesion in case.lesions if lesion.mask is not None]
    assert len(lesions) == 5 and read["type"] == "BINARY"
    assert sorted(read["segments"]) == sorted(lesion.label for lesion in lesions)
    assert read["shape"] == ct.shape[1:]
    assert read["orientation"] == pytest.approx(list(ct.row_dir) + list(ct.col_dir), abs=1e-5)
    assert read["spacing"] == pytest.approx(list(ct.pixel_spacing_mm), abs=1e-5)
    positions = np.asarray(ct.positions_mm, dtype=float)
    for lesion in lesions:
        segment = read["segments"][lesion.label]
        truth = lesion.mask.full()
        rebuilt = np.zeros(ct.shape, dtype=bool)
        for position, pixels in segment["frames"]:
            distance = np.linalg.norm(positions - np.asarray(position), axis=1)
            z = int(np.argmin(distance))
            assert distance[z] < 1e-3, f"{lesion.label}: a frame at {position} is on no CT slice"
            assert not rebuilt[z].any(), f"{lesion.label}: two frames on slice {z}"
            rebuilt[z] = pixels
        # the frames are the lesion's slices (empty frames left out), at the CT's positions
        assert sorted(int(np.argmin(np.linalg.norm(positions - np.asarray(p), axis=1))) for p, _ in segment["frames"]) \
            == sorted(np.flatnonzero(truth.any(axis=(1, 2))).tolist())
        assert int(rebuilt.sum()) == lesion.mask.n_voxels > 0
        assert np.array_equal(rebuilt, truth), lesion.label


def test_frames_that_do_not_start_on_a_byte_are_unpacked_where_the_standard_puts_them():
    """The reader itself, on a hand-packed SEG: 3 frames of 3 x 5 pixels (15 bits each)."""
    from pydicom.dataset import Dataset, FileMetaDataset

    frames = np.zeros((3, 3, 5), dtype=bool)
    frames[0, 0, 0] = frames[1, 1, 2] = frames[2, 2, 4] = frames[2, 0, 1] = True
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.Rows, ds.Columns, ds.NumberOfFrames, ds.BitsAllocated = 3, 5, 3, 1
    ds.PixelData = np.packbits(frames.ravel(), bitorder="little").tobytes()
    assert len(ds.PixelData) == 6  # 45 bits: frame 2 starts at bit 15, inside the second byte
    assert np.array_equal(unpack_frames(ds), frames)

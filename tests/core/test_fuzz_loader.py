"""Fuzz: mutated real DICOM files never crash or hang the loader.

Real files (pydicom's test files, a real CT slice when ../shared/data is there,
and a synthetic enhanced CT and PET) are mutated in memory, by element
(wrong VR, absurd Rows/Columns, broken Number of Frames, missing or short
Pixel Data, garbage in positions, rescale and SUV tags) and by byte
(truncation, flips, huge declared lengths, wrong VR codes), written to a
temporary folder, optionally beside an intact slice of the same series, and
scanned and loaded. The only exceptions allowed out are
:class:`core.errors.OligoPlanError` subclasses; every case must finish
within a timeout.

``OLIGOPLAN_FUZZ_EXAMPLES`` raises the number of cases for a longer hunt.
"""

from __future__ import annotations

import copy
import io
import os
import struct
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.data import get_testdata_file
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.tag import BaseTag, Tag

from core.dicom import load_series, scan_folder
from core.errors import OligoPlanError
from tests.core import dicom_factory as factory

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
REAL_CT_SLICE = DATA / "tcia-crlm-ct-1004" / "image" / "1-20.dcm"

EXAMPLES = int(os.environ.get("OLIGOPLAN_FUZZ_EXAMPLES", "6000"))
CASE_TIMEOUT_S = 20.0

LONG_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT", "SV", "UV"}
VRS = ["US", "UL", "SS", "SL", "DS", "IS", "UI", "CS", "LO", "SH", "OB", "OW", "SQ", "UN", "FD", "FL",
       "AT", "TM", "DA"]
INTERESTING_KEYWORDS = {
    "Rows", "Columns", "NumberOfFrames", "BitsAllocated", "BitsStored", "HighBit",
    "PixelRepresentation", "SamplesPerPixel", "ImagePositionPatient", "ImageOrientationPatient",
    "PixelSpacing", "RescaleSlope", "RescaleIntercept", "SliceThickness", "SOPClassUID",
    "Modality", "SeriesInstanceUID", "FrameOfReferenceUID", "PixelData", "PatientWeight", "Units",
    "DecayCorrection", "SeriesTime", "AcquisitionTime", "RadionuclideTotalDose",
    "RadionuclideHalfLife", "RadiopharmaceuticalStartTime", "PerFrameFunctionalGroupsSequence",
    "SharedFunctionalGroupsSequence", "PlanePositionSequence", "PixelValueTransformationSequence",
    "ROINumber", "ReferencedROINumber", "StructureSetROISequence", "ROIContourSequence",
    "PhotometricInterpretation", "InstanceNumber",
}
NASTY_VALUES = [
    b"", b"0", b"-1", b"1A", b"abc", b"nan", b"inf", b"-inf", b"1e400", b"-1e308", b"1e-320",
    b"99999999999999999999", b"4294967296", b"0\\0\\0", b"nan\\nan\\nan", b"1\\2",
    b"1\\0\\0\\1\\0\\0", b"0\\0\\0\\0\\0\\0", b"1\\0\\0\\0\\1", b"\x00\x00", b"\xff\xff",
    b"\x00\x40", b"\x01\x40", b"\xff\xff\xff\xff", b"\x00", b"\xff" * 7, b"1.2.3\x00",
    b"1.2.840.10008.5.1.4.1.1.481.3", b"1.2.840.10008.5.1.4.1.1.2.1", b"PT", b"RTSTRUCT",
    b"GML ", b"NONE", b"ADMIN ", b"999999", b"1.5", b"-0", b" 7 ", b"MONOCHROME1",
]


@dataclass(frozen=True)
class Seed:
    name: str
    data: bytes  # the file as written
    dataset: Dataset | None  # for element mutations (None: byte mutations only)
    sibling: bytes | None  # an intact slice of the same series, 5 mm along the normal
    paths: tuple  # element paths: (keyword or tag, item index, keyword or tag, ...)
    interesting: tuple
    top_elements: tuple  # (value offset, length field size, VR field offset or -1, little endian)


def _element_paths(ds: Dataset, prefix=()) -> list[tuple]:
    paths = []
    for tag in ds.keys():
        path = prefix + (Tag(tag),)
        paths.append(path)
        element = ds.get_item(tag)
        if element.VR == "SQ" or (element.VR is None and isinstance(ds[tag].value, pydicom.Sequence)):
            for index, item in enumerate(ds[tag].value[:3]):
                paths.extend(_element_paths(item, path + (index,)))
    return paths


def _top_elements(data: bytes) -> tuple:
    ds = pydicom.dcmread(io.BytesIO(data), force=True)
    little = ds.original_encoding[1]
    out = []
    for tag in ds.keys():
        raw = ds.get_item(tag)
        tell = getattr(raw, "value_tell", None)
        if tell is None or not isinstance(raw, RawDataElement):
            continue
        if raw.is_implicit_VR:
            out.append((tell, 4, -1, little))
        elif raw.VR in LONG_VRS:
            out.append((tell, 4, tell - 8, little))
        else:
            out.append((tell, 2, tell - 4, little))
    return tuple(out)


def _move(ds: Dataset, mm: float) -> Dataset:
    moved = copy.deepcopy(ds)
    if "ImagePositionPatient" in moved:
        position = [float(v) for v in moved.ImagePositionPatient]
        row, col = np.array(moved.ImageOrientationPatient[:3], float), np.array(moved.ImageOrientationPatient[3:], float)
        moved.ImagePositionPatient = [round(v, 4) for v in np.array(position) + mm * np.cross(row, col)]
        moved.SOPInstanceUID = pydicom.uid.generate_uid()
    return moved


def _seed(name: str, ds_or_bytes, sibling: bool = True) -> Seed:
    if isinstance(ds_or_bytes, bytes):
        data, ds = ds_or_bytes, None
    else:
        data = _write(ds_or_bytes)
        ds = pydicom.dcmread(io.BytesIO(data))  # as read from a file: raw elements, known encoding
    paths = tuple(_element_paths(ds)) if ds is not None else ()
    interesting = tuple(
        p for p in paths
        if any(isinstance(part, BaseTag) and pydicom.datadict.keyword_for_tag(part) in INTERESTING_KEYWORDS
               for part in p[-1:])
    )
    sib = _write(_move(ds, 5.0)) if ds is not None and sibling and "ImagePositionPatient" in ds else None
    return Seed(name, data, ds, sib, paths, interesting, _top_elements(data))


def _write(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def _read(name: str) -> Dataset:
    ds = pydicom.dcmread(get_testdata_file(name), force=True)
    if "TransferSyntaxUID" not in ds.file_meta:  # headerless (rtstruct.dcm): give it one
        implicit, little = ds.original_encoding
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = (
            pydicom.uid.ImplicitVRLittleEndian if implicit else pydicom.uid.ExplicitVRLittleEndian
        )
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    return ds


def _synthetic_pet() -> Dataset:
    stored = (np.arange(16 * 16).reshape(16, 16) * 3).astype(np.int16)
    ds = factory.slice_dataset(stored, (-20.0, -30.0, 40.0), modality="PT", slope=0.75, intercept=0,
                               slice_thickness=3.0)
    return factory.add_pet_tags(ds, weight_kg=70.0, dose_bq=3.5e8, half_life_s=6586.2,
                                injection_time="101500", series_time="112000",
                                acquisition_time="112000")


def _synthetic_enhanced() -> Dataset:
    stored = (np.arange(3 * 12 * 12).reshape(3, 12, 12) - 200).astype(np.int16)
    return factory.enhanced_ct(stored, factory.axial_positions(3, 2.0)[[2, 0, 1]],
                               slopes=[1, 0.5, 2], intercepts=[-1024, 0, -1000])


def _build_seeds() -> list[Seed]:
    seeds = [
        _seed("CT_small", _read("CT_small.dcm")),
        _seed("MR_small_implicit", _read("MR_small_implicit.dcm")),
        _seed("MR_small_bigendian", _read("MR_small_bigendian.dcm")),
        _seed("MR_small_RLE", _read("MR_small_RLE.dcm")),
        _seed("MR_small_jpeg_ls", _read("MR_small_jpeg_ls_lossless.dcm")),
        _seed("MR_small_jp2k", _read("MR_small_jp2klossless.dcm")),
        _seed("rtstruct", _read("rtstruct.dcm"), sibling=False),
        _seed("PET", _synthetic_pet()),
        _seed("enhanced_CT", _synthetic_enhanced(), sibling=False),
        _seed("no_meta", Path(get_testdata_file("no_meta.dcm")).read_bytes()),
    ]
    if REAL_CT_SLICE.is_file():
        seeds.append(_seed("real_CT", pydicom.dcmread(REAL_CT_SLICE)))
    return seeds


SEEDS = _build_seeds()


# ------------------------------------------------------------- mutations
def _set_path(ds: Dataset, path: tuple, element) -> None:
    """Replace (element is a RawDataElement) or delete (None) the element at ``path``."""
    target = ds
    for part in path[:-1]:
        target = target[part].value if isinstance(part, BaseTag) else target[part]
    if element is None:
        if path[-1] in target:
            del target[path[-1]]
    else:
        target[path[-1]] = element


@st.composite
def element_mutation(draw, seed: Seed):
    path = draw(st.sampled_from(seed.interesting) if seed.interesting and draw(st.booleans())
                else st.sampled_from(seed.paths))
    kind = draw(st.sampled_from(["delete", "value", "value", "number", "vr"]))
    if kind == "delete":
        return path, None
    tag = path[-1]
    if kind == "number":
        width, fmt = draw(st.sampled_from([(2, "<H"), (2, "<h"), (4, "<I"), (4, "<i"), (8, "<d")]))
        if fmt == "<d":
            value = struct.pack(fmt, draw(st.floats(allow_nan=True, allow_infinity=True)))
        else:
            bound = 2 ** (8 * width - (1 if "h" in fmt or "i" in fmt else 0))
            low = -bound if fmt in ("<h", "<i") else 0
            value = struct.pack(fmt, draw(st.integers(low, bound - 1)))
        vr = {"<H": "US", "<h": "SS", "<I": "UL", "<i": "SL", "<d": "FD"}[fmt]
        if draw(st.booleans()):  # as text, the way IS/DS carry numbers
            value, vr = str(struct.unpack(fmt, value)[0]).encode()[:16], draw(st.sampled_from(["IS", "DS"]))
    else:
        value = draw(st.sampled_from(NASTY_VALUES) | st.binary(max_size=24))
        vr = draw(st.sampled_from(VRS))
    if kind == "value":
        original = seed.dataset
        try:
            element = original
            for part in path:
                element = element[part] if isinstance(part, BaseTag) else element.value[part]
            vr = element.VR if element.VR in VRS else vr
        except (KeyError, IndexError, TypeError, AttributeError, ValueError):
            pass
    if vr == "SQ":
        vr = "UN"  # raw bytes cannot be written as a sequence; UN keeps them opaque
    implicit, little = seed.dataset.original_encoding
    return path, RawDataElement(tag, vr, len(value), value, 0, implicit, little)


@st.composite
def byte_mutation(draw, data: bytes, top_elements: tuple):
    data = bytearray(data)
    if top_elements and draw(st.booleans()):
        tell, size, vr_at, little = draw(st.sampled_from(top_elements))
        what = draw(st.sampled_from(["length", "length", "vr"]))
        if what == "length" or vr_at < 0:
            big = draw(st.sampled_from([0xFFFF, 0xFFFE, 0x7FFF, 0xFFFFFFFF, 0xFFFFFFF0, 0x7FFFFFFF,
                                        len(data) * 4, 1]) | st.integers(0, 2 ** (8 * size) - 1))
            big &= (1 << (8 * size)) - 1
            fmt = ("<" if little else ">") + ("H" if size == 2 else "I")
            data[tell - size:tell] = struct.pack(fmt, big)
        else:
            data[vr_at:vr_at + 2] = draw(st.sampled_from([v.encode() for v in VRS] + [b"XX", b"\x00\x00"]))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    if draw(st.integers(0, 3)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@st.composite
def mutated_case(draw):
    seed = draw(st.sampled_from(SEEDS))
    if seed.dataset is not None and draw(st.integers(0, 2)) > 0:
        ds = copy.deepcopy(seed.dataset)
        for _ in range(draw(st.integers(1, 3))):
            path, element = draw(element_mutation(seed))
            try:
                _set_path(ds, path, element)
            except Exception:  # noqa: BLE001 - pydicom refused the mutation (or its parent is gone)
                pass
        try:
            data = _write(ds)
        except Exception:  # noqa: BLE001 - pydicom refused to write this mutant: mutate bytes instead
            data = seed.data
        if draw(st.booleans()):
            data = draw(byte_mutation(data, ()))
    else:
        data = draw(byte_mutation(seed.data, seed.top_elements))
    with_sibling = seed.sibling is not None and draw(st.booleans())
    return seed.name, data, seed.sibling if with_sibling else None


# ------------------------------------------------------------------- run
def _scan_and_load(folder: Path) -> None:
    result = scan_folder(folder)
    for entry in result.series:
        try:
            load_series(entry)
        except OligoPlanError:
            pass
    for skipped in result.skipped:
        assert skipped.reason.strip(), f"{skipped.path} skipped without a reason"


def _run_with_timeout(folder: Path) -> str | None:
    """None when fine, else a description of the escape or hang."""
    outcome: list[str] = []

    def target():
        try:
            _scan_and_load(folder)
        except OligoPlanError:
            pass
        except BaseException:  # noqa: BLE001 - that is what the fuzz looks for
            outcome.append(traceback.format_exc())

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(CASE_TIMEOUT_S)
    if worker.is_alive():
        return f"hang: still running after {CASE_TIMEOUT_S} s"
    return outcome[0] if outcome else None


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def test_seeds_are_sound(fuzz_dir):
    """Unmutated, every seed scans; image seeds load, so mutations start from good files."""
    for seed in SEEDS:
        folder = fuzz_dir / f"seed-{seed.name}"
        folder.mkdir()
        (folder / "a.dcm").write_bytes(seed.data)
        if seed.sibling:
            (folder / "b.dcm").write_bytes(seed.sibling)
        result = scan_folder(folder)
        if seed.name == "rtstruct":
            assert len(result.structure_sets) == 1
            continue
        (entry,) = result.series
        assert entry.n_slices == (2 if seed.sibling else (3 if seed.name == "enhanced_CT" else 1))
        load_series(entry)


@pytest.mark.filterwarnings("ignore")
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(case=mutated_case())
def test_mutated_files_raise_only_domain_errors_and_never_hang(fuzz_dir, case):
    name, data, sibling = case
    folder = fuzz_dir / "case"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    (folder / "mutant.dcm").write_bytes(data)
    if sibling is not None:
        (folder / "sibling.dcm").write_bytes(sibling)
    problem = _run_with_timeout(folder)
    assert problem is None, f"seed {name}: {problem}"

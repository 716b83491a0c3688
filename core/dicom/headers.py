"""Read one DICOM file's header once, into plain records the loader can group.

Each file is parsed once, with its pixel data deferred: the header pass keeps
the byte offset of (7FE0,0010) Pixel Data so that the pixel pass reads raw
bytes straight into the volume without parsing the file again (see
:mod:`core.dicom.series`). A multi-frame (enhanced) image gives one
:class:`SliceRecord` per frame, built from its per-frame functional groups.
"""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.datadict import keyword_for_tag
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import BytesLengthException, InvalidDicomError
from pydicom.tag import Tag

from core.dicom.fast_header import read_header_fast
from core.dicom.slice_records import (
    DEFER_BYTES,
    SLICE_TAGS,
    PixelFormat,
    SliceRecord,
    check_pixel_format,
    check_plane,
    check_position,
    parse_floats,
    parse_int,
    parse_rescale,
    raw_text,
    single_slice,
)
from core.errors import BrokenDicomError, DicomError, NotDicomError, UnsupportedDicomError

PIXEL_DATA = Tag(0x7FE0, 0x0010)

#: Transfer syntaxes whose pixel data OligoPlan reads directly from the file.
NATIVE_LITTLE_ENDIAN = {
    pydicom.uid.ImplicitVRLittleEndian,
    pydicom.uid.ExplicitVRLittleEndian,
}

RTSTRUCT_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"
SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
LABELMAP_SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.7"
#: DICOM Segmentations (binary, fractional; label map): listed beside structure sets, never images
SEG_SOP_CLASSES = frozenset({SEG_SOP_CLASS, LABELMAP_SEG_SOP_CLASS})


class FileHeader:
    """What one file contributes: image slices, or a non-image object.

    ``dataset`` is the header as pydicom reads it (pixel data deferred). The
    fast reader (:mod:`core.dicom.fast_header`) does not build it: it is then
    parsed on first use, which the loader needs once per series.
    """

    __slots__ = ("path", "slices", "sop_class_uid", "_dataset")

    def __init__(self, path: str, slices: list[SliceRecord], sop_class_uid: str,
                 dataset: Dataset | None = None) -> None:
        self.path = path
        self.slices = slices
        self.sop_class_uid = sop_class_uid  # (0008,0016), "" when absent or unreadable
        self._dataset = dataset

    @property
    def dataset(self) -> Dataset:
        if self._dataset is None:
            self._dataset = _parse(self.path)
        return self._dataset

    def __repr__(self) -> str:
        return f"FileHeader({self.path!r}, {len(self.slices)} slice(s), {self.sop_class_uid!r})"


def read_header(path: str | os.PathLike, fast: bool = True) -> FileHeader:
    """Parse one file's header (pixel data deferred).

    With ``fast`` (the default) a plain uncompressed single-frame image is
    read by :func:`core.dicom.fast_header.read_header_fast`, which gives the
    same slices without pydicom; every other file is parsed by pydicom.

    Raises
    ------
    NotDicomError
        The file is not DICOM (no preamble and no plausible DICOM start).
    BrokenDicomError
        The file is DICOM but truncated or malformed.
    """
    path = str(path)
    if fast:
        fast = read_header_fast(path)
        if fast is not None:
            return FileHeader(path=path, slices=[fast.slice], sop_class_uid=fast.sop_class_uid)
    ds = _parse(path)
    slices: list[SliceRecord] = []
    # a DICOM Segmentation has pixel data but is no image series: listed beside structure sets
    if PIXEL_DATA in ds and "SOPClassUID" in ds and str(safe_get(ds, "SOPClassUID", "")) not in SEG_SOP_CLASSES:
        try:
            slices = image_slices(path, ds)
        except DicomError:
            raise
        except Exception as exc:  # noqa: BLE001 - pydicom raises many types on malformed values
            raise BrokenDicomError(
                f"{Path(path).name}: malformed image header ({type(exc).__name__}: {_short(exc)})"
            ) from exc
    return FileHeader(path=path, slices=slices, sop_class_uid=str(safe_get(ds, "SOPClassUID", "") or ""),
                      dataset=ds)


def safe_get(ds: Dataset, keyword: str, default=None):
    """``ds.get(keyword, default)``, or ``default`` when pydicom cannot convert the
    stored value (wrong VR, odd length, undecodable text): a damaged optional
    attribute reads as absent, and whoever needs it reports it as missing."""
    try:
        return ds.get(keyword, default)
    except Exception:  # noqa: BLE001 - pydicom raises many types on malformed values
        return default


def cut_short_reason(path: str, ds: Dataset) -> str | None:
    """Why ``ds`` is only part of its file, or None when nothing shows it was cut short.

    pydicom stops quietly at the end of a truncated file and keeps a short
    value for the element it was reading, so a file cut inside its header reads
    as a dataset without Pixel Data, and a structure set cut inside its contours
    as one with fewer contours. An element whose recorded length runs past the
    end of the file shows the cut (only elements pydicom left raw are checked:
    the others were read in full).
    """
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if syntax == pydicom.uid.DeflatedExplicitVRLittleEndian:
        return None  # tells count in the inflated data, not in the file
    try:
        size = os.path.getsize(path)
        if getattr(ds, "preamble", None) is None:  # headerless: tells count from its first element
            with open(path, "rb") as fh:
                size -= _headerless_start(fh.read(8)) or 0
    except OSError as exc:
        return f"{Path(path).name}: cannot read file ({_short(exc)})"
    meta_length = safe_get(getattr(ds, "file_meta", None) or Dataset(), "FileMetaInformationGroupLength")
    if len(ds) == 0 and getattr(ds, "preamble", None) is not None and isinstance(meta_length, int) \
            and size > 144 + meta_length:
        # what pydicom gives for a file cut inside its compressed pixel data: nothing at all
        return (
            f"{Path(path).name}: the file was cut short or is damaged: nothing after its File Meta "
            f"header could be read ({size - 144 - meta_length} bytes); copy it again from the source"
        )
    for tag in ds.keys():
        element = ds.get_item(tag, keep_deferred=True)
        tell, length = getattr(element, "value_tell", None), getattr(element, "length", None)
        if not isinstance(element, RawDataElement) or tell is None or length in (None, 0xFFFFFFFF):
            continue
        if tell + length > size:
            keyword = keyword_for_tag(tag) or "private element"
            return (
                f"{Path(path).name}: the file was cut short: it ends at byte {size}, inside "
                f"{Tag(tag)} {keyword}, which needs {tell + length - size} more bytes "
                "(copy it again from the source)"
            )
    return None


def read_dataset(path: str | os.PathLike) -> Dataset:
    """The whole dataset of a file, pixel data included, read as the header pass reads it.

    Files without a File Meta Information header are accepted as in
    :func:`read_header`, and their transfer syntax (guessed from the first
    element) is filled in so that pydicom can decode their pixel data.
    """
    return _parse(str(path), defer_size=None)


def _parse(path: str, defer_size: int | None = DEFER_BYTES) -> Dataset:
    try:
        ds = pydicom.dcmread(path, defer_size=defer_size)
        _fill_transfer_syntax(ds)  # files that start with a group 0008 element directly
        return ds
    except InvalidDicomError:
        pass
    except (EOFError, ValueError, KeyError, TypeError, OverflowError, NotImplementedError,
            AttributeError, IndexError, MemoryError, UnicodeError, struct.error,
            BytesLengthException) as exc:
        raise BrokenDicomError(f"{Path(path).name}: unreadable DICOM header ({_short(exc)})") from exc
    except OSError as exc:
        raise BrokenDicomError(f"{Path(path).name}: cannot read file ({_short(exc)})") from exc
    # No 128-byte preamble + "DICM": accept it only when it clearly is DICOM,
    # i.e. it starts with a group 0002 or 0008 element.
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise BrokenDicomError(f"{Path(path).name}: cannot read file ({_short(exc)})") from exc
    start = _headerless_start(head)
    if start is None:
        if not head:
            raise NotDicomError(f"{Path(path).name}: not a DICOM file (empty, 0 bytes); copy it again "
                                "from the source")
        raise NotDicomError(f"{Path(path).name}: not a DICOM file")
    try:
        if start == 0:
            ds = pydicom.dcmread(path, defer_size=defer_size, force=True)
        else:  # pydicom rewinds to offset 0 when forced: hand it the bytes after the pad
            with open(path, "rb") as fh:
                fh.seek(start)
                ds = pydicom.dcmread(io.BytesIO(fh.read()), force=True)
        if "SOPClassUID" not in ds and "SOPInstanceUID" not in ds:
            raise NotDicomError(f"{Path(path).name}: not a DICOM file (no SOP identification)")
        _fill_transfer_syntax(ds)
        return ds
    except NotDicomError:
        raise
    except Exception as exc:  # noqa: BLE001 - pydicom raises many types on garbage
        raise BrokenDicomError(
            f"{Path(path).name}: headerless DICOM could not be parsed ({_short(exc)})"
        ) from exc


_GROUP_STARTS = (b"\x02\x00", b"\x08\x00", b"\x00\x08", b"\x00\x02")


def _headerless_start(head: bytes) -> int | None:
    """Offset of the first element of a file without preamble, or None if not DICOM.

    Accepted: a group 0002 or 0008 element at offset 0, or at offset 1 after a
    single padding byte (space or NUL) left over from a stripped file meta
    header, as in pydicom's ``no_meta.dcm``.
    """
    if len(head) < 8:
        return None
    if head[:2] in _GROUP_STARTS:
        return 0
    if head[:1] in (b" ", b"\x00") and head[1:3] in _GROUP_STARTS:
        return 1
    return None


def _fill_transfer_syntax(ds: Dataset) -> None:
    """Give a headerless dataset the transfer syntax it was read with (pydicom needs it
    to decode the pixel data)."""
    if getattr(ds, "file_meta", None) is None:
        ds.file_meta = FileMetaDataset()
    if "TransferSyntaxUID" in ds.file_meta:
        return
    implicit, little = ds.original_encoding
    if not little:
        ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRBigEndian
    elif implicit:
        ds.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
    else:
        ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian


def image_slices(path: str, ds: Dataset) -> list[SliceRecord]:
    """SliceRecords of an image file; raises UnsupportedDicomError/BrokenDicomError."""
    name = os.path.basename(path)
    try:
        fmt = _pixel_format(ds)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise BrokenDicomError(f"{name}: image pixel module incomplete ({_short(exc)})") from exc
    check_pixel_format(name, fmt)
    declared_frames = ds.get("NumberOfFrames", 1)
    n_frames = parse_int(1 if declared_frames in (None, "") else declared_frames, None)
    if n_frames is None or n_frames < 1:
        raise BrokenDicomError(
            f"{name}: (0028,0008) Number of Frames is '{declared_frames}', expected a whole "
            "number of at least 1"
        )
    _check_pixel_data_length(path, ds, fmt, n_frames)
    if n_frames > 1 or "PerFrameFunctionalGroupsSequence" in ds:
        return _multiframe_slices(path, ds, fmt, n_frames)
    return [single_slice(path, lambda keyword: _text(ds, keyword), fmt, _raw_pixel_offset(ds, fmt))]


def _pixel_format(ds: Dataset) -> PixelFormat:
    ts = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "") or "")
    if not ts:
        ts = pydicom.uid.ImplicitVRLittleEndian if ds.is_implicit_VR else pydicom.uid.ExplicitVRLittleEndian
        if not ds.is_little_endian:
            ts = pydicom.uid.ExplicitVRBigEndian
    bits_allocated = int(ds.BitsAllocated)
    return PixelFormat(
        rows=int(ds.Rows),
        columns=int(ds.Columns),
        bits_allocated=bits_allocated,
        bits_stored=int(ds.get("BitsStored", bits_allocated) or bits_allocated),
        signed=bool(int(ds.get("PixelRepresentation", 0) or 0)),
        samples_per_pixel=int(ds.get("SamplesPerPixel", 1) or 1),
        transfer_syntax=ts,
    )


def _text(ds: Dataset, keyword: str):
    """Value of a text-VR element (DS, IS, UI, TM, CS) without pydicom's conversion.

    Reads the raw bytes when the element is still raw (the common case after
    dcmread): several times faster than building DSfloat objects, which is
    what dominates header reading of a large series. Returns a str, a list of
    str for multi-valued elements, or None when absent.
    """
    element = ds.get_item(SLICE_TAGS[keyword]) if keyword in SLICE_TAGS else None
    if isinstance(element, RawDataElement) and isinstance(element.value, bytes):
        return raw_text(element.value)
    value = ds.get(keyword)
    return value


def series_uid_text(ds: Dataset) -> str:
    """(0020,000E) Series Instance UID as the slice records hold it ("" when absent)."""
    return str(_text(ds, "SeriesInstanceUID") or "")


def _multiframe_slices(path: str, ds: Dataset, fmt: PixelFormat, n_frames: int) -> list[SliceRecord]:
    name = Path(path).name
    shared = _first_item(ds.get("SharedFunctionalGroupsSequence"))
    per_frame = ds.get("PerFrameFunctionalGroupsSequence") or []
    if len(per_frame) != n_frames:
        raise BrokenDicomError(
            f"{name}: {n_frames} frames but {len(per_frame)} per-frame functional group items"
        )
    records = []
    for index, frame_groups in enumerate(per_frame):

        def group(keyword: str) -> Dataset | None:
            item = _first_item(frame_groups.get(keyword))
            return item if item is not None else _first_item(shared.get(keyword) if shared else None)

        pos_item, ori_item = group("PlanePositionSequence"), group("PlaneOrientationSequence")
        measures, rescale = group("PixelMeasuresSequence"), group("PixelValueTransformationSequence")
        position = parse_floats(pos_item.get("ImagePositionPatient") if pos_item else None, 3)
        orientation = parse_floats(ori_item.get("ImageOrientationPatient") if ori_item else None, 6)
        spacing = parse_floats(measures.get("PixelSpacing") if measures else None, 2)
        if position is None or orientation is None or spacing is None:
            raise UnsupportedDicomError(
                f"{name}: frame {index + 1} lacks plane position, orientation or pixel spacing"
            )
        check_plane(f"{name} frame {index + 1}", orientation, spacing)
        check_position(f"{name} frame {index + 1}", position)
        content = group("FrameContentSequence")
        records.append(
            SliceRecord(
                path=path,
                frame=index,
                sop_instance_uid=str(ds.get("SOPInstanceUID", "")),
                position_mm=position,  # type: ignore[arg-type]
                orientation=orientation,  # type: ignore[arg-type]
                pixel_spacing_mm=spacing,  # type: ignore[arg-type]
                pixel_format=fmt,
                slope=parse_rescale(
                    (rescale or ds).get("RescaleSlope"), 1.0, name, "(0028,1053) Rescale Slope"
                ),
                intercept=parse_rescale(
                    (rescale or ds).get("RescaleIntercept"), 0.0, name, "(0028,1052) Rescale Intercept"
                ),
                instance_number=index + 1,
                pixel_offset=None,
                acquisition_time="",
                series_uid=str(ds.get("SeriesInstanceUID", "")),
                frame_of_reference_uid=str(ds.get("FrameOfReferenceUID", "")),
                split_key=str(
                    (content.get("TemporalPositionIndex", "") if content else "") or ""
                ),
            )
        )
    return records


#: Transfer syntaxes with uncompressed pixel data (its length is known from the header).
UNCOMPRESSED = NATIVE_LITTLE_ENDIAN | {
    pydicom.uid.ExplicitVRBigEndian,
    pydicom.uid.DeflatedExplicitVRLittleEndian,
}


def _check_pixel_data_length(path: str, ds: Dataset, fmt: PixelFormat, n_frames: int) -> None:
    """Reject pixel data cut short by the end of the file, or shorter than the image
    size needs (uncompressed). Encapsulated (compressed) data is checked on decoding."""
    name = Path(path).name
    element = ds.get_item(PIXEL_DATA, keep_deferred=True)
    length = getattr(element, "length", None)
    if length is None or length == 0xFFFFFFFF:
        return
    value = getattr(element, "value", None)
    tell = getattr(element, "value_tell", None)
    if isinstance(value, (bytes, bytearray)):
        available = len(value)
    elif value is None and tell is not None and fmt.transfer_syntax != pydicom.uid.DeflatedExplicitVRLittleEndian:
        try:
            available = os.path.getsize(path) - int(tell)
        except OSError as exc:
            raise BrokenDicomError(f"{name}: cannot read file ({_short(exc)})") from exc
    else:
        return
    if available < length:
        raise BrokenDicomError(
            f"{name}: pixel data truncated: {max(available, 0)} of {length} bytes present; "
            "the file was cut short (copy it again from the source)"
        )
    expected = fmt.rows * fmt.columns * n_frames * fmt.bits_allocated // 8
    if fmt.transfer_syntax in UNCOMPRESSED and length < expected:
        raise BrokenDicomError(
            f"{name}: pixel data has {length} bytes, but {n_frames} frame(s) of "
            f"{fmt.rows}x{fmt.columns} at {fmt.bits_allocated} bits need {expected}"
        )


def _raw_pixel_offset(ds: Dataset, fmt: PixelFormat) -> int | None:
    """File offset of the Pixel Data value when it can be read raw, else None."""
    if fmt.transfer_syntax not in NATIVE_LITTLE_ENDIAN:
        return None
    element = ds.get_item(PIXEL_DATA, keep_deferred=True)
    tell = getattr(element, "value_tell", None)
    length = getattr(element, "length", None)
    expected = fmt.rows * fmt.columns * fmt.bits_allocated // 8
    if tell is None or getattr(element, "value", None) is not None or length is None:
        return None
    if length < expected or length == 0xFFFFFFFF:
        return None
    return int(tell)


def _first_item(seq) -> Dataset | None:
    try:
        return seq[0] if seq else None
    except (IndexError, TypeError):
        return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


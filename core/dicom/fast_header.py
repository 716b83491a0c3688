"""A fast header reader for the plain case: one uncompressed single-frame image.

pydicom's header parse costs about 0.3 ms a file, which is most of the time to
load a large CT from a warm page cache. Most files are simple: a 128-byte
preamble and "DICM", the File Meta group, then Implicit or Explicit VR Little
Endian elements up to (7FE0,0010) Pixel Data, which runs to the end of the
file. For those this module reads the first few kilobytes, walks the elements
with :mod:`struct`, keeps the raw bytes of the few attributes the loader needs
and the byte offset of the pixel data, and builds the same
:class:`~core.dicom.slice_records.SliceRecord` as the pydicom path (through the
same :func:`~core.dicom.slice_records.single_slice`).

Anything it does not fully understand returns None, and the caller parses the
file with pydicom, which then gives today's result or today's error: no file
meta or no preamble, another transfer syntax (compressed, big endian,
deflate), a VR it does not know, an element running past the end of the file,
items or delimiters where elements belong, multi-frame images, elements after
the pixel data, odd encodings of the image pixel module, and so on.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from pydicom.values import convert_UI

from core.dicom.slice_records import (
    DEFER_BYTES,
    SLICE_TAGS,
    PixelFormat,
    SliceRecord,
    check_pixel_format,
    raw_text,
    single_slice,
)

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
RTSTRUCT_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.481.3"

#: Bytes read first; most CT/PET/MR headers fit, longer ones are read on demand.
HEAD_BYTES = 8192
#: A header longer than this is left to pydicom.
MAX_HEADER_BYTES = 1 << 20

PIXEL_DATA = 0x7FE00010
ITEM, ITEM_END, SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
UNDEFINED = 0xFFFFFFFF

#: Explicit VRs with a 2-byte reserved field and a 4-byte length.
LONG_VRS = frozenset(
    v.encode() for v in ("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV")
)
SHORT_VRS = frozenset(
    v.encode()
    for v in ("AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "PN", "SH",
              "SL", "SS", "ST", "TM", "UI", "UL", "US")
)

SOP_CLASS_UID = 0x00080016
NUMBER_OF_FRAMES = 0x00280008
PER_FRAME_GROUPS = 0x52009230
#: (0028,xxxx) Image Pixel attributes read as US, with their defaults.
ROWS, COLUMNS, SAMPLES, BITS_ALLOCATED, BITS_STORED, PIXEL_REPRESENTATION = (
    0x00280010, 0x00280011, 0x00280002, 0x00280100, 0x00280101, 0x00280103,
)
_US_TAGS = frozenset((ROWS, COLUMNS, SAMPLES, BITS_ALLOCATED, BITS_STORED, PIXEL_REPRESENTATION))
_TEXT_TAGS = {int(tag): keyword for keyword, tag in SLICE_TAGS.items()}
#: Tags whose raw bytes are kept; the rest are only stepped over.
_WANTED = frozenset(_TEXT_TAGS) | _US_TAGS | {SOP_CLASS_UID, NUMBER_OF_FRAMES, PER_FRAME_GROUPS}

_U16 = struct.Struct("<H").unpack_from
_U32 = struct.Struct("<I").unpack_from
_TAG = struct.Struct("<HH").unpack_from
_EXPLICIT = struct.Struct("<HH2sH").unpack_from  # group, element, VR, 2-byte length
_IMPLICIT = struct.Struct("<HHI").unpack_from  # group, element, 4-byte length


@dataclass(frozen=True)
class FastHeader:
    """What the fast reader gives of a plain image: its one slice and its (0008,0016) SOP Class
    UID (core.dicom.headers.read_header makes the FileHeader of it)."""

    slice: SliceRecord
    sop_class_uid: str


class _NotPlain(Exception):
    """The file is not the plain case; pydicom reads it."""


def read_header_fast(path: str) -> FastHeader | None:
    """The header of a plain uncompressed single-frame image, or None.

    None means "read it with pydicom" (see the module docstring); errors in
    the plain case (colour, implausible size, no position, bad plane, bad
    rescale) are raised exactly as :func:`core.dicom.headers.image_slices`
    raises them, because the same functions check the same values.
    """
    try:
        with open(path, "rb", buffering=0) as fh:
            size = os.fstat(fh.fileno()).st_size
            buf = fh.read(HEAD_BYTES)
            if len(buf) < 144 or buf[128:132] != b"DICM":
                return None
            try:
                plain = _walk(buf, size)
            except _NeedMore:
                buf += fh.read(MAX_HEADER_BYTES - len(buf))
                plain = _walk(buf, size)
    except (_NotPlain, _NeedMore, OSError, struct.error, UnicodeError):
        return None
    return _header(path, *plain)


class _NeedMore(Exception):
    """The header runs past the bytes read so far."""


def _walk(buf: bytes, size: int) -> tuple[dict[int, bytes], str, int, int]:
    """Raw bytes of the wanted elements, the transfer syntax, the Pixel Data
    value offset and length."""
    pos, end = 132, len(buf)
    syntax = None
    while True:  # File Meta Information: always Explicit VR Little Endian
        if pos + 8 > end:
            raise _NeedMore
        group, element = _TAG(buf, pos)
        if group != 0x0002:
            break
        length, header = _explicit_length(buf, pos, end)
        if length == UNDEFINED or pos + header + length > size:
            raise _NotPlain
        if element == 0x0010:
            if pos + header + length > end:
                raise _NeedMore
            syntax = buf[pos + header:pos + header + length].decode("ascii").strip("\x00 ")
        pos += header + length
    if syntax not in (EXPLICIT_LE, IMPLICIT_LE):
        raise _NotPlain
    implicit = syntax == IMPLICIT_LE
    # pydicom switches encoding when the first element does not look as declared
    if pos + 6 > end:
        raise _NeedMore
    looks_implicit = not (0x40 < buf[pos + 4] < 0x5B and 0x40 < buf[pos + 5] < 0x5B)
    if looks_implicit != implicit:
        raise _NotPlain
    found: dict[int, bytes] = {}
    previous = -1
    while True:  # one unpack per element: this loop runs ~30 times per file
        if pos + 12 > end:
            raise _NotPlain if pos + 8 > size else _NeedMore
        if implicit:
            group, element, length = _IMPLICIT(buf, pos)
            header = 8
        else:
            group, element, vr, length = _EXPLICIT(buf, pos)
            if vr in SHORT_VRS:
                header = 8
            elif vr in LONG_VRS:
                length, header = _U32(buf, pos + 8)[0], 12
            else:
                raise _NotPlain
        tag = group << 16 | element
        if tag <= previous or group == 0xFFFE:
            raise _NotPlain  # out of order, repeated, or an item where an element belongs
        previous = tag
        if tag == PIXEL_DATA:
            tell = pos + header
            if length == UNDEFINED or length <= DEFER_BYTES or tell + length != size:
                raise _NotPlain  # encapsulated, small (kept in memory), or trailing elements
            return found, syntax, tell, length
        if length == UNDEFINED:
            if not implicit and vr != b"SQ":
                raise _NotPlain
            pos = _skip_sequence(buf, pos + header, end, implicit)
            continue
        start = pos + header
        pos = start + length
        if pos > size:
            raise _NotPlain  # runs past the end of the file: pydicom says how
        if tag in _WANTED:
            if length > DEFER_BYTES:
                raise _NotPlain  # pydicom defers it; let it convert
            if pos > end:
                raise _NeedMore
            if not implicit and tag in _US_TAGS and vr != b"US":
                raise _NotPlain  # an odd VR: pydicom converts it its own way
            found[tag] = buf[start:pos]


def _explicit_length(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    if pos + 12 > end:
        raise _NeedMore
    vr = buf[pos + 4:pos + 6]
    if vr in SHORT_VRS:
        return _U16(buf, pos + 6)[0], 8
    if vr in LONG_VRS:
        return _U32(buf, pos + 8)[0], 12
    raise _NotPlain


def _skip_sequence(buf: bytes, pos: int, end: int, implicit: bool) -> int:
    """Offset just after an undefined-length sequence starting at ``pos`` (its first item)."""
    while True:
        if pos + 8 > end:
            raise _NeedMore
        group, element = _TAG(buf, pos)
        tag, length = group << 16 | element, _U32(buf, pos + 4)[0]
        pos += 8
        if tag == SEQUENCE_END:
            return pos
        if tag != ITEM:
            raise _NotPlain
        if length != UNDEFINED:
            pos += length
            continue
        pos = _skip_item(buf, pos, end, implicit)


def _skip_item(buf: bytes, pos: int, end: int, implicit: bool) -> int:
    """Offset just after the item delimiter of an undefined-length item."""
    while True:
        if pos + 8 > end:
            raise _NeedMore
        group, element = _TAG(buf, pos)
        tag = group << 16 | element
        if tag == ITEM_END:
            return pos + 8
        if group == 0xFFFE:
            raise _NotPlain
        if implicit:
            length, header = _U32(buf, pos + 4)[0], 8
        else:
            length, header = _explicit_length(buf, pos, end)
        if length == UNDEFINED:
            if not implicit and buf[pos + 4:pos + 6] != b"SQ":
                raise _NotPlain
            pos = _skip_sequence(buf, pos + header, end, implicit)
        else:
            pos += header + length


#: Pixel formats already checked, and SOP Class UIDs already converted, by raw
#: value: every slice of a series has the same ones, so each is done once.
_FORMATS: dict[tuple, PixelFormat] = {}
_SOP_CLASSES: dict[bytes, str] = {}


def _remember(cache: dict, key, value):
    if len(cache) > 64:
        cache.clear()
    cache[key] = value
    return value


def _header(path: str, found: dict[int, bytes], syntax: str, pixel_tell: int,
            pixel_length: int) -> FastHeader | None:
    if SOP_CLASS_UID not in found or NUMBER_OF_FRAMES in found or PER_FRAME_GROUPS in found:
        return None
    raw_sop_class = found[SOP_CLASS_UID]
    sop_class = _SOP_CLASSES.get(raw_sop_class)
    if sop_class is None:
        sop_class = convert_UI(raw_sop_class, True)  # as pydicom gives it
        if not isinstance(sop_class, str) or sop_class == RTSTRUCT_SOP_CLASS:
            return None
        sop_class = _remember(_SOP_CLASSES, raw_sop_class, str(sop_class))
    us = {}
    for tag in _US_TAGS:
        value = found.get(tag)
        if value is None:
            continue
        if len(value) != 2:
            return None  # pydicom makes a list or fails: its message, not ours
        us[tag] = _U16(value)[0]
    if ROWS not in us or COLUMNS not in us or BITS_ALLOCATED not in us:
        return None
    bits_allocated = us[BITS_ALLOCATED]
    key = (us[ROWS], us[COLUMNS], bits_allocated, us.get(BITS_STORED) or bits_allocated,
           bool(us.get(PIXEL_REPRESENTATION, 0)), us.get(SAMPLES) or 1, syntax)
    fmt = _FORMATS.get(key)
    if fmt is None:
        fmt = PixelFormat(*key)
        check_pixel_format(os.path.basename(path), fmt)
        _remember(_FORMATS, key, fmt)
    if pixel_length < fmt.rows * fmt.columns * fmt.bits_allocated // 8:
        return None  # too short for the image: pydicom's path says so
    text_of = {_TEXT_TAGS[tag]: raw_text(value) for tag, value in found.items() if tag in _TEXT_TAGS}
    record = single_slice(path, text_of.get, fmt, pixel_tell)
    return FastHeader(slice=record, sop_class_uid=sop_class)

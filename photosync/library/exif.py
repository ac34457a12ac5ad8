"""EXIF dates: parse the strings, and find them where ImageMagick 6 does not look.

ImageMagick gives ``exif:DateTimeOriginal`` (and SubSec/Offset) for JPEG and HEIC. It leaves gaps
on real files: a WebP's EXIF chunk becomes a profile but no ``exif:*`` properties (the chunk holds
a bare TIFF block, without the "Exif\\0\\0" that IM6 searches for); a PNG ``eXIf`` chunk is not read
at all; a TIFF's OffsetTimeOriginal is not in IM6's tag table. For those, this module reads the
three tags from the TIFF-structured EXIF block in the bytes already in memory (no second read, no
second decode). ExifRead was tried and misreads spec-conforming WebP EXIF chunks; Pillow would
parse every file a second time. Never raises: a damaged EXIF block means "no date".
"""

from __future__ import annotations

import mmap
import re
import struct

DATE_TIME_ORIGINAL, OFFSET_TIME_ORIGINAL, SUBSEC_TIME_ORIGINAL = 0x9003, 0x9011, 0x9291
_EXIF_IFD = 0x8769
_WANTED = (DATE_TIME_ORIGINAL, OFFSET_TIME_ORIGINAL, SUBSEC_TIME_ORIGINAL)
_TIFF_HEADERS = (b"II*\0", b"MM\0*")
# TIFF-structured RAW files whose magic number is their maker's own (Olympus ORF, Panasonic RW2).
_RAW_TIFF_HEADERS = (*_TIFF_HEADERS, b"IIRO", b"IIRS", b"MMOR", b"IIU\0")
_LOOK = 1024 * 1024  # how far into a CR3 or RAF file its EXIF block is looked for
_EXIF_DATE = re.compile(r"^\s*(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_OFFSET = re.compile(r"^[+-]\d{2}:\d{2}$")
_INLINE = re.compile(r"^(?:\.(\d+))?\s*([+-]\d{2}:\d{2})?\s*\0*$")


def exif_date(original: str | None, subsec: str | None, offset: str | None
              ) -> tuple[str | None, str | None, str | None]:
    """EXIF strings -> (ISO date or None, sub-second digits or None, ``+hh:mm`` or None).

    Blank, zero ("0000:00:00 00:00:00") or impossible dates count as absent, not as failures.
    """
    match = _EXIF_DATE.match(original or "")
    iso = _iso(match) if match else None
    if match is None or iso is None:
        return None, None, None
    subsec = _clean(subsec)
    offset = _clean(offset)
    # Some writers put them in the date itself: "2021:06:07 08:09:10.123+02:00".
    inline = _INLINE.match(match.string[match.end():])
    if inline and not subsec.isdigit():
        subsec = inline.group(1) or ""
    if inline and not _OFFSET.match(offset):
        offset = inline.group(2) or ""
    return iso, subsec if subsec.isdigit() else None, offset if _OFFSET.match(offset) else None


def _iso(match: re.Match[str]) -> str | None:
    """The ISO form of a matched EXIF date; None for a zero or impossible one."""
    y, mo, d, h, mi, s = (int(g) for g in match.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 61 and y > 0):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{min(s, 59):02d}"


def _clean(text: str | None) -> str:
    """An EXIF ASCII value without padding spaces and NULs."""
    return (text or "").strip().rstrip("\0").strip()


def date_tags(data: bytes, profile: bytes | None) -> dict[int, str]:
    """DateTimeOriginal, OffsetTimeOriginal, SubSecTimeOriginal (by tag number) found in the EXIF
    ``profile`` ImageMagick extracted, else in the file's own bytes (TIFF, PNG ``eXIf``)."""
    block = tiff_block(profile) if profile else None
    if block is None:
        block = tiff_block(data) if data[:4] in _TIFF_HEADERS else _png_exif(data)
    if block is None:
        return {}
    try:
        return _read_tags(block)
    except (struct.error, IndexError, ValueError):
        return {}


def raw_date_tags(path: str) -> dict[int, str]:
    """The date tags of a camera RAW file, read through a memory map: only the pages that hold
    them are read, so a 100 MB RAW costs no 100 MB of memory.

    TIFF-structured RAWs (CR2, NEF, ARW, DNG, PEF, SRW, ORF, RW2...) are one TIFF from byte 0;
    Canon's CR3 keeps its EXIF as a TIFF in a ``CMT2`` box; Fuji's RAF in its embedded JPEG."""
    try:
        with open(path, "rb") as handle, \
                mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data[:4] in _RAW_TIFF_HEADERS:
                return _read_tags(data)
            block = _boxed_exif(data[:_LOOK])
            return _read_tags(block) if block is not None else {}
    except (OSError, ValueError, struct.error, IndexError):
        return {}


def _boxed_exif(head: bytes) -> bytes | None:
    """The EXIF TIFF in the head of a CR3 (the ``CMT2`` box) or a RAF (its JPEG's APP1)."""
    at = head.find(b"CMT2")
    if at >= 4:
        (size,) = struct.unpack_from(">I", head, at - 4)
        return tiff_block(head[at + 4:at - 4 + size])
    at = head.find(b"Exif\0\0")
    return tiff_block(head[at:]) if at >= 0 else None


def tiff_block(blob: bytes) -> bytes | None:
    """The TIFF structure in an EXIF blob: bare, or after "Exif\\0\\0" (JPEG APP1, some WebP)."""
    for start in (0, 6, blob.find(b"Exif\0\0") + 6):
        if start >= 0 and blob[start:start + 4] in _TIFF_HEADERS:
            return blob[start:]
    return None


def _png_exif(data: bytes) -> bytes | None:
    """The payload of a PNG's ``eXIf`` chunk (before or, non-standard but seen, after IDAT)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    at = 8
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"eXIf":
            return tiff_block(data[at + 8:at + 8 + length])
        if kind == b"IEND":
            return None
        at += 12 + length
    return None


def _read_tags(tiff: bytes | mmap.mmap) -> dict[int, str]:
    order = "<" if tiff[:2] == b"II" else ">"
    (ifd0,) = struct.unpack_from(order + "I", tiff, 4)
    found: dict[int, str] = {}
    exif_ifd = None
    for tag, kind, count, value in _entries(tiff, order, ifd0):
        if tag == _EXIF_IFD and kind in (4, 13):  # LONG or IFD
            exif_ifd = struct.unpack_from(order + "I", value)[0]
        elif tag in _WANTED:  # misplaced in IFD0 by some writers
            found[tag] = _ascii(tiff, order, kind, count, value)
    if exif_ifd:
        for tag, kind, count, value in _entries(tiff, order, exif_ifd):
            if tag in _WANTED:
                found[tag] = _ascii(tiff, order, kind, count, value)
    return {tag: text for tag, text in found.items() if text}


def _entries(tiff: bytes | mmap.mmap, order: str, offset: int):
    (count,) = struct.unpack_from(order + "H", tiff, offset)
    for i in range(min(count, 1000)):
        tag, kind, n = struct.unpack_from(order + "HHI", tiff, offset + 2 + 12 * i)
        yield tag, kind, n, tiff[offset + 10 + 12 * i:offset + 14 + 12 * i]


def _ascii(tiff: bytes | mmap.mmap, order: str, kind: int, count: int, value: bytes) -> str:
    if kind not in (2, 7) or count > 64:  # ASCII (or UNDEFINED, as some writers use)
        return ""
    if count > 4:
        (at,) = struct.unpack(order + "I", value)
        value = tiff[at:at + count]
    return value[:count].split(b"\0", 1)[0].decode("ascii", "replace").strip()

"""EXIF where cameras, phones and tools put it outside JPEG: PNG eXIf, WebP EXIF chunk, TIFF IFD.

Built byte by byte (no exiftool on the machine needed), the way exiftool and libwebpmux write them.
"""

from __future__ import annotations

import struct
import zlib
from datetime import datetime

from photosync.emulators.images import ascii_ifd, date_tags, exif_segment


def exif_tiff(date: datetime, subsec: str | None = None, offset: str | None = None) -> bytes:
    """A bare TIFF-structured EXIF block (what PNG eXIf and WebP EXIF chunks hold)."""
    segment = exif_segment(date, subsec, offset)
    return segment[4 + 6:]  # APP1 marker, length, "Exif\0\0"


def png_with_exif(png: bytes, tiff: bytes, after_idat: bool = False) -> bytes:
    """``png`` with an eXIf chunk after IHDR (or, as some tools do, after the image data)."""
    chunk = struct.pack(">I", len(tiff)) + b"eXIf" + tiff + struct.pack(
        ">I", zlib.crc32(b"eXIf" + tiff))
    at = png.index(b"IEND") - 4 if after_idat else 8 + 25  # signature + IHDR chunk
    return png[:at] + chunk + png[at:]


def webp_with_exif(webp: bytes, width: int, height: int, tiff: bytes, exif_header: bool = False
                   ) -> bytes:
    """A simple lossy WebP turned extended (VP8X) with an EXIF chunk: bare TIFF per the spec, or
    with the "Exif\\0\\0" prefix that some writers add."""
    assert webp[:4] == b"RIFF" and webp[8:16] == b"WEBPVP8 "
    payload = (b"Exif\0\0" if exif_header else b"") + tiff
    vp8x = b"VP8X" + struct.pack("<I", 10) + struct.pack("<I", 0x08) + \
        (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    exif = b"EXIF" + struct.pack("<I", len(payload)) + payload + (b"\0" if len(payload) % 2 else b"")
    body = b"WEBP" + vp8x + webp[12:] + exif
    return b"RIFF" + struct.pack("<I", len(body)) + body


def tiff_with_exif(tiff: bytes, date: datetime, subsec: str | None = None,
                   offset: str | None = None) -> bytes:
    """``tiff`` (little-endian, as ImageMagick writes it) with an Exif IFD holding the date tags,
    appended after the existing data and linked from a rewritten IFD0."""
    assert tiff[:4] == b"II*\0"
    out = bytearray(tiff + (b"\0" if len(tiff) % 2 else b""))
    exif_at = len(out)
    out += ascii_ifd(date_tags(date, subsec, offset), exif_at, "<")
    (ifd0,) = struct.unpack_from("<I", tiff, 4)
    (count,) = struct.unpack_from("<H", tiff, ifd0)
    old = [tiff[ifd0 + 2 + 12 * i:ifd0 + 14 + 12 * i] for i in range(count)]
    (next_ifd,) = struct.unpack_from("<I", tiff, ifd0 + 2 + 12 * count)
    new = sorted(old + [struct.pack("<HHII", 0x8769, 4, 1, exif_at)],
                 key=lambda e: struct.unpack_from("<H", e)[0])
    new_ifd0 = len(out)
    out += struct.pack("<H", len(new)) + b"".join(new) + struct.pack("<I", next_ifd)
    out[4:8] = struct.pack("<I", new_ifd0)
    return bytes(out)


def jpeg_with_orientation(jpeg: bytes, orientation: int, date: datetime) -> bytes:
    """``jpeg`` with a little-endian EXIF APP1 (as most cameras write): IFD0 Orientation and a
    pointer to an Exif IFD holding DateTimeOriginal."""
    value = date.strftime("%Y:%m:%d %H:%M:%S").encode() + b"\0"
    ifd0 = 8
    exif_ifd = ifd0 + 2 + 2 * 12 + 4
    date_at = exif_ifd + 2 + 12 + 4
    tiff = (b"II*\0" + struct.pack("<I", ifd0)
            + struct.pack("<H", 2) + struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)
            + struct.pack("<HHII", 0x8769, 4, 1, exif_ifd) + struct.pack("<I", 0)
            + struct.pack("<H", 1) + struct.pack("<HHII", 0x9003, 2, len(value), date_at)
            + struct.pack("<I", 0) + value)
    payload = b"Exif\0\0" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]

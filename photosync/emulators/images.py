"""Deterministic generated photos: the emulators' seeded items, the tests' files, the demo library.

Each picture is drawn by ImageMagick (through Wand) from a seed, so the same seed always gives the
same pixels, and carries a real EXIF block (DateTimeOriginal, optional sub-seconds and offset) like
a camera file. Bytes are made on demand: a 50,000-item emulated account stores only seeds.
"""

from __future__ import annotations

import random
import struct
from datetime import datetime

from wand.color import Color
from wand.drawing import Drawing
from wand.image import Image


def make_image(seed: int | str, width: int = 64, height: int = 48, fmt: str = "jpeg",
               date_taken: datetime | None = None, subsec: str | None = None,
               offset: str | None = None, alpha: bool = False, quality: int = 85) -> bytes:
    """A picture unique to ``seed`` (distinct seeds give distinct pixels), encoded as ``fmt``.

    ``date_taken`` (and ``subsec``, ``offset`` like ``+02:00``) are written as EXIF for JPEG.
    """
    rng = random.Random(f"photosync-image:{seed}")
    background = Color("none") if alpha else Color("#%06x" % rng.randrange(0x1000000))
    with Image(width=width, height=height, background=background) as img:
        with Drawing() as draw:
            for _ in range(6):
                draw.fill_color = Color("#%06x%s" % (rng.randrange(0x1000000), "80" if alpha else ""))
                x0, y0 = rng.randrange(width), rng.randrange(height)
                draw.rectangle(left=x0, top=y0, width=max(1, rng.randrange(1, width)),
                               height=max(1, rng.randrange(1, height)))
            # a pixel row that encodes the seed, so distinct seeds never collide
            for i, byte in enumerate(str(seed).encode()[:width]):
                draw.fill_color = Color(f"rgb({byte},{(i * 37) % 256},{(byte * 7) % 256})")
                draw.point(i, 0)
            draw(img)
        img.format = fmt
        if fmt in ("jpeg", "jpg"):
            img.compression_quality = quality
        img.strip()
        data = img.make_blob()
    if date_taken is not None and fmt in ("jpeg", "jpg"):
        data = with_exif_date(data, date_taken, subsec, offset)
    return data


def with_exif_date(jpeg: bytes, date_taken: datetime, subsec: str | None = None,
                   offset: str | None = None) -> bytes:
    """``jpeg`` with an EXIF APP1 segment carrying DateTimeOriginal (+ SubSec/OffsetTime).

    Only the metadata changes: the pixels, and so the ImageMagick signature, stay the same.
    """
    if jpeg[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    return jpeg[:2] + exif_segment(date_taken, subsec, offset) + jpeg[2:]


def exif_segment(date_taken: datetime, subsec: str | None = None, offset: str | None = None) -> bytes:
    """A big-endian TIFF/EXIF APP1 segment: IFD0 -> ExifIFD with the date tags."""
    ascii_tags: list[tuple[int, bytes]] = [(0x9003, date_taken.strftime("%Y:%m:%d %H:%M:%S").encode() + b"\0")]
    if offset:
        ascii_tags.append((0x9011, offset.encode() + b"\0"))  # OffsetTimeOriginal
    if subsec:
        ascii_tags.append((0x9291, subsec.encode() + b"\0"))  # SubSecTimeOriginal
    ifd0_offset = 8
    ifd0_size = 2 + 12 + 4
    exif_offset = ifd0_offset + ifd0_size
    exif_size = 2 + 12 * len(ascii_tags) + 4
    data_offset = exif_offset + exif_size
    ifd0 = struct.pack(">H", 1) + struct.pack(">HHII", 0x8769, 4, 1, exif_offset) + struct.pack(">I", 0)
    entries, blobs = b"", b""
    for tag, value in ascii_tags:
        if len(value) <= 4:
            entries += struct.pack(">HHI", tag, 2, len(value)) + value.ljust(4, b"\0")
        else:
            entries += struct.pack(">HHII", tag, 2, len(value), data_offset + len(blobs))
            blobs += value + (b"\0" if len(value) % 2 else b"")
    exif_ifd = struct.pack(">H", len(ascii_tags)) + entries + struct.pack(">I", 0)
    tiff = b"MM\x00\x2a" + struct.pack(">I", ifd0_offset) + ifd0 + exif_ifd + blobs
    payload = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload

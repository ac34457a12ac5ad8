"""Deterministic generated photos: the emulators' seeded items, the tests' files, the demo library.

Each picture is drawn by ImageMagick (through Wand) from a seed, so the same seed always gives the
same pixels, and carries a real EXIF block (DateTimeOriginal, optional sub-seconds and offset) like
a camera file. Bytes are made on demand: a 50,000-item emulated account stores only seeds.
"""

from __future__ import annotations

import functools
import random
import struct
from datetime import datetime

from wand.color import Color
from wand.drawing import Drawing
from wand.image import Image


def make_image(
    seed: int | str,
    width: int = 64,
    height: int = 48,
    fmt: str = "jpeg",
    date_taken: datetime | None = None,
    subsec: str | None = None,
    offset: str | None = None,
    alpha: bool = False,
    quality: int = 85,
) -> bytes:
    """A picture unique to ``seed`` (distinct seeds give distinct pixels), encoded as ``fmt``.

    ``date_taken`` (and ``subsec``, ``offset`` like ``+02:00``) are written as EXIF for JPEG.
    """
    rng = random.Random(f"photosync-image:{seed}")
    background = Color("none") if alpha else Color(f"#{rng.randrange(0x1000000):06x}")
    with Image(width=width, height=height, background=background) as img:
        with Drawing() as draw:
            for _ in range(6):
                draw.fill_color = Color(
                    f"#{rng.randrange(0x1000000):06x}{'80' if alpha else ''}"
                )
                x0, y0 = rng.randrange(width), rng.randrange(height)
                draw.rectangle(
                    left=x0,
                    top=y0,
                    width=max(1, rng.randrange(1, width)),
                    height=max(1, rng.randrange(1, height)),
                )
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


# Seeded photos at camera sizes: an encode of 6 megapixels costs ~0.15 s, too much per photo of
# a 2,000-photo account. So each (size, tone) is encoded once, solid, at quality 100 (every
# quantiser 1; the four tones decode with DC coefficients of +-8 in Y and in Cb/Cr), and a
# photo's own pixels come from rewriting the two DC quantisers of that encode: Y = 128 +- k1,
# Cb = Cr = 128 +- k2, distinct for SOLID_VARIANTS consecutive variants and never clipped.
_TONES = ((130, 128, 131), (128, 130, 127), (128, 126, 129), (126, 128, 125))  # Y, C: ++ +- -+ --
_K1, _K2 = 63, 35  # |Y - 128| + 1.772 |C - 128| <= 127: R, G and B stay within 0..255
SOLID_VARIANTS = len(_TONES) * _K1 * _K2


def make_seeded_photo(
    variant: int, seed: str, width: int, height: int, date_taken: datetime | None = None
) -> bytes:
    """A ``width`` x ``height`` JPEG in constant time: a solid colour that is ``variant``'s own
    (modulo SOLID_VARIANTS), ``seed`` in a COM segment (distinct bytes even past that)."""
    variant %= SOLID_VARIANTS
    tone, rest = divmod(variant, _K1 * _K2)
    k2, k1 = divmod(rest, _K1)
    data = bytearray(_solid_jpeg(width, height, tone))
    tables = [i for i in _segments(bytes(data)) if data[i + 1] == 0xDB]
    for at, value in zip(tables, (k1 + 1, k2 + 1), strict=False):
        data[at + 5] = value  # Pq/Tq at +4 (8-bit table), then its first entry: the DC quantiser
    comment = f"photosync seed {seed}".encode()
    jpeg = b"\xff\xd8\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + bytes(data[2:])
    return with_exif_date(jpeg, date_taken) if date_taken is not None else jpeg


@functools.lru_cache(maxsize=16)
def _solid_jpeg(width: int, height: int, tone: int) -> bytes:
    background = Color("rgb({},{},{})".format(*_TONES[tone]))
    with Image(width=width, height=height, background=background) as img:
        img.format = "jpeg"
        img.compression_quality = 100
        img.strip()
        return img.make_blob()


def _segments(jpeg: bytes) -> list[int]:
    """Offsets of the marker segments before the image data (SOS)."""
    offsets, at = [], 2
    while at + 4 <= len(jpeg) and jpeg[at] == 0xFF and jpeg[at + 1] != 0xDA:
        offsets.append(at)
        at += 2 + struct.unpack(">H", jpeg[at + 2 : at + 4])[0]
    return offsets


def with_exif_date(
    jpeg: bytes, date_taken: datetime, subsec: str | None = None, offset: str | None = None
) -> bytes:
    """``jpeg`` with an EXIF APP1 segment carrying DateTimeOriginal (+ SubSec/OffsetTime).

    Only the metadata changes: the pixels, and so the ImageMagick signature, stay the same.
    """
    if jpeg[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG")
    return jpeg[:2] + exif_segment(date_taken, subsec, offset) + jpeg[2:]


def date_tags(
    date_taken: datetime, subsec: str | None = None, offset: str | None = None
) -> list[tuple[int, bytes]]:
    """The ASCII EXIF tags of a date taken: DateTimeOriginal, OffsetTimeOriginal,
    SubSecTimeOriginal."""
    tags = [(0x9003, date_taken.strftime("%Y:%m:%d %H:%M:%S").encode() + b"\0")]
    if offset:
        tags.append((0x9011, offset.encode() + b"\0"))
    if subsec:
        tags.append((0x9291, subsec.encode() + b"\0"))
    return tags


def ascii_ifd(tags: list[tuple[int, bytes]], at: int, endian: str = ">") -> bytes:
    """A TIFF IFD of ASCII ``tags`` starting at offset ``at``, its longer values right after it."""
    values_at = at + 2 + 12 * len(tags) + 4
    entries, values = b"", b""
    for tag, value in tags:
        if len(value) <= 4:
            entries += struct.pack(endian + "HHI", tag, 2, len(value)) + value.ljust(4, b"\0")
        else:
            entries += struct.pack(endian + "HHII", tag, 2, len(value), values_at + len(values))
            values += value + (b"\0" if len(value) % 2 else b"")
    return struct.pack(endian + "H", len(tags)) + entries + struct.pack(endian + "I", 0) + values


def exif_segment(
    date_taken: datetime, subsec: str | None = None, offset: str | None = None
) -> bytes:
    """A big-endian TIFF/EXIF APP1 segment: IFD0 -> ExifIFD with the date tags."""
    ifd0_offset = 8
    exif_offset = ifd0_offset + 2 + 12 + 4
    ifd0 = (
        struct.pack(">H", 1)
        + struct.pack(">HHII", 0x8769, 4, 1, exif_offset)
        + struct.pack(">I", 0)
    )
    tiff = (
        b"MM\x00\x2a"
        + struct.pack(">I", ifd0_offset)
        + ifd0
        + ascii_ifd(date_tags(date_taken, subsec, offset), exif_offset)
    )
    payload = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload

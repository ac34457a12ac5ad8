"""Real videos and RAW files for the tests, as phones and cameras write them.

Videos are made by FFmpeg (Debian's ``ffmpeg``, installed by ``make setup``): a fraction of a
second of a test pattern unique to a seed, with the container metadata each kind of device writes.
RAW files are TIFF-structured like a camera's (DNG, CR2, NEF, ARW, ORF...), or a CR3's CMT2 box,
or a RAF's embedded JPEG, each with a real EXIF date.
"""

from __future__ import annotations

import struct
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

from photosync.emulators.images import exif_segment, make_image
from tests.library.exif_files import exif_tiff, tiff_with_exif

# What each device writes (ffmpeg -metadata), given the local time and its UTC offset in hours.
DEVICES = ("iphone", "android", "camera", "matroska")


def make_video(path: Path, seed: int | str, taken: datetime | None = None,
               device: str = "android", utc_offset: float = 0.0, seconds: float = 0.3) -> Path:
    """A small real video at ``path`` (its extension picks the container) unique to ``seed``.

    ``iphone``: Apple's creationdate with the zone, plus creation_time in UTC (a MOV);
    ``android``/``camera``/``matroska``: creation_time in UTC only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    number = sum(str(seed).encode()) * 7919 + len(str(seed))
    meta: list[str] = []
    if taken is not None:
        zone = timezone(timedelta(hours=utc_offset))
        utc = taken.replace(tzinfo=zone).astimezone(timezone.utc)
        meta += ["-metadata", f"creation_time={utc:%Y-%m-%dT%H:%M:%S}.000000Z"]
        if device == "iphone":
            local = taken.replace(tzinfo=zone).strftime("%Y-%m-%dT%H:%M:%S%z")
            meta += ["-movflags", "use_metadata_tags",
                     "-metadata", f"com.apple.quicktime.creationdate={local}"]
    # The seed is drawn into the pixels and named in the title: distinct seeds, distinct bytes.
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi",
         "-i", f"testsrc=size=64x48:rate=10:duration={seconds},drawbox=x={number % 60}:y="
               f"{number // 60 % 44}:w=4:h=4:color=red",
         "-c:v", "mpeg4", "-metadata", f"title=seed {seed}", *meta, str(path)],
        check=True, capture_output=True)
    return path


def with_ifd0_entry(tiff: bytes, entry: bytes) -> bytes:
    """A little-endian ``tiff`` with one more 12-byte IFD0 ``entry`` (IFD0 rewritten at the end)."""
    (ifd0,) = struct.unpack_from("<I", tiff, 4)
    (count,) = struct.unpack_from("<H", tiff, ifd0)
    entries = [tiff[ifd0 + 2 + 12 * i:ifd0 + 14 + 12 * i] for i in range(count)] + [entry]
    entries.sort(key=lambda e: struct.unpack_from("<H", e)[0])
    (next_ifd,) = struct.unpack_from("<I", tiff, ifd0 + 2 + 12 * count)
    out = bytearray(tiff + (b"\0" if len(tiff) % 2 else b""))
    at = len(out)
    out += struct.pack("<H", len(entries)) + b"".join(entries) + struct.pack("<I", next_ifd)
    out[4:8] = struct.pack("<I", at)
    return bytes(out)


def pad_video(path: Path, size: int) -> Path:
    """Grow the MP4/MOV at ``path`` to ``size`` bytes with a trailing ``free`` box, as sparse
    zeros: still a valid video, made in no time and no disk space."""
    start = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.seek(start)
        fh.write(struct.pack(">I4s", size - start, b"free"))
        fh.truncate(size)
    return path


def make_raw(path: Path, seed: int | str, taken: datetime, offset: str | None = None) -> Path:
    """A small RAW file at ``path`` in the structure its extension's cameras use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = path.suffix.lower().lstrip(".")
    tiff = tiff_with_exif(make_image(f"raw:{seed}", fmt="tiff"), taken, None, offset)
    if kind == "orf":
        data = b"IIRO" + tiff[4:]
    elif kind == "rw2":
        data = b"IIU\0" + tiff[4:]
    elif kind == "cr3":
        body = exif_tiff(taken, None, offset)
        ftyp = struct.pack(">I", 24) + b"ftypcrx \0\0\0\x01crx isom"
        cmt2 = struct.pack(">I", 8 + len(body)) + b"CMT2" + body
        data = ftyp + struct.pack(">I", 8 + len(cmt2)) + b"uuid" + cmt2 + tiff
    elif kind == "dng":
        data = with_ifd0_entry(tiff, struct.pack("<HHI4s", 0xC612, 1, 4, b"\x01\x04\x00\x00"))
    elif kind == "cr2":  # Canon's "CR", version 2, and the RAW IFD's offset after the header
        data = tiff[:8] + b"CR\x02\x00\x00\x00\x00\x00" + tiff[16:]  # over pixel bytes
    elif kind == "raf":
        jpeg = make_image(f"raw:{seed}")
        jpeg = jpeg[:2] + exif_segment(taken, None, offset) + jpeg[2:]
        header = b"FUJIFILMCCD-RAW 0201FF383501".ljust(84, b"\0")
        data = header + struct.pack(">II", 92, len(jpeg)) + jpeg
    else:  # DNG, CR2, NEF, ARW, PEF, SRW: a TIFF from byte 0
        data = tiff
    path.write_bytes(data)
    return path

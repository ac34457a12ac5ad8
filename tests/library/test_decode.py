"""One read per file: hashes, ImageMagick signature (equal to `identify`), size, EXIF date."""

from __future__ import annotations

import hashlib
import struct
import subprocess
import zlib
from datetime import datetime
from pathlib import Path

import pytest
from wand.image import Image

from photosync.emulators.images import make_image, with_exif_date
from photosync.library.decode import decode_file
from photosync.library.exif import date_tags, exif_date
from photosync.library.magick import IM_QUANTUM, IM_VERSION

from tests.library.exif_files import (exif_tiff, jpeg_with_orientation, png_with_exif, tiff_with_exif,
                         webp_with_exif)

DATA = Path(__file__).parent / "data"
from photosync.library.outcome import is_permanent


def identify(path: Path) -> str:
    out = subprocess.run(["identify", "-format", "%#\n", str(path)], capture_output=True,
                         text=True, check=True).stdout
    return out


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def animated_gif(frames: int = 3) -> bytes:
    with Image() as sequence:
        for i in range(frames):
            with Image(blob=make_image(f"frame{i}", 32, 24, fmt="png")) as frame:
                sequence.sequence.append(frame)
        sequence.format = "gif"
        return sequence.make_blob()


@pytest.mark.parametrize("fmt, alpha", [("jpeg", False), ("png", True), ("png", False),
                                        ("gif", False), ("tiff", False), ("heic", False),
                                        ("webp", False)])
def test_signature_equals_identify(tmp_path: Path, fmt: str, alpha: bool):
    path = write(tmp_path, f"a.{fmt}", make_image(f"sig-{fmt}", 40, 30, fmt=fmt, alpha=alpha))
    got = decode_file(str(path))
    assert got.error is None
    assert got.signature == identify(path).strip()
    assert len(got.signature) == 64
    assert (got.width, got.height) == (40, 30)
    assert (got.signature_im_version, got.signature_quantum) == (IM_VERSION, IM_QUANTUM)
    assert IM_VERSION in (6, 7)
    assert got.media == "photo"


def test_png_alpha_matters(tmp_path: Path):
    with_alpha = decode_file(str(write(tmp_path, "a.png", make_image(1, fmt="png", alpha=True))))
    without = decode_file(str(write(tmp_path, "b.png", make_image(1, fmt="png", alpha=False))))
    assert with_alpha.signature != without.signature


def test_animated_gif_signature_combines_every_frame(tmp_path: Path):
    path = write(tmp_path, "anim.gif", animated_gif(3))
    lines = identify(path)
    assert len(lines.splitlines()) == 3
    got = decode_file(str(path))
    assert got.signature == hashlib.sha256(lines.encode()).hexdigest()  # identify ... | sha256sum
    two = decode_file(str(write(tmp_path, "two.gif", animated_gif(2))))
    assert two.signature != got.signature  # same first frames, different animation


def test_hashes_are_of_the_bytes(tmp_path: Path):
    data = make_image(7)
    got = decode_file(str(write(tmp_path, "a.jpg", data)))
    assert got.md5 == hashlib.md5(data).hexdigest()
    assert got.sha256 == hashlib.sha256(data).hexdigest()
    assert got.size == len(data) and got.inode == (tmp_path / "a.jpg").stat().st_ino


def test_exif_date_subsec_offset(tmp_path: Path):
    data = make_image(3, date_taken=datetime(2019, 7, 14, 18, 30, 5), subsec="042", offset="-05:00")
    got = decode_file(str(write(tmp_path, "a.jpg", data)))
    assert (got.date_taken, got.date_subsec, got.date_offset) == ("2019-07-14T18:30:05", "042", "-05:00")
    plain = decode_file(str(write(tmp_path, "b.jpg", make_image(3))))
    assert (plain.date_taken, plain.date_subsec, plain.date_offset) == (None, None, None)
    assert plain.signature == got.signature  # metadata is not part of the picture
    assert plain.md5 != got.md5


def test_metadata_edit_keeps_signature(tmp_path: Path):
    base = make_image(9)
    edited = with_exif_date(base, datetime(2001, 2, 3, 4, 5, 6))
    a = decode_file(str(write(tmp_path, "a.jpg", base)))
    b = decode_file(str(write(tmp_path, "b.jpg", edited)))
    assert a.signature == b.signature and a.sha256 != b.sha256


TAKEN = datetime(2022, 3, 4, 5, 6, 7)
EXPECTED = ("2022-03-04T05:06:07", "45", "-03:30")


@pytest.mark.parametrize("name, build", [
    ("exif.png", lambda: png_with_exif(make_image(5, fmt="png"), exif_tiff(TAKEN, "45", "-03:30"))),
    ("late.png", lambda: png_with_exif(make_image(5, fmt="png"), exif_tiff(TAKEN, "45", "-03:30"),
                                       after_idat=True)),
    ("exif.webp", lambda: webp_with_exif(make_image(5, fmt="webp"), 64, 48,
                                         exif_tiff(TAKEN, "45", "-03:30"))),
    ("prefixed.webp", lambda: webp_with_exif(make_image(5, fmt="webp"), 64, 48,
                                             exif_tiff(TAKEN, "45", "-03:30"), exif_header=True)),
    ("exif.tif", lambda: tiff_with_exif(make_image(5, fmt="tiff"), TAKEN, "45", "-03:30")),
    ("exif.jpg", lambda: make_image(5, date_taken=TAKEN, subsec="45", offset="-03:30")),
])
def test_exif_date_in_every_container(tmp_path: Path, name: str, build):
    """ImageMagick 6 alone misses WebP EXIF chunks, PNG eXIf and TIFF offsets; all are found."""
    path = write(tmp_path, name, build())
    got = decode_file(str(path))
    assert got.error is None
    assert (got.date_taken, got.date_subsec, got.date_offset) == EXPECTED
    assert got.signature == identify(path).strip()


def test_exif_date_in_heic_as_phones_write_it(tmp_path: Path):
    """An Exif item in a HEIC (made with exiftool: Apple make, Orientation 6, sub-seconds, offset)."""
    path = DATA / "exif.heic"
    got = decode_file(str(path))
    assert got.error is None and got.media == "photo"
    assert (got.date_taken, got.date_subsec, got.date_offset) == ("2023-08-09T10:11:12", "789", "+09:00")
    assert got.signature == identify(path).strip() and (got.width, got.height) == (64, 48)


def test_exif_additions_keep_the_signature(tmp_path: Path):
    plain = decode_file(str(write(tmp_path, "a.png", make_image(5, fmt="png"))))
    tagged = decode_file(str(write(tmp_path, "b.png", png_with_exif(
        make_image(5, fmt="png"), exif_tiff(TAKEN)))))
    assert plain.signature == tagged.signature and plain.md5 != tagged.md5


def test_orientation_only_edit_keeps_the_signature(tmp_path: Path):
    """Rotating by the EXIF Orientation tag (what a camera or a viewer's "rotate" does) changes no
    pixel data: the same picture, the same key, though ImageMagick sees the new orientation."""
    base = make_image(11)
    upright = write(tmp_path, "a.jpg", jpeg_with_orientation(base, 1, TAKEN))
    turned = write(tmp_path, "b.jpg", jpeg_with_orientation(base, 6, TAKEN))
    with Image(filename=str(turned)) as img:
        assert img.orientation == "right_top"
    a, b = decode_file(str(upright)), decode_file(str(turned))
    assert a.signature == b.signature == identify(turned).strip() and a.md5 != b.md5
    assert a.date_taken == b.date_taken == "2022-03-04T05:06:07"


@pytest.mark.parametrize("blob", [
    b"", b"Exif\0\0", b"Exif\0\0MM\0*\xff\xff\xff\xff", b"II*\0\x08\0\0\0\xff\xff",
    b"MM\0*\0\0\0\x08\0\x01\x87\x69\0\x04\0\0\0\x01\x7f\xff\xff\xff\0\0\0\0",
])
def test_damaged_exif_block_means_no_date(blob: bytes):
    assert date_tags(b"", blob) == {}


@pytest.mark.parametrize("original, subsec, offset, expected", [
    ("2020:01:02 03:04:05", None, None, ("2020-01-02T03:04:05", None, None)),
    ("2020:01:02 03:04:05\0", "5\0", "+01:00\0", ("2020-01-02T03:04:05", "5", "+01:00")),
    ("2020-01-02T03:04:05", "", "Z", ("2020-01-02T03:04:05", None, None)),
    ("0000:00:00 00:00:00", "1", "+01:00", (None, None, None)),
    ("    :  :     :  :  ", None, None, (None, None, None)),
    ("2020:13:02 03:04:05", None, None, (None, None, None)),
    ("2020:01:02 03:04:60", None, None, ("2020-01-02T03:04:59", None, None)),  # leap second
    (None, None, None, (None, None, None)),
    ("garbage", None, None, (None, None, None)),
    ("2021:06:07 08:09:10.123+02:00", None, None, ("2021-06-07T08:09:10", "123", "+02:00")),
    ("2021:06:07 08:09:10-05:00", "7", None, ("2021-06-07T08:09:10", "7", "-05:00")),
    ("2021:06:07 08:09:10+02:00", None, "+01:00", ("2021-06-07T08:09:10", None, "+01:00")),
    ("2021:06:07 08:09:10 garbage", None, None, ("2021-06-07T08:09:10", None, None)),
])
def test_exif_date_parsing(original, subsec, offset, expected):
    assert exif_date(original, subsec, offset) == expected


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


@pytest.mark.parametrize("name, data, reason", [
    ("empty.jpg", b"", "empty file"),
    ("text.jpg", b"hello, this is not a photo\n" * 20, "not an image"),
    ("half.jpg", truncated(make_image(1, 320, 240)), "damaged image"),
    ("half.png", truncated(make_image(1, 320, 240, fmt="png")), "could not decode"),
    ("half.gif", truncated(make_image(1, 320, 240, fmt="gif")), "damaged image"),
    ("noise.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8, "damaged image"),
])
def test_bad_files_fail_with_a_permanent_reason(tmp_path: Path, name: str, data: bytes, reason: str):
    got = decode_file(str(write(tmp_path, name, data)))
    assert got.error is not None and reason in got.error
    assert got.signature is None
    assert is_permanent(got.error)


def test_panorama_wider_than_debians_policy(tmp_path: Path):
    """Debian's ImageMagick policy refuses images over 16,000 pixels wide; photosync's own policy
    (MAGICK_CONFIGURE_PATH, set on import) lets phone and stitched panoramas through."""
    with Image(width=17000, height=400, pseudo="gradient:red-blue") as img:
        img.format = "jpeg"
        path = write(tmp_path, "pano.jpg", img.make_blob())
    got = decode_file(str(path))
    assert got.error is None and (got.width, got.height) == (17000, 400)
    assert got.signature == identify(path).strip()  # identify inherits the environment


def png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(1000)))
            + chunk(b"IEND", b""))


def test_decompression_bomb_is_refused_as_too_large(tmp_path: Path):
    """A 3.6-gigapixel PNG header over a few bytes of data: refused, not decoded into /tmp."""
    got = decode_file(str(write(tmp_path, "bomb.png", png_header_only(60000, 60000))))
    assert got.error and got.error.startswith("too large for ImageMagick's resource limits")
    assert is_permanent(got.error)


def test_vanished_file_is_a_transient_failure(tmp_path: Path):
    got = decode_file(str(tmp_path / "gone.jpg"))
    assert got.error == "vanished during the scan" and not is_permanent(got.error)


def test_video_is_hashed_not_decoded(tmp_path: Path):
    data = b"\0\0\0\x18ftypmp42" + bytes(5000)
    got = decode_file(str(write(tmp_path, "clip.mp4", data)), media="video")
    assert got.error is None and got.media == "video" and got.signature is None
    assert got.md5 == hashlib.md5(data).hexdigest()

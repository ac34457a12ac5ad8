"""One read per file: hashes, ImageMagick signature (equal to `identify`), size, EXIF date."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from wand.image import Image

from photosync.emulators.images import make_image, with_exif_date
from photosync.library.decode import decode_file, imagemagick_version
from photosync.library.magick import IM_QUANTUM, IM_VERSION, exif_date
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
    assert imagemagick_version() == (IM_VERSION, IM_QUANTUM) and IM_VERSION in (6, 7)
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


def test_vanished_file_is_a_transient_failure(tmp_path: Path):
    got = decode_file(str(tmp_path / "gone.jpg"))
    assert got.error == "vanished during the scan" and not is_permanent(got.error)


def test_video_is_hashed_not_decoded(tmp_path: Path):
    data = b"\0\0\0\x18ftypmp42" + bytes(5000)
    got = decode_file(str(write(tmp_path, "clip.mp4", data)), media="video")
    assert got.error is None and got.media == "video" and got.signature is None
    assert got.md5 == hashlib.md5(data).hexdigest()

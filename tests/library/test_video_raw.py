"""Videos and RAW files in the index (issue 19): found by the default extensions, identified by
the SHA-256 of their bytes, dated from their container or their EXIF."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pytest

from photosync.library.decode import decode_file
from photosync.library.video import parse_date
from tests.media_files import make_raw, make_video

TAKEN = datetime(2021, 6, 7, 8, 9, 10)


@pytest.mark.parametrize("name, device, offset, want", [
    # iPhone: Apple's creationdate keeps the local time and its zone.
    ("IMG_0001.MOV", "iphone", 2.0, ("2021-06-07T08:09:10", "+02:00")),
    ("IMG_0002.MOV", "iphone", -7.0, ("2021-06-07T08:09:10", "-07:00")),
    # Android phones and cameras: creation_time only, which is UTC.
    ("VID_20210607.mp4", "android", 2.0, ("2021-06-07T06:09:10", "+00:00")),
    ("MVI_0003.m4v", "camera", 0.0, ("2021-06-07T08:09:10", "+00:00")),
    ("clip.3gp", "android", 1.0, ("2021-06-07T07:09:10", "+00:00")),
    ("clip.mkv", "matroska", 0.0, ("2021-06-07T08:09:10", "+00:00")),
])
def test_a_video_is_dated_from_its_container(tmp_path: Path, name, device, offset, want):
    path = make_video(tmp_path / name, name, TAKEN, device=device, utc_offset=offset)
    got = decode_file(str(path), media="video")
    assert got.error is None and got.media == "video" and got.signature is None
    assert (got.date_taken, got.date_offset) == want
    assert got.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_videos_length_is_read_from_its_container_with_its_date(tmp_path: Path):
    for name, seconds in (("short.mp4", 0.3), ("long.mov", 4.0), ("clip.mkv", 2.0)):
        got = decode_file(str(make_video(tmp_path / name, name, TAKEN, seconds=seconds)),
                          media="video")
        assert got.duration == pytest.approx(seconds, abs=0.15), name
    photo = tmp_path / "p.jpg"
    from photosync.emulators.images import make_image
    photo.write_bytes(make_image(1))
    assert decode_file(str(photo)).duration is None


def test_a_video_without_a_date_has_none(tmp_path: Path):
    got = decode_file(str(make_video(tmp_path / "old.avi", 1)), media="video")
    assert got.error is None and got.date_taken is None and got.sha256


@pytest.mark.parametrize("text, want", [
    ("2021-06-07T08:09:10+0200", ("2021-06-07T08:09:10", None, "+02:00")),
    ("2021-06-07T08:09:10.250000Z", ("2021-06-07T08:09:10", "25", "+00:00")),
    ("1904-01-01T00:00:00.000000Z", (None, None, None)),  # QuickTime's zero date
    ("1970-01-01T00:00:00Z", (None, None, None)),
    ("garbage", (None, None, None)),
])
def test_container_dates_are_parsed(text, want):
    assert parse_date(text, utc_default=True) == want


@pytest.mark.parametrize("name", ["a.dng", "b.CR2", "c.nef", "d.arw", "e.orf", "f.rw2", "g.cr3",
                                  "h.raf", "i.pef"])
def test_a_raw_file_is_identified_by_its_bytes_and_dated_from_its_exif(tmp_path: Path, name):
    path = make_raw(tmp_path / name, name, TAKEN, offset="+02:00")
    got = decode_file(str(path))
    assert got.error is None and got.signature is None and got.media == "photo"
    assert got.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (got.date_taken, got.date_offset) == ("2021-06-07T08:09:10", "+02:00")


def test_the_default_extensions_index_videos_and_raw(root, run_scan, rows):
    make_video(root / "2021/clip.mov", 1, TAKEN, device="iphone", utc_offset=2)
    make_raw(root / "2021/IMG_1.CR2", 1, TAKEN)
    make_raw(root / "2021/IMG_2.nef", 2, TAKEN)
    result = run_scan()
    assert result.failed == [] and result.new == 3
    found = rows()
    assert found["2021/clip.mov"]["media"] == "video"
    assert found["2021/clip.mov"]["date_taken"] == "2021-06-07T08:09:10"
    assert found["2021/IMG_1.CR2"]["signature"] is None and found["2021/IMG_1.CR2"]["sha256"]
    assert found["2021/IMG_2.nef"]["date_taken"] == "2021-06-07T08:09:10"

"""Media kinds, Live Photo pairing and shots (photosync.sync.media): pure rules, table-driven."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from photosync.remotes.base import RemoteItem
from photosync.sync.media import kind_of, live_clips, remote_kind, shots

WHEN = datetime(2023, 7, 14, 18, 30, 5)


@dataclass(frozen=True)
class F:  # what the rules read of an indexed file
    path: str
    date_taken: datetime | None = WHEN
    date_offset: str | None = None
    media: str = "photo"


def clip(path: str, taken: datetime | None = WHEN, offset: str | None = None) -> F:
    return F(path, taken, offset, "video")


@pytest.mark.parametrize("photo, video, paired", [
    (F("a/IMG_1.HEIC"), clip("a/IMG_1.MOV"), True),
    (F("a/IMG_1.JPG"), clip("a/img_1.mov", datetime(2023, 7, 14, 18, 30, 6)), True),  # 1 s
    (F("a/IMG_1.JPG"), clip("a/IMG_1.MOV", datetime(2023, 7, 14, 18, 30, 9)), False),  # 4 s
    (F("a/IMG_1.JPG"), clip("a/IMG_1.MOV", None), False),  # a name alone never pairs
    (F("a/IMG_1.JPG"), clip("b/IMG_1.MOV"), False),  # another folder
    (F("a/IMG_1.JPG"), clip("a/IMG_2.MOV"), False),
    # Both zones known: compared as instants (the clip's date in UTC, the photo's local).
    (F("a/IMG_1.JPG", date_offset="+02:00"), clip("a/IMG_1.MOV", datetime(2023, 7, 14, 16, 30, 5),
                                             "+00:00"), True),
    (F("a/IMG_1.JPG", date_offset="+02:00"), clip("a/IMG_1.MOV", WHEN, "+00:00"), False),
    # Only one zone known: compared as the local times they are.
    (F("a/IMG_1.JPG"), clip("a/IMG_1.MOV", WHEN, "-07:00"), True),
    (F("a/IMG_1.CR2"), clip("a/IMG_1.MOV"), False),  # a RAW has no motion clip
])
def test_a_live_photo_clip_is_paired_by_stem_folder_and_moment(photo, video, paired):
    assert live_clips([photo, video]) == (frozenset({video.path}) if paired else frozenset())


def test_kinds_of_local_and_remote_files():
    assert [kind_of(p) for p in ("a.jpg", "a.HEIC", "a.MOV", "a.mts", "a.NEF", "a.dng")] == \
        ["photo", "photo", "video", "video", "raw", "raw"]
    assert kind_of("a.MOV", frozenset({"a.MOV"})) == "live_clip"
    assert remote_kind(RemoteItem("1", "x", media="video")) == "video"
    assert remote_kind(RemoteItem("2", "IMG_1.CR2", mime="image/x-canon-cr2")) == "raw"
    assert remote_kind(RemoteItem("3", "IMG_1.jpg", mime="image/jpeg")) == "photo"


def test_a_raw_and_its_jpeg_are_one_shot_only_on_the_same_date():
    files = [F("t/IMG_1.CR2"), F("t/IMG_1.JPG"), F("t/IMG_2.CR2"),
             F("t/IMG_2.JPG", datetime(2020, 1, 1)), F("t/IMG_3.jpg")]
    assert shots(files) == {"t/IMG_1.CR2": "t/img_1", "t/IMG_1.JPG": "t/img_1"}

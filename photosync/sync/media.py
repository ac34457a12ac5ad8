"""Media rules (``flickr.media``, ``drive.media``): what kind each file is, and its sync key.

Kinds: ``photo`` (decoded; known by its pixel signature), ``raw`` (a camera RAW file) and
``video`` (both known by the SHA-256 of their bytes), and ``live_clip``: a video that is the
motion half of a Live Photo, i.e. a photo beside it (same folder) with the same stem AND the same
date taken, within :data:`LIVE_SECONDS`; a name alone never pairs them (IMG_1234.MOV of another
year, another camera's numbering). Shots: a RAW and its JPEG (same stem, same date) and a Live
Photo's photo and clip are one shot to the user; the report shows them together.

Pure functions over the index's files, like the planner they serve.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Literal, Protocol

from photosync.library.rules import RAW_EXTENSIONS, VIDEO_EXTENSIONS, extension
from photosync.remotes.base import RemoteItem
from photosync.remotes.names import remote_extension
from photosync.state.index import LocalFile

Kind = Literal["photo", "video", "live_clip", "raw"]
LIVE_SECONDS = 2.0  # a Live Photo's clip and photo carry the same moment, to about a second
VIDEOS: frozenset[str] = frozenset({"video", "live_clip"})


class Dated(Protocol):
    """What shot-finding needs of a local file."""

    @property
    def path(self) -> str: ...
    @property
    def date_taken(self) -> datetime | None: ...


def kind_of(path: str, live_clips: frozenset[str] = frozenset()) -> Kind:
    """The media rule kind of a local file at ``path``."""
    if path in live_clips:
        return "live_clip"
    ext = extension(path)
    if ext in RAW_EXTENSIONS:
        return "raw"
    return "video" if ext in VIDEO_EXTENSIONS else "photo"


def remote_kind(item: RemoteItem) -> Kind:
    """A remote item's kind: a clip there is a video (nothing on a remote says "Live Photo")."""
    if item.media == "video":
        return "video"
    return "raw" if remote_extension(item) in RAW_EXTENSIONS else "photo"


def live_clips(files: Sequence[LocalFile]) -> frozenset[str]:
    """Paths of the videos that are Live Photo clips (see the module's rule)."""
    clips = set()
    for members in _by_stem(files).values():
        photos = [f for f in members if kind_of(f.path) == "photo"]
        for video in (f for f in members if f.media == "video"):
            if any(_same_moment(video, p) for p in photos):
                clips.add(video.path)
    return frozenset(clips)


def shots(files: Sequence[Dated]) -> dict[str, str]:
    """path -> a shot key, for files that share a stem, a folder and a date taken with another
    (a RAW and its JPEG, a Live Photo's photo and clip): what the report groups."""
    found: dict[str, str] = {}
    for (folder, stem), members in _by_stem(files).items():
        dated = [f for f in members if f.date_taken is not None]
        for f in dated:
            twins = [g for g in dated if g is not f and _same_moment(f, g)]
            if twins:
                found[f.path] = f"{folder}/{stem}" if folder else stem
    return found


def folder_and_stem(path: str) -> tuple[str, str]:
    """What a Live Photo's or a shot's files share: their folder and (case-insensitive) stem."""
    folder, _, name = path.rpartition("/")
    stem = name.rpartition(".")[0] or name
    return folder, stem.casefold()


def _by_stem(files: Iterable[Dated]) -> Mapping[tuple[str, str], list]:
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for f in files:
        groups[folder_and_stem(f.path)].append(f)
    return groups


def _same_moment(a: Dated, b: Dated) -> bool:
    """Both dated, within LIVE_SECONDS: as instants when both zones are known, else as the
    local times they are."""
    if a.date_taken is None or b.date_taken is None:
        return False
    first, second = _moment(a), _moment(b)
    if (first.tzinfo is None) != (second.tzinfo is None):
        first, second = a.date_taken, b.date_taken
    return abs((first - second).total_seconds()) <= LIVE_SECONDS


def _moment(f: Dated) -> datetime:
    assert f.date_taken is not None
    offset = getattr(f, "date_offset", None)
    if not offset:
        return f.date_taken
    sign = -1 if offset[0] == "-" else 1
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return f.date_taken.replace(tzinfo=zone)

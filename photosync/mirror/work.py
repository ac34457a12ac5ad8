"""One photo's work: decide what is missing or stale (pure), then do it (on a pool thread).

A photo is complete when its file is in photostream/ with the size recorded for the version
Flickr lists now, and its sidecar was written at the requested level for its current
``last_update``. Anything less is redone; nothing more is ever fetched (comments only for a
photo whose sidecar is rewritten).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from photosync.errors import ItemError
from photosync.mirror.layout import Layout
from photosync.mirror.metadata import comment_list, photo_document, write_json
from photosync.mirror.photo import MirrorPhoto
from photosync.mirror.source import FlickrSource
from photosync.state.mirror import PhotoRow


@dataclass(frozen=True)
class Settings:
    """The options that decide what "complete" means."""

    info_level: int = 0
    image_only: bool = False
    info_only: bool = False
    verify: bool = False


@dataclass(frozen=True)
class Task:
    photo: MirrorPhoto
    row: PhotoRow | None
    file: Path
    need_file: bool
    need_meta: bool
    check_file: bool  # --verify: read the existing file before trusting it
    old: Path | None = None  # the file under its former name (a preview's, or the original's)


@dataclass(frozen=True)
class Done:
    """What a task left behind (recorded by the caller, on its own thread)."""

    path: Path
    size: int | None
    version: str | None
    info_level: int | None
    downloaded: int  # bytes, 0 when the file was kept
    repaired: bool = False  # the same version fetched again: lost, cut short or unreadable here
    wrote_meta: bool = False  # the sidecar's content changed


def plan(photo: MirrorPhoto, row: PhotoRow | None, layout: Layout,
         settings: Settings) -> Task | None:
    """The task ``photo`` needs, or None when it is complete."""
    live = row if row is not None and row.status == "complete" else None
    held = layout.dest / row.path if row is not None and row.path else None
    file = layout.file(photo.name)
    old = held if held is not None and held != file and not settings.info_only else None
    if settings.info_only and held is not None:
        file = held  # no file is touched, so none is renamed either
    need_file = not settings.info_only and _needs_file(photo, live, old or file)
    need_meta = not settings.image_only and (old is not None
                                             or _needs_meta(photo, live, old or file, settings))
    stale_row = live is None or live.last_update != photo.last_update
    check = settings.verify and not settings.info_only and not need_file
    if not (need_file or need_meta or stale_row or check or old):
        return None
    return Task(photo, row, file, need_file, need_meta, check, old)


def _needs_file(photo: MirrorPhoto, live: PhotoRow | None, file: Path) -> bool:
    """No complete file of the photo's current version at ``file``."""
    return (live is None or live.version != photo.version or live.size is None
            or not has_size(file, live.size))


def _needs_meta(photo: MirrorPhoto, live: PhotoRow | None, file: Path,
                settings: Settings) -> bool:
    """No sidecar of the photo's last update at the requested level."""
    return (live is None or live.info_level != settings.info_level
            or live.last_update != photo.last_update
            or not file.with_name(file.name + ".json").exists())


def has_size(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def execute(task: Task, source: FlickrSource, settings: Settings) -> Done:
    """Download and/or write the sidecar; set the file's mtime to the date taken."""
    photo, row = task.photo, task.row
    size = row.size if row is not None else None
    version = row.version if row is not None else None
    downloaded, wrote_meta = 0, False
    need_file = task.need_file
    if task.check_file and not file_is_sound(task.file, photo.media):
        need_file = True
    live = row is not None and row.status == "complete"
    repaired = need_file and live and version == photo.version
    if task.old is not None and not need_file:  # the same version under its new name
        _move(task.old, task.file)
    if need_file:
        size = downloaded = source.download(photo, task.file)
        version = photo.version
        if task.old is not None:  # e.g. the original replaced the preview: the preview goes
            for path in (task.old, task.old.with_name(task.old.name + ".json")):
                path.unlink(missing_ok=True)
    level = row.info_level if row is not None and live else None
    if task.need_meta:
        wrote_meta = _write_sidecar(task.file, photo, source, settings)
        level = settings.info_level
    if task.file.exists():
        _set_mtime(task.file, photo)
    return Done(task.file, size if task.file.exists() else None, version, level, downloaded,
                repaired, wrote_meta)


def _move(old: Path, new: Path) -> None:
    """Rename a file and its sidecar (a preview named like a photo by an older photosync)."""
    for source, target in ((old, new), (old.with_name(old.name + ".json"),
                                        new.with_name(new.name + ".json"))):
        if source.exists():
            os.replace(source, target)


def _write_sidecar(file: Path, photo: MirrorPhoto, source: FlickrSource,
                   settings: Settings) -> bool:
    """Write the photo's JSON sidecar at the requested level; True when its content changed."""
    comments = None
    if settings.info_level >= 2 and photo.comments != 0:  # none listed: nothing to ask
        comments = comment_list(source.comments(photo.id))
    return write_json(file.with_name(file.name + ".json"),
                      photo_document(photo, settings.info_level, comments))


def file_is_sound(path: Path, media: str) -> bool:
    """--verify: the file is there and, for a photo, decodes completely."""
    if not path.is_file() or path.stat().st_size == 0:
        return False
    if media != "photo":
        return True
    from wand.exceptions import WandException
    from wand.image import Image
    try:
        with Image(filename=str(path)) as image:
            _ = image.signature  # forces a full decode of the pixels
    except WandException:
        return False
    return True


def _set_mtime(path: Path, photo: MirrorPhoto) -> None:
    taken = photo.taken_at
    if taken is None:
        return
    try:
        stamp = time.mktime(taken.timetuple())
    except (OverflowError, ValueError):
        return
    if abs(path.stat().st_mtime - stamp) > 1:
        os.utime(path, (stamp, stamp))


def failure(task: Task, exc: Exception) -> str:
    """One line saying which photo failed and why."""
    title = f" ({task.photo.title})" if task.photo.title else ""
    reason = str(exc) if isinstance(exc, ItemError) or str(exc) else type(exc).__name__
    return f"photo {task.photo.id}{title}: {reason}; skipped"

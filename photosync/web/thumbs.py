"""Small previews for the dashboard, kept in a bounded memory cache.

Local files are rendered with Wand; only files the dashboard resolved itself (an indexed photo by
its id, a trashed file by its id) are read, never a path taken from a request. A photo that is
only on a remote is shown with the remote's own small rendition (:class:`RemotePreviews`), asked
for only for items of the plan the page shows: the dashboard is never a proxy for any address.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from photosync.config import Config
from photosync.errors import PhotosyncError
from photosync.lru import BytesLRU
from photosync.remotes.base import Remote, RemoteItem, ShowsThumbnails

log = logging.getLogger("photosync.web")

SIZE = 160
CACHE_ENTRIES = 512


class Thumbnails(BytesLRU):
    def __init__(self) -> None:
        super().__init__(CACHE_ENTRIES)

    def get(self, path: Path) -> bytes | None:
        """A JPEG preview of the photo at ``path``, or None when it cannot be read."""
        try:
            st = path.stat()
        except OSError:
            return None
        return self.cached((str(path), st.st_mtime_ns, st.st_size), lambda: _render(path))


# The image formats a remote's preview may be served as (anything else is not passed on).
IMAGE_TYPES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"),
               (b"GIF8", "image/gif"))


def image_type(data: bytes) -> str | None:
    """The MIME type of a JPEG, PNG or GIF by its first bytes; None for anything else."""
    return next((mime for magic, mime in IMAGE_TYPES if data.startswith(magic)), None)


class RemotePreviews:
    """Remote-only photos' previews, fetched through the remote's own backend (one per remote,
    built on first use, one request at a time: a page of thumbnails must not crowd a sync)."""

    def __init__(self, config: Callable[[], Config],
                 factory: Callable[[str, Config], Remote]) -> None:
        self.config = config
        self.factory = factory
        self._remotes: dict[str, Remote] = {}
        self._lock = threading.Lock()

    def get(self, cache: Thumbnails, remote: str, item: RemoteItem) -> bytes | None:
        key = ("remote", remote, item.id, item.updated)
        return cache.cached(key, lambda: self._fetch(remote, item))

    def _fetch(self, name: str, item: RemoteItem) -> bytes | None:
        with self._lock:
            try:
                remote = self._remotes.get(name) or self.factory(name, self.config())
                self._remotes[name] = remote
                if not isinstance(remote, ShowsThumbnails):
                    return None
                data = remote.thumbnail(item)
            except PhotosyncError as exc:
                log.info("dashboard: no preview of %s on %s: %s", item.id, name, exc)
                return None
        return data if data and image_type(data) else None


def _render(path: Path) -> bytes | None:
    from wand.exceptions import WandException
    from wand.image import Image

    from photosync.library.magick import NOT_PHOTOS

    try:
        with Image() as img:
            img.options["jpeg:size"] = f"{SIZE * 2}x{SIZE * 2}"  # decode a JPEG at a fraction
            img.read(filename=str(path))
            if (img.format or "").upper() in NOT_PHOTOS:
                return None
            with img.sequence[0].clone() as first:  # an animation's first frame
                first.auto_orient()
                first.thumbnail(SIZE, SIZE)
                first.strip()
                first.format = "jpeg"
                return bytes(first.make_blob())
    except (WandException, OSError, ValueError):
        return None

"""The emulated Drive's ``thumbnailLink`` / ``hasThumbnail`` and the thumbnail files they name.

Drive documents ``thumbnailLink`` as "a short-lived link to the file's thumbnail, if available.
Typically lasts on the order of hours" and serves it from ``lh3.googleusercontent.com``
(``.../drive-storage/<opaque>=s220``; the ``=sN`` suffix picks the longest edge). What the real
link demands is not documented; the emulator assumes the link itself is the credential (no bearer
token; an unguessable part that changes with the file's content, so a link handed out before a
new revision stops working, like an expired one). Images and videos have thumbnails; a video's is
a poster frame (here: a generated image of the video's size class).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from photosync.emulators.drive_files import DriveFile
from photosync.lru import BytesLRU

DEFAULT_EDGE = 220  # Drive's links end in =s220
MAX_EDGE = 1600
CACHE_ENTRIES = 256


def fields(f: DriveFile, base_url: str) -> dict[str, Any]:
    """``hasThumbnail`` and, where there is one, ``thumbnailLink`` for ``f``."""
    if not has_thumbnail(f):
        return {"hasThumbnail": False}
    return {
        "hasThumbnail": True,
        "thumbnailLink": f"{base_url}/drive-storage/{link_of(f)}=s{DEFAULT_EDGE}",
    }


def has_thumbnail(f: DriveFile) -> bool:
    return bool(f.blob) and not f.trashed and f.mimeType.startswith(("image/", "video/"))


def link_of(f: DriveFile) -> str:
    digest = hashlib.sha256(f"thumb:{f.id}:{f.blob}".encode()).hexdigest()[:24]
    return f"{f.id}_{digest}"


def file_of(link: str, files: Mapping[str, DriveFile]) -> DriveFile | None:
    """The file a link names, if the link is still current (same file, same content)."""
    file_id = link.rsplit("_", 1)[0]
    f = files.get(file_id)
    if f is None or not has_thumbnail(f) or link_of(f) != link:
        return None
    return f


class Thumbnails(BytesLRU):
    """Scaled JPEGs made on demand with Wand, kept in a small LRU."""

    def __init__(self) -> None:
        super().__init__(CACHE_ENTRIES)

    def get(self, blob: str, edge: int, read: Callable[[str], bytes]) -> bytes | None:
        return self.cached((blob, edge), lambda: _scaled(read(blob), edge))


def _scaled(data: bytes, edge: int) -> bytes | None:
    from wand.exceptions import WandException
    from wand.image import Image

    from photosync.emulators.images import make_image

    try:
        with Image(blob=data) as img, img.sequence[0].clone() as first:
            first.transform(resize=f"{edge}x{edge}>")
            first.format = "jpeg"
            return bytes(first.make_blob())
    except (WandException, ValueError):
        return make_image("poster", min(edge, 160), min(edge, 120))  # a video: a poster frame

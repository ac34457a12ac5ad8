"""Small JPEG previews for the dashboard, made with Wand and kept in a bounded memory cache.

Only files the dashboard resolved itself (an indexed photo by its id, a trashed file by its id)
are read: never a path taken from a request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

SIZE = 160
CACHE_ENTRIES = 512


class Thumbnails:
    def __init__(self) -> None:
        self._cache: OrderedDict[tuple[str, int, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path) -> bytes | None:
        """A JPEG preview of the photo at ``path``, or None when it cannot be read."""
        try:
            st = path.stat()
        except OSError:
            return None
        key = (str(path), st.st_mtime_ns, st.st_size)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        data = _render(path)
        if data is not None:
            with self._lock:
                self._cache[key] = data
                while len(self._cache) > CACHE_ENTRIES:
                    self._cache.popitem(last=False)
        return data


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

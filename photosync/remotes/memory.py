"""MemoryRemote: a complete in-process remote for algorithm tests (and the contract's reference).

It keeps every item's bytes, MD5, signature, EXIF date and album membership in memory, pages its
listings, keeps a change log for cursors, and takes injected faults (a :class:`Fault` through
:meth:`MemoryRemote.inject`). Like a real backend it calls ``limiter.acquire()`` once per
"request" (every method call or page) and counts its calls in ``calls``.
"""

from __future__ import annotations

import hashlib
import itertools
import mimetypes
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from photosync.errors import Conflict, NotFound, TransientError
from photosync.library.rules import is_raw
from photosync.remotes.base import (
    Album,
    Capabilities,
    Changes,
    Collection,
    CursorExpired,
    Page,
    RemoteItem,
)
from photosync.remotes.faults import Fault, FaultPlan
from photosync.remotes.files import atomic_download, open_to_send
from photosync.remotes.names import is_decodable_image
from photosync.remotes.pace import RateLimiter

T = TypeVar("T")


@dataclass
class _Item:
    id: str
    name: str
    data: bytes
    mime: str | None  # sniffed from the content, like Flickr's originalformat
    signature: str | None
    date_taken: datetime | None
    date_taken_known: bool
    updated: float
    seq: int  # change-log position of the last change


@dataclass
class _Album:
    id: str
    title: str
    item_ids: list[str] = field(default_factory=list)
    owned: bool = True


class MemoryRemote:
    """The whole :class:`~photosync.remotes.base.Remote` contract, in memory, thread-safe."""

    def __init__(self, *, page_size: int = 100, capabilities: Capabilities | None = None,
                 limiter: RateLimiter | None = None, clock: Callable[[], float] = time.time,
                 name: str = "memory"):
        self.name = name
        self.page_size = page_size
        self.capabilities = capabilities or Capabilities(hashes=frozenset({"md5"}))
        self.limiter = limiter or RateLimiter(None)
        self.clock = clock
        self.faults = FaultPlan()
        self.calls: Counter[str] = Counter()
        self._lock = threading.RLock()
        self._items: dict[str, _Item] = {}
        self._albums: dict[str, _Album] = {}
        self._removed: list[tuple[int, str]] = []  # (seq, item id)
        self._seq = 0
        self._oldest_cursor = 0
        self._ids = itertools.count(1)

    # -- test seams ------------------------------------------------------------------------
    def inject(self, fault: Fault) -> None:
        """Make upcoming calls fail (see :class:`Fault`)."""
        self.faults.add(fault)

    def seed(self, data: bytes, name: str, signature: str | None = None,
             albums: tuple[str, ...] = ()) -> RemoteItem:
        """Add an item as if the user uploaded it elsewhere (no pacing, no faults)."""
        with self._lock:
            item = self._store(data, name, signature)
            for title in albums:
                album = self._album_titled(title) or self._new_album(title, owned=False)
                self._add(album, item.id)
            return self._export(item)

    def seed_album(self, title: str, item_ids: list[str]) -> Album:
        """An album made by the user, not by us (``owned_by_us`` False)."""
        with self._lock:
            album = self._new_album(title, owned=False)
            for item_id in item_ids:
                self._add(album, self._get(item_id).id)
            return self._export_album(album)

    def forget_changes(self) -> None:
        """Expire every cursor handed out so far, like a remote that dropped its change log."""
        with self._lock:
            self._oldest_cursor = self._seq

    def content(self, item_id: str) -> bytes:
        """The stored bytes of an item (for assertions)."""
        with self._lock:
            return self._get(item_id).data

    # -- the protocol ----------------------------------------------------------------------
    def list_page(self, token: str | None) -> Page:
        def run() -> Page:
            snapshot, after = (self._seq, 0) if token is None else map(int, token.split(":"))
            ids = sorted(int(i) for i in self._items if int(i) > after)[: self.page_size]
            items = [self._export(self._items[str(i)]) for i in ids]
            if len(ids) < self.page_size or not self._has_id_after(ids[-1]):
                return Page(items, None, str(snapshot))
            return Page(items, f"{snapshot}:{ids[-1]}")
        return self._request("list_page", run)

    def changes_page(self, cursor: str) -> Changes:
        def run() -> Changes:
            since = self._parse_cursor(cursor)
            events = sorted([(i.seq, i.id, True) for i in self._items.values() if i.seq > since]
                            + [(seq, item_id, False) for seq, item_id in self._removed
                               if seq > since])
            page, more = events[: self.page_size], len(events) > self.page_size
            new_cursor = str(page[-1][0]) if page and more else str(self._seq)
            changed = [self._export(self._items[i]) for _, i, alive in page if alive]
            removed = [i for _, i, alive in page if not alive]
            if not self.capabilities.changes_report_deletions:
                removed = []
            return Changes(changed, removed, new_cursor, more)
        return self._request("changes_page", run)

    def upload(self, path: Path, name: str, album: str | None, signature: str) -> RemoteItem:
        with open_to_send(path) as fh:
            data = fh.read()

        def run() -> RemoteItem:
            item = self._store(data, name, signature)
            if album:
                target = self._album_titled(album) or self._new_album(album, owned=True)
                self._add(target, item.id)
            return self._export(item)
        return self._request("upload", run)

    def replace(self, item_id: str, path: Path, signature: str) -> RemoteItem:
        with open_to_send(path) as fh:
            data = fh.read()

        def run() -> RemoteItem:
            item = self._get(item_id)
            item.data, item.signature = data, signature
            item.mime, item.date_taken, item.date_taken_known = _inspect(data, item.name,
                                                                         self.clock())
            self._touch(item)
            return self._export(item)
        return self._request("replace", run)

    def download(self, item_id: str, dest: Path, overwrite: bool = False,
                 listed: RemoteItem | None = None) -> Path:
        """An injected fault here cuts the transfer halfway, like a dropped connection."""
        self.limiter.acquire()
        cut = self.faults.take("download") is not None
        with self._lock:
            self.calls["download"] += 1
            item, data = self._export(self._get(item_id)), self._get(item_id).data
        body = data[: len(data) // 2] if cut else data
        return atomic_download(dest, lambda out: out.write(body), item.size, item.md5,
                               verify_image=is_decodable_image(item.mime or "image/"),
                               overwrite=overwrite)

    def delete(self, item_id: str) -> None:
        def run() -> None:
            self._get(item_id)
            del self._items[item_id]
            for album in self._albums.values():
                if item_id in album.item_ids:
                    album.item_ids.remove(item_id)
            self._seq += 1
            self._removed.append((self._seq, item_id))
        self._request("delete", run)

    def find_by_signature(self, signature: str) -> list[RemoteItem]:
        return self._request("find_by_signature", lambda: [
            self._export(i) for i in self._items.values() if i.signature == signature])

    def set_signature(self, item_id: str, signature: str, untagged: bool = False) -> None:
        def run() -> None:
            item = self._get(item_id)
            if item.signature != signature:
                item.signature = signature
                self._touch(item)
        self._request("set_signature", run)

    def list_collections(self) -> list[Collection]:
        return []

    def list_albums(self) -> list[Album]:
        return self._request("list_albums",
                             lambda: [self._export_album(a) for a in self._albums.values()])

    def create_album(self, title: str, first_item_id: str) -> Album:
        def run() -> Album:
            self._get(first_item_id)
            album = self._new_album(title, owned=True)
            self._add(album, first_item_id)
            return self._export_album(album)
        return self._request("create_album", run)

    def add_to_album(self, album_id: str, item_id: str) -> None:
        self._request("add_to_album",
                      lambda: self._add(self._get_album(album_id), self._get(item_id).id))

    def remove_from_album(self, album_id: str, item_id: str) -> None:
        def run() -> None:
            album = self._get_album(album_id)
            if item_id in album.item_ids:
                album.item_ids.remove(item_id)
                self._touch(self._get(item_id))
        self._request("remove_from_album", run)

    def reorder_album(self, album_id: str, item_ids: list[str]) -> None:
        def run() -> None:
            album = self._get_album(album_id)
            first = [i for i in dict.fromkeys(item_ids) if i in album.item_ids]
            album.item_ids = first + [i for i in album.item_ids if i not in first]
        self._request("reorder_album", run)

    def edit_album(self, album_id: str, item_ids: list[str]) -> None:
        def run() -> None:
            album = self._get_album(album_id)
            first = list(dict.fromkeys(self._get(i).id for i in item_ids))
            for item_id in first:
                self._add(album, item_id)
            album.item_ids = first + [i for i in album.item_ids if i not in first]
        self._request("edit_album", run)

    def delete_album(self, album_id: str) -> None:
        def run() -> None:
            album = self._get_album(album_id)
            if not album.owned:
                raise Conflict(f"album {album.title!r} was not created by photosync; kept")
            del self._albums[album_id]
            for item_id in album.item_ids:
                self._touch(self._items[item_id])
        self._request("delete_album", run)

    # -- internals (called with the lock held) ----------------------------------------------
    def _request(self, method: str, action: Callable[[], T]) -> T:
        """One paced request: maybe an injected fault before or after the work."""
        self.limiter.acquire()
        fault = self.faults.take(method)
        with self._lock:
            self.calls[method] += 1
            if fault and not fault.lost_response:
                raise TransientError(f"memory: injected fault in {method}", fault.retry_after)
            result = action()
        if fault:
            raise TransientError(f"memory: response to {method} lost", fault.retry_after)
        return result

    def _store(self, data: bytes, name: str, signature: str | None) -> _Item:
        self._seq += 1
        mime, taken, known = _inspect(data, name, self.clock())
        item = _Item(str(next(self._ids)), name, data, mime, signature, taken, known,
                     self.clock(), self._seq)
        self._items[item.id] = item
        return item

    def _touch(self, item: _Item) -> None:
        self._seq += 1
        item.seq, item.updated = self._seq, self.clock()

    def _get(self, item_id: str) -> _Item:
        try:
            return self._items[item_id]
        except KeyError:
            raise NotFound(f"memory: no item {item_id}") from None

    def _get_album(self, album_id: str) -> _Album:
        try:
            return self._albums[album_id]
        except KeyError:
            raise NotFound(f"memory: no album {album_id}") from None

    def _album_titled(self, title: str) -> _Album | None:
        found = sorted((a for a in self._albums.values() if a.title == title),
                       key=lambda a: not a.owned)
        return found[0] if found else None

    def _new_album(self, title: str, owned: bool) -> _Album:
        album = _Album(f"a{next(self._ids)}", title, owned=owned)
        self._albums[album.id] = album
        return album

    def _add(self, album: _Album, item_id: str) -> None:
        if item_id in album.item_ids:
            return
        if self.capabilities.exclusive_albums:
            for other in self._albums.values():
                if item_id in other.item_ids:
                    other.item_ids.remove(item_id)
        album.item_ids.append(item_id)
        self._touch(self._items[item_id])

    def _has_id_after(self, last: int) -> bool:
        return any(int(i) > last for i in self._items)

    def _parse_cursor(self, cursor: str) -> int:
        try:
            since = int(cursor)
        except ValueError:
            raise CursorExpired(f"memory: not a cursor: {cursor!r}") from None
        if since < self._oldest_cursor or since > self._seq:
            raise CursorExpired(f"memory: cursor {cursor} expired")
        return since

    def _export(self, item: _Item) -> RemoteItem:
        mime = item.mime
        return RemoteItem(
            id=item.id, name=item.name, size=len(item.data),
            md5=hashlib.md5(item.data).hexdigest() if "md5" in self.capabilities.hashes else None,
            signature=item.signature, date_taken=item.date_taken,
            date_taken_known=item.date_taken_known,
            media="video" if (mime or "").startswith("video/") else "photo",
            albums=tuple(a.title for a in self._albums.values() if item.id in a.item_ids),
            updated=item.updated, mime=mime)

    def _export_album(self, album: _Album) -> Album:
        return Album(album.id, album.title, tuple(album.item_ids), album.owned)


def _inspect(data: bytes, name: str, now: float) -> tuple[str | None, datetime, bool]:
    """MIME type and EXIF DateTimeOriginal as Flickr/Drive read them from the content; without
    a date, the upload time marked unknown (Flickr's ``datetakenunknown``)."""
    guessed = mimetypes.guess_type(name)[0]
    if (guessed or "").startswith("video/") or is_raw(name):
        return guessed, datetime.fromtimestamp(now).replace(microsecond=0), False
    from wand.exceptions import WandException
    from wand.image import Image
    try:
        with Image.ping(blob=data) as img:
            mime, raw = img.mimetype, img.metadata.get("exif:DateTimeOriginal")
        if mime and "/x-" in mime and mimetypes.guess_extension(mime.replace("/x-", "/")):
            mime = mime.replace("/x-", "/")  # ImageMagick's image/x-webp is image/webp
        if raw:
            return mime, datetime.strptime(raw.strip(), "%Y:%m:%d %H:%M:%S"), True
        guessed = mime
    except (WandException, ValueError):
        pass
    return guessed, datetime.fromtimestamp(now).replace(microsecond=0), False

"""Apply a plan: transfers in a bounded pool, each action journalled before and after it runs.

Workers do the I/O and return what changed; the main thread alone writes the database, so SQLite
is never shared across threads. A failed item is reported and the run goes on; an authorization
or unavailable-remote error stops this remote's remaining actions (the other remotes go on).
A local photo is never overwritten or deleted in place: the old file is first linked into
``<root>/.photosync-trash/<run>/``, where the user can take it back.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

from photosync.errors import (AuthorizationNeeded, ItemError, LocalDiskError, NotFound,
                              PhotosyncError, RemoteError, UploadsRefused)
from photosync.library.decode import decode_file
from photosync.library.rules import Rules, album_for
from photosync.remotes.base import Album, Remote, RemoteItem
from photosync.remotes.files import (ChangedSinceIndexed, safe_destination, sendable_copy,
                                     unique_path)
from photosync.remotes.names import remote_extension
from photosync.remotes.pool import run_pool
from photosync.state.index import read_again
from photosync.state.journal import journal_end, journal_start
from photosync.state.listings import cached_items, cached_items_by_id, update_cache
from photosync.state.pairs import save_pairs
from photosync.remotes.names import remote_extension
from photosync.sync.plan import Action, Pair, Plan, Policy, content_version

log = logging.getLogger("photosync.sync")
TRASH = ".photosync-trash"
UPLOADS = ("upload", "replace_remote")  # what a remote that is full refuses
CREATES = ("download", "conflict")  # actions that make a new local file (the report names it)
DOWNLOADS = ("download", "replace_local", "conflict")  # what a full local disk refuses


@dataclass
class Done:
    """What one action changed, for the main thread to record."""

    pairs: list[Pair] = field(default_factory=list)
    forget: list[str] = field(default_factory=list)
    items: list[RemoteItem] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    action: Action
    error: str | None = None
    file: str | None = None  # download, conflict: the file it created, relative to the root


@dataclass
class Executor:
    conn: sqlite3.Connection
    root: Path
    remote: Remote
    policy: Policy
    rules: Rules
    run_id: int
    workers: int = 4
    wait: float = 0.0
    on_done: Callable[[Outcome], None] = lambda outcome: None
    fatal: RemoteError | None = None
    full: UploadsRefused | None = None  # the remote refused an upload: later ones are not tried
    disk: LocalDiskError | None = None  # the library's disk refused a write: no more downloads
    _to_download: list[int] = field(default_factory=lambda: [0, 0])  # bytes, photos not done
    _albums: dict[str, Album] | None = None
    _album_lock: threading.Lock = field(default_factory=threading.Lock)
    _item_map: dict[str, RemoteItem] = field(default_factory=dict)
    # Names promised to downloads in progress: two remote photos both called DSC_0001 in one
    # album must not pick the same free name in parallel (the second would fail as a conflict).
    _reserved: set[Path] = field(default_factory=set)
    _reserve_lock: threading.Lock = field(default_factory=threading.Lock)
    _said: set[str] = field(default_factory=set)  # messages of remote-stopping errors already logged

    def apply(self, plan: Plan) -> list[Outcome]:
        # Workers only read this map; it is loaded here, in the thread that owns the connection.
        self._item_map = {i.id: i for i in cached_items(self.conn, self.remote.name)}
        save_pairs(self.conn, self.remote.name, plan.relink, plan.forget)
        outcomes: list[Outcome] = []
        todo = [a for a in plan.actions if a.kind != "skip"]
        downloads = [a.size or 0 for a in todo if a.kind in DOWNLOADS]
        self._to_download = [sum(downloads), len(downloads)]
        if self.disk is not None:  # an earlier pass found the disk full and said so
            self._said.add(str(self.disk))
        for outcome in run_pool(self._journalled(todo), self._work, self.workers):
            action, entry = outcome.item
            error = self._record(action, entry, outcome.result, outcome.error)
            created = outcome.result.pairs if error is None and action.kind in CREATES else []
            result = Outcome(action, error, created[0].path if created else None)
            outcomes.append(result)
            self.on_done(result)
        return outcomes

    def _journalled(self, actions: list[Action]) -> Iterator[tuple[Action, int]]:
        for index, action in enumerate(actions):
            if self.fatal is not None:
                return
            if index and self.wait:
                time.sleep(self.wait)
            yield action, journal_start(self.conn, self.run_id, action)

    def _work(self, job: tuple[Action, int]) -> Done:
        action = job[0]
        if self.fatal is not None:
            raise self.fatal
        if self.full is not None and action.kind in UPLOADS:
            raise self.full
        if self.disk is not None and action.kind in DOWNLOADS:
            raise self.disk
        try:
            return getattr(self, f"_do_{action.kind}")(action)
        except UploadsRefused as exc:  # set here, in the worker: the next job must already see it
            self.full = self.full or exc
            raise
        except LocalDiskError as exc:  # the same: later downloads would meet the same disk
            self.disk = self.disk or LocalDiskError(exc.folder, exc.reason, exc.code,
                                                    (self._to_download[0], self._to_download[1]))
            raise self.disk from exc

    def _record(self, action: Action, entry: int, done: Done | None, error: Exception | None) -> str | None:
        if error is None and done is not None:
            save_pairs(self.conn, self.remote.name, done.pairs, done.forget)
            update_cache(self.conn, self.remote.name, done.items, done.removed)
            journal_end(self.conn, entry)
            if action.kind in DOWNLOADS:
                self._to_download[0] -= action.size or 0
                self._to_download[1] -= 1
            return None
        message = _describe(error)
        if isinstance(error, ChangedSinceIndexed) and action.path:
            read_again(self.conn, action.path)  # even if its size and time look unchanged
        if isinstance(error, RemoteError) and self.fatal is None:
            self.fatal = error
        journal_end(self.conn, entry, message)
        # An error that stops this remote (or its uploads) is said once, not once per queued photo.
        stops = isinstance(error, RemoteError | UploadsRefused | LocalDiskError)
        if not (stops and message in self._said):
            log.warning("%s %s %s: %s", self.remote.name, action.kind, action.path or action.remote_id, message)
            if stops:
                self._said.add(message)
        return message

    # -- one method per action kind --------------------------------------------------------
    def _do_upload(self, a: Action) -> Done:
        # Where an album is a folder (Drive) the upload goes straight into it; elsewhere the album
        # phase puts it in an album photosync owns, never into a user's album of the same title.
        album = a.album if self.remote.capabilities.exclusive_albums else None
        with sendable_copy(self.root / a.path, a.md5) as (copy, md5):
            item = self.remote.upload(copy, a.name or Path(a.path).name, album, a.signature)
        if not self._stored_as_sent(item, md5):
            self.remote.delete(item.id)  # never left tagged as a picture it does not hold
            raise ItemError(f"{self.remote.name} stored other bytes than were sent (MD5 "
                            f"{item.md5}, sent {md5}); removed there, sent again next run")
        return Done([Pair(item.id, a.signature, a.path, content_version(item), a.album)], items=[item])

    def _do_replace_remote(self, a: Action) -> Done:
        with sendable_copy(self.root / a.path, a.md5) as (copy, md5):
            item = self.remote.replace(a.remote_id, copy, a.signature)
        if not self._stored_as_sent(item, md5):
            if a.pair is not None:  # its old tag back: the next run must not take it as synced
                self.remote.set_signature(item.id, a.pair.signature)
            raise ItemError(f"{self.remote.name} stored other bytes than were sent (MD5 "
                            f"{item.md5}, sent {md5}); not recorded as synced")
        return Done([Pair(item.id, a.signature, a.path, content_version(item), a.album)], items=[item])

    @staticmethod
    def _stored_as_sent(item: RemoteItem, md5: str) -> bool:
        """The remote's own answer agrees with what was sent (where it gives an MD5: Drive)."""
        return item.md5 is None or item.md5.lower() == md5

    def _do_download(self, a: Action) -> Done:
        item = self._item(a.remote_id)
        with self._reserve_lock:
            dest = download_destination(self.root, a, item, self._reserved)
            self._reserved.add(dest)
        self._download(item, dest)
        return self._paired_download(item, dest, a.also_ids)

    def _do_replace_local(self, a: Action) -> Done:
        target = self.root / a.path
        self._to_trash(target, keep=True)
        self._download(self._item(a.remote_id), target, overwrite=True)
        return self._paired_download(self._item(a.remote_id), target)

    def _do_conflict(self, a: Action) -> Done:
        item = self._item(a.remote_id)
        local = self.root / a.path
        stamp = datetime.now().strftime("%Y-%m-%d")
        name = f"{local.stem} (conflict {self.policy.label} {stamp}).{remote_extension(item)}"
        with self._reserve_lock:
            dest = unique_path(local.parent, name, self._reserved)
            self._reserved.add(dest)
        self._download(item, dest)
        return self._paired_download(item, dest)

    def _do_delete_remote(self, a: Action) -> Done:
        self.remote.delete(a.remote_id)
        return Done(forget=[a.remote_id], removed=[a.remote_id])

    def _do_delete_local(self, a: Action) -> Done:
        self._to_trash(self.root / a.path, keep=False)
        return Done(forget=[a.remote_id])

    def _do_retag(self, a: Action) -> Done:
        self.remote.set_signature(a.remote_id, a.signature)
        return Done()

    def _do_move(self, a: Action) -> Done:
        """Only the pair changes here; the album phase moves the photo between albums."""
        return Done([replace(a.pair, path=a.path, album=a.album, status="synced")])

    # -- album actions: few, and in order (create before delete), so not pooled -----------
    def apply_albums(self, actions: list[Action]) -> list[Outcome]:
        outcomes = []
        for action in actions:
            entry = journal_start(self.conn, self.run_id, action)
            try:
                getattr(self, f"_do_{action.kind}")(action)
                error = None
            except NotFound:
                error = None if action.kind in ("delete_album", "remove_from_album") else "album not found"
            except Exception as exc:  # noqa: BLE001 - reported per album, the run goes on
                error = _describe(exc)
                if isinstance(exc, RemoteError):
                    self.fatal = exc
            journal_end(self.conn, entry, error)
            outcomes.append(Outcome(action, error))
            self.on_done(outcomes[-1])
            if error is None:
                self._cache_albums(action)
            if self.fatal is not None:
                break
        return outcomes

    def _do_create_album(self, a: Action) -> None:
        album = self.remote.create_album(a.album, a.also_ids[0])
        self._each(lambda item_id: self.remote.add_to_album(album.id, item_id), a.also_ids[1:])
        if self.remote.capabilities.ordered_albums and len(a.also_ids) > 1:
            self.remote.reorder_album(album.id, list(a.also_ids))

    def _do_add_to_album(self, a: Action) -> None:
        self._each(lambda item_id: self.remote.add_to_album(a.remote_id, item_id), a.also_ids)

    def _do_remove_from_album(self, a: Action) -> None:
        self._each(lambda item_id: self.remote.remove_from_album(a.remote_id, item_id), a.also_ids)

    def _each(self, work: Callable[[str], None], item_ids: tuple[str, ...]) -> None:
        """One call per photo, in the transfer pool (order is set afterwards by reorder_album);
        the first failure is raised once all calls are done."""
        errors = [o.error for o in run_pool(item_ids, work, self.workers) if o.error is not None]
        if errors:
            raise errors[0]

    def _do_reorder_album(self, a: Action) -> None:
        self.remote.reorder_album(a.remote_id, list(a.also_ids))

    def _do_delete_album(self, a: Action) -> None:
        self.remote.delete_album(a.remote_id)

    def _cache_albums(self, a: Action) -> None:
        """Keep the cached listing's album titles current, so the next run needs no album listing."""
        if a.kind not in ("create_album", "add_to_album", "remove_from_album"):
            return
        changed = []
        exclusive = self.remote.capabilities.exclusive_albums
        for item in cached_items_by_id(self.conn, self.remote.name, a.also_ids):
            if a.kind == "remove_from_album":
                albums = tuple(t for t in item.albums if t != a.album)
            else:
                albums = (a.album,) if exclusive else tuple(dict.fromkeys((*item.albums, a.album)))
            changed.append(replace(item, albums=albums))
        update_cache(self.conn, self.remote.name, changed, [])

    # -- helpers -------------------------------------------------------------------------
    def _item(self, remote_id: str) -> RemoteItem:
        return self._item_map[remote_id]

    def _album(self, title: str) -> Album | None:
        with self._album_lock:
            if self._albums is None:
                self._albums = {}
                for album in sorted(self.remote.list_albums(), key=lambda al: not al.owned_by_us):
                    self._albums.setdefault(album.title, album)
            return self._albums.get(title)

    def _download(self, item: RemoteItem, dest: Path, overwrite: bool = False) -> None:
        """Download ``item`` to ``dest``; a local write error names the photo, not only the
        folder or temp file that refused it (a read-only library, a full disk)."""
        try:
            self.remote.download(item.id, dest, overwrite)
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            raise ItemError(f"{dest.relative_to(self.root).as_posix()} ({self.remote.name} photo "
                            f"{item.name!r}): cannot be written: {exc.strerror or exc}{where}"
                            ) from None

    def _paired_download(self, item: RemoteItem, dest: Path, also: tuple[str, ...] = ()) -> Done:
        decoded = decode_file(str(dest))
        if decoded.error or not decoded.signature:
            raise PhotosyncError(f"downloaded {dest.name} but cannot read it: {decoded.error}")
        rel = dest.relative_to(self.root).as_posix()
        album = album_for(self.rules, tuple(rel.split("/")[:-1]))
        pairs = [Pair(item.id, decoded.signature, rel, content_version(item), album)]
        pairs += [Pair(i, decoded.signature, rel, content_version(self._item(i)), album) for i in also]
        if self.policy.uploads and item.signature != decoded.signature:
            for remote_id in (item.id, *also):
                self.remote.set_signature(remote_id, decoded.signature)
        return Done(pairs)

    def _to_trash(self, path: Path, keep: bool) -> Path:
        """Put ``path`` in the trash folder: a hard link when the original stays (``keep``), a
        rename otherwise; a copy where links are not possible. Never loses the file."""
        rel = path.relative_to(self.root)
        dest = unique_path((self.root / TRASH / f"run-{self.run_id}" / rel).parent, rel.name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if keep:
            try:
                os.link(path, dest)
            except OSError:
                shutil.copy2(path, dest)
        else:
            os.replace(path, dest)
        return dest


def download_destination(root: Path, a: Action, item: RemoteItem, taken: set[Path]) -> Path:
    """The free file name a download gets in its folder (``a.path``), not one of ``taken``."""
    return safe_destination(root, a.path.split("/") if a.path else [], a.name or item.name,
                            remote_extension(item), taken)


def _describe(error: Exception | None) -> str:
    if error is None:
        return "unknown error"
    if isinstance(error, AuthorizationNeeded | PhotosyncError):
        return str(error)
    if isinstance(error, OSError):
        return f"{error.strerror or error}" + (f": {error.filename}" if error.filename else "")
    return f"{type(error).__name__}: {error}"

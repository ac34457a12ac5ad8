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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import assert_never

from photosync.errors import (
    ItemError,
    LocalDiskError,
    NotFound,
    OriginalWithheld,
    PhotosyncError,
    RemoteError,
    UploadsRefused,
)
from photosync.library.decode import decode_file
from photosync.library.rules import Rules, album_for, media_for
from photosync.remotes.base import Album, Remote, RemoteItem
from photosync.remotes.files import (
    ChangedSinceIndexed,
    sendable,
    unique_path,
)
from photosync.remotes.names import remote_extension
from photosync.remotes.pool import run_pool
from photosync.state.index import read_again
from photosync.state.journal import journal_end, journal_start
from photosync.state.listings import cached_items_by_id, update_cache
from photosync.state.pairs import save_pairs
from photosync.sync.actions import (
    TRANSFERS,
    AddToAlbum,
    AlbumKind,
    Conflict,
    CreateAlbum,
    DeleteAlbum,
    DeleteLocal,
    DeleteRemote,
    Download,
    Move,
    Pair,
    PhotoKind,
    RemoveFromAlbum,
    ReorderAlbum,
    ReplaceLocal,
    ReplaceRemote,
    Retag,
    Skip,
    Upload,
)
from photosync.sync.budget import TransferBudget
from photosync.sync.done import Done, Outcome, describe, download_destination
from photosync.sync.match import content_version
from photosync.sync.plan import Plan
from photosync.sync.policy import Policy

log = logging.getLogger("photosync.sync")
TRASH = ".photosync-trash"
UPLOADS = (Upload, ReplaceRemote)  # what a remote that refuses uploads refuses
CREATES = (Download, Conflict)  # actions that make a new local file (the report names it)
DOWNLOADS = (Download, ReplaceLocal, Conflict)  # what a full local disk refuses


@dataclass
class Executor:
    """Applies a plan to the library and one remote. :class:`~photosync.sync.dryrun.DryRun`
    is the same executor with the I/O left out, so both reports come from this one path."""

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
    # The remote refused an upload (storage full, upload limit): later ones are not tried.
    uploads_refused: UploadsRefused | None = None
    disk: LocalDiskError | None = None  # the library's disk refused a write: no more downloads
    budget: TransferBudget = field(default_factory=lambda: TransferBudget(0))  # max_transfer
    _postponed: dict[int, Skip] = field(default_factory=dict)  # id(transfer) over the budget
    _to_download: list[int] = field(default_factory=lambda: [0, 0])  # bytes, photos not done
    _item_map: dict[str, RemoteItem] = field(default_factory=dict)
    # Names promised to downloads in progress: two remote photos both called DSC_0001 in one
    # album must not pick the same free name in parallel (the second would fail as a conflict).
    _reserved: set[Path] = field(default_factory=set)
    _reserve_lock: threading.Lock = field(default_factory=threading.Lock)
    _said: set[str] = field(default_factory=set)  # messages of remote-stopping errors logged
    _tags: list[tuple[RemoteItem, str]] = field(default_factory=list)  # written after transfers

    def apply(self, plan: Plan) -> list[Outcome]:
        # Workers only read this map; it is loaded here, in the thread that owns the connection,
        # with the items the plan names (not the whole listing: a no-op run loads nothing).
        named = {a.remote_id for a in plan.actions if a.remote_id} | {
            d for a in plan.actions if isinstance(a, Download) for d in a.duplicates}
        self._item_map = {i.id: i for i in cached_items_by_id(self.conn, self.remote.name,
                                                               sorted(named))}
        save_pairs(self.conn, self.remote.name, plan.relink, plan.forget)
        outcomes: list[Outcome] = []
        todo = [a for a in plan.actions if not isinstance(a, Skip | AlbumKind)]
        downloads = [a.size or 0 for a in todo if isinstance(a, DOWNLOADS)]
        self._to_download = [sum(downloads), len(downloads)]
        for said in (self.disk, self.uploads_refused):  # an earlier pass met it and said so
            if said is not None:
                self._said.add(str(said))
        for outcome in run_pool(self._journalled(todo), self._work, self.workers):
            action, entry = outcome.item
            error = self._record(action, entry, outcome.result, outcome.error)
            created = outcome.result.pairs if error is None and outcome.result is not None \
                and isinstance(action, CREATES) else []
            result = Outcome(action, error, created[0].path if created else None)
            outcomes.append(result)
            self.on_done(result)
        self._write_tags()
        self._postpone(plan)
        return outcomes

    def _postpone(self, plan: Plan) -> None:
        """Transfers over sync.max_transfer: skips in the plan, and one note."""
        if not self._postponed:
            return
        plan.actions = [self._postponed.get(id(a), a) for a in plan.actions]
        plan.notes.append(f"{self.policy.label}: transfers postponed: {self.budget.reached} this "
                          f"run; the next run goes on")
        self._postponed.clear()

    def _write_tags(self) -> None:
        """Tag what the downloads paired, after the transfers so no download waits for the
        API budget, and still in this run so a database lost right after it re-links them by
        tag. Each tag written goes into the listing cache; a failed one is only logged (its
        pair is recorded already): the next run plans a Retag for it. An error that stops the
        remote stops the rest and is said once."""
        tags, self._tags = self._tags, []
        for outcome in run_pool(tags, self._tag_unless_stopped, self.workers):
            item, signature = outcome.item
            if outcome.error is None:
                update_cache(self.conn, self.remote.name, [replace(item, signature=signature)], [])
                continue
            message = describe(outcome.error)
            if isinstance(outcome.error, RemoteError):
                self.fatal = self.fatal or outcome.error
                if message in self._said:
                    continue
                self._said.add(message)
            log.warning("%s tagging %s (%s): %s; tagged next run", self.remote.name,
                        item.id, item.name, message)

    def _tag_unless_stopped(self, tag: tuple[RemoteItem, str]) -> None:
        if self.fatal is not None:
            raise self.fatal
        self._tag(*tag)

    def _journalled(self, actions: Sequence[PhotoKind]) -> Iterator[tuple[PhotoKind, int]]:
        for index, action in enumerate(actions):
            if self.fatal is not None:
                return
            if action.kind in TRANSFERS and not self.budget.start(action.size):
                skip = Skip.of(action, f"{action.kind} postponed: {self.budget.reached} this run")
                self._postponed[id(action)] = skip
                self.on_done(Outcome(skip))  # done for this run: progress counts it
                continue
            if index and self.wait:
                time.sleep(self.wait)
            yield action, journal_start(self.conn, self.run_id, action)

    def _work(self, job: tuple[PhotoKind, int]) -> Done:
        action = job[0]
        if self.fatal is not None:
            raise self.fatal
        if self.uploads_refused is not None and isinstance(action, UPLOADS):
            raise self.uploads_refused
        if self.disk is not None and isinstance(action, DOWNLOADS):
            raise self.disk
        try:
            return self._dispatch(action)
        except UploadsRefused as exc:  # set here, in the worker: the next job must already see it
            self.uploads_refused = self.uploads_refused or exc
            raise
        except LocalDiskError as exc:  # the same: later downloads would meet the same disk
            self.disk = self.disk or LocalDiskError(exc.folder, exc.reason, exc.code,
                                                    (self._to_download[0], self._to_download[1]))
            raise self.disk from exc

    def _dispatch(self, a: PhotoKind) -> Done:
        """The dispatch table: which method applies which kind."""
        match a:
            case Upload():
                return self._upload(a)
            case ReplaceRemote():
                return self._replace_remote(a)
            case Download():
                return self._download(a)
            case ReplaceLocal():
                return self._replace_local(a)
            case Conflict():
                return self._conflict(a)
            case DeleteRemote():
                return self._delete_remote(a)
            case DeleteLocal():
                return self._delete_local(a)
            case Retag():
                return self._retag(a)
            case Move():
                return self._move(a)
            case Skip():
                return Done()
            case _:
                assert_never(a)

    def _record(self, action: PhotoKind, entry: int, done: Done | None,
                error: Exception | None) -> str | None:
        if error is None and done is not None:
            save_pairs(self.conn, self.remote.name, done.pairs, done.forget)
            update_cache(self.conn, self.remote.name, done.items, done.removed)
            self._tags += done.tags
            journal_end(self.conn, entry)
            if isinstance(action, DOWNLOADS):
                self._to_download[0] -= action.size or 0
                self._to_download[1] -= 1
                if action.size is None:  # a remote that lists no sizes
                    self.budget.add(done.fetched)
            return None
        if action.kind in TRANSFERS:
            self.budget.refund(action.size)
        message = describe(error)
        if isinstance(error, ChangedSinceIndexed) and action.path:
            read_again(self.conn, action.path)  # even if its size and time look unchanged
        if isinstance(error, OriginalWithheld) and action.remote_id in self._item_map:
            # listed before the remote withheld it: remembered, so the next plan skips it
            item = self._item(action.remote_id)
            update_cache(self.conn, self.remote.name,
                         [replace(item, extra={**item.extra, "withheld": error.why})], [])
        if isinstance(error, RemoteError) and self.fatal is None:
            self.fatal = error
        journal_end(self.conn, entry, message)
        # An error that stops this remote (or its uploads) is said once, not once per queued photo.
        stops = isinstance(error, RemoteError | UploadsRefused | LocalDiskError)
        if not (stops and message in self._said):
            log.warning("%s %s %s: %s", self.remote.name, action.kind,
                        action.path or action.remote_id, message)
            if stops:
                self._said.add(message)
        return message

    # -- one method per photo action kind -------------------------------------------------
    def _upload(self, a: Upload) -> Done:
        # Where an album is a folder (Drive) the upload goes straight into it; elsewhere the album
        # phase puts it in an album photosync owns, never into a user's album of the same title.
        album = a.album if self.remote.capabilities.exclusive_albums else None
        with sendable(self.root / a.path, a.md5, a.size) as source:
            item = self.remote.upload(source, a.name, album, a.signature)
        md5 = source.sent_md5 or a.md5 or ""
        if not self._stored_as_sent(item, md5):
            self.remote.delete(item.id)  # never left tagged as a picture it does not hold
            raise ItemError(f"{self.remote.name} stored other bytes than were sent (MD5 "
                            f"{item.md5}, sent {md5}); removed there, sent again next run")
        return Done([Pair(item.id, a.signature, a.path, content_version(item), a.album)],
                    items=[item])

    def _replace_remote(self, a: ReplaceRemote) -> Done:
        with sendable(self.root / a.path, a.md5, a.size) as source:
            item = self.remote.replace(a.remote_id, source, a.signature)
        md5 = source.sent_md5 or a.md5 or ""
        if not self._stored_as_sent(item, md5):
            # Its old tag back: the next run must not take it as synced.
            self.remote.set_signature(item.id, a.pair.signature)
            raise ItemError(f"{self.remote.name} stored other bytes than were sent (MD5 "
                            f"{item.md5}, sent {md5}); not recorded as synced")
        return Done([Pair(item.id, a.signature, a.path, content_version(item), a.album)],
                    items=[item])

    @staticmethod
    def _stored_as_sent(item: RemoteItem, md5: str) -> bool:
        """The remote's own answer agrees with what was sent (where it gives an MD5: Drive)."""
        return item.md5 is None or item.md5.lower() == md5

    def _download(self, a: Download) -> Done:
        item = self._item(a.remote_id)
        with self._reserve_lock:
            dest = download_destination(self.root, a, item, self._reserved)
            self._reserved.add(dest)
        return self._paired_download(item, dest, a.duplicates)

    def _replace_local(self, a: ReplaceLocal) -> Done:
        target = self.root / a.path
        self._to_trash(target, keep=True)
        return self._paired_download(self._item(a.remote_id), target, overwrite=True)

    def _conflict(self, a: Conflict) -> Done:
        item = self._item(a.remote_id)
        local = self.root / a.path
        stamp = datetime.now().strftime("%Y-%m-%d")
        name = f"{local.stem} (conflict {self.policy.label} {stamp}).{remote_extension(item)}"
        with self._reserve_lock:
            dest = unique_path(local.parent, name, self._reserved)
            self._reserved.add(dest)
        return self._paired_download(item, dest)

    def _delete_remote(self, a: DeleteRemote) -> Done:
        self.remote.delete(a.remote_id)
        return Done(forget=[a.remote_id], removed=[a.remote_id])

    def _delete_local(self, a: DeleteLocal) -> Done:
        self._to_trash(self.root / a.path, keep=False)
        return Done(forget=[a.remote_id])

    def _retag(self, a: Retag) -> Done:
        """Tagged, and the tag kept in the listing cache so no later run plans it again."""
        item = self._item_map.get(a.remote_id)
        if item is None:
            self.remote.set_signature(a.remote_id, a.signature)
            return Done()
        self._tag(item, a.signature)
        return Done(items=[replace(item, signature=a.signature)])

    def _move(self, a: Move) -> Done:
        """Only the pair changes here; the album phase moves the photo between albums."""
        return Done([replace(a.pair, path=a.path, album=a.album, status="synced")])

    # -- album actions: few, and in order (create before delete), so not pooled -----------
    def list_albums(self) -> list[Album]:
        """The remote's albums, for the album phase to plan from."""
        return self.remote.list_albums()

    def apply_albums(self, actions: list[AlbumKind]) -> list[Outcome]:
        outcomes = []
        for action in actions:
            entry = journal_start(self.conn, self.run_id, action)
            error: str | None = None
            try:
                self._album_action(action)
            except NotFound:
                if not isinstance(action, DeleteAlbum | RemoveFromAlbum):
                    error = "album not found"
            except Exception as exc:  # noqa: BLE001 - reported per album, the run goes on
                error = describe(exc)
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

    def _album_action(self, a: AlbumKind) -> None:
        """The album half of the dispatch table."""
        match a:
            case CreateAlbum():
                album = self.remote.create_album(a.title, a.members[0])
                if self.remote.capabilities.ordered_albums and len(a.members) > 1:
                    self.remote.edit_album(album.id, list(a.members))
                else:
                    self._each(lambda item_id: self.remote.add_to_album(album.id, item_id),
                               a.members[1:])
            case AddToAlbum():
                if a.order:
                    self.remote.edit_album(a.album_id, list(a.order))
                else:
                    self._each(lambda item_id: self.remote.add_to_album(a.album_id, item_id),
                               a.members)
            case RemoveFromAlbum():
                self._each(lambda item_id: self.remote.remove_from_album(a.album_id, item_id),
                           a.members)
            case ReorderAlbum():
                self.remote.reorder_album(a.album_id, list(a.members))
            case DeleteAlbum():
                self.remote.delete_album(a.album_id)
            case _:
                assert_never(a)

    def _each(self, work: Callable[[str], None], item_ids: tuple[str, ...]) -> None:
        """One call per photo, in the transfer pool (where albums have no order, or the album is
        the user's); the first failure is raised once all calls are done."""
        errors = [o.error for o in run_pool(item_ids, work, self.workers) if o.error is not None]
        if errors:
            raise errors[0]

    def _cache_albums(self, a: AlbumKind) -> None:
        """Keep the cached listing's album titles current, so the next run needs no album
        listing."""
        if not isinstance(a, CreateAlbum | AddToAlbum | RemoveFromAlbum):
            return
        changed = []
        exclusive = self.remote.capabilities.exclusive_albums
        for item in cached_items_by_id(self.conn, self.remote.name, a.members):
            if isinstance(a, RemoveFromAlbum):
                albums = tuple(t for t in item.albums if t != a.title)
            else:
                albums = (a.title,) if exclusive else tuple(dict.fromkeys((*item.albums, a.title)))
            changed.append(replace(item, albums=albums))
        update_cache(self.conn, self.remote.name, changed, [])

    # -- helpers -------------------------------------------------------------------------
    def _item(self, remote_id: str) -> RemoteItem:
        return self._item_map[remote_id]

    def _paired_download(self, item: RemoteItem, dest: Path, also: tuple[str, ...] = (),
                         overwrite: bool = False) -> Done:
        """Download ``item`` to ``dest`` and pair it (and its remote duplicates ``also``) with
        the picture that arrived; those lacking its tag are tagged after the transfers."""
        signature, fetched = self._fetch(item, dest, overwrite)
        rel = dest.relative_to(self.root).as_posix()
        album = album_for(self.rules, tuple(rel.split("/")[:-1]))
        items = [item, *(self._item(i) for i in also)]
        pairs = [Pair(i.id, signature, rel, content_version(i), album) for i in items]
        tags = [(i, signature) for i in items if i.signature != signature] \
            if self.policy.uploads else []
        return Done(pairs, tags=tags, fetched=fetched)

    def _tag(self, item: RemoteItem, signature: str) -> None:
        """One tag write; a listed item without a tag needs no read of its tags first."""
        self.remote.set_signature(item.id, signature, untagged=item.signature is None)

    def _fetch(self, item: RemoteItem, dest: Path, overwrite: bool) -> tuple[str, int]:
        """Download ``item`` to ``dest``; the signature of the picture that arrived and the
        bytes written (for sync.max_transfer where the remote lists no size). A local
        write error names the photo, not only the folder or temp file that refused it (a
        read-only library, a full disk)."""
        try:
            self.remote.download(item.id, dest, overwrite, item)
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            raise ItemError(f"{dest.relative_to(self.root).as_posix()} ({self.remote.name} photo "
                            f"{item.name!r}): cannot be written: {exc.strerror or exc}{where}"
                            ) from None
        decoded = decode_file(str(dest), media_for(dest.name))
        key = decoded.signature or decoded.sha256  # a video's or RAW's key: its bytes' SHA-256
        if decoded.error or not key:
            raise PhotosyncError(f"downloaded {dest.name} but cannot read it: {decoded.error}")
        return key, decoded.size

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

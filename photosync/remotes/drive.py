"""Google Drive as a :class:`~photosync.remotes.base.Remote`.

The library lives in the folder ``drive.folder`` of My Drive; each folder beneath it is an album
named by its path ("2021/Trip"), so a file is in one album at most (its one parent folder), and a
file directly in the library folder is in none. The ImageMagick signature is the file's
``appProperties["photosync_signature"]``; folders photosync creates carry ``photosync_album=1``.

Few calls: a full listing is one ``changes.getStartPageToken`` (the cursor, taken first), one
folder listing (every folder we own, ``pageSize=1000``), then the photos of the whole tree in
pages of 1,000 (``'A' in parents or 'B' in parents ...``, 40 folders per query). Everything goes
through :mod:`photosync.remotes.drive_api` (paced, errors mapped) and
:mod:`photosync.remotes.drive_transfer` (idempotent and resumable uploads, verified downloads);
the folder tree is :mod:`photosync.remotes.drive_folders`, reading answers
:mod:`photosync.remotes.drive_rows`.
Drive lets a folder hold several files of the same name: photosync tells them apart by id only,
never by name, and reports such clashes (``same_name``, and a warning) after each listing.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from photosync.errors import Conflict, ItemError, NotFound, TransientError
from photosync.remotes.bandwidth import Bandwidth
from photosync.remotes.base import (
    THUMBNAIL_MAX_BYTES,
    Album,
    Capabilities,
    Changes,
    Collection,
    CursorExpired,
    Page,
    RemoteItem,
)
from photosync.remotes.drive_api import Services
from photosync.remotes.drive_folders import Folders, pages
from photosync.remotes.drive_rows import (
    FILE_FIELDS,
    SIGNATURE_KEY,
    file_changes,
    folder_changes,
    is_media,
    item_of,
    named_photo_query,
    photo_queries,
    quote,
)
from photosync.remotes.drive_transfer import (
    CHUNK,
    RESUMABLE_OVER,
    IdPool,
    Uploader,
    download,
    sniff_mime,
)
from photosync.remotes.drive_tree import FOLDER, Tree, split_path
from photosync.remotes.pace import RateLimiter

log = logging.getLogger("photosync.remotes.drive")

@dataclass
class _Listing:
    cursor: str
    tree: Tree
    queries: list[str]
    # hash("parent\0name") of every file listed: an int a file, not its name and id (about 120
    # bytes less a file: 120 MB at a million). A name seen again is a clash, whose files are
    # then asked for by name (one request per clash, and clashes are rare).
    seen: set[int] = field(default_factory=set)
    clashes: set[str] = field(default_factory=set)


class DriveRemote:
    """The Drive backend; thread-safe (one googleapiclient service per thread)."""

    name = "drive"

    def __init__(self, credentials: Any, endpoint: str, folder: str = "Photos", *,
                 page_size: int = 1000, limiter: RateLimiter | None = None, timeout: float = 30.0,
                 chunk_size: int = CHUNK, resumable_over: int | None = None,
                 bandwidth: Bandwidth | None = None):
        self.folder = "/".join(split_path(folder)) or "Photos"
        self.page_size = page_size
        self.limiter = limiter or RateLimiter(None)
        self.capabilities = Capabilities(
            hashes=frozenset({"md5"}), albums=True, exclusive_albums=True, ordered_albums=False,
            replace_in_place=True, changes_report_deletions=True)
        self.services = Services(credentials, endpoint, self.limiter, timeout, bandwidth)
        self.folders = Folders(self.services, self.folder)
        self.ids = IdPool(self.services)
        self.uploader = Uploader(self.services, chunk_size,
                                 RESUMABLE_OVER if resumable_over is None else resumable_over)
        # (album, name, ids) of the last listing
        self.same_name: list[tuple[str, str, list[str]]] = []
        self._lock = threading.RLock()
        self._listings: OrderedDict[str, _Listing] = OrderedDict()

    # -- listing and changes ------------------------------------------------------------------
    def list_page(self, token: str | None) -> Page:
        if token is None:
            cursor = self._call(lambda s: s.changes().getStartPageToken(fields="startPageToken"),
                                "starting the change feed")["startPageToken"]
            tree = self.folders.load()
            key, query_no, drive_token = uuid.uuid4().hex[:12], 0, None
            with self._lock:
                self._listings[key] = _Listing(cursor, tree, photo_queries(tree.ids()))
                while len(self._listings) > 16:
                    self._listings.popitem(last=False)
        else:
            key, query_no_s, drive_token = token.split(":", 2)
            query_no, drive_token = int(query_no_s), drive_token or None
        with self._lock:
            state = self._listings.get(key)
        if state is None:
            raise CursorExpired("drive: listing token no longer known; list again")
        if not state.queries:
            return Page([], None, state.cursor)
        answer = self._call(lambda s: s.files().list(
            q=state.queries[query_no], pageSize=self.page_size, pageToken=drive_token,
            spaces="drive", fields=f"nextPageToken,files({FILE_FIELDS})"), "listing photos")
        items = [i for i in (item_of(row, state.tree) for row in answer.get("files", [])) if i]
        for item in items:
            where = f"{item.extra['parent']}\0{item.name}"
            mark = hash(where)
            if mark in state.seen:
                state.clashes.add(where)
            else:
                state.seen.add(mark)
        if answer.get("nextPageToken"):
            return Page(items, f"{key}:{query_no}:{answer['nextPageToken']}")
        if query_no + 1 < len(state.queries):
            return Page(items, f"{key}:{query_no + 1}:")
        self._report_same_names(state)
        return Page(items, None, state.cursor)

    def changes_page(self, cursor: str) -> Changes:
        answer = self._change_feed(cursor)
        changes = answer.get("changes", [])
        if not changes:  # a quiet feed needs no folder tree (a listing of every folder we own)
            token = answer.get("nextPageToken")
            return Changes([], [], token or answer["newStartPageToken"], more=bool(token))
        tree, moved_in, moved_out = folder_changes(self.folders.now(), changes)
        self.folders.set(tree)
        removed = [row["id"] for row in self._files_in(moved_out)]
        changed = {i.id: i for i in (item_of(row, tree) for row in self._files_in(moved_in)) if i}
        in_files, out_files = file_changes(changes, tree)
        changed.update(in_files)
        removed += out_files
        removed = [i for i in dict.fromkeys(removed) if i not in changed and i not in tree.folders]
        token = answer.get("nextPageToken")
        return Changes(list(changed.values()), removed, token or answer["newStartPageToken"],
                       more=bool(token))

    def _change_feed(self, cursor: str) -> dict[str, Any]:
        """One page of Drive's change feed; ``CursorExpired`` when Drive refuses the cursor."""
        fields = f"nextPageToken,newStartPageToken,changes(fileId,removed,file({FILE_FIELDS}))"
        try:
            return self._call(lambda s: s.changes().list(
                pageToken=cursor, pageSize=self.page_size, includeRemoved=True, spaces="drive",
                fields=fields), "reading the change feed")
        except (NotFound, Conflict):
            raise CursorExpired("drive: the change cursor is no longer valid") from None
        except ItemError as exc:  # 400 invalid pageToken
            raise CursorExpired(f"drive: the change cursor is no longer valid ({exc})") from None

    def _report_same_names(self, state: _Listing) -> None:
        clashes = []
        for where in sorted(state.clashes):
            parent, name = where.split("\0", 1)
            rows = pages(self.services, self._photo_list(named_photo_query(parent, name)),
                         "listing same-name photos")
            ids = [i.id for i in (item_of(row, state.tree) for row in rows) if i]
            if len(ids) > 1:  # else two names shared a hash, or one was deleted since
                clashes.append((state.tree.path_of(parent) or "", name, ids))
        state.seen, state.clashes = set(), set()  # the listing is over
        for album, name, ids in clashes:
            log.warning("drive: %d files named %r in %s (ids %s): each is synced by its id, "
                        "none is overwritten", len(ids), name, album or self.folder, ", ".join(ids))
        for path in state.tree.same_name_folders():
            log.warning("drive: several folders are album %r; photosync uses its own, else the "
                        "oldest", path)
        self.same_name = clashes

    def _files_in(self, folder_ids: list[str]) -> Iterator[dict]:
        """Every photo row directly in these folders (all pages)."""
        for query in photo_queries(folder_ids):
            yield from pages(self.services, self._photo_list(query), "listing photos")

    def _photo_list(self, query: str) -> Callable[[Any, str | None], Any]:
        """The request for one page of the photos ``query`` finds."""
        def make(service: Any, token: str | None) -> Any:
            return service.files().list(q=query, pageSize=self.page_size, pageToken=token,
                                        spaces="drive",
                                        fields=f"nextPageToken,files({FILE_FIELDS})")
        return make

    # -- items --------------------------------------------------------------------------------
    def upload(self, path: Path, name: str, album: str | None, signature: str) -> RemoteItem:
        key = (str(path), signature)
        file_id = self.ids.for_upload(key)
        parent = self.folders.ensure(album or "")
        mime = sniff_mime(path, name)
        body = {"id": file_id, "name": name, "parents": [parent], "mimeType": mime,
                "appProperties": {SIGNATURE_KEY: signature}}
        what = f"uploading {name}"
        try:
            row = self.uploader.send(path, mime, lambda s, media: s.files().create(
                body=body, media_body=media, fields=FILE_FIELDS), key, what)
        except Conflict:  # an earlier attempt with this id landed; its answer was lost
            row = self._row(file_id, FILE_FIELDS)
        except NotFound:  # the album folder went away since we looked
            self.folders.set(None)
            raise TransientError(f"{what}: its Drive folder disappeared; looking again") from None
        self.ids.done(key)
        return self._export(row)

    def replace(self, item_id: str, path: Path, signature: str) -> RemoteItem:
        self._live_row(item_id, "id,trashed")
        mime = sniff_mime(path, path.name)
        row = self.uploader.send(path, mime, lambda s, media: s.files().update(
            fileId=item_id, body={"appProperties": {SIGNATURE_KEY: signature}}, media_body=media,
            fields=FILE_FIELDS), (str(path), f"replace:{item_id}:{signature}"),
            f"replacing {item_id}")
        return self._export(row)

    def download(self, item_id: str, dest: Path, overwrite: bool = False,
                 listed: RemoteItem | None = None) -> Path:
        """``listed`` is not needed: Drive is asked for the file's current size and MD5."""
        row = self._live_row(item_id, "id,name,size,md5Checksum,mimeType,trashed")
        mime = str(row.get("mimeType", ""))
        if mime == FOLDER or mime.startswith("application/vnd.google-apps"):
            raise ItemError(f"drive: {row.get('name')} has no content to download")
        return download(self.services, row, dest, overwrite)

    def thumbnail(self, item: RemoteItem) -> bytes | None:
        """Drive's own preview: one ``files.get`` for the short-lived ``thumbnailLink``, then
        that link (a capability URL: no bearer token is sent to the thumbnail host)."""
        link = self._row(item.id, "id,hasThumbnail,thumbnailLink").get("thumbnailLink")
        if not link:
            return None
        try:
            with requests.get(str(link), timeout=30, stream=True) as response:
                if response.status_code != 200:
                    return None
                return bytes(response.raw.read(THUMBNAIL_MAX_BYTES, decode_content=True))
        except requests.RequestException as exc:
            raise TransientError(f"drive: thumbnail of {item.id}: {exc}") from None

    def delete(self, item_id: str) -> None:
        self._live_row(item_id, "id,trashed")
        self._call(lambda s: s.files().update(fileId=item_id, body={"trashed": True}, fields="id"),
                   f"trashing {item_id}")

    def find_by_signature(self, signature: str) -> list[RemoteItem]:
        rows = list(pages(self.services, lambda s, token: s.files().list(
            q=f"appProperties has {{ key='{SIGNATURE_KEY}' and value={quote(signature)} }} "
              "and trashed = false", pageSize=100, pageToken=token, spaces="drive",
            fields=f"nextPageToken,files({FILE_FIELDS})"), "searching by signature"))
        tree = self.folders.now()
        if any(tree.album_of(r.get("parents")) is None for r in rows):
            tree = self.folders.load()  # a folder made elsewhere since we last looked
        return [i for i in (item_of(r, tree) for r in rows) if i]

    def set_signature(self, item_id: str, signature: str, untagged: bool = False) -> None:
        """One request whatever ``untagged`` says: the key is set, not added."""
        row = self._call(lambda s: s.files().update(
            fileId=item_id, body={"appProperties": {SIGNATURE_KEY: signature}},
            fields="id,trashed"), f"tagging {item_id}")
        if row.get("trashed"):
            raise NotFound(f"drive: {item_id} is in the trash")

    # -- albums (folders) ---------------------------------------------------------------------
    def list_collections(self) -> list[Collection]:
        return []  # Drive has folders, no collections

    def list_albums(self) -> list[Album]:
        tree = self.folders.load()
        members: dict[str, list[tuple[str, str]]] = {}
        for row in self._files_in(tree.ids()):
            if is_media(row):
                members.setdefault((row.get("parents") or [""])[0], []).append(
                    (row.get("createdTime", ""), row["id"]))
        return [Album(f.id, tree.path_of(f.id) or f.name,
                      tuple(i for _t, i in sorted(members.get(f.id, []))), f.owned)
                for f in sorted(tree.albums(), key=lambda f: (tree.path_of(f.id) or "", f.id))]

    def create_album(self, title: str, first_item_id: str) -> Album:
        row = self._live_row(first_item_id, "id,parents,trashed")
        existed = self.folders.now().resolve(title) is not None
        folder_id = self.folders.ensure(title)
        self._move(row, folder_id)
        ids: tuple[str, ...] = (first_item_id,)
        if existed:
            ids = tuple(r["id"] for r in sorted(self._files_in([folder_id]),
                                                 key=lambda r: (r.get("createdTime", ""), r["id"])))
        folder = self.folders.now().folders.get(folder_id)
        return Album(folder_id, "/".join(split_path(title)), ids, bool(folder and folder.owned))

    def add_to_album(self, album_id: str, item_id: str) -> None:
        self._album(album_id)
        row = self._live_row(item_id, "id,parents,trashed")
        if album_id not in (row.get("parents") or []):
            self._move(row, album_id)

    def remove_from_album(self, album_id: str, item_id: str) -> None:
        tree = self._album(album_id)
        row = self._live_row(item_id, "id,parents,trashed")
        if album_id in (row.get("parents") or []) and tree.root_id:
            self._move(row, tree.root_id)

    def reorder_album(self, album_id: str, item_ids: list[str]) -> None:
        self._album(album_id)  # folders have no order on Drive: nothing to do

    def edit_album(self, album_id: str, item_ids: list[str]) -> None:
        """Folders have no order on Drive: each item not in the folder moves into it."""
        for item_id in dict.fromkeys(item_ids):
            self.add_to_album(album_id, item_id)

    def delete_album(self, album_id: str) -> None:
        """Trash one of our album folders after moving its photos to the library folder; a folder
        holding other folders or non-photo files is refused (``Conflict``)."""
        tree = self._album(album_id)
        folder = tree.folders[album_id]
        if not folder.owned:
            raise Conflict(f"drive: folder {tree.path_of(album_id)!r} was not created by "
                           "photosync; kept")
        children = list(pages(self.services, lambda s, token: s.files().list(
            q=f"{quote(album_id)} in parents and trashed = false", pageSize=1000, pageToken=token,
            spaces="drive", fields="nextPageToken,files(id,mimeType,parents)"), "listing an album"))
        if any(not is_media(c) for c in children):
            raise Conflict(f"drive: folder {tree.path_of(album_id)!r} holds folders or other "
                           "files; kept")
        for child in children:
            self._move(child, tree.root_id or "root")
        self._call(lambda s: s.files().update(fileId=album_id, body={"trashed": True}, fields="id"),
                   "trashing an album folder")
        self.folders.drop(tree, album_id)

    def _album(self, album_id: str) -> Tree:
        tree = self.folders.now()
        if album_id not in tree.folders:
            tree = self.folders.load()
        if album_id not in tree.folders or album_id == tree.root_id:
            raise NotFound(f"drive: no album folder {album_id}")
        return tree

    def _move(self, row: dict, folder_id: str) -> None:
        old = [p for p in (row.get("parents") or []) if p != folder_id]
        self._call(lambda s: s.files().update(
            fileId=row["id"], addParents=folder_id, removeParents=",".join(old) or None, body={},
            fields="id"), f"moving {row['id']}")

    def account_usage(self) -> tuple[int, int | None]:
        """(bytes the account uses, its limit or None when unlimited), from ``about.get``: the
        dashboard's account usage (issue 21)."""
        about = self._call(lambda s: s.about().get(fields="storageQuota"), "reading the quota")
        quota = about.get("storageQuota") or {}
        limit = str(quota.get("limit") or "")
        return int(quota.get("usage") or 0), int(limit) if limit.isdigit() else None

    # -- helpers ------------------------------------------------------------------------------
    def _call(self, make: Callable[[Any], Any], what: str) -> Any:
        return self.services.call(make, what)

    def _row(self, item_id: str, fields: str) -> dict:
        return self._call(lambda s: s.files().get(fileId=item_id, fields=fields),
                          f"reading {item_id}")

    def _live_row(self, item_id: str, fields: str) -> dict:
        row = self._row(item_id, fields)
        if row.get("trashed"):
            raise NotFound(f"drive: {item_id} is in the trash")
        return row

    def _export(self, row: dict) -> RemoteItem:
        tree = self.folders.now()
        item = item_of(row, tree)
        if item is None and tree.album_of(row.get("parents")) is None:
            item = item_of(row, self.folders.load())
        if item is None:
            raise ItemError(f"drive: {row.get('name')} is not a photo or video in {self.folder}")
        return item


def from_config(config: Any, state_dir: Path) -> DriveRemote:
    """The configured Drive remote (``photosync.remotes.registry`` calls this)."""
    from photosync.auth.drive_credentials import load_credentials
    from photosync.remotes.bandwidth import shared
    from photosync.remotes.pace import limiter_for
    return DriveRemote(load_credentials(config, state_dir), config.drive.endpoint,
                       config.drive.folder, limiter=limiter_for("drive", config),
                       bandwidth=shared(config.sync.bwlimit))


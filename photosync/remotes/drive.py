"""Google Drive as a :class:`~photosync.remotes.base.Remote`.

The library lives in the folder ``drive.folder`` of My Drive; each folder beneath it is an album
named by its path ("2021/Trip"), so a file is in one album at most (its one parent folder), and a
file directly in the library folder is in none. The ImageMagick signature is the file's
``appProperties["photosync_signature"]``; folders photosync creates carry ``photosync_album=1``.

Few calls: a full listing is one ``changes.getStartPageToken`` (the cursor, taken first), one
folder listing (every folder we own, ``pageSize=1000``), then the photos of the whole tree in
pages of 1,000 (``'A' in parents or 'B' in parents ...``, 40 folders per query). Everything goes
through :mod:`photosync.remotes.drive_api` (paced, errors mapped) and
:mod:`photosync.remotes.drive_transfer` (idempotent and resumable uploads, verified downloads).
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

from photosync.errors import Conflict, ItemError, NotFound, TransientError
from photosync.remotes.base import (
    Album,
    Capabilities,
    Changes,
    Collection,
    CursorExpired,
    Page,
    RemoteItem,
)
from photosync.remotes.drive_api import Services
from photosync.remotes.drive_rows import (
    FILE_FIELDS,
    FOLDER_FIELDS,
    SIGNATURE_KEY,
    file_changes,
    folder_changes,
    is_media,
    item_of,
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
from photosync.remotes.drive_tree import ALBUM_MARK, FOLDER, ROOT_MARK, Folder, Tree, split_path
from photosync.remotes.pace import RateLimiter

log = logging.getLogger("photosync.remotes.drive")

@dataclass
class _Listing:
    cursor: str
    tree: Tree
    queries: list[str]
    names: dict[tuple[str, str], list[str]] = field(default_factory=dict)


class DriveRemote:
    """The Drive backend; thread-safe (one googleapiclient service per thread)."""

    name = "drive"

    def __init__(self, credentials: Any, endpoint: str, folder: str = "Photos", *,
                 page_size: int = 1000, limiter: RateLimiter | None = None, timeout: float = 30.0,
                 chunk_size: int = CHUNK, resumable_over: int | None = None):
        self.folder = "/".join(split_path(folder)) or "Photos"
        self.page_size = page_size
        self.limiter = limiter or RateLimiter(None)
        self.capabilities = Capabilities(
            hashes=frozenset({"md5"}), albums=True, exclusive_albums=True, ordered_albums=False,
            replace_in_place=True, changes_report_deletions=True)
        self.services = Services(credentials, endpoint, self.limiter, timeout)
        self.ids = IdPool(self.services)
        self.uploader = Uploader(self.services, chunk_size,
                                 RESUMABLE_OVER if resumable_over is None else resumable_over)
        # (album, name, ids) of the last listing
        self.same_name: list[tuple[str, str, list[str]]] = []
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()  # folder creation: one thread at a time
        self._tree: Tree | None = None
        self._my_drive: str | None = None
        self._listings: OrderedDict[str, _Listing] = OrderedDict()

    # -- listing and changes ------------------------------------------------------------------
    def list_page(self, token: str | None) -> Page:
        if token is None:
            cursor = self._call(lambda s: s.changes().getStartPageToken(fields="startPageToken"),
                                "starting the change feed")["startPageToken"]
            tree = self._load_tree()
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
            state.names.setdefault((item.extra["parent"], item.name), []).append(item.id)
        if answer.get("nextPageToken"):
            return Page(items, f"{key}:{query_no}:{answer['nextPageToken']}")
        if query_no + 1 < len(state.queries):
            return Page(items, f"{key}:{query_no + 1}:")
        self._report_same_names(state)
        return Page(items, None, state.cursor)

    def changes_page(self, cursor: str) -> Changes:
        old = self._tree or self._load_tree()
        answer = self._change_feed(cursor)
        changes = answer.get("changes", [])
        tree, moved_in, moved_out = folder_changes(old, changes)
        with self._lock:
            self._tree = tree
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
        clashes = [(state.tree.path_of(parent) or "", name, ids)
                   for (parent, name), ids in state.names.items() if len(ids) > 1]
        for album, name, ids in clashes:
            log.warning("drive: %d files named %r in %s (ids %s): each is synced by its id, "
                        "none is overwritten", len(ids), name, album or self.folder, ", ".join(ids))
        for path in state.tree.same_name_folders():
            log.warning("drive: several folders are album %r; photosync uses its own, else the "
                        "oldest", path)
        self.same_name = clashes

    # -- the folder tree ----------------------------------------------------------------------
    def _load_tree(self) -> Tree:
        """Every folder we own, in one paged listing; the library's part of it as a Tree."""
        rows = list(self._pages(lambda s, token: s.files().list(
            q=f"mimeType = '{FOLDER}' and trashed = false and 'me' in owners",
            pageSize=1000, pageToken=token, spaces="drive",
            fields=f"nextPageToken,files({FOLDER_FIELDS})"), "listing folders"))
        folders = [Folder.from_api(r) for r in rows]
        tree = Tree.build(self._find_root(folders), folders)
        with self._lock:
            self._tree = tree
        return tree

    def _find_root(self, folders: list[Folder]) -> str | None:
        """The id of ``self.folder`` in My Drive among ``folders``, or None when missing."""
        parts = split_path(self.folder)
        top = self._top_folders(folders, parts[0])
        if len(top) > 1:
            log.warning("drive: %d folders named %r in My Drive; using %s", len(top), parts[0],
                        top[0].id)
        current = top[0].id if top else None
        lookup = Tree(None, {f.id: f for f in folders})
        for part in parts[1:]:
            child = lookup.child(current, part) if current else None
            current = child.id if child else None
        return current

    def _top_folders(self, folders: list[Folder], name: str) -> list[Folder]:
        """Top-level folders called ``name``, the best first. My Drive's own id is the parent of
        our top-level folders; asked for only when such folders sit in different parents (one
        may be shared with us)."""
        ids = {f.id for f in folders}
        top = [f for f in folders if f.name == name and f.parent not in ids]
        if len({f.parent for f in top}) > 1:
            my_drive = self._my_drive_id()
            top = [f for f in top if f.parent == my_drive]
        top.sort(key=lambda f: (not f.owned, f.created, f.id))
        return top

    def _my_drive_id(self) -> str:
        if self._my_drive is None:
            self._my_drive = self._call(lambda s: s.files().get(fileId="root", fields="id"),
                                        "finding My Drive")["id"]
        return self._my_drive

    def _tree_now(self) -> Tree:
        with self._lock:
            tree = self._tree
        return tree or self._load_tree()

    def _ensure_folder(self, path: str) -> str:
        """The folder id of album ``path`` ("" = the library root), created where missing."""
        with self._write_lock:
            tree = self._tree_now()
            if tree.root_id is None:
                tree = self._make_root(tree)
            current = tree.root_id
            assert current is not None
            for part in split_path(path):
                found = tree.child(current, part) or self._existing_folder(current, part)
                if found is None:
                    found = self._create_folder(part, current, {ALBUM_MARK: "1"})
                with self._lock:
                    tree.put(found)
                current = found.id
            return current

    def _make_root(self, tree: Tree) -> Tree:
        parent = "root"
        for part in split_path(self.folder):
            found = self._existing_folder(parent, part) or \
                self._create_folder(part, parent, {ROOT_MARK: "1"})
            parent = found.id
        with self._lock:
            root = Folder(parent, split_path(self.folder)[-1], None, True)
            self._tree = Tree(parent, {parent: root})
            return self._tree

    def _existing_folder(self, parent: str, name: str) -> Folder | None:
        """A folder made meanwhile by another process (or a lost answer), looked up by name."""
        rows = self._call(lambda s: s.files().list(
            q=f"name = {quote(name)} and {quote(parent)} in parents and mimeType = '{FOLDER}' "
              "and trashed = false", pageSize=10, spaces="drive",
            fields=f"files({FOLDER_FIELDS})"), "looking up a folder").get("files", [])
        folders = sorted((Folder.from_api(r) for r in rows), key=lambda f: (not f.owned, f.created))
        return folders[0] if folders else None

    def _create_folder(self, name: str, parent: str, marks: dict[str, str]) -> Folder:
        row = self._call(lambda s: s.files().create(
            body={"name": name, "mimeType": FOLDER, "parents": [parent], "appProperties": marks},
            fields=FOLDER_FIELDS), f"creating folder {name}")
        return Folder.from_api(row)

    def _files_in(self, folder_ids: list[str]) -> Iterator[dict]:
        """Every photo row directly in these folders (all pages)."""
        for query in photo_queries(folder_ids):
            yield from self._pages(self._photo_list(query), "listing photos")

    def _photo_list(self, query: str) -> Callable[[Any, str | None], Any]:
        """The request for one page of the photos ``query`` finds."""
        def make(service: Any, token: str | None) -> Any:
            return service.files().list(q=query, pageSize=self.page_size, pageToken=token,
                                        spaces="drive",
                                        fields=f"nextPageToken,files({FILE_FIELDS})")
        return make

    def _pages(self, make: Callable[[Any, str | None], Any], what: str) -> Iterator[dict]:
        token: str | None = None
        while True:
            answer = self._call(_page_request(make, token), what)
            yield from answer.get("files", [])
            token = answer.get("nextPageToken")
            if not token:
                return

    # -- items --------------------------------------------------------------------------------
    def upload(self, path: Path, name: str, album: str | None, signature: str) -> RemoteItem:
        key = (str(path), signature)
        file_id = self.ids.for_upload(key)
        parent = self._ensure_folder(album or "")
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
            with self._lock:
                self._tree = None
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

    def download(self, item_id: str, dest: Path, overwrite: bool = False) -> Path:
        row = self._live_row(item_id, "id,name,size,md5Checksum,mimeType,trashed")
        mime = str(row.get("mimeType", ""))
        if mime == FOLDER or mime.startswith("application/vnd.google-apps"):
            raise ItemError(f"drive: {row.get('name')} has no content to download")
        return download(self.services, row, dest, overwrite)

    def delete(self, item_id: str) -> None:
        self._live_row(item_id, "id,trashed")
        self._call(lambda s: s.files().update(fileId=item_id, body={"trashed": True}, fields="id"),
                   f"trashing {item_id}")

    def find_by_signature(self, signature: str) -> list[RemoteItem]:
        rows = list(self._pages(lambda s, token: s.files().list(
            q=f"appProperties has {{ key='{SIGNATURE_KEY}' and value={quote(signature)} }} "
              "and trashed = false", pageSize=100, pageToken=token, spaces="drive",
            fields=f"nextPageToken,files({FILE_FIELDS})"), "searching by signature"))
        tree = self._tree_now()
        if any(tree.album_of(r.get("parents")) is None for r in rows):
            tree = self._load_tree()  # a folder made elsewhere since we last looked
        return [i for i in (item_of(r, tree) for r in rows) if i]

    def set_signature(self, item_id: str, signature: str) -> None:
        row = self._call(lambda s: s.files().update(
            fileId=item_id, body={"appProperties": {SIGNATURE_KEY: signature}},
            fields="id,trashed"), f"tagging {item_id}")
        if row.get("trashed"):
            raise NotFound(f"drive: {item_id} is in the trash")

    # -- albums (folders) ---------------------------------------------------------------------
    def list_collections(self) -> list[Collection]:
        return []  # Drive has folders, no collections

    def list_albums(self) -> list[Album]:
        tree = self._load_tree()
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
        existed = self._tree_now().resolve(title) is not None
        folder_id = self._ensure_folder(title)
        self._move(row, folder_id)
        ids: tuple[str, ...] = (first_item_id,)
        if existed:
            ids = tuple(r["id"] for r in sorted(self._files_in([folder_id]),
                                                 key=lambda r: (r.get("createdTime", ""), r["id"])))
        folder = self._tree_now().folders.get(folder_id)
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

    def delete_album(self, album_id: str) -> None:
        """Trash one of our album folders after moving its photos to the library folder; a folder
        holding other folders or non-photo files is refused (``Conflict``)."""
        tree = self._album(album_id)
        folder = tree.folders[album_id]
        if not folder.owned:
            raise Conflict(f"drive: folder {tree.path_of(album_id)!r} was not created by "
                           "photosync; kept")
        children = list(self._pages(lambda s, token: s.files().list(
            q=f"{quote(album_id)} in parents and trashed = false", pageSize=1000, pageToken=token,
            spaces="drive", fields="nextPageToken,files(id,mimeType,parents)"), "listing an album"))
        if any(not is_media(c) for c in children):
            raise Conflict(f"drive: folder {tree.path_of(album_id)!r} holds folders or other "
                           "files; kept")
        for child in children:
            self._move(child, tree.root_id or "root")
        self._call(lambda s: s.files().update(fileId=album_id, body={"trashed": True}, fields="id"),
                   "trashing an album folder")
        with self._lock:
            tree.drop(album_id)

    def _album(self, album_id: str) -> Tree:
        tree = self._tree_now()
        if album_id not in tree.folders:
            tree = self._load_tree()
        if album_id not in tree.folders or album_id == tree.root_id:
            raise NotFound(f"drive: no album folder {album_id}")
        return tree

    def _move(self, row: dict, folder_id: str) -> None:
        old = [p for p in (row.get("parents") or []) if p != folder_id]
        self._call(lambda s: s.files().update(
            fileId=row["id"], addParents=folder_id, removeParents=",".join(old) or None, body={},
            fields="id"), f"moving {row['id']}")

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
        tree = self._tree_now()
        item = item_of(row, tree)
        if item is None and tree.album_of(row.get("parents")) is None:
            item = item_of(row, self._load_tree())
        if item is None:
            raise ItemError(f"drive: {row.get('name')} is not a photo or video in {self.folder}")
        return item


def from_config(config: Any, state_dir: Path) -> DriveRemote:
    """The configured Drive remote (``photosync.remotes.registry`` calls this)."""
    from photosync.auth.drive_credentials import load_credentials
    from photosync.remotes.pace import limiter_for
    return DriveRemote(load_credentials(config, state_dir), config.drive.endpoint,
                       config.drive.folder, limiter=limiter_for("drive", config))


def _page_request(make: Callable[[Any, str | None], Any], token: str | None
                  ) -> Callable[[Any], Any]:
    """``make`` bound to one page token (a lambda in the paging loop would see the next one)."""
    return lambda service: make(service, token)

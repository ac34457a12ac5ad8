"""The library's folder tree on Drive: found once per listing, cached, and grown when an upload
needs an album folder.

The library folder is ``drive.folder`` in My Drive (not a folder of that name shared with us);
album folders photosync creates carry ``photosync_album=1``, the library folder it creates
``photosync_root=1``. Folder creation is serialised, and a folder another process made meanwhile
is found by name before one is created.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from photosync.remotes.drive_api import Services
from photosync.remotes.drive_rows import FOLDER_FIELDS, quote
from photosync.remotes.drive_tree import ALBUM_MARK, FOLDER, ROOT_MARK, Folder, Tree, split_path

log = logging.getLogger("photosync.remotes.drive")


class Folders:
    """The cached folder tree of one Drive library; thread-safe."""

    def __init__(self, services: Services, folder: str):
        self.services = services
        self.folder = folder
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()  # folder creation: one thread at a time
        self._tree: Tree | None = None
        self._my_drive: str | None = None

    def set(self, tree: Tree | None) -> None:
        """Cache ``tree`` (None: read it again when next needed)."""
        with self._lock:
            self._tree = tree

    def drop(self, tree: Tree, folder_id: str) -> None:
        with self._lock:
            tree.drop(folder_id)

    def load(self) -> Tree:
        """Every folder we own, in one paged listing; the library's part of it as a Tree."""
        rows = list(pages(self.services, lambda s, token: s.files().list(
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
            self._my_drive = self.services.call(
                lambda s: s.files().get(fileId="root", fields="id"), "finding My Drive")["id"]
        return self._my_drive

    def now(self) -> Tree:
        with self._lock:
            tree = self._tree
        return tree or self.load()

    def ensure(self, path: str) -> str:
        """The folder id of album ``path`` ("" = the library root), created where missing."""
        with self._write_lock:
            tree = self.now()
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
        rows = self.services.call(lambda s: s.files().list(
            q=f"name = {quote(name)} and {quote(parent)} in parents and mimeType = '{FOLDER}' "
              "and trashed = false", pageSize=10, spaces="drive",
            fields=f"files({FOLDER_FIELDS})"), "looking up a folder").get("files", [])
        folders = sorted((Folder.from_api(r) for r in rows), key=lambda f: (not f.owned, f.created))
        return folders[0] if folders else None

    def _create_folder(self, name: str, parent: str, marks: dict[str, str]) -> Folder:
        row = self.services.call(lambda s: s.files().create(
            body={"name": name, "mimeType": FOLDER, "parents": [parent], "appProperties": marks},
            fields=FOLDER_FIELDS), f"creating folder {name}")
        return Folder.from_api(row)


def pages(services: Services, make: Callable[[Any, str | None], Any], what: str
          ) -> Iterator[dict[str, Any]]:
    """Every file row of a paged ``files().list`` request ``make(service, page_token)``."""
    token: str | None = None
    while True:
        answer = services.call(_page_request(make, token), what)
        yield from answer.get("files", [])
        token = answer.get("nextPageToken")
        if not token:
            return


def _page_request(make: Callable[[Any, str | None], Any], token: str | None
                  ) -> Callable[[Any], Any]:
    """``make`` bound to one page token (a lambda in the paging loop would see the next one)."""
    return lambda service: make(service, token)

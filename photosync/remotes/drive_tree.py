"""The library's folder tree on Drive: folder ids <-> album paths, with no I/O.

The library root is ``drive.folder`` in My Drive; every folder beneath it is an album whose title
is its path relative to the root ("2021/Trip"). Drive allows several folders with the same name
in one parent: a path then resolves to the one photosync created (``photosync_album=1``), else
the oldest, deterministically, and the clash is remembered for the report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

FOLDER = "application/vnd.google-apps.folder"
ALBUM_MARK = "photosync_album"
ROOT_MARK = "photosync_root"


@dataclass(frozen=True)
class Folder:
    id: str
    name: str
    parent: str | None
    owned: bool  # created by photosync
    created: str = ""  # RFC 3339, sorts as text

    @classmethod
    def from_api(cls, row: dict[str, Any]) -> Folder:
        parents = row.get("parents") or [None]
        marks = row.get("appProperties") or {}
        return cls(row["id"], row.get("name", ""), parents[0], marks.get(ALBUM_MARK) == "1",
                   row.get("createdTime", ""))


@dataclass
class Tree:
    """Folders under the library root (root included), by id."""

    root_id: str | None
    folders: dict[str, Folder] = field(default_factory=dict)

    @classmethod
    def build(cls, root_id: str | None, all_folders: Iterable[Folder]) -> Tree:
        """Keep the folders whose ancestry reaches ``root_id``."""
        by_id = {f.id: f for f in all_folders}
        tree = cls(root_id)
        if root_id is None:
            return tree
        children: dict[str | None, list[Folder]] = {}
        for f in by_id.values():
            children.setdefault(f.parent, []).append(f)
        frontier = [root_id]
        if root_id in by_id:
            tree.folders[root_id] = by_id[root_id]
        while frontier:
            current = frontier.pop()
            for child in children.get(current, []):
                if child.id not in tree.folders and child.id != root_id:
                    tree.folders[child.id] = child
                    frontier.append(child.id)
        return tree

    def ids(self) -> list[str]:
        """Every folder id in the tree, the root first."""
        rest = sorted(i for i in self.folders if i != self.root_id)
        return ([self.root_id] if self.root_id else []) + rest

    def path_of(self, folder_id: str | None) -> str | None:
        """"" for the root, "a/b" for a folder below it, None outside the tree."""
        parts: list[str] = []
        seen: set[str] = set()
        current = folder_id
        while current is not None and current not in seen:
            if current == self.root_id:
                return "/".join(reversed(parts))
            folder = self.folders.get(current)
            if folder is None:
                return None
            seen.add(current)
            parts.append(folder.name)
            current = folder.parent
        return None

    def album_of(self, parents: list[str] | None) -> tuple[str, ...] | None:
        """The ``albums`` of a file with these parents: () in the root, None outside the tree."""
        path = self.path_of(parents[0]) if parents else None
        if path is None:
            return None
        return (path,) if path else ()

    def child(self, parent_id: str, name: str) -> Folder | None:
        """The folder ``name`` directly in ``parent_id``: ours first, then the oldest."""
        matches = [f for f in self.folders.values() if f.parent == parent_id and f.name == name]
        matches.sort(key=lambda f: (not f.owned, f.created, f.id))
        return matches[0] if matches else None

    def resolve(self, path: str) -> str | None:
        """The folder id of an album path ("" is the root), or None when some part is missing."""
        current = self.root_id
        for part in split_path(path):
            if current is None:
                return None
            found = self.child(current, part)
            current = found.id if found else None
        return current

    def albums(self) -> list[Folder]:
        """Every folder below the root (the root itself is no album)."""
        return [f for f in self.folders.values() if f.id != self.root_id]

    def same_name_folders(self) -> list[str]:
        """Album paths that more than one folder claims (reported, never merged)."""
        seen: dict[tuple[str | None, str], int] = {}
        for f in self.albums():
            seen[(f.parent, f.name)] = seen.get((f.parent, f.name), 0) + 1
        return sorted(f"{self.path_of(parent) or ''}/{name}".lstrip("/")
                      for (parent, name), n in seen.items() if n > 1)

    def put(self, folder: Folder) -> None:
        self.folders[folder.id] = folder

    def drop(self, folder_id: str) -> None:
        """Forget a folder and everything below it."""
        doomed = {folder_id}
        changed = True
        while changed:
            extra = {f.id for f in self.folders.values() if f.parent in doomed} - doomed
            changed = bool(extra)
            doomed |= extra
        for fid in doomed:
            self.folders.pop(fid, None)

    def subtree(self, folder_id: str) -> list[str]:
        """``folder_id`` and every folder below it that the tree knows."""
        found = [folder_id]
        frontier = [folder_id]
        while frontier:
            current = frontier.pop()
            for f in self.folders.values():
                if f.parent == current and f.id not in found:
                    found.append(f.id)
                    frontier.append(f.id)
        return found


def split_path(path: str) -> list[str]:
    """Album path components; empty parts (leading, trailing or doubled "/") are dropped."""
    return [part for part in path.split("/") if part.strip()]

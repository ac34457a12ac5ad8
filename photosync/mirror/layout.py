"""Where a mirror puts things, and the symlink folders that show albums and collections.

::

    DEST/photostream/<id>.<ext>  +  <id>.<ext>.json      the files themselves (the only copies)
    DEST/Albums/<title> - <id>/0001_<id>.<ext>           relative symlinks in album order
                               album.json
    DEST/Collections/<title> - <id>/<album> - <id>       symlinks to album folders; sub-collections
                                    collection.json      are sub-folders, nested as on Flickr
    DEST/Not in any album/<id>.<ext>                     symlinks

Titles come from Flickr and are untrusted: they pass through ``safe_name`` and every path is
checked with ``ensure_inside``. Pruning only ever removes symlinks and our own JSON files, then
empty folders: a file someone put into an album folder by hand is left alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from photosync.atomic import is_partial
from photosync.remotes.files import ensure_inside, remove_partials
from photosync.remotes.names import MAX_NAME_BYTES, safe_name

STREAM, ALBUMS, COLLECTIONS, LOOSE = "photostream", "Albums", "Collections", "Not in any album"
ALBUM_JSON, COLLECTION_JSON = "album.json", "collection.json"
OUR_FILES = {ALBUM_JSON, COLLECTION_JSON}


class Layout:
    """Paths inside one mirror folder."""

    def __init__(self, dest: Path):
        self.dest = Path(dest)
        self.stream = self.dest / STREAM
        self.albums = self.dest / ALBUMS
        self.collections = self.dest / COLLECTIONS
        self.loose = self.dest / LOOSE

    def file(self, name: str) -> Path:
        return ensure_inside(self.dest, self.stream / safe_name(name))

    def album_dir(self, title: str, album_id: str) -> Path:
        return ensure_inside(self.dest, self.albums / folder_name(title, album_id))

    def clean_partials(self) -> int:
        """Temp files of a killed run (they never look complete; now they go)."""
        return remove_partials(self.stream) if self.stream.is_dir() else 0

    def stream_names(self) -> dict[str, str]:
        """photo id -> file name of every photo file in ``photostream/`` (sidecars excluded)."""
        names: dict[str, str] = {}
        if not self.stream.is_dir():
            return names
        for entry in os.scandir(self.stream):
            if entry.name.endswith(".json") or is_partial(entry.name) or not entry.is_file():
                continue
            names[entry.name.split(".", 1)[0]] = entry.name
        return names


def folder_name(title: str, item_id: str) -> str:
    """``<title> - <id>``, made safe (the id keeps same-title albums apart). A long title is
    cut, never the id: two long titles alike in their first 230 bytes stay two folders."""
    tail = f" - {safe_name(item_id)}"
    room = MAX_NAME_BYTES - len(tail.encode())
    stem = safe_name(title.strip() or "untitled").encode()[:room].decode("utf-8", "ignore")
    return (stem.rstrip(". ") or "untitled") + tail


def link_name(position: int, name: str) -> str:
    return f"{position:04d}_{name}"


def sync_links(folder: Path, wanted: Mapping[str, Path]) -> None:
    """Make ``folder`` hold exactly the symlinks ``wanted`` (name -> target), relative. Other
    files and sub-folders are not touched."""
    folder.mkdir(parents=True, exist_ok=True)
    existing = {e.name: e for e in os.scandir(folder) if e.is_symlink()}
    for name, entry in existing.items():
        if name not in wanted:
            os.unlink(entry.path)
    for name, target in wanted.items():
        relative = os.path.relpath(target, folder)
        current = existing.get(name)
        if current is not None and os.readlink(current.path) == relative:
            continue
        path = folder / name
        if current is not None or path.is_symlink():
            path.unlink()
        elif path.exists():
            continue  # a real file of the user's under our name: never replaced
        os.symlink(relative, path)


def prune(parent: Path, keep: Iterable[str]) -> int:
    """Remove the folders under ``parent`` not in ``keep`` (their symlinks, our JSON files, then
    the empty folders, recursively); return how many folders went."""
    if not parent.is_dir():
        return 0
    keep = set(keep)
    gone = 0
    for entry in os.scandir(parent):
        if entry.name in keep or not entry.is_dir(follow_symlinks=False):
            continue
        gone += _clear(Path(entry.path))
    return gone


def _clear(folder: Path) -> int:
    gone = 0
    for entry in os.scandir(folder):
        if entry.is_symlink() or entry.name in OUR_FILES:
            os.unlink(entry.path)
        elif entry.is_dir(follow_symlinks=False):
            gone += _clear(Path(entry.path))
    try:
        folder.rmdir()
        gone += 1
    except OSError:
        pass  # something of the user's is still in it
    return gone

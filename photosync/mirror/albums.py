"""Albums, collections and "Not in any album" as folders of relative symlinks.

Cost: ``photosets.getList`` and ``collections.getTree`` once per run; ``photosets.getPhotos``
only for an album whose ``date_update`` or photo count differs from its stored ``album.json``.
Only photos whose file is in ``photostream/`` are linked.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from photosync.mirror.layout import (
    ALBUM_JSON,
    COLLECTION_JSON,
    Layout,
    folder_name,
    link_name,
    prune,
    sync_links,
)
from photosync.mirror.metadata import album_document, collection_document, read_json, write_json
from photosync.mirror.source import FlickrSource
from photosync.remotes.files import ensure_inside
from photosync.remotes.flickr_items import as_int, as_list, as_text


def mirror_albums(source: FlickrSource, nsid: str, layout: Layout,
                  present: Mapping[str, str]) -> None:
    """Bring Albums/, Collections/ and "Not in any album"/ in line with Flickr; ``present`` maps
    photo id -> file name in photostream/."""
    in_albums: set[str] = set()
    folders: dict[str, str] = {}  # album id -> folder name
    for album in source.albums(nsid):
        album_id, title = as_text(album.get("id")), as_text(album.get("title"))
        folder = layout.album_dir(title, album_id)
        members = _members(source, nsid, album, folder)
        write_json(folder / ALBUM_JSON, {**album_document(album, members), "listed": _count(album)})
        wanted = {link_name(n, present[m]): layout.stream / present[m]
                  for n, m in enumerate((m for m in members if m in present), start=1)}
        sync_links(folder, wanted)
        in_albums.update(members)
        folders[album_id] = folder.name
    prune(layout.albums, folders.values())
    loose = {name: layout.stream / name for pid, name in present.items() if pid not in in_albums}
    sync_links(layout.loose, loose)
    tree = source.collections(nsid)
    kept = {_collection(layout, layout.collections, node, folders) for node in tree}
    prune(layout.collections, kept)


def _count(album: Mapping[str, Any]) -> int:
    return as_int(album.get("photos")) + as_int(album.get("videos"))


def _members(source: FlickrSource, nsid: str, album: Mapping[str, Any], folder: Path) -> list[str]:
    """The album's photo ids in order: from album.json when Flickr says it did not change."""
    stored = read_json(folder / ALBUM_JSON)
    if (isinstance(stored, dict) and stored.get("date_update") == as_text(album.get("date_update"))
            and stored.get("listed") == _count(album) and isinstance(stored.get("photos"), list)):
        return [str(p) for p in stored["photos"]]
    return source.album_members(as_text(album.get("id")), nsid)


def _collection(layout: Layout, parent: Path, node: Mapping[str, Any],
                albums: Mapping[str, str]) -> str:
    """One collection folder (links to its albums, sub-folders for its collections); its name."""
    name = folder_name(as_text(node.get("title")), as_text(node.get("id")))
    folder = ensure_inside(layout.dest, parent / name)
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / COLLECTION_JSON, collection_document(node))
    wanted = {albums[sid]: layout.albums / albums[sid]
              for sid in (as_text(s.get("id")) for s in as_list(node.get("set"))) if sid in albums}
    sync_links(folder, wanted)
    children = {_collection(layout, folder, child, albums)
                for child in as_list(node.get("collection"))}
    prune(folder, children)
    return name

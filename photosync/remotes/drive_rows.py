"""Drive's answers read without calls: file rows as remote items, the change feed sorted into
changed and removed items, folder changes applied to the tree, and the ``q`` queries we send.

Pure functions, so :class:`photosync.remotes.drive.DriveRemote` keeps only the calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from photosync.remotes.base import RemoteItem
from photosync.remotes.drive_tree import FOLDER, Folder, Tree

SIGNATURE_KEY = "photosync_signature"
FILE_FIELDS = ("id,name,size,md5Checksum,mimeType,parents,appProperties,modifiedTime,createdTime,"
               "trashed,imageMediaMetadata/time")
FOLDER_FIELDS = "id,name,parents,appProperties,createdTime"
MEDIA_Q = "(mimeType contains 'image/' or mimeType contains 'video/')"
PARENTS_PER_QUERY = 40

Row = dict[str, Any]


def item_of(row: Row, tree: Tree) -> RemoteItem | None:
    """A listing row as a RemoteItem; None for folders, non-media, or files outside the tree."""
    if not is_media(row) or row.get("trashed"):
        return None
    albums = tree.album_of(row.get("parents"))
    if albums is None:
        return None
    taken = _exif_time((row.get("imageMediaMetadata") or {}).get("time"))
    created = _epoch(row.get("createdTime"))
    mime = row.get("mimeType")
    made = datetime.fromtimestamp(created).replace(microsecond=0) if created else None
    return RemoteItem(
        id=row["id"], name=row.get("name", ""),
        size=int(row["size"]) if row.get("size") is not None else None,
        md5=row.get("md5Checksum"), signature=(row.get("appProperties") or {}).get(SIGNATURE_KEY),
        date_taken=taken or made, date_taken_known=taken is not None,
        media="video" if str(mime).startswith("video/") else "photo", albums=albums,
        updated=_epoch(row.get("modifiedTime")) or created, mime=mime,
        extra={"parent": (row.get("parents") or [""])[0]})


def folder_changes(old: Tree, changes: list[Row]) -> tuple[Tree, list[str], list[str]]:
    """The tree after the folder changes in ``changes``, the folders whose photos' albums may
    have changed (listed again as changed) and the folders that left the library (their photos:
    removed)."""
    rows = [c["file"] for c in changes if (c.get("file") or {}).get("mimeType") == FOLDER]
    gone = _gone(changes, rows)
    folders = {f.id: f for f in old.folders.values()}
    folders.update({r["id"]: Folder.from_api(r) for r in rows})
    tree = Tree.build(old.root_id, [f for f in folders.values() if f.id not in gone])
    touched = [r["id"] for r in rows if r["id"] in tree.folders and r["id"] != tree.root_id]
    moved_in = sorted({fid for t in touched for fid in tree.subtree(t)})
    moved_out = sorted(set(old.folders) - set(tree.folders))
    return tree, moved_in, moved_out


def _gone(changes: list[Row], folder_rows: list[Row]) -> set[str]:
    """Ids removed from the feed, and folders moved to the trash."""
    return {c["fileId"] for c in changes if c.get("removed")} | \
        {r["id"] for r in folder_rows if r.get("trashed")}


def file_changes(changes: list[Row], tree: Tree) -> tuple[dict[str, RemoteItem], list[str]]:
    """The file entries of a change page: items changed in the library, and ids removed
    (deleted, trashed, or moved out of the library)."""
    changed: dict[str, RemoteItem] = {}
    removed: list[str] = []
    for change in changes:
        row = change.get("file")
        if row is not None and row.get("mimeType") == FOLDER:
            continue
        item = None if change.get("removed") or row is None or row.get("trashed") \
            else item_of(row, tree)
        if item is not None:
            changed[item.id] = item
        elif row is None or is_media(row):
            removed.append(change["fileId"])
    return changed, removed


_LIVE_MEDIA_Q = f"trashed = false and {MEDIA_Q}"


def photo_queries(folder_ids: list[str]) -> list[str]:
    """Photo queries covering ``folder_ids``, ``PARENTS_PER_QUERY`` folders each."""
    out = []
    for start in range(0, len(folder_ids), PARENTS_PER_QUERY):
        chunk = folder_ids[start:start + PARENTS_PER_QUERY]
        parents = " or ".join(f"{quote(i)} in parents" for i in chunk)
        out.append(f"({parents}) and {_LIVE_MEDIA_Q}")
    return out


def named_photo_query(folder_id: str, name: str) -> str:
    """The photos called ``name`` in the folder ``folder_id``."""
    return f"{quote(folder_id)} in parents and name = {quote(name)} and {_LIVE_MEDIA_Q}"


def is_media(row: Row) -> bool:
    mime = str(row.get("mimeType", ""))
    return mime.startswith("image/") or mime.startswith("video/")


def quote(text: str) -> str:
    """A string literal for Drive's ``q`` language."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _exif_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text.strip()[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _epoch(text: str | None) -> float:
    if not text:
        return 0.0
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0

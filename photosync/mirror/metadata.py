"""The JSON sidecars: ``<id>.<ext>.json`` beside each photo, ``album.json``, ``collection.json``.

Levels (``--info-level``): 0 ids, title, dates, media, original format, which size the file is
(``size``: "Original", or the size Flickr gave instead, with ``preview: true``); 1 adds
description, tags, machine tags, license, geo, privacy and URLs; 2 adds the comments. Every file
is replaced atomically (``photosync/atomic.py``), so a sidecar is either the old one or the new
one, never half.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from photosync.atomic import write_atomic
from photosync.mirror.photo import MirrorPhoto
from photosync.remotes.flickr_items import as_list, as_text

PAGE_URL = "https://www.flickr.com/photos/{owner}/{id}/"


def photo_document(photo: MirrorPhoto, level: int,
                   comments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The sidecar of ``photo`` at ``level`` (comments as returned by :func:`comment_list`)."""
    doc: dict[str, Any] = {
        "id": photo.id, "owner": photo.owner, "title": photo.title, "media": photo.media,
        "original_format": photo.original_format,
        "dates": {"taken": photo.taken, "taken_granularity": photo.granularity,
                  "taken_unknown": photo.taken_unknown, "uploaded": photo.uploaded,
                  "last_update": photo.last_update},
        "width": photo.width or None, "height": photo.height or None,
        "size": photo.size, "preview": photo.preview, "info_level": level}
    if level >= 1:
        doc.update({
            "description": photo.description, "tags": list(photo.tags),
            "machine_tags": list(photo.machine_tags), "license": photo.license,
            "geo": photo.geo, "privacy": photo.privacy,
            "urls": {"page": PAGE_URL.format(owner=photo.owner, id=photo.id),
                     "file": photo.url}})
    if level >= 2:
        doc["comments"] = comments or []
    return doc


def comment_list(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``photos.comments.getList`` as plain records: author, name, date, text, link."""
    box = answer.get("comments") or {}
    return [{"id": as_text(c.get("id")), "author": as_text(c.get("author")),
             "author_name": as_text(c.get("authorname")),
             "date": int(as_text(c.get("datecreate")) or 0), "text": as_text(c.get("_content")),
             "permalink": as_text(c.get("permalink"))}
            for c in as_list(box.get("comment"))]


def album_document(album: Mapping[str, Any], members: list[str]) -> dict[str, Any]:
    """``album.json``: the photoset as listed by getList, with its members in album order."""
    return {"id": as_text(album.get("id")), "title": as_text(album.get("title")),
            "description": as_text(album.get("description")),
            "primary": as_text(album.get("primary")),
            "date_create": as_text(album.get("date_create")),
            "date_update": as_text(album.get("date_update")),
            "count": len(members), "photos": members}


def collection_document(node: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": as_text(node.get("id")), "title": as_text(node.get("title")),
            "description": as_text(node.get("description")),
            "albums": [as_text(s.get("id")) for s in as_list(node.get("set"))],
            "collections": [as_text(c.get("id")) for c in as_list(node.get("collection"))]}


def write_json(path: Path, doc: Any, sync_folder: bool = True) -> bool:
    """Write ``doc`` to ``path`` atomically unless it already holds exactly that; True if written.
    (``sync_folder``: see ``photosync/atomic.py``.)"""
    data = (json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode()
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data, sync_folder=sync_folder)
    return True


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or None when missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None

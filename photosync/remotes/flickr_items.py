"""Flickr's loosely typed photo records -> RemoteItem, and the machine tags we read and write.

Flickr's JSON says ``"total": "6226"`` in one answer and ``6236`` in the next, ``"ispublic": "1"``
or ``1``, ``title`` as a string in listings and ``{"_content": ...}`` in getInfo: everything is
coerced here, in one place. Signatures come from our own tag ``photosync:signature=<hex>`` or,
for users switching from flickrsync, ``flickrsync:signature=<hex>`` (the same ImageMagick
signature). MD5s written by other tools (``checksum:md5=<hex>``, ``checksum:<hex>``) are kept in
``extra["tag_md5"]``, not in ``RemoteItem.md5``: a tag is not a content hash Flickr vouches for,
and a stale one must never hide a replaced original from the planner.
"""

from __future__ import annotations

import mimetypes
import re
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from photosync.remotes.base import UNLISTED, RemoteItem

OUR_NAMESPACE = "photosync:signature="
COMPATIBLE = (OUR_NAMESPACE, "flickrsync:signature=")
EXTRAS = ("date_upload,date_taken,last_update,original_format,media,machine_tags,url_o,o_dims,"
          "url_q,tags")
MARKER = "[photosync]"  # in the description of photosets we created
MIME = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
        "tiff": "image/tiff", "tif": "image/tiff", "heic": "image/heic", "webp": "image/webp",
        "mp4": "video/mp4", "mov": "video/quicktime", "avi": "video/x-msvideo",
        "m4v": "video/x-m4v", "3gp": "video/3gpp", "mts": "video/mp2t"}
PRIVACY = {"public": (1, 0, 0), "private": (0, 0, 0), "friends": (0, 1, 0), "family": (0, 0, 1),
           "friends_family": (0, 1, 1)}
_HEX = re.compile(r"^[0-9a-f]{16,128}$")
_MD5 = re.compile(r"^checksum(?::md5=|:|md5)?([0-9a-f]{32})$")


def as_int(value: Any, default: int = 0) -> int:
    """Flickr numbers: ints, numeric strings, "" or missing."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        try:
            return int(float(str(value).strip()))
        except (TypeError, ValueError):
            return default


def as_text(value: Any) -> str:
    """A string field, whether plain or wrapped as ``{"_content": ...}``."""
    if isinstance(value, dict):
        value = value.get("_content", "")
    return "" if value is None else str(value)


def as_list(value: Any) -> list[Any]:
    """Flickr lists: a list, one dict on its own, or nothing."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    return [value]


def title_for(name: str) -> str:
    """The Flickr title of a local file: its name without the extension."""
    stem, dot, ext = name.rpartition(".")
    if dot and stem.strip(". ") and 0 < len(ext) <= 10 and ext.isalnum():
        return stem
    return name


def signature_tag(signature: str) -> str:
    return f"{OUR_NAMESPACE}{signature.lower()}"


def signature_of(machine_tags: Iterable[str]) -> str | None:
    """Our signature if tagged, else a compatible tool's; machine tags come lower-cased."""
    tags = [t.strip().lower() for t in machine_tags if t.strip()]
    for prefix in COMPATIBLE:
        for tag in tags:
            if tag.startswith(prefix) and _HEX.match(tag[len(prefix):]):
                return tag[len(prefix):]
    return None


def md5_of(tags: Iterable[str]) -> str | None:
    """An MD5 another tool stored as a tag (machine tag or Flickr's cleaned form of it)."""
    for tag in tags:
        match = _MD5.match(tag.strip().lower())
        if match:
            return match.group(1)
    return None


def parse_taken(text: str) -> datetime | None:
    text = (text or "").strip()
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def original_withheld(record: Mapping[str, Any], listed: bool = False) -> bool:
    """Flickr withholds this photo's original from us, its owner, as it does for a free
    account's photos since 2025-05-15 (an account's kind, once known, can feed this check).
    Flickr documents no API change, so either sign counts: no ``originalsecret`` (listing or
    getInfo), or, in a listing that asked for ``url_o`` (``listed``), a photo without one."""
    if not record.get("originalsecret"):
        return True
    return listed and as_text(record.get("media")) != "video" and not record.get("url_o")


def item_from_record(record: Mapping[str, Any], albums: tuple[str, ...] = ()) -> RemoteItem:
    """A listing record (people.getPhotos, search, recentlyUpdated with EXTRAS) as a RemoteItem."""
    machine = as_text(record.get("machine_tags")).split()
    tags = as_text(record.get("tags")).split()
    return _item(record, as_text(record.get("title")), machine, machine + tags,
                 as_text(record.get("datetaken")), as_int(record.get("datetakenunknown")),
                 as_int(record.get("datetakengranularity")), albums,
                 original_withheld(record, listed=True))


def item_from_info(info: Mapping[str, Any], albums: tuple[str, ...] = ()) -> RemoteItem:
    """A ``photos.getInfo`` answer's ``photo`` as a RemoteItem (same fields as a listing)."""
    dates = info.get("dates") or {}
    tag_list = as_list((info.get("tags") or {}).get("tag"))
    machine = [as_text(t.get("raw")).lower() for t in tag_list if as_int(t.get("machine_tag"))]
    raw = [as_text(t.get("raw")) for t in tag_list]
    record = {**info, "dateupload": info.get("dateuploaded") or dates.get("posted"),
              "lastupdate": dates.get("lastupdate")}
    return _item(record, as_text(info.get("title")), machine, machine + raw,
                 as_text(dates.get("taken")), as_int(dates.get("takenunknown")),
                 as_int(dates.get("takengranularity")), albums, original_withheld(record))


def processing_state(record: Mapping[str, Any]) -> str | None:
    """A video's processing state, ready, pending or failed: a listing's ``media_status`` (the
    ``media`` extra), or photos.getInfo's ``video`` element; None when neither says."""
    video = record.get("video")
    if isinstance(video, Mapping):
        return next((s for s in ("failed", "pending") if as_int(video.get(s))), "ready")
    return as_text(record.get("media_status")).lower() or None


def item_from_upload(photo_id: str, name: str, signature: str, albums: tuple[str, ...]
                     ) -> RemoteItem:
    """An upload's answer (only its id) as a RemoteItem, from what was sent: Flickr's own view
    (its secret, the content version; the date it read) comes with the next listing, so the
    upload costs no ``photos.getInfo``. ``extra[UNLISTED]`` says so."""
    guessed = mimetypes.guess_type(name)[0]
    media: Literal["photo", "video"] = (
        "video" if guessed and guessed.startswith("video/") else "photo")
    return RemoteItem(id=photo_id, name=title_for(name), signature=signature.lower(),
                      media=media, albums=albums, updated=time.time(), mime=guessed,
                      extra={UNLISTED: True})


def _item(record: Mapping[str, Any], title: str, machine: list[str], all_tags: list[str],
          taken_text: str, unknown: int, granularity: int, albums: tuple[str, ...],
          withheld: bool = False) -> RemoteItem:
    fmt = as_text(record.get("originalformat")).lower() or None
    media: Literal["photo", "video"] = (
        "video" if as_text(record.get("media")) == "video" else "photo")
    uploaded = as_int(record.get("dateupload"))
    extra: dict[str, Any] = {"dateupload": uploaded, "granularity": granularity}
    visibility = record.get("visibility") or record  # getInfo nests it; listings do not
    if "ispublic" in visibility:
        extra["public"] = bool(as_int(visibility.get("ispublic")))
    if fmt:
        extra["format"] = fmt
    if record.get("originalsecret"):
        extra["content_version"] = as_text(record.get("originalsecret"))
    if withheld:
        extra["withheld"] = "free_account"
    for url in ("url_o", "url_q"):  # the original's address; a 150 px square for the dashboard
        if record.get(url):
            extra[url] = as_text(record.get(url))
    tag_md5 = md5_of(all_tags)
    if tag_md5:
        extra["tag_md5"] = tag_md5
    if media == "video" and processing_state(record):
        extra["video_state"] = processing_state(record)
    taken = parse_taken(taken_text)  # None for "" and Flickr's "0000-00-00 00:00:00"
    return RemoteItem(
        id=as_text(record.get("id")), name=title, size=None, md5=None,
        signature=signature_of(machine), date_taken=taken,
        date_taken_known=not unknown and taken is not None, media=media, albums=albums,
        updated=float(as_int(record.get("lastupdate")) or uploaded),
        mime=MIME.get(fmt or "") or ("video/mp4" if media == "video" and not fmt else None),
        extra=extra)

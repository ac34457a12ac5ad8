"""Pure name rules for what a remote sends: safe file names, extensions, our partial files.

Names coming from a remote (Flickr titles, Drive file names, album titles) are untrusted: they
may hold ``/``, ``..``, NUL, control characters, Windows-reserved names, or be longer than a file
system allows. These rules touch no file, so the planner may use them; the file side (no-clobber
paths, verified downloads) is :mod:`photosync.remotes.files`.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata

from photosync.remotes.base import RemoteItem

MAX_NAME_BYTES = 255
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f/\\<>:"|?*]')
_EXT = re.compile(r"^[A-Za-z0-9]{1,10}$")
_MIME_EXT = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/tiff": "tif",
             "image/heic": "heic", "image/heif": "heif", "image/webp": "webp"}


def safe_name(untrusted: str, ext: str | None = None) -> str:
    """A single safe path component for ``untrusted``, ending in ``.ext`` when ``ext`` is given.

    Unicode is kept (NFC-normalised); separators, control and SMB-unsafe characters become
    ``_``; leading dots and trailing dots/spaces go; reserved device names get a ``_`` prefix;
    the result fits in 255 UTF-8 bytes. Never empty.
    """
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", untrusted))
    name = name.lstrip(". ").rstrip(". ")
    suffix = ""
    ext = (ext or "").lstrip(".")
    if ext and _EXT.match(ext):
        suffix = "." + ext.lower()
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)].rstrip(". ")
    if not name:
        name = "untitled"
    if name.split(".")[0].upper() in _RESERVED:
        name = "_" + name
    return fit_name(name, suffix)


def fit_name(stem: str, suffix: str, limit: int = MAX_NAME_BYTES) -> str:
    """``stem + suffix`` cut (at a character boundary) to ``limit`` UTF-8 bytes."""
    room = limit - len(suffix.encode())
    data = stem.encode()
    if len(data) > room:
        stem = data[:room].decode("utf-8", "ignore").rstrip(". ") or "untitled"
    return stem + suffix


def extension_of(item: RemoteItem) -> str | None:
    """The extension ``item``'s name and MIME type give: its name's own when it agrees with the
    MIME type (Drive names), else one derived from the MIME type (Flickr titles have none)."""
    _stem, dot, ext = item.name.rpartition(".")
    own = ext.lower() if dot and _EXT.match(ext) else None
    if own and (item.mime is None or mimetypes.guess_type(f"x.{own}")[0] == item.mime):
        return own
    guessed = mimetypes.guess_extension(item.mime) if item.mime else None
    return guessed.lstrip(".") if guessed else own


def remote_extension(item: RemoteItem) -> str:
    """The one extension rule: the file extension a remote item's original is saved and
    matched with (Flickr's originalformat, else :func:`extension_of`, else the MIME type's)."""
    fmt = item.extra.get("format")
    if fmt:
        return str(fmt).lower()
    # A name's extension counts only when it is one and agrees with the MIME type: "../../evil"
    # and "CON" are both saved by their MIME type.
    return extension_of(item) or _MIME_EXT.get(item.mime or "", "jpg")


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
             "image/heic": "heic", "image/heif": "heif", "image/webp": "webp",
             "video/mp4": "mp4", "video/quicktime": "mov"}
# The MIME types of camera RAW and video formats that Python's table lacks or gets wrong (3gp as
# audio, mts as a 3D model): what photosync sends and how it reads a remote's type back.
MEDIA_TYPES = {"cr2": "image/x-canon-cr2", "cr3": "image/x-canon-cr3", "crw": "image/x-canon-crw",
               "nef": "image/x-nikon-nef", "nrw": "image/x-nikon-nrw", "arw": "image/x-sony-arw",
               "srf": "image/x-sony-srf", "sr2": "image/x-sony-sr2", "raf": "image/x-fuji-raf",
               "orf": "image/x-olympus-orf", "rw2": "image/x-panasonic-rw2",
               "dng": "image/x-adobe-dng", "pef": "image/x-pentax-pef",
               "srw": "image/x-samsung-srw", "x3f": "image/x-sigma-x3f",
               "3fr": "image/x-hasselblad-3fr", "iiq": "image/x-phaseone-iiq",
               "erf": "image/x-epson-erf", "kdc": "image/x-kodak-kdc",
               "mos": "image/x-leaf-mos", "mrw": "image/x-minolta-mrw", "rwl": "image/x-leica-rwl",
               "mts": "video/mp2t", "m2ts": "video/mp2t", "3gp": "video/3gpp",
               "mkv": "video/x-matroska", "webm": "video/webm", "wmv": "video/x-ms-wmv"}
for _ext, _type in MEDIA_TYPES.items():
    mimetypes.add_type(_type, f".{_ext}")


def is_decodable_image(mime: str) -> bool:
    """An image type a download is checked with ImageMagick for: not a video, not a RAW (its
    bytes are checked by size and MD5 alone; ImageMagick needs a RAW delegate to read one)."""
    return mime.startswith("image/") and mime not in _RAW_TYPES


_RAW_TYPES = frozenset(t for t in MEDIA_TYPES.values() if t.startswith("image/"))


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


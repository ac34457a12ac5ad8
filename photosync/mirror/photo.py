"""One photo of a mirrored stream, read from a listing record (``people.getPhotos`` with EXTRAS).

Everything the mirror needs comes from the listing's extras, so a photo costs no getInfo: dates,
privacy, tags, geo, license, the number of comments (``count_comments``: photos without any need
no ``comments.getList``), and the URL of the largest file the caller may fetch (``url_o`` for the
owner; ``url_k``/``url_h``/... for everyone else, and for the owner of a free account, whom Flickr
gives no original since 2025-05-15: such a file is a *preview*, named ``<id>.preview.<ext>`` and
marked so in its sidecar, never as if it were the photo). Videos are the exception: the owner's
"Video Original" follows Flickr's URL rule (``/photos/<owner>/<id>/play/orig/<originalsecret>/``,
see :func:`video_original_url`); anyone else's largest video size (a preview too) only
``photos.getSizes`` names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from photosync.remotes.flickr_items import PRIVACY, as_int, as_text, parse_taken

# Listing extras: level 0 needs the first line, levels 1-2 the second; the size URLs (largest
# first) choose the file. Asked for at every level: the call count is the same. Flickr keeps
# sizes up to 6K (url_6k, url_5k, url_4k/url_f, url_3k) for large photos: a visitor who may not
# fetch the Original gets the largest of those, as photos.getSizes would say.
EXTRAS = ("date_upload,date_taken,last_update,original_format,media,o_dims,"
          "description,license,geo,tags,machine_tags,count_comments,"
          "url_o,url_6k,url_5k,url_4k,url_f,url_3k,url_k,url_h,url_l,url_c,url_z")
SIZE_CODES = ("o", "6k", "5k", "4k", "f", "3k", "k", "h", "l", "c", "z")
# Flickr's name of each size (as photos.getSizes labels it), for the sidecar's "size".
SIZE_LABELS = {"o": "Original", "6k": "X-Large 6K", "5k": "X-Large 5K", "4k": "X-Large 4K",
               "f": "X-Large 4K", "3k": "X-Large 3K", "k": "Large 2048", "h": "Large 1600",
               "l": "Large", "c": "Medium 800", "z": "Medium 640"}
PRIVACY_NAMES = {flags: name for name, flags in PRIVACY.items()}
_EXT = re.compile(r"\.([A-Za-z0-9]{1,5})(?:\?.*)?$")


@dataclass(frozen=True)
class MirrorPhoto:
    """A photo as listed; ``url`` is None when only getSizes can name its file (videos)."""

    id: str
    owner: str
    title: str
    media: str  # photo | video
    version: str  # originalsecret (owner) or secret: Flickr changes it when the file is replaced
    last_update: int
    uploaded: int
    taken: str  # "YYYY-MM-DD HH:MM:SS", the owner's local time
    ext: str
    url: str | None
    original_format: str | None = None
    width: int = 0
    height: int = 0
    granularity: int = 0
    taken_unknown: bool = False
    description: str = ""
    tags: tuple[str, ...] = ()
    machine_tags: tuple[str, ...] = ()
    license: str = ""
    privacy: str = "public"
    geo: dict[str, float] | None = None
    comments: int | None = None  # how many Flickr says it has; None: not listed, ask
    size: str | None = None  # which size the file is ("Original", "Large"...); None: not known
    preview: bool = False  # Flickr does not give us the original: the file is a smaller size
    record: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        """The file name in ``photostream/``: ``<id>.<ext>``, or ``<id>.preview.<ext>`` for a
        preview: a smaller copy is never named as if it were the photo."""
        return f"{self.id}.preview.{self.ext}" if self.preview else f"{self.id}.{self.ext}"

    @property
    def taken_at(self) -> datetime | None:
        return parse_taken(self.taken)


def from_record(record: Mapping[str, Any]) -> MirrorPhoto:
    """A listing record (loose Flickr JSON) as a MirrorPhoto."""
    media = "video" if as_text(record.get("media")) == "video" else "photo"
    fmt = as_text(record.get("originalformat")).lower() or None
    url, width, height, code = _largest_url(record) if media == "photo" else (None, 0, 0, None)
    original = code == "o" if media == "photo" else bool(record.get("originalsecret"))
    size = SIZE_LABELS.get(code or "") or ("Video Original" if original else None)
    width = as_int(record.get("o_width")) or width
    height = as_int(record.get("o_height")) or height
    uploaded = as_int(record.get("dateupload"))
    flags = (as_int(record.get("ispublic")), as_int(record.get("isfriend")),
             as_int(record.get("isfamily")))
    return MirrorPhoto(
        id=as_text(record.get("id")), owner=as_text(record.get("owner")),
        title=as_text(record.get("title")), media=media,
        version=as_text(record.get("originalsecret")) or as_text(record.get("secret")),
        last_update=as_int(record.get("lastupdate")) or uploaded, uploaded=uploaded,
        taken=as_text(record.get("datetaken")), ext=_extension(media, fmt, url), url=url,
        original_format=fmt, width=width, height=height,
        granularity=as_int(record.get("datetakengranularity")),
        taken_unknown=bool(as_int(record.get("datetakenunknown"))),
        description=as_text(record.get("description")),
        tags=tuple(as_text(record.get("tags")).split()),
        machine_tags=tuple(as_text(record.get("machine_tags")).split()),
        license=as_text(record.get("license")), privacy=PRIVACY_NAMES.get(flags, "private"),
        geo=_geo(record), comments=_count(record.get("count_comments")), size=size,
        preview=not original, record=record)


def video_original_url(www: str, photo: MirrorPhoto) -> str | None:
    """The owner's Video Original by Flickr's URL rule (what getSizes would name), or None when
    the listing gave no ``originalsecret`` (not the owner: only getSizes knows the sizes)."""
    secret = as_text(photo.record.get("originalsecret"))
    if photo.media != "video" or not secret:
        return None
    return f"{www}/photos/{photo.owner}/{photo.id}/play/orig/{secret}/"


def _count(value: Any) -> int | None:
    text = as_text(value)
    return int(text) if text.isdigit() else None


def _largest_url(record: Mapping[str, Any]) -> tuple[str | None, int, int, str | None]:
    """(URL, width, height, size code) of the Original when listed (the owner allows it and
    Flickr gives it: not a free account's), else of the largest size listed (a preview)."""
    best: tuple[str | None, int, int, str | None] = (None, 0, 0, None)
    for code in SIZE_CODES:
        url = as_text(record.get(f"url_{code}"))
        if not url:
            continue
        width, height = as_int(record.get(f"width_{code}")), as_int(record.get(f"height_{code}"))
        if code == "o":
            return url, width, height, code
        if best[0] is None or width * height > best[1] * best[2]:
            best = (url, width, height, code)
    return best


def _extension(media: str, fmt: str | None, url: str | None) -> str:
    if url:
        match = _EXT.search(url)
        if match:
            return match.group(1).lower()
    if fmt:
        return fmt
    return "mp4" if media == "video" else "jpg"


def _geo(record: Mapping[str, Any]) -> dict[str, float] | None:
    try:
        lat, lon = float(record.get("latitude") or 0), float(record.get("longitude") or 0)
    except (TypeError, ValueError):
        return None
    if not lat and not lon:
        return None
    return {"latitude": lat, "longitude": lon, "accuracy": float(as_int(record.get("accuracy")))}

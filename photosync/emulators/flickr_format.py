"""How the emulated Flickr writes its answers: REST XML or JSON, photo records, extras, paging,
URLs.

Answers are built once as a neutral tree (dicts: scalar values are XML attributes, ``_content``
is element text, dicts and lists are child elements) and rendered either way, which is exactly
how Flickr's JSON mirrors its XML. Flickr's loose typing is kept on purpose: some numbers are
strings (``dateupload``, ``lastupdate``, ``views``, the ``total`` of some listings), some are
not (``page``, ``farm``, ``ispublic``), so clients that do not coerce break here as on Flickr.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from photosync.emulators.flickr_state import Account, Photo
from photosync.emulators.server import Response

FARM = 66
MAX_PER_PAGE = 500
# (label, url extra / size-page code, file suffix, longest edge, square) of Flickr's generated
# sizes, in getSizes order; the X-Large ones exist only for originals that large, like the rest.
SIZES = (
    ("Square", "sq", "s", 75, True),
    ("Large Square", "q", "q", 150, True),
    ("Thumbnail", "t", "t", 100, False),
    ("Small", "s", "m", 240, False),
    ("Small 320", "n", "n", 320, False),
    ("Small 400", "w", "w", 400, False),
    ("Medium", "m", "", 500, False),
    ("Medium 640", "z", "z", 640, False),
    ("Medium 800", "c", "c", 800, False),
    ("Large", "l", "b", 1024, False),
    ("Large 1600", "h", "h", 1600, False),
    ("Large 2048", "k", "k", 2048, False),
    ("X-Large 3K", "3k", "3k", 3072, False),
    ("X-Large 4K", "4k", "4k", 4096, False),
    ("X-Large 5K", "5k", "5k", 5120, False),
    ("X-Large 6K", "6k", "6k", 6144, False),
)
SUFFIX_EDGE = {suffix: (edge, square) for _, _, suffix, edge, square in SIZES}
# Since 2025-05-15 nobody, the owner included, may download the Original or any size larger than
# this of a free account's photos (blog.flickr.net, 2025-04-15): those sizes are not offered.
FREE_MAX_EDGE = 1024
# Where Flickr's file servers send a request for a file that is not (or no longer) available: a
# 302 to "This photo is no longer available", a picture served with 200 (s.yimg.com on Flickr).
UNAVAILABLE_PATH = "/pw/images/en-us/photo_unavailable.png"


# --- rendering ----------------------------------------------------------------------------
def render(payload: dict[str, Any], fmt: str, params: dict[str, str]) -> Response:
    """An ``ok`` answer in the format the caller asked for (``rest`` XML by default)."""
    if fmt == "json":
        return _json({**payload, "stat": "ok"}, params)
    return Response.xml(_xml_document("ok", payload))


def render_error(code: int, message: str, fmt: str, params: dict[str, str]) -> Response:
    if fmt == "json":
        return _json({"stat": "fail", "code": code, "message": message}, params)
    return Response.xml(_xml_document("fail", {"err": {"code": str(code), "msg": message}}))


def _json(obj: dict[str, Any], params: dict[str, str]) -> Response:
    text = json.dumps(obj, separators=(",", ":"))
    if params.get("nojsoncallback") != "1":
        text = f"{params.get('jsoncallback') or 'jsonFlickrApi'}({text})"
    response = Response.json(None)
    response.body = text.encode()
    return response


def _xml_document(stat: str, payload: dict[str, Any]) -> str:
    inner = "".join(_element(name, value) for name, value in payload.items())
    return f'<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="{stat}">\n{inner}</rsp>\n'


def _element(name: str, value: Any) -> str:
    if isinstance(value, list):
        return "".join(_element(name, item) for item in value)
    if not isinstance(value, dict):
        return f"<{name}>{escape(_text(value))}</{name}>\n"
    attrs = "".join(
        f" {k}={quoteattr(_text(v))}"
        for k, v in value.items()
        if k != "_content" and v is not None and not isinstance(v, (dict, list))
    )
    children = "".join(_element(k, v) for k, v in value.items() if isinstance(v, (dict, list)))
    text = escape(_text(value["_content"])) if "_content" in value else ""
    if not children and not text:
        return f"<{name}{attrs} />\n"
    return f"<{name}{attrs}>{text}{children and chr(10) + children}</{name}>\n"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def content(text: Any) -> dict[str, Any]:
    return {"_content": text}


# --- paging -------------------------------------------------------------------------------
def paging(args: dict[str, str], default_per_page: int = 100) -> tuple[int, int]:
    """(page, per_page) as Flickr reads them: junk means the default, per_page at most 500."""
    try:
        per_page = int(args.get("per_page") or default_per_page)
    except ValueError:
        per_page = default_per_page
    per_page = default_per_page if per_page < 1 else min(per_page, MAX_PER_PAGE)
    try:
        page = max(1, int(args.get("page") or 1))
    except ValueError:
        page = 1
    return page, per_page


def page_of(items: Sequence[Any], page: int, per_page: int) -> tuple[Sequence[Any], int]:
    """One page of ``items`` (empty beyond the last page) and the number of pages."""
    pages = math.ceil(len(items) / per_page)
    return items[(page - 1) * per_page : page * per_page], pages


# --- URLs and sizes -----------------------------------------------------------------------
def static_url(base: str, photo: Photo, suffix: str) -> str:
    if suffix == "o":
        return f"{base}/{photo.server}/{photo.id}_{photo.originalsecret}_o.{photo.originalformat}"
    tail = f"_{suffix}" if suffix else ""
    return f"{base}/{photo.server}/{photo.id}_{photo.secret}{tail}.jpg"


def page_url(base: str, photo: Photo) -> str:
    return f"{base}/photos/{photo.owner}/{photo.id}/"


def scaled(photo: Photo, edge: int, square: bool) -> tuple[int, int] | None:
    """Width and height of a generated size; None when Flickr would not offer it (no upscaling)."""
    if square:
        return edge, edge
    longest = max(photo.width, photo.height, 1)
    if edge > longest:
        return None
    factor = edge / longest
    return max(1, round(photo.width * factor)), max(1, round(photo.height * factor))


def restricted(photo: Photo, accounts: dict[str, Account]) -> bool:
    """A free account's photo: no Original and no size above FREE_MAX_EDGE, for anyone."""
    owner = accounts.get(photo.owner)
    return owner is not None and owner.is_free


def may_see_original(photo: Photo, viewer: str | None, accounts: dict[str, Account]) -> bool:
    """Originals (and originalsecret/originalformat/o_dims) only for the owner in this emulator,
    and not even for the owner when the owner's account is free."""
    return viewer == photo.owner and not restricted(photo, accounts)


def offered(photo: Photo, edge: int, square: bool, accounts: dict[str, Account]
            ) -> tuple[int, int] | None:
    """The dimensions of a generated size when Flickr offers it: the photo is large enough and,
    for a free account's photo, the size is not larger than FREE_MAX_EDGE."""
    if edge > FREE_MAX_EDGE and restricted(photo, accounts):
        return None
    return scaled(photo, edge, square)


def may_see(photo: Photo, viewer: str | None) -> bool:
    return viewer == photo.owner or bool(photo.ispublic)


# --- photo records ------------------------------------------------------------------------
def parse_extras(text: str | None) -> set[str]:
    return {e.strip().lower() for e in (text or "").split(",") if e.strip()}


def photo_record(
    photo: Photo, viewer: str | None, extras: set[str], base: str, accounts: dict[str, Account],
    media_status: str = "ready",
) -> dict[str, Any]:
    """A ``<photo>`` of a listing (people.getPhotos, search, photosets.getPhotos...);
    ``media_status``: a video's processing state (the ``media`` extra says it)."""
    record: dict[str, Any] = {
        "id": photo.id,
        "owner": photo.owner,
        "secret": photo.secret,
        "server": photo.server,
        "farm": FARM,
        "title": photo.title,
        "ispublic": photo.ispublic,
        "isfriend": photo.isfriend,
        "isfamily": photo.isfamily,
    }
    for extra in extras:
        adder = _EXTRAS.get(extra)
        if adder:
            adder(record, photo, viewer, accounts)
        elif extra.startswith("url_"):
            _add_url(record, photo, viewer, extra[4:], base, accounts)
    if "media" in extras:
        record["media_status"] = media_status
    return record


def _add_url(
    record: dict[str, Any],
    photo: Photo,
    viewer: str | None,
    code: str,
    base: str,
    accounts: dict[str, Account],
) -> None:
    if code == "o":
        if may_see_original(photo, viewer, accounts):
            record.update(
                url_o=static_url(base, photo, "o"), height_o=photo.height, width_o=photo.width
            )
        return
    for _, extra, suffix, edge, square in SIZES:
        if extra == code:
            dims = offered(photo, edge, square, accounts)
            if dims:
                record.update(
                    {
                        f"url_{code}": static_url(base, photo, suffix),
                        f"height_{code}": dims[1],
                        f"width_{code}": dims[0],
                    }
                )


def _date_taken(record: dict[str, Any], photo: Photo, *_: Any) -> None:
    record.update(
        datetaken=photo.datetaken,
        datetakengranularity=photo.granularity,
        datetakenunknown=str(photo.takenunknown),
    )


def _original_format(
    record: dict[str, Any], photo: Photo, viewer: str | None, accounts: dict[str, Account]
) -> None:
    if may_see_original(photo, viewer, accounts):
        record.update(originalsecret=photo.originalsecret, originalformat=photo.originalformat)


def _o_dims(
    record: dict[str, Any], photo: Photo, viewer: str | None, accounts: dict[str, Account]
) -> None:
    if may_see_original(photo, viewer, accounts):
        record.update(o_width=str(photo.width), o_height=str(photo.height))


def _owner_name(
    record: dict[str, Any], photo: Photo, viewer: str | None, accounts: dict[str, Account]
) -> None:
    account = accounts.get(photo.owner)
    record["ownername"] = account.username if account else ""


_EXTRAS: dict[str, Callable[..., None]] = {
    "description": lambda r, p, *_: r.update(description=content(p.description)),
    "license": lambda r, p, *_: r.update(license="0"),
    "date_upload": lambda r, p, *_: r.update(dateupload=str(p.dateupload)),
    "date_taken": _date_taken,
    "owner_name": _owner_name,
    "icon_server": lambda r, p, *_: r.update(iconserver="0", iconfarm=0),
    "original_format": _original_format,
    "last_update": lambda r, p, *_: r.update(lastupdate=str(p.lastupdate)),
    "geo": lambda r, p, *_: r.update(latitude=0, longitude=0, accuracy=0, context=0),
    "tags": lambda r, p, *_: r.update(tags=" ".join(dict.fromkeys(t.clean for t in p.tags))),
    "machine_tags": lambda r, p, *_: r.update(machine_tags=" ".join(p.machine_tags())),
    "o_dims": _o_dims,
    "views": lambda r, p, *_: r.update(views="0"),
    "media": lambda r, p, *_: r.update(media=p.media),
    "path_alias": lambda r, p, *_: r.update(pathalias=None),
    "count_comments": lambda r, p, *_: r.update(count_comments=str(len(p.comments))),
}

"""Read-only Flickr methods: test.*, people.*, listings, search, photo info, sizes, comments."""

from __future__ import annotations

import time
from bisect import bisect_right
from operator import attrgetter
from typing import Any

from photosync.emulators import flickr_format as fmt
from photosync.emulators import flickr_tags
from photosync.emulators.flickr_calls import Call, Window, method, stream
from photosync.emulators.flickr_format import content
from photosync.emulators.flickr_spec import ApiError
from photosync.emulators.flickr_state import Photo

SEARCH_CAP = 4000  # Flickr serves at most the first 4,000 results of a search
# people.getPhotos arguments that filter the stream (besides the upload dates, bisected)
FILTERS = ("privacy_filter", "media", "min_taken_date", "max_taken_date", "content_type")
MAX_ALL_TAGS = 20  # error 1 beyond this many tags in a tag_mode=all search
SEARCH_ARGS = (
    "user_id",
    "tags",
    "text",
    "min_upload_date",
    "max_upload_date",
    "min_taken_date",
    "max_taken_date",
    "machine_tags",
)


@method("flickr.test.echo")
def test_echo(call: Call) -> dict[str, Any]:
    return {name: content(value) for name, value in call.args.items() if name != "nojsoncallback"}


@method("flickr.test.login")
def test_login(call: Call) -> dict[str, Any]:
    account = call.state.accounts[call.viewer or ""]
    return {"user": {"id": account.nsid, "username": content(account.username), "path_alias": ""}}


@method("flickr.auth.oauth.checkToken")
def check_token(call: Call) -> dict[str, Any]:
    """The credentials of ``oauth_token`` (flickrapi's ``token_valid()`` asks this)."""
    token = call.state.access_tokens.get(call.arg("oauth_token"))
    if token is None or token.nsid not in call.state.accounts:
        raise ApiError(98)
    account = call.state.accounts[token.nsid]
    return {
        "oauth": {
            "token": content(token.token),
            "perms": content(token.perms),
            "user": {
                "nsid": account.nsid,
                "username": account.username,
                "fullname": account.fullname,
            },
        }
    }


@method("flickr.test.null")
def test_null(call: Call) -> dict[str, Any]:
    return {}


@method("flickr.people.findByUsername")
def find_by_username(call: Call) -> dict[str, Any]:
    account = call.state.find_user(call.arg("username"))
    if account is None:
        raise ApiError(1)
    return {
        "user": {"id": account.nsid, "nsid": account.nsid, "username": content(account.username)}
    }


@method("flickr.people.getInfo")
def people_get_info(call: Call) -> dict[str, Any]:
    nsid = call.user()
    account = call.state.accounts[nsid]
    photos = call.visible(stream(call.state, nsid))
    first_taken = min((p.datetaken for p in photos), default="")
    first_upload = min((p.dateupload for p in photos), default="")
    url = f"{call.base}/photos/{nsid}/"
    return {
        "person": {
            "id": nsid,
            "nsid": nsid,
            "ispro": 0 if account.is_free else 1,
            "is_deleted": 0,
            "iconserver": "0",
            "iconfarm": 0,
            "path_alias": None,
            "has_stats": 0,
            "username": content(account.username),
            "realname": content(account.fullname),
            "location": content(""),
            "description": content(""),
            "photosurl": content(url),
            "profileurl": content(f"{call.base}/people/{nsid}/"),
            "mobileurl": content(f"{call.base}/m/photos/{nsid}/"),
            "photos": {
                "firstdatetaken": content(first_taken),
                "firstdate": content(str(first_upload)),
                "count": content(len(photos)),
            },
        }
    }


@method("flickr.people.getPhotos")
def people_get_photos(call: Call) -> dict[str, Any]:
    """Filtered once per state version; the upload dates (each keyset page its own) bisected."""
    nsid = call.user(code=2)
    key = ("getPhotos", nsid, call.viewer, *(call.arg(a) for a in FILTERS))
    photos = call.state.derived(key, lambda: _by_content_type(call, call.date_filters(
        call.visible(stream(call.state, nsid)), upload=False)))
    return {"photos": call.listing(call.upload_window(photos), total_as_text=True)}


@method("flickr.photos.getNotInSet")
def get_not_in_set(call: Call) -> dict[str, Any]:
    photos = [p for p in stream(call.state, call.viewer or "") if not call.state.in_sets.get(p.id)]
    return {"photos": call.listing(call.date_filters(call.visible(photos)), total_as_text=True)}


@method("flickr.photos.recentlyUpdated")
def recently_updated(call: Call) -> dict[str, Any]:
    since = call.unix("min_date", error=2)
    owner = call.viewer or ""
    photos = call.state.derived(("updated", owner), lambda: sorted(  # stable: ties newest first
        stream(call.state, owner), key=attrgetter("lastupdate"), reverse=True))
    end = bisect_right(photos, -(since or 0), key=lambda p: -p.lastupdate)
    listing = call.listing(Window(photos, 0, end), total_as_text=True)  # O(changes), not O(N)
    for record in listing["photo"]:  # always there, as in Flickr's example answer
        record.setdefault("lastupdate", str(call.state.photos[record["id"]].lastupdate))
    return {"photos": listing}


@method("flickr.photos.search")
def search(call: Call) -> dict[str, Any]:
    if not any(call.args.get(name) for name in SEARCH_ARGS):
        raise ApiError(3)
    if call.args.get("user_id"):
        photos = stream(call.state, call.user(code=2))
    else:
        photos = [p for p in call.state.photos.values() if p.ispublic]
    photos = call.date_filters(call.visible(photos))
    photos = _by_content_type(call, photos)
    photos = _by_tags(call, photos)
    photos = _by_machine_tags(call, photos)
    text = call.arg("text").lower()
    if text:
        photos = [
            p
            for p in photos
            if text in p.title.lower()
            or text in p.description.lower()
            or any(text in t.raw.lower() for t in p.tags)
        ]
    return {"photos": call.listing(_sorted(photos, call.arg("sort")), cap=SEARCH_CAP)}


def _by_content_type(call: Call, photos: list[Photo]) -> list[Photo]:
    """``content_type`` 1-7 (photos / screenshots / other, alone or together): every item here
    is a photo, so the kinds without photos (2, 3, 5) find nothing; other values are ignored."""
    return [] if call.arg("content_type").strip() in ("2", "3", "5") else photos


def _by_tags(call: Call, photos: list[Photo]) -> list[Photo]:
    """``tags`` (comma-separated, ``-tag`` excludes) combined by ``tag_mode`` any/all."""
    terms = flickr_tags.parse_tag_list(call.arg("tags"))
    if not terms:
        return photos
    wanted = [flickr_tags.clean(t) for t in terms if not t.startswith("-")]
    unwanted = {flickr_tags.clean(t[1:]) for t in terms if t.startswith("-")}
    every = call.arg("tag_mode") == "all"
    if every and len(terms) > MAX_ALL_TAGS:
        raise ApiError(1)
    test = all if every else any
    out = []
    for photo in photos:
        have = {t.clean for t in photo.tags}
        if (not wanted or test(w in have for w in wanted)) and not unwanted & have:
            out.append(photo)
    return out


def _by_machine_tags(call: Call, photos: list[Photo]) -> list[Photo]:
    text = call.arg("machine_tags")
    if not text:
        return photos
    queries = [
        q for q in map(flickr_tags.parse_machine_query, flickr_tags.parse_tag_list(text)) if q
    ]
    if not queries:
        raise ApiError(11)
    every = call.arg("machine_tag_mode") == "all"
    if len(queries) > (16 if every else 8):  # "AND" queries up to 16 machine tags, "OR" up to 8
        raise ApiError(12)
    test = all if every else any
    return [
        p for p in photos if test(flickr_tags.machine_matches(p.machine_tags(), q) for q in queries)
    ]


def _sorted(photos: list[Photo], order: str) -> list[Photo]:
    """Flickr's sort values; anything else (or none) is the default, date-posted-desc."""
    if order not in SORTS:
        order = "date-posted-desc"
    if order == "relevance":  # no ranking of our own: the newest uploads first, as the default
        order = "date-posted-desc"
    field, _, direction = order.rpartition("-")
    return sorted(photos, key=SORTS[order], reverse=direction == "desc")


SORTS: dict[str, Any] = {
    **{f"date-posted-{d}": lambda p: (p.dateupload, int(p.id)) for d in ("asc", "desc")},
    **{f"date-taken-{d}": lambda p: (p.datetaken, int(p.id)) for d in ("asc", "desc")},
    # interestingness stands for comments here (the emulator keeps no views or faves)
    **{
        f"interestingness-{d}": lambda p: (len(p.comments), p.dateupload, int(p.id))
        for d in ("asc", "desc")
    },
    "relevance": None,
}


@method("flickr.photos.getInfo")
def get_info(call: Call) -> dict[str, Any]:
    photo = call.photo()
    owner = call.state.accounts[photo.owner]
    info: dict[str, Any] = {
        "id": photo.id,
        "secret": photo.secret,
        "server": photo.server,
        "farm": fmt.FARM,
        "dateuploaded": str(photo.dateupload),
        "isfavorite": 0,
        "license": "0",
        "safety_level": str(photo.safety_level),
        "rotation": 0,
    }
    original = fmt.may_see_original(photo, call.viewer, call.state.accounts)
    if original:
        info.update(originalsecret=photo.originalsecret, originalformat=photo.originalformat)
    mine = photo.owner == call.viewer
    info.update(
        {
            "owner": {
                "nsid": owner.nsid,
                "username": owner.username,
                "realname": owner.fullname,
                "location": "",
                "iconserver": "0",
                "iconfarm": 0,
                "path_alias": None,
            },
            "title": content(photo.title),
            "description": content(photo.description),
            "visibility": {
                "ispublic": photo.ispublic,
                "isfriend": photo.isfriend,
                "isfamily": photo.isfamily,
            },
            "dates": {
                "posted": str(photo.dateupload),
                "taken": photo.datetaken,
                "takengranularity": photo.granularity,
                "takenunknown": str(photo.takenunknown),
                "lastupdate": str(photo.lastupdate),
            },
            "views": "0",
            "editability": {"cancomment": int(mine), "canaddmeta": int(mine)},
            "publiceditability": {"cancomment": 1, "canaddmeta": 0},
            # candownload says whether the caller gets the Original (the owner only, in this
            # emulator, and not the owner of a free account's photo)
            "usage": {
                "candownload": int(original),
                "canblog": 0,
                "canprint": 0,
                "canshare": 1,
            },
            "comments": content(str(len(photo.comments))),
            "notes": {"note": []},
            "people": {"haspeople": 0},
            "tags": {
                "tag": [
                    {
                        "id": t.id,
                        "author": t.author,
                        "authorname": _name(call, t.author),
                        "raw": t.raw,
                        "_content": t.clean,
                        "machine_tag": int(bool(t.machine)),
                    }
                    for t in photo.tags
                ]
            },
            "urls": {"url": [{"type": "photopage", "_content": fmt.page_url(call.base, photo)}]},
            "media": photo.media,
        }
    )
    if photo.media == "video":
        state = call.state.video_state(photo.id, time.time())
        info["video"] = {"ready": int(state == "ready"), "failed": int(state == "failed"),
                         "pending": int(state == "pending"), "duration": "3",
                         "width": photo.width, "height": photo.height}
    if mine:
        info["permissions"] = {"id": photo.id, "permcomment": 3, "permaddmeta": 2}
    return {"photo": info}


def _name(call: Call, nsid: str) -> str:
    account = call.state.accounts.get(nsid)
    return account.username if account else ""


@method("flickr.photos.getSizes")
def get_sizes(call: Call) -> dict[str, Any]:
    photo = call.photo()
    page = fmt.page_url(call.base, photo)
    sizes = []
    for label, code, suffix, edge, square in fmt.SIZES:
        dims = fmt.offered(photo, edge, square, call.state.accounts)
        if dims:  # the size page is named by the size's code (sq, s, m, l...), not its file suffix
            sizes.append(
                {
                    "label": label,
                    "width": dims[0],
                    "height": dims[1],
                    "source": fmt.static_url(call.base, photo, suffix),
                    "url": f"{page}sizes/{code}/",
                    "media": "photo",
                }
            )
    owner = fmt.may_see_original(photo, call.viewer, call.state.accounts)
    if photo.media == "photo" and owner:
        sizes.append(
            {
                "label": "Original",
                "width": photo.width,
                "height": photo.height,
                "source": fmt.static_url(call.base, photo, "o"),
                "url": f"{page}sizes/o/",
                "media": "photo",
            }
        )
    if photo.media == "video":
        play = f"{call.base}/photos/{photo.owner}/{photo.id}/play"
        # As on Flickr: the embeddable player (not a file), as large as the video itself.
        player = (f"{call.base}/apps/video/stewart.swf?v=71377&photo_id={photo.id}"
                  f"&photo_secret={photo.secret}")
        sizes.append(
            {
                "label": "Video Player",
                "width": photo.width,
                "height": photo.height,
                "source": player,
                "url": page,
                "media": "video",
            }
        )
        # The transcoded stream exists once processing is done; the original from the upload on.
        if call.state.video_state(photo.id, time.time()) == "ready":
            sizes.append(
                {
                    "label": "Site MP4",
                    "width": photo.width,
                    "height": photo.height,
                    "source": f"{play}/site/{photo.secret}/",
                    "url": page,
                    "media": "video",
                }
            )
        if owner:
            sizes.append(
                {
                    "label": "Video Original",
                    "width": photo.width,
                    "height": photo.height,
                    "source": f"{play}/orig/{photo.originalsecret}/",
                    "url": page,
                    "media": "video",
                }
            )
    return {"sizes": {"canblog": 0, "canprint": 0, "candownload": int(owner), "size": sizes}}


# getExif's tag spaces and labels, as Flickr names them; other tags are ExifIFD, labelled by name.
EXIF_IFD0 = {
    "Make": "Make",
    "Model": "Model",
    "Orientation": "Orientation",
    "Software": "Software",
    "DateTime": "Date and Time (Modified)",
    "Artist": "Artist",
    "Copyright": "Copyright",
    "XResolution": "X-Resolution",
    "YResolution": "Y-Resolution",
}
EXIF_LABELS = {
    "DateTimeOriginal": "Date and Time (Original)",
    "DateTimeDigitized": "Date and Time (Digitized)",
    "OffsetTimeOriginal": "Time Zone Offset",
    "SubSecTimeOriginal": "Sub Sec Time Original",
}
EXIF_POINTERS = {"ExifOffset", "GPSInfo", "InteroperabilityOffset"}


@method("flickr.photos.getExif")
def get_exif(call: Call) -> dict[str, Any]:
    """The EXIF tags in the photo's file (none for a video), read from its bytes."""
    photo = call.photo()
    tags: dict[str, str] = {}
    if photo.media == "photo":
        from wand.exceptions import WandException
        from wand.image import Image

        try:
            with Image.ping(blob=call.blobs.get(photo.blob)) as img:
                tags = {k[5:]: v for k, v in img.metadata.items() if k.startswith("exif:")}
        except WandException:
            tags = {}
    exif = []
    for name, raw in tags.items():
        if name in EXIF_POINTERS:
            continue
        space = "IFD0" if name in EXIF_IFD0 else "GPS" if name.startswith("GPS") else "ExifIFD"
        label = EXIF_IFD0.get(name) or EXIF_LABELS.get(name) or name
        exif.append(
            {"tagspace": space, "tagspaceid": 0, "tag": name, "label": label, "raw": content(raw)}
        )
    camera = " ".join(t for t in (tags.get("Make", ""), tags.get("Model", "")) if t)
    return {
        "photo": {
            "id": photo.id,
            "secret": photo.secret,
            "server": photo.server,
            "farm": fmt.FARM,
            "camera": camera,
            "exif": exif,
        }
    }


@method("flickr.photos.comments.getList")
def comments_get_list(call: Call) -> dict[str, Any]:
    photo = call.photo()
    lo, hi = call.unix("min_comment_date"), call.unix("max_comment_date")
    comments = [
        c for c in photo.comments if (lo is None or c.date >= lo) and (hi is None or c.date <= hi)
    ]
    out: dict[str, Any] = {"photo_id": photo.id}
    if comments:
        out["comment"] = [
            {
                "id": c.id,
                "author": c.author,
                "author_is_deleted": 0,
                "authorname": _name(call, c.author),
                "iconserver": "0",
                "iconfarm": 0,
                "datecreate": str(c.date),
                "permalink": f"{fmt.page_url(call.base, photo)}#comment{c.id}",
                "path_alias": None,
                "realname": "",
                "_content": c.text,
            }
            for c in comments
        ]
    return {"comments": out}


@method("flickr.photos.upload.checkTickets")
def check_tickets(call: Call) -> dict[str, Any]:
    out = []
    for ticket_id in [t.strip() for t in call.arg("tickets").split(",") if t.strip()]:
        ticket = call.state.tickets.get(ticket_id)
        if ticket is None:
            out.append({"id": ticket_id, "invalid": 1})
        elif ticket.photo_id is None:
            out.append({"id": ticket_id, "complete": 2})
        elif time.time() < ticket.complete_at:
            out.append({"id": ticket_id, "complete": 0})
        else:
            out.append(
                {
                    "id": ticket_id,
                    "complete": 1,
                    "photoid": ticket.photo_id,
                    "imported": str(int(ticket.complete_at)),
                }
            )
    return {"uploader": {"ticket": out}}

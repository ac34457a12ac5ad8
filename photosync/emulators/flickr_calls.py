"""What every emulated Flickr method gets: the call's context, lookups, date parsing, listings.

A method is a function ``(call) -> payload dict`` registered with ``@method("flickr.x.y")``; it
raises :class:`ApiError` with a code and lets the method's reflection file supply the message.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from photosync.emulators import flickr_format as fmt
from photosync.emulators.flickr_spec import ApiError, MethodSpec
from photosync.emulators.flickr_state import FlickrState, Photo

METHODS: dict[str, Callable[[Call], dict[str, Any]]] = {}
PRIVACY = {1: (1, 0, 0), 2: (0, 1, 0), 3: (0, 0, 1), 4: (0, 1, 1), 5: (0, 0, 0)}


def method(name: str) -> Callable:
    def register(fn: Callable[[Call], dict[str, Any]]) -> Callable[[Call], dict[str, Any]]:
        METHODS[name] = fn
        return fn

    return register


@dataclass
class Call:
    state: FlickrState
    spec: MethodSpec
    args: dict[str, str]
    viewer: str | None  # the calling user's NSID (None: an API-key-only call)
    now: int
    base: str  # where photo files are served (the emulator itself)
    api_key: str = ""
    blobs: Any = None  # the BlobStore: the bytes of photos (getExif reads them)

    def arg(self, name: str, default: str = "") -> str:
        return self.args.get(name, default)

    def user(self, arg: str = "user_id", code: int = 1, default_me: bool = False) -> str:
        """The NSID named by ``arg`` ("me" = the caller); ``code`` when there is no such user."""
        value = self.args.get(arg) or ("me" if default_me else "")
        if value == "me":
            if self.viewer is None:
                raise ApiError(code)
            return self.viewer
        if value not in self.state.accounts:
            raise ApiError(code)
        return value

    def photo(self, arg: str = "photo_id", code: int = 1, owned: bool = False) -> Photo:
        """A photo the caller may see (``owned``: may change); others are simply "not found"."""
        photo = self.state.photos.get(self.args.get(arg, ""))
        if photo is None:
            raise ApiError(code)
        if owned:
            if photo.owner != self.viewer:
                raise ApiError(code)
        elif not fmt.may_see(photo, self.viewer) and self.args.get("secret") != photo.secret:
            raise ApiError(code)
        return photo

    def record(self, photo: Photo, extras: set[str]) -> dict[str, Any]:
        status = self.state.video_state(photo.id, self.now) if photo.media == "video" else "ready"
        return fmt.photo_record(photo, self.viewer, extras, self.base, self.state.accounts,
                                status)

    def listing(
        self,
        photos: Sequence[Photo],
        total_as_text: bool = False,
        cap: int | None = None,
        default_per_page: int = 100,
    ) -> dict[str, Any]:
        """Flickr's ``<photos page pages perpage total>`` around one page of records."""
        page, per_page = fmt.paging(self.args, default_per_page)
        reachable = photos[:cap] if cap else photos
        chunk, _ = fmt.page_of(reachable, page, per_page)
        pages = -(-len(photos) // per_page)
        extras = fmt.parse_extras(self.args.get("extras"))
        total: int | str = str(len(photos)) if total_as_text else len(photos)
        return {
            "page": page,
            "pages": pages,
            "perpage": per_page,
            "total": total,
            "photo": [self.record(p, extras) for p in chunk],
        }

    def visible(self, photos: list[Photo]) -> list[Photo]:
        """Filter by who may see each photo, ``privacy_filter`` (owner only) and ``media``."""
        privacy = self.args.get("privacy_filter", "")
        wanted = PRIVACY.get(int(privacy)) if privacy.isdigit() else None
        media = {"photos": "photo", "videos": "video"}.get(self.args.get("media", "all"))
        out = []
        for p in photos:
            if p.owner != self.viewer:
                if not p.ispublic:
                    continue
            elif wanted and (p.ispublic, p.isfriend, p.isfamily) != wanted:
                continue
            if media and p.media != media:
                continue
            out.append(p)
        return out

    def date_filters(self, photos: list[Photo], upload: bool = True) -> list[Photo]:
        """``min/max_upload_date`` (inclusive unix times; unless not ``upload``) and
        ``min/max_taken_date``."""
        lo_up, hi_up = (self.unix("min_upload_date"), self.unix("max_upload_date")) if upload \
            else (None, None)
        lo_tk, hi_tk = self.taken("min_taken_date"), self.taken("max_taken_date")
        if lo_up is None and hi_up is None and lo_tk is None and hi_tk is None:
            return photos
        return [
            p
            for p in photos
            if (lo_up is None or p.dateupload >= lo_up)
            and (hi_up is None or p.dateupload <= hi_up)
            and (lo_tk is None or p.datetaken >= lo_tk)
            and (hi_tk is None or p.datetaken <= hi_tk)
        ]

    def upload_window(self, photos: list[Photo]) -> Sequence[Photo]:
        """``min/max_upload_date`` (inclusive unix times) of photos listed newest upload first,
        by bisection: a page of a million-photo stream costs what a page of ten does."""
        lo, hi = self.unix("min_upload_date"), self.unix("max_upload_date")
        start = 0 if hi is None else bisect_left(photos, -hi, key=_newest_first)
        end = len(photos) if lo is None else bisect_right(photos, -lo, key=_newest_first)
        return Window(photos, start, max(start, end))

    def unix(self, arg: str, error: int | None = None) -> int | None:
        value = self.args.get(arg, "").strip()
        if not value:
            return None
        parsed = parse_date(value)
        if parsed is None:
            if error is not None:
                raise ApiError(error)
            return None
        return int(parsed.timestamp())

    def taken(self, arg: str) -> str | None:
        value = self.args.get(arg, "").strip()
        parsed = parse_date(value) if value else None
        return format_taken(parsed) if parsed else None


def parse_date(value: str) -> datetime | None:
    """A unix timestamp or a MySQL datetime (``YYYY-MM-DD[ HH:MM:SS]``); UTC is the emulator's
    local time."""
    if value.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y-%m"):
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def format_taken(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S")


def stream(state: FlickrState, owner: str) -> list[Photo]:
    """An owner's photos in photostream order (newest upload first, then highest id), cached
    per state version (sorted once per change: about a second for a million). Ids are compared
    as numbers: the order photos are held in is not theirs (the mirror's order test found
    photos uploaded in the same second out of order)."""
    return state.derived(("stream", owner), lambda: sorted(
        [p for p in state.photos.values() if p.owner == owner],
        key=lambda p: (p.dateupload, int(p.id)), reverse=True))


def _newest_first(photo: Photo) -> int:
    return -photo.dateupload


class Window(Sequence[Photo]):
    """``photos[start:end]`` without copying it: slicing a page copies only the page."""

    def __init__(self, photos: list[Photo], start: int, end: int):
        self.photos, self.start, self.end = photos, start, end

    def __len__(self) -> int:
        return self.end - self.start

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            first, last, step = index.indices(len(self))
            return self.photos[self.start + first : self.start + last : step]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return self.photos[self.start + index % len(self)]

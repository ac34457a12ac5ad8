"""The emulated Flickr's data: accounts, photos, photosets, collections, tickets, OAuth tokens.

Plain slotted dataclasses held in dicts; everything is guarded by the app's lock. ``version``
grows on every change so listings can cache their sort orders. Snapshots are lists of field
values (not ``asdict``) so that 50,000 photos save and load in well under a second.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from photosync.emulators import flickr_tags


def token_hex(*parts: object, length: int = 10) -> str:
    """A deterministic hex secret (emulator secrets need to be unique, not unguessable)."""
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()[:length]


@dataclass(slots=True)
class Account:
    nsid: str
    username: str
    fullname: str
    joined: int
    kind: str = "pro"  # "free" or "pro"; POST /_admin/account sets it (accounts are Pro unless set)
    month: str = ""  # "YYYY-MM" of month_bytes: what people.getUploadStatus reports as used
    month_bytes: int = 0

    @property
    def is_free(self) -> bool:
        return self.kind == "free"


@dataclass(slots=True)
class Tag:
    id: str
    raw: str
    author: str

    @property
    def clean(self) -> str:
        return flickr_tags.clean(self.raw)

    @property
    def machine(self) -> str | None:
        return flickr_tags.machine(self.raw)


@dataclass(slots=True)
class Comment:
    id: str
    author: str
    text: str
    date: int


@dataclass(slots=True)
class Photo:
    id: str
    owner: str
    secret: str
    server: str
    originalsecret: str
    originalformat: str
    blob: str  # BlobStore key: sha256 of the stored bytes, or a "gen:" recipe
    media: str  # "photo" | "video"
    width: int
    height: int
    title: str
    description: str
    dateupload: int
    lastupdate: int
    datetaken: str  # "YYYY-MM-DD HH:MM:SS", the owner's local time
    granularity: int = 0
    takenunknown: int = 0
    ispublic: int = 1
    isfriend: int = 0
    isfamily: int = 0
    safety_level: int = 0
    hidden: int = 1
    tags: list[Tag] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)

    def machine_tags(self) -> list[str]:
        return [m for m in (t.machine for t in self.tags) if m]


@dataclass(slots=True)
class Photoset:
    id: str
    owner: str
    title: str
    description: str
    photos: list[str]
    primary: str
    created: int
    updated: int


@dataclass(slots=True)
class Collection:
    id: str
    owner: str
    title: str
    description: str
    children: list[str] = field(default_factory=list)  # collection ids
    sets: list[str] = field(default_factory=list)  # photoset ids (a leaf collection)


@dataclass(slots=True)
class Ticket:
    id: str
    owner: str
    photo_id: str | None  # None: the upload failed (complete=2)
    complete_at: float


@dataclass(slots=True)
class AccessToken:
    token: str
    secret: str
    nsid: str
    perms: str
    api_key: str


@dataclass(slots=True)
class RequestToken:
    token: str
    secret: str
    api_key: str
    callback: str
    perms: str = ""
    nsid: str = ""
    verifier: str = ""
    created: float = 0.0


_KINDS = {
    "accounts": Account,
    "photosets": Photoset,
    "collections": Collection,
    "tickets": Ticket,
    "access_tokens": AccessToken,
    "request_tokens": RequestToken,
}


class FlickrState:
    """Everything the emulated service knows. Callers hold the app's lock."""

    def __init__(self) -> None:
        self.apps: dict[str, str] = {}  # api_key -> api_secret
        self.accounts: dict[str, Account] = {}
        self.photos: dict[str, Photo] = {}
        self.photosets: dict[str, Photoset] = {}
        self.set_order: dict[str, list[str]] = {}  # owner -> set ids, newest first (Flickr's order)
        self.collections: dict[str, Collection] = {}
        self.collection_roots: dict[str, list[str]] = {}
        self.tickets: dict[str, Ticket] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.request_tokens: dict[str, RequestToken] = {}
        self.counter = 0
        self.version = 0
        # POST /_admin/limits: {"photo_bytes", "video_bytes"} replacing every account's limits
        self.limit_override: dict[str, int] = {}
        self.in_sets: dict[str, set[str]] = {}  # photo id -> set ids (derived)
        # Videos being transcoded: photo id -> (forced state or "", unix time it is ready).
        # Not saved: after a restart every video is ready.
        self.processing: dict[str, tuple[str, float]] = {}
        self.cache: dict[
            Any, Any
        ] = {}  # derived orderings, keyed with the version they were made at
        self.app_key()

    def video_state(self, photo_id: str, now: float) -> str:
        """A video's processing state as photos.getInfo says it: ready, pending or failed."""
        forced, ready_at = self.processing.get(photo_id, ("", 0.0))
        return forced or ("pending" if now < ready_at else "ready")

    # --- ids -------------------------------------------------------------------------------
    def next(self) -> int:
        self.counter += 1
        return self.counter

    def app_key(self) -> str:
        """The registered app's key (created once, like registering an app on Flickr)."""
        if not self.apps:
            self.apps[token_hex("api-key", 0, length=32)] = token_hex("api-secret", 0, length=16)
        return next(iter(self.apps))

    def touch(self) -> None:
        self.version += 1

    def derived(self, key: Any, build: Callable[[], Any]) -> Any:
        """``build()``, kept until the next change (listings page through a million photos in
        one sorted, filtered order made once); answers of older versions are dropped."""
        hit = self.cache.get(key)
        if hit and hit[0] == self.version:
            return hit[1]
        for stale in [k for k, (version, _) in self.cache.items() if version != self.version]:
            del self.cache[stale]
        value = build()
        self.cache[key] = (self.version, value)
        return value

    # --- accounts --------------------------------------------------------------------------
    def account(self, username: str, fullname: str | None = None) -> Account:
        """The account called ``username``, created on first use."""
        for acc in self.accounts.values():
            if acc.username.lower() == username.lower():
                return acc
        n = len(self.accounts) + 1
        acc = Account(
            f"{10000000 + n * 7919}@N0{n % 10}",
            username,
            fullname or username.title(),
            int(time.time()) - 10 * 365 * 86400,
        )
        self.accounts[acc.nsid] = acc
        self.touch()
        return acc

    def find_user(self, username: str) -> Account | None:
        return next(
            (a for a in self.accounts.values() if a.username.lower() == username.lower()), None
        )

    # --- photos ----------------------------------------------------------------------------
    def new_photo_id(self) -> str:
        return str(52000000000 + self.next())

    def add_photo(self, photo: Photo) -> Photo:
        self.photos[photo.id] = photo
        self.touch()
        return photo

    def new_tag(self, photo: Photo, raw: str, author: str) -> Tag:
        return Tag(f"{author.split('@')[0]}-{photo.id}-{self.next()}", raw, author)

    def delete_photo(self, photo: Photo) -> None:
        for set_id in list(self.in_sets.get(photo.id, ())):
            self.remove_from_set(self.photosets[set_id], photo.id)
        self.photos.pop(photo.id, None)
        self.touch()

    # --- photosets -------------------------------------------------------------------------
    def create_set(
        self, owner: str, title: str, description: str, primary: str, now: int
    ) -> Photoset:
        pset = Photoset(
            str(72157720000000000 + self.next()),
            owner,
            title,
            description,
            [primary],
            primary,
            now,
            now,
        )
        self.photosets[pset.id] = pset
        self.set_order.setdefault(owner, []).insert(0, pset.id)
        self.in_sets.setdefault(primary, set()).add(pset.id)
        self.touch()
        return pset

    def set_photos(self, pset: Photoset, photo_ids: list[str]) -> None:
        for pid in pset.photos:
            self.in_sets.get(pid, set()).discard(pset.id)
        pset.photos = list(photo_ids)
        for pid in pset.photos:
            self.in_sets.setdefault(pid, set()).add(pset.id)
        self.touch()

    def remove_from_set(self, pset: Photoset, photo_id: str) -> None:
        """Remove one photo; an album whose last photo leaves is deleted, as on Flickr."""
        self.set_photos(pset, [p for p in pset.photos if p != photo_id])
        if not pset.photos:
            self.delete_set(pset)
        elif pset.primary == photo_id:
            pset.primary = pset.photos[0]

    def delete_set(self, pset: Photoset) -> None:
        self.set_photos(pset, [])
        self.photosets.pop(pset.id, None)
        order = self.set_order.get(pset.owner, [])
        if pset.id in order:
            order.remove(pset.id)
        for coll in self.collections.values():
            if pset.id in coll.sets:
                coll.sets.remove(pset.id)
        self.touch()

    # --- persistence -----------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "apps": self.apps,
            "counter": self.counter,
            "set_order": self.set_order,
            "collection_roots": self.collection_roots,
        }
        for kind in _KINDS:
            out[kind] = [_values(obj) for obj in getattr(self, kind).values()]
        out["photos"] = [_photo_values(p) for p in self.photos.values()]
        return out

    def restore(self, data: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]
        self.apps = dict(data.get("apps") or self.apps)
        self.counter = data.get("counter", 0)
        self.set_order = {k: list(v) for k, v in data.get("set_order", {}).items()}
        self.collection_roots = {k: list(v) for k, v in data.get("collection_roots", {}).items()}
        for kind, cls in _KINDS.items():
            table = getattr(self, kind)
            for values in data.get(kind, []):
                obj = cls(*values)
                table[getattr(obj, "token", None) or getattr(obj, "id", None) or obj.nsid] = obj
        for values in data.get("photos", []):
            # the saved row holds every field in order, tags and comments last
            photo = Photo(  # type: ignore[misc]
                *values[:-2],
                tags=[Tag(*t) for t in values[-2]],
                comments=[Comment(*c) for c in values[-1]],
            )
            self.photos[photo.id] = photo
        for pset in self.photosets.values():
            for pid in pset.photos:
                self.in_sets.setdefault(pid, set()).add(pset.id)


def _values(obj: Any) -> list[Any]:
    return [getattr(obj, f.name) for f in fields(obj)]


def _photo_values(photo: Photo) -> list[Any]:
    values = _values(photo)
    values[-2] = [_values(t) for t in photo.tags]
    values[-1] = [_values(c) for c in photo.comments]
    return values

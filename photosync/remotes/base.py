"""The one narrow protocol every remote (Memory, Flickr, Drive) implements, and its data.

The sync engine only ever talks to a :class:`Remote`. What a remote cannot do is said in data
(:class:`Capabilities`), never discovered by catching ``NotImplementedError``: the planner reads
the capabilities and adapts (no MD5 on Flickr, no deletions in Flickr's change feed, ...).

Listings and change feeds are *paged* at the protocol level (``list_page`` / ``changes_page``),
so a retry wrapper re-asks for one failed page instead of a whole 200-page listing, and pacing
counts real requests. :func:`list_all` and :func:`changes_since` walk the pages for callers.

Errors (``photosync.errors``), common to every method unless a method says otherwise:

- ``TransientError(retry_after)``: worth retrying (5xx, 429, rate-limit answers, reset
  connections). The request may or may not have taken effect (a lost response).
- ``AuthorizationNeeded``: no usable token; never retried; the run stops (exit 3).
- ``RemoteUnavailable``: the remote cannot be used at all (wrong endpoint, account gone).
- ``NotFound``: the item or album id does not exist (any more).
- ``ItemError`` (other than NotFound/Conflict): this one item is refused for good (unsupported
  type, too large); the run goes on without it.
- ``Conflict``: the operation contradicts the remote's state (e.g. deleting an album we do not own).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from photosync.errors import PhotosyncError

if TYPE_CHECKING:
    from photosync.remotes.pace import RateLimiter

Media = Literal["photo", "video"]


class CursorExpired(PhotosyncError):
    """A change cursor the remote no longer accepts: the caller must do a full listing."""


# RemoteItem.extra key: the item is known from its upload's answer only (Flickr answers an upload
# with an id): what only a listing tells, such as the content version, is not known yet.
UNLISTED = "unlisted"


@dataclass(frozen=True)
class RemoteItem:
    """One photo or video as a remote lists it. Every field is what the *remote* says."""

    id: str
    name: str  # Drive: the file name (with extension); Flickr: the title (usually no extension)
    size: int | None = None
    md5: str | None = None  # lower-case hex, only where ``"md5" in capabilities.hashes``
    signature: str | None = None  # ImageMagick signature from our tag or a compatible tool's tag
    date_taken: datetime | None = None  # naive, the camera's local time
    date_taken_known: bool = False  # False: the remote guessed it (e.g. Flickr used upload time)
    media: Media = "photo"
    albums: tuple[str, ...] = ()  # album names: Drive folder paths relative to the root; set titles
    updated: float = 0.0  # unix time of the last content or metadata change
    mime: str | None = None  # "image/jpeg", or the remote's format name mapped to a MIME type
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


# Why a remote lists an item but will not give us its original (``extra["withheld"]`` holds the
# key): such an item is never downloaded, paired by content or passed on to another remote.
WITHHELD = {"free_account": "Flickr does not let free accounts download originals: kept on "
                            "Flickr only"}


def withheld(item: RemoteItem) -> str | None:
    """Why ``item``'s original cannot be downloaded now (None: it can). The one place to ask."""
    return WITHHELD.get(str(item.extra.get("withheld") or ""))


@dataclass(frozen=True)
class Page:
    """One page of a full listing."""

    items: list[RemoteItem]
    next_token: str | None  # pass to ``list_page`` for the next page; None on the last page
    cursor: str | None = None  # on the last page: where ``changes_page`` starts from


@dataclass(frozen=True)
class Listing:
    """A whole listing (all pages) and the change cursor taken *before* its first page."""

    items: list[RemoteItem]
    cursor: str


@dataclass(frozen=True)
class Changes:
    """What changed since a cursor. ``more``: call again with ``cursor`` for the next page."""

    changed: list[RemoteItem]
    removed_ids: list[str]
    cursor: str
    more: bool = False


@dataclass(frozen=True)
class Capabilities:
    """What a remote offers; the planner adapts to it instead of probing."""

    hashes: frozenset[str] = frozenset()  # content hashes in listings, e.g. {"md5"}
    albums: bool = True
    exclusive_albums: bool = False  # an item lives in one album at most (Drive: one parent folder)
    ordered_albums: bool = True  # reorder_album means something
    replace_in_place: bool = True  # replace() keeps the id, albums and metadata
    changes_report_deletions: bool = True  # False (Flickr): only a full listing reveals deletions


@dataclass(frozen=True)
class Album:
    """An album (Flickr photoset) or a folder (Drive); ``item_ids`` in the album's order."""

    id: str
    title: str  # Drive: the folder path relative to the library folder, "/"-separated
    item_ids: tuple[str, ...]
    owned_by_us: bool  # created by photosync: only those may be deleted


@dataclass(frozen=True)
class Collection:
    """A Flickr collection: albums and nested collections, read-only through the API."""

    id: str
    title: str
    album_titles: tuple[str, ...] = ()
    children: tuple[Collection, ...] = ()

    def describe(self, depth: int = 0) -> list[str]:
        """Indented lines for reports: the collection, its albums, then its children."""
        albums = f": {', '.join(self.album_titles)}" if self.album_titles else ""
        lines = ["  " * depth + f"{self.title}{albums}"]
        for child in self.children:
            lines.extend(child.describe(depth + 1))
        return lines


@runtime_checkable
class Remote(Protocol):
    """The contract every backend fulfils; ``tests/remotes/contract.py`` proves it.

    Backends call ``limiter.acquire()`` before *every* HTTP request they make (a paged method or
    an upload into an album may make several), so the remote's rate limit holds exactly.
    Methods are safe to call from several threads at once.
    """

    name: str  # "memory", "flickr", "drive": for reports and logs
    capabilities: Capabilities
    limiter: RateLimiter

    def list_page(self, token: str | None) -> Page:
        """One page of every item under the remote's scope, ``token=None`` for the first one.

        The listing is stable against concurrent uploads (no item twice, none skipped that
        existed before the first page). The last page carries the change cursor, taken before
        the first page so nothing that changes during the listing is missed.
        """

    def changes_page(self, cursor: str) -> Changes:
        """Items added or changed (content, name, signature) since ``cursor``, and removed ids.

        At least once: an item may be reported again; two calls in a row with nothing happening
        in between report nothing the second time. ``removed_ids`` stays empty when
        ``capabilities.changes_report_deletions`` is False. Raises ``CursorExpired``.
        """

    def upload(self, path: Path, name: str, album: str | None, signature: str) -> RemoteItem:
        """Create a new item from the local file ``path`` and return it as a listing would.

        ``name`` is the local file name with extension (Flickr titles strip it). ``album``: the
        album name to put it in, created (owned by us) when missing. ``signature`` is stored as
        our tag. Not idempotent: calling twice makes two items; a lost response is recovered by
        :class:`photosync.remotes.retry.RetryingRemote` through ``find_by_signature``.
        An interrupted upload leaves no partial item behind.
        """

    def replace(self, item_id: str, path: Path, signature: str) -> RemoteItem:
        """Replace the content of ``item_id`` with ``path`` (id, albums kept); set our signature.

        Idempotent (same file, same result). Raises ``NotFound``. Only called when
        ``capabilities.replace_in_place``.
        """

    def download(self, item_id: str, dest: Path, overwrite: bool = False,
                 listed: RemoteItem | None = None) -> Path:
        """Write the best original of ``item_id`` to ``dest`` atomically; return ``dest``.

        ``listed``: the item as a listing gave it, if the caller has it (Flickr then takes the
        original's address from it and skips a call; the retry wrapper passes it to the first
        attempt only, since the file may have been replaced since the listing).

        Through :func:`photosync.remotes.files.atomic_download`: verified (size, MD5 where
        offered, decodable image), and on any failure nothing is left behind. ``dest`` must not
        exist unless ``overwrite`` (else ``Conflict``). Raises ``NotFound``.
        """

    def delete(self, item_id: str) -> None:
        """Delete the item (Drive: to the trash). Raises ``NotFound`` when it is not there."""

    def find_by_signature(self, signature: str) -> list[RemoteItem]:
        """Every item whose signature (ours or a compatible tag) is ``signature``; [] if none.

        Must see an upload made a moment ago by this process (the retry wrapper relies on it).
        """

    def set_signature(self, item_id: str, signature: str, untagged: bool = False) -> None:
        """Make ``signature`` the item's only photosync signature tag. Idempotent; ``NotFound``.

        ``untagged``: the caller's listing shows the item carries no signature tag, so a remote
        that would read the item's tags first (Flickr) can skip that read."""

    def list_albums(self) -> list[Album]:
        """Every album (ours and the user's), with member ids in album order."""

    def list_collections(self) -> list[Collection]:
        """The account's read-only collection tree (Flickr), for reports; [] where a remote has
        no collections (no request made)."""

    def create_album(self, title: str, first_item_id: str) -> Album:
        """Create an album owned by us holding ``first_item_id`` (Flickr needs a primary photo).

        Not idempotent (the retry wrapper looks the title up before repeating). ``NotFound`` for
        an unknown item.
        """

    def add_to_album(self, album_id: str, item_id: str) -> None:
        """Add the item at the end of the album; a no-op when already there. With
        ``capabilities.exclusive_albums`` the item leaves its previous album. ``NotFound``."""

    def remove_from_album(self, album_id: str, item_id: str) -> None:
        """Take the item out of the album (never deletes the item); a no-op when not in it.

        A remote may delete an album whose last item left (Flickr does). ``NotFound``.
        """

    def reorder_album(self, album_id: str, item_ids: list[str]) -> None:
        """Put ``item_ids`` (album members) first, in this order; the others follow in their
        current order. A no-op where not ``capabilities.ordered_albums``. ``NotFound``."""

    def edit_album(self, album_id: str, item_ids: list[str]) -> None:
        """``add_to_album`` for each of ``item_ids`` not in the album yet, then ``reorder_album``
        with ``item_ids``, in as few requests as the remote allows (Flickr: one editPhotos).
        Never drops a member someone else added: members not in ``item_ids`` stay, after them.
        ``NotFound``."""

    def delete_album(self, album_id: str) -> None:
        """Delete an album we own, never its items. ``Conflict`` when not ``owned_by_us`` or
        when the remote cannot drop it without deleting items; ``NotFound``."""


@runtime_checkable
class RetriesEachCall(Protocol):
    """Optional for a backend: one of whose operations makes many calls (Flickr's album refresh
    inside a listing page) and wants each of them retried by the retry wrapper's policy."""

    def retry_each_call(self, retry: Callable[[str, Callable[[], Any]], Any]) -> None:
        """Use ``retry(label, call)`` for each call of a many-call operation."""


THUMBNAIL_MAX_BYTES = 1 << 20  # a remote's preview image is read up to this much


@runtime_checkable
class ShowsThumbnails(Protocol):
    """Optional for a backend: small previews of its items for the dashboard's plan page."""

    def thumbnail(self, item: RemoteItem) -> bytes | None:
        """A small JPEG of ``item`` as the remote renders it, or None when it has none. At most
        one API call; never the photo's own file (a preview is never taken for the photo)."""


def listing_pages(remote: Remote) -> Generator[list[RemoteItem], None, str]:
    """Walk every page of ``remote``'s listing, yielding each page's items as it arrives; the
    generator returns the change cursor (what a million-item listing is stored from)."""
    token: str | None = None
    while True:
        page = remote.list_page(token)
        yield page.items
        if page.next_token is None:
            if page.cursor is None:
                raise RuntimeError(f"{remote.name}: the last listing page carries no cursor")
            return page.cursor
        token = page.next_token


def list_all(remote: Remote) -> Listing:
    """Every page of ``remote``'s listing, in memory (tests and small callers)."""
    items: list[RemoteItem] = []
    pages = listing_pages(remote)
    while True:
        try:
            items.extend(next(pages))
        except StopIteration as end:
            return Listing(items, end.value)


def changes_since(remote: Remote, cursor: str) -> Changes:
    """Every change since ``cursor`` (all pages), with the cursor to start from next time.

    An item reported on several pages keeps its last version; an id removed after a change
    counts as removed.
    """
    changed: dict[str, RemoteItem] = {}
    removed: dict[str, None] = {}
    while True:
        page = remote.changes_page(cursor)
        for item in page.changed:
            removed.pop(item.id, None)
            changed[item.id] = item
        for item_id in page.removed_ids:
            changed.pop(item_id, None)
            removed[item_id] = None
        cursor = page.cursor
        if not page.more:
            return Changes(list(changed.values()), list(removed), cursor)


def find_album(remote: Remote, title: str) -> Album | None:
    """The album called ``title`` (ours first when there are several), or None."""
    matches = [a for a in remote.list_albums() if a.title == title]
    matches.sort(key=lambda a: not a.owned_by_us)
    return matches[0] if matches else None

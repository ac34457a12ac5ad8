"""Albums from folders: a pure plan that makes each remote's albums match the library's folders.

Every album folder of the library maps to one album on the remote (a Flickr photoset named after
the folder's relative path; on Drive the folder at the same path, which *is* the photo's album).
Only albums photosync created are renamed, reordered, emptied or deleted; a user's own album with
the same title is reported and left alone unless ``adopt_albums`` says otherwise. Photos in an
album are ordered by date taken, then name; the first is the primary photo.

Like :mod:`photosync.sync.plan`, this module does no I/O: it gets the desired membership (from the
pairs and the index), the remote's albums, and returns actions with reasons.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from photosync.remotes.base import Album
from photosync.remotes.names import safe_name
from photosync.sync.actions import (
    AddToAlbum,
    AlbumKind,
    CreateAlbum,
    DeleteAlbum,
    RemoveFromAlbum,
    ReorderAlbum,
)
from photosync.sync.policy import Policy


@dataclass(frozen=True)
class Member:
    """A paired photo as the album planner sees it."""

    remote_id: str
    album: str | None  # the album its local folder says it belongs to
    date_taken: datetime | None
    path: str

    @property
    def order(self) -> tuple[bool, datetime, str, str]:
        return (self.date_taken is None, self.date_taken or datetime.min, self.path.casefold(),
                self.remote_id)


def members_of(rows: Iterable[tuple[str, str | None, datetime | None, str]],
               ignore_album: str | None = None) -> list[Member]:
    """Members from the pairs in sync, as (remote id, album, date taken, path) rows
    (``state.pairs.album_members``). Photos of ``ignore_album`` (the remote's own download
    folder) belong to no album on that remote."""
    return [Member(rid, None if album == ignore_album else album, taken, path)
            for rid, album, taken, path in rows]


def album_key(title: str, separator: str = "/") -> str:
    """An album title as the local folder path it becomes (each part made a safe file name), so
    a Flickr set "Album 1: beach" and the folder "Album 1_ beach" made from it are one album."""
    return separator.join(safe_name(part) for part in title.split(separator) if part.strip())


def albums_in_step(rows: Iterable[tuple[str | None, tuple[str, ...] | None, int]],
                   policy: Policy, ignore_album: str | None = None) -> bool:
    """True when the cached listing already shows every photo in its album: no album listing is
    needed (a no-op sync must not list albums). ``rows``: (a paired photo's album, the titles
    its item is listed in, None when it is not listed, how many), from
    ``state.listings.album_rows``."""
    separator = policy.album_separator
    for album, titles, _count in rows:
        if titles is None:
            return False
        album = None if album == ignore_album else album
        if album is not None and album_key(album, separator) not in {
                album_key(t, separator) for t in titles}:
            return False
        if policy.capabilities.exclusive_albums and album is None and titles:
            return False
    return True


def plan_albums(members: Sequence[Member], albums: Sequence[Album], policy: Policy,
                adopt: bool = False, folders: Iterable[str | None] = ()
                ) -> tuple[list[AlbumKind], list[str]]:
    """Album actions making ``albums`` match ``members``; and messages about albums left alone.
    ``folders``: the albums local photos are in, paired or not: none of them is deleted."""
    if not policy.capabilities.albums or not policy.uploads:
        return [], []
    wanted: dict[str, list[Member]] = defaultdict(list)
    for m in members:
        if m.album is not None:
            wanted[m.album].append(m)
    ours = {m.remote_id: m for m in members}
    by_title = _by_title(albums, policy.album_separator)
    actions: list[AlbumKind] = []
    messages: list[str] = []
    for title in sorted(wanted):
        ordered = [m.remote_id for m in sorted(wanted[title], key=lambda m: m.order)]
        album = by_title.get(album_key(title, policy.album_separator))
        if album is None:
            actions.append(CreateAlbum(remote=policy.remote, title=title, members=tuple(ordered),
                                       reason=f"album folder {title!r} has no album on "
                                              f"{policy.label} yet"))
        elif not album.owned_by_us and not adopt and not policy.capabilities.exclusive_albums:
            if set(ordered) <= set(album.item_ids):
                continue  # the photos came from the user's album: nothing to do
            messages.append(f"{policy.label}: an album {title!r} exists that photosync did not "
                            f"create; it is left alone (set {policy.remote}.adopt_albums: true "
                            f"to use it)")
        else:
            actions.extend(_fill(album, ordered, policy))
    in_use = {album_key(f, policy.album_separator) for f in folders if f}
    actions.extend(_empty_ours(albums, ours, wanted, in_use, policy))
    return actions, messages


def _by_title(albums: Sequence[Album], separator: str) -> dict[str, Album]:
    """One album per folder key: ours before the user's, then the lowest id (deterministic)."""
    chosen: dict[str, Album] = {}
    for album in sorted(albums, key=lambda a: (not a.owned_by_us, a.id)):
        chosen.setdefault(album_key(album.title, separator), album)
    return chosen


def _fill(album: Album, ordered: list[str], policy: Policy) -> list[AlbumKind]:
    """Missing photos join the album; on a remote that orders albums, an album of ours gets them
    and its order in one edit (``AddToAlbum.order``), and a reorder alone when none is missing."""
    present = set(album.item_ids)
    missing = [i for i in ordered if i not in present]
    ours_ordered = policy.capabilities.ordered_albums and album.owned_by_us
    actions: list[AlbumKind] = []
    if missing:
        actions.append(AddToAlbum(remote=policy.remote, title=album.title, album_id=album.id,
                                  members=tuple(missing),
                                  order=tuple(ordered) if ours_ordered else (),
                                  reason=f"{len(missing)} photo(s) of folder {album.title!r} are "
                                         f"not in its album"))
    elif ours_ordered:
        wanted_set = set(ordered)
        if [i for i in album.item_ids if i in wanted_set] != ordered:
            actions.append(ReorderAlbum(remote=policy.remote, title=album.title,
                                        album_id=album.id, members=tuple(ordered),
                                        reason="photos ordered by date taken, then name; the "
                                               "first is the primary"))
    return actions


def _empty_ours(albums: Sequence[Album], ours: dict[str, Member], wanted: dict[str, list[Member]],
                in_use: set[str], policy: Policy) -> list[AlbumKind]:
    """Take our photos out of our albums they no longer belong to; delete albums left empty."""
    actions: list[AlbumKind] = []
    titles = [a.title for a in albums] + list(wanted)
    # A folder still holding photos (one kept after its remote copy went) keeps its album.
    wanted_keys = {album_key(t, policy.album_separator) for t in wanted} | in_use
    for album in sorted(albums, key=lambda a: a.id):
        if album.owned_by_us:
            actions.extend(_empty_one(album, ours, wanted_keys, titles, policy))
    return actions


def _empty_one(album: Album, ours: dict[str, Member], wanted_keys: set[str], titles: list[str],
               policy: Policy) -> list[AlbumKind]:
    """For one album of ours: photos that left its folder go; the album goes once empty."""
    key = album_key(album.title, policy.album_separator)
    exclusive = policy.capabilities.exclusive_albums

    def elsewhere(item_id: str) -> bool:
        return item_id in ours and album_key(ours[item_id].album or "",
                                             policy.album_separator) != key

    leaving = [i for i in album.item_ids if elsewhere(i)]
    if exclusive:
        leaving = [i for i in leaving if ours[i].album is None]  # others move with add_to_album
    staying = [i for i in album.item_ids if i not in leaving]
    moved_out = exclusive and album.item_ids and all(elsewhere(i) for i in album.item_ids)
    actions: list[AlbumKind] = []
    if leaving:
        actions.append(RemoveFromAlbum(remote=policy.remote, title=album.title, album_id=album.id,
                                       members=tuple(leaving),
                                       reason=f"{len(leaving)} photo(s) left folder "
                                              f"{album.title!r}"))
    if _goes(key not in wanted_keys, not staying or bool(moved_out)) \
            and not _only_a_parent(album, titles, policy):
        actions.append(DeleteAlbum(remote=policy.remote, title=album.title, album_id=album.id,
                                   reason=f"folder {album.title!r} has no photos any more; the "
                                          f"album photosync made for it goes"))
    return actions


def _goes(unwanted: bool, emptied: bool) -> bool:
    """An album of ours goes when no local folder wants it and it is (or is being) emptied."""
    return unwanted and emptied


def _only_a_parent(album: Album, titles: list[str], policy: Policy) -> bool:
    """Where albums are folders (Drive), a folder is an album only while it holds photos: one
    holding none (a parent of album folders, like ``2023`` of ``2023/Summer``) or holding an
    album folder below it is never deleted."""
    if not policy.capabilities.exclusive_albums:
        return False
    below = album.title.rstrip("/") + "/"
    return not album.item_ids or any(t.startswith(below) for t in titles)

"""Flickr photosets as albums: one cached index of sets and members, refreshed cheaply.

Album membership is not a photo extra on Flickr: it takes ``photosets.getList`` plus
``photosets.getPhotos`` (500 a page) per set. The index keeps each set's members with the
``date_update``/count/primary it was read at, and re-reads only the sets ``getList`` shows as
changed since (or that we changed ourselves), so a listing after a listing costs one call for
albums instead of one per 500 members. Sets we created carry :data:`MARKER` in their
description; only those are ``owned_by_us``.

A refresh takes one call per 500 sets plus one per 500 members of each changed set (16 calls for
15 changed sets): each call is retried on its own (``retry``, the retry wrapper's policy) and what
was read is kept, in memory and in the cache file even when a later call fails, so a refresh cut
short by faults goes on where it stopped instead of starting over.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from photosync.atomic import write_atomic
from photosync.errors import NotFound
from photosync.remotes.base import Album
from photosync.remotes.flickr_api import FlickrClient, server_time
from photosync.remotes.flickr_items import MARKER, as_int, as_list, as_text
from photosync.state.private import FILE_MODE

PER_PAGE = 500
FRESH = 10.0  # seconds a set we wrote is taken as we left it (see ``current``)
log = logging.getLogger("photosync.remotes.flickr")
Retry = Callable[[str, Callable[[], Any]], Any]  # (method, one call) -> its answer, retried


def _once(_method: str, call: Callable[[], Any]) -> Any:
    return call()


@dataclass
class _Set:
    id: str
    title: str
    owned: bool
    stamp: tuple[int, int, str]  # (date_update, photos + videos, primary) as getList said
    members: list[str] | None = None  # None: not read yet
    read_at: float = 0.0  # server time when ``members`` were read
    dirty: bool = False  # we changed it since


@dataclass
class AlbumIndex:
    client: FlickrClient
    page_size: int = PER_PAGE
    cache: Path | None = None  # kept between runs (in state_dir), so unchanged sets are not re-read
    owner: str = ""  # whose sets the cache holds
    persist: bool = True  # False (a dry run): the cache file is read, never written
    retry: Retry = _once  # set by the retry wrapper: each call of a refresh retried on its own
    # getList order (newest first); None until first used: the cache file holds every member of
    # every set (a million ids), and a run whose change feed is quiet never needs it
    _loaded: dict[str, _Set] | None = None
    _listed: bool = False
    _written: dict[str, float] = field(default_factory=dict)  # set id -> when we last wrote it
    _lock: threading.RLock = field(default_factory=threading.RLock)
    # membership() as last made, and the (title, members list) of each set it was made from
    _membership: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _membership_of: list[tuple[str, list[str] | None]] = field(default_factory=list)

    @property
    def _sets(self) -> dict[str, _Set]:
        if self._loaded is None:
            self._loaded = self._load()
        return self._loaded

    @_sets.setter
    def _sets(self, sets: dict[str, _Set]) -> None:
        self._loaded = sets

    def _load(self) -> dict[str, _Set]:
        if self.cache is None or not self.cache.exists():
            return {}
        try:
            data = json.loads(self.cache.read_text())
            if data.get("owner") == self.owner:
                return {s["id"]: _Set(**{**s, "stamp": tuple(s["stamp"])}) for s in data["sets"]}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.debug("ignoring the Flickr album cache %s: %s", self.cache, exc)
        return {}

    def _save(self) -> None:
        if self.cache is None or not self.persist:
            return
        sets = [asdict(e) for e in self._sets.values() if e.members is not None and not e.dirty]
        try:
            write_atomic(
                self.cache, json.dumps({"owner": self.owner, "sets": sets}).encode(), mode=FILE_MODE
            )
        except OSError as exc:
            log.debug("cannot write the Flickr album cache %s: %s", self.cache, exc)

    # -- reading -------------------------------------------------------------------------------
    def refresh(self, members: bool = True) -> list[_Set]:
        """Re-read the set list (one call a 500 sets) and, with ``members``, changed sets'
        photos."""
        with self._lock:
            fresh: dict[str, _Set] = {}
            page = 1
            while True:
                answer = self._call("photosets.getList", page=page, per_page=PER_PAGE)
                box = answer.get("photosets") or {}
                for record in as_list(box.get("photoset")):
                    entry = self._merge(record)
                    fresh[entry.id] = entry
                if page >= as_int(box.get("pages"), 1) or not as_list(box.get("photoset")):
                    break
                page += 1
            self._sets, self._listed = fresh, True
            if members:
                try:
                    for entry in fresh.values():
                        if self._stale(entry):
                            self._read_members(entry)
                finally:  # sets read before a failure are not read again by the next run
                    self._save()
            return list(fresh.values())

    def _call(self, method: str, **params: Any) -> dict:
        return self.retry(method, lambda: self.client.call(method, **params))

    def _merge(self, record: dict) -> _Set:
        set_id = as_text(record.get("id"))
        stamp = _stamp(record)
        old = self._sets.get(set_id)
        entry = _Set(
            set_id,
            as_text(record.get("title")),
            MARKER in as_text(record.get("description")),
            stamp,
        )
        if old is not None and old.stamp == stamp and not old.dirty:
            entry.members, entry.read_at = old.members, old.read_at
        return entry

    @staticmethod
    def _stale(entry: _Set) -> bool:
        # members read in the same second as the set's last update may miss a later change then
        return entry.members is None or entry.read_at <= entry.stamp[0] + 1

    def _read_members(self, entry: _Set) -> None:
        members: list[str] = []
        page = 1
        while True:
            answer = self._call(
                "photosets.getPhotos", photoset_id=entry.id, page=page, per_page=self.page_size
            )
            box = answer.get("photoset") or {}
            photos = as_list(box.get("photo"))
            members.extend(as_text(p.get("id")) for p in photos)
            if page >= as_int(box.get("pages"), 1) or not photos:
                break
            page += 1
        entry.members, entry.read_at = list(dict.fromkeys(members)), server_time()

    def membership(self) -> dict[str, tuple[str, ...]]:
        """Photo id -> titles of the sets holding it (needs a refresh first; read only). Made
        again only when a set, its title or its members list changed: a listing asks once per
        page, and rebuilding it for each of a million-photo listing's 2,000 pages would make
        the listing quadratic. Member lists are replaced, never changed in place, so comparing
        them by identity (the basis keeps them alive) tells what changed in O(sets)."""
        with self._lock:
            basis = [(e.title, e.members) for e in self._sets.values()]
            if len(basis) != len(self._membership_of) or any(
                    title != old_title or members is not old_members for (title, members),
                    (old_title, old_members) in zip(basis, self._membership_of, strict=True)):
                # A photo in one set (most) shares that set's 1-tuple: no list nor tuple of its
                # own, about 150 bytes a photo less at a million photos.
                out: dict[str, tuple[str, ...]] = {}
                for title, members in basis:
                    alone = (title,)
                    for photo_id in members or ():
                        held = out.get(photo_id)
                        out[photo_id] = alone if held is None else held + alone
                self._membership = out
                self._membership_of = basis
            return self._membership

    def albums(self) -> list[Album]:
        with self._lock:
            return [
                Album(e.id, e.title, tuple(e.members or ()), e.owned) for e in self._sets.values()
            ]

    def find(self, title: str) -> _Set | None:
        """The set called ``title`` (ours first), from the set list read at most once here."""
        with self._lock:
            if not self._listed:
                self.refresh(members=False)
            matches = [e for e in self._sets.values() if e.title == title]
            matches.sort(key=lambda e: not e.owned)
            return matches[0] if matches else None

    def current(self, set_id: str) -> tuple[str, list[str]]:
        """(primary, members) of a set as it is now, for an edit that replaces its members (so
        must not drop one someone else added): the set list is read again (``getList``, one
        call per 500 sets) and shows whether the set changed since its members were read; only
        then are they read again. A set we created or wrote ourselves less than FRESH seconds
        ago is taken as we left it, with no call (a first sync creates a set and fills it
        moments later). ``NotFound`` when the set is gone."""
        with self._lock:
            entry = self._sets.get(set_id)
            if entry is None or entry.members is None or \
                    time.monotonic() - self._written.get(set_id, -FRESH) >= FRESH:
                self.refresh(members=False)
                entry = self._sets.get(set_id)
                if entry is None:
                    raise NotFound(f"flickr: no album {set_id}")
                if entry.members is None or self._stale(entry):
                    self._read_members(entry)
            return entry.stamp[2], list(entry.members or ())

    def get(self, set_id: str) -> _Set | None:
        with self._lock:
            if set_id not in self._sets:
                self.refresh(members=False)
            return self._sets.get(set_id)

    # -- our own changes -------------------------------------------------------------------------
    def created(self, set_id: str, title: str, first_id: str) -> None:
        with self._lock:
            entry = _Set(set_id, title, True, (0, 1, first_id), [first_id], dirty=True)
            self._sets = {set_id: entry, **self._sets}
            self._written[set_id] = time.monotonic()

    def edited(self, set_id: str, primary: str, members: list[str]) -> None:
        """We wrote the set's members: known now, and re-read at the next refresh."""
        with self._lock:
            entry = self._sets.get(set_id)
            if entry is not None:
                entry.members, entry.dirty = list(members), True
                entry.stamp = (entry.stamp[0], len(members), primary)
                self._written[set_id] = time.monotonic()

    def touched(self, set_id: str | None = None) -> None:
        """Re-read ``set_id`` (None: every set) at the next refresh."""
        with self._lock:
            for entry in self._sets.values():
                if set_id is None or entry.id == set_id:
                    entry.dirty = True
                    self._written.pop(entry.id, None)  # changed in a way not noted here

    def forget(self, set_id: str) -> None:
        with self._lock:
            self._sets.pop(set_id, None)


def _stamp(record: dict) -> tuple[int, int, str]:
    """(date_update, photos + videos, primary) of a getList or getInfo set record."""
    return (
        as_int(record.get("date_update")),
        as_int(record.get("photos", record.get("count_photos")))
        + as_int(record.get("videos", record.get("count_videos"))),
        as_text(record.get("primary")),
    )

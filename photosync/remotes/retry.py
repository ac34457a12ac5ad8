"""RetryingRemote: retries with backoff around any remote, so no backend retries on its own.

Like restic's retry backend, it is the same protocol wrapped around another remote. It retries
``TransientError`` with exponential backoff and full jitter (tenacity), waits at least the
``retry_after`` the remote asked for and makes the remote's rate limiter hold every other thread
for that long too. Anything else (authorization, item errors, not found) goes straight through.

Operations that are not idempotent are made safe to repeat: an upload whose answer was lost is
never sent again blindly; the next attempt first looks the photo up by its signature and returns
the item already stored. ``create_album`` does the same by title; a repeated delete that finds
the item gone counts as done. When ``give_up_after`` operations in a row exhaust their retries the
remote is declared unavailable (``RemoteUnavailable``, exit 3) instead of failing 100,000 items
one slow retry at a time. A backend whose one operation makes many calls (Flickr's album refresh
inside a listing page) may offer ``retry_each_call(retry)``: it is given this wrapper's policy,
so each call is retried on its own and what was read is kept.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from photosync.errors import NotFound, RemoteUnavailable, TransientError
from photosync.remotes import registry
from photosync.remotes.base import (
    Album,
    Changes,
    Collection,
    Page,
    Remote,
    RemoteItem,
    RetriesEachCall,
    find_album,
)

log = logging.getLogger("photosync.remotes.retry")
T = TypeVar("T")
OnRetry = Callable[[str, BaseException, float], None]
# What each operation is, in the words of the log's retry lines.
WORDS = {"list_page": "listing photos", "changes_page": "listing changes",
         "replace": "replacing a photo", "download": "downloading a photo",
         "find_by_signature": "looking a photo up by its signature",
         "set_signature": "tagging a photo", "list_collections": "listing collections",
         "list_albums": "listing albums", "add_to_album": "adding a photo to an album",
         "remove_from_album": "removing a photo from an album",
         "reorder_album": "ordering an album", "edit_album": "filling an album",
         "upload": "uploading a photo",
         "create_album": "creating an album", "delete": "deleting a photo",
         "delete_album": "deleting an album"}


class RetryingRemote:
    """``remote`` with retries, backoff and lost-response recovery; the same :class:`Remote` API."""

    def __init__(self, remote: Remote, *, attempts: int = 8, initial: float = 1.0,
                 maximum: float = 120.0, give_up_after: int = 5,
                 sleep: Callable[[float], None] = time.sleep, on_retry: OnRetry | None = None):
        self.inner = remote
        self.name = remote.name
        self.capabilities = remote.capabilities
        self.limiter = remote.limiter
        self.attempts = attempts
        self.give_up_after = give_up_after
        self._backoff = wait_random_exponential(multiplier=initial, max=maximum)
        self._sleep = sleep
        self._on_retry = on_retry
        self._lock = threading.Lock()
        self._exhausted_in_a_row = 0
        if isinstance(remote, RetriesEachCall):  # an operation of many calls: retried one by one
            remote.retry_each_call(self.call)

    # -- read-only and idempotent operations: plain retries -----------------------------
    def list_page(self, token: str | None) -> Page:
        return self._call("list_page", lambda: self.inner.list_page(token))

    def changes_page(self, cursor: str) -> Changes:
        return self._call("changes_page", lambda: self.inner.changes_page(cursor))

    def replace(self, item_id: str, path: Path, signature: str) -> RemoteItem:
        return self._call("replace", lambda: self.inner.replace(item_id, path, signature))

    def download(self, item_id: str, dest: Path, overwrite: bool = False,
                 listed: RemoteItem | None = None) -> Path:
        def attempt() -> Path:  # the listed item once: a retry asks the service afresh
            nonlocal listed
            given, listed = listed, None
            return self.inner.download(item_id, dest, overwrite, given)
        return self._call("download", attempt, f"downloading {dest.name}")

    def find_by_signature(self, signature: str) -> list[RemoteItem]:
        return self._call("find_by_signature", lambda: self.inner.find_by_signature(signature))

    def set_signature(self, item_id: str, signature: str, untagged: bool = False) -> None:
        self._call("set_signature",
                   lambda: self.inner.set_signature(item_id, signature, untagged))

    def list_collections(self) -> list[Collection]:
        return self._call("list_collections", lambda: self.inner.list_collections())

    def list_albums(self) -> list[Album]:
        return self._call("list_albums", self.inner.list_albums)

    def add_to_album(self, album_id: str, item_id: str) -> None:
        self._call("add_to_album", lambda: self.inner.add_to_album(album_id, item_id))

    def remove_from_album(self, album_id: str, item_id: str) -> None:
        self._call("remove_from_album", lambda: self.inner.remove_from_album(album_id, item_id))

    def reorder_album(self, album_id: str, item_ids: list[str]) -> None:
        self._call("reorder_album", lambda: self.inner.reorder_album(album_id, item_ids))

    def edit_album(self, album_id: str, item_ids: list[str]) -> None:
        self._call("edit_album", lambda: self.inner.edit_album(album_id, item_ids))

    # -- operations made safe to repeat ---------------------------------------------------
    def upload(self, path: Path, name: str, album: str | None, signature: str) -> RemoteItem:
        """Upload once; after a failed attempt, look the signature up before sending again."""
        sent = False

        def attempt() -> RemoteItem:
            nonlocal sent
            if sent:
                stored = self._stored_upload(name, album, signature)
                if stored is not None:
                    return stored
            sent = True
            return self.inner.upload(path, name, album, signature)
        return self._call("upload", attempt, f"uploading {path.name}")

    def create_album(self, title: str, first_item_id: str) -> Album:
        sent = False

        def attempt() -> Album:
            nonlocal sent
            if sent:
                for album in self.inner.list_albums():
                    if (album.title == title and album.owned_by_us
                            and first_item_id in album.item_ids):
                        return album
            sent = True
            return self.inner.create_album(title, first_item_id)
        return self._call("create_album", attempt)

    def delete(self, item_id: str) -> None:
        self._call("delete", _gone_is_done(lambda: self.inner.delete(item_id)))

    def delete_album(self, album_id: str) -> None:
        self._call("delete_album", _gone_is_done(lambda: self.inner.delete_album(album_id)))

    def _stored_upload(self, name: str, album: str | None, signature: str) -> RemoteItem | None:
        """The item a lost upload stored (put into ``album`` if it missed that step), or None."""
        found = self.inner.find_by_signature(signature)
        if not found:
            return None
        item = max(found, key=lambda i: (i.name == name, i.updated))
        log.info("%s: upload of %s was stored although its answer was lost (item %s)",
                 self.name, name, item.id)
        if album and album not in item.albums:
            existing = find_album(self.inner, album)
            if existing:
                self.inner.add_to_album(existing.id, item.id)
            else:
                self.inner.create_album(album, item.id)
            item = dataclasses.replace(item, albums=(*item.albums, album))
        return item

    # -- the retry loop ----------------------------------------------------------------------
    def call(self, method: str, fn: Callable[[], T]) -> T:
        """``fn()`` under this wrapper's retry policy, for callers that use the backend's own
        client directly (``photosync mirror``); ``fn`` must be safe to repeat."""
        return self._call(method, fn)

    def _call(self, method: str, fn: Callable[[], T], what: str | None = None) -> T:
        with self._lock:
            if self._exhausted_in_a_row >= self.give_up_after:
                raise RemoteUnavailable(f"{self.name}: keeps failing; giving up for this run")
        retrying = Retrying(retry=retry_if_exception_type(TransientError),
                            stop=stop_after_attempt(self.attempts), wait=self._wait,
                            sleep=self._sleep, reraise=True,
                            before_sleep=lambda state: self._notify(method, what, state))
        try:
            result = retrying(fn)
        except TransientError as exc:
            with self._lock:
                self._exhausted_in_a_row += 1
                if self._exhausted_in_a_row >= self.give_up_after:
                    raise RemoteUnavailable(f"{self.name}: {self._exhausted_in_a_row} operations "
                                            f"in a row failed after retries: {exc}") from exc
            raise
        except Exception:
            self._reset()
            raise
        self._reset()
        return result

    def _reset(self) -> None:
        with self._lock:
            self._exhausted_in_a_row = 0

    def _wait(self, state: RetryCallState) -> float:
        """Jittered exponential backoff, but never shorter than the remote's Retry-After."""
        delay = self._backoff(state)
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            (getattr(exc, "limiter", None) or self.limiter).hold(retry_after)
            delay = max(delay, retry_after)
        return delay

    def _notify(self, method: str, what: str | None, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if exc is None:
            return
        # "Google Drive: listing changes failed (connection refused); retry 3 of 7 in 4 s"
        log.info("%s: %s failed (%s); retry %d of %d in %s", registry.label(self.name),
                 what or WORDS.get(method, method), _reason(exc), state.attempt_number,
                 self.attempts - 1, _seconds(state.upcoming_sleep))
        if self._on_retry is not None:  # an observer (the daemon's "backing off" state)
            self._on_retry(method, exc, state.upcoming_sleep)


def _gone_is_done(fn: Callable[[], None]) -> Callable[[], None]:
    """``fn`` for a delete: NotFound after an earlier attempt means that attempt succeeded."""
    sent = False

    def attempt() -> None:
        nonlocal sent
        try:
            fn()
        except NotFound:
            if not sent:
                raise
        finally:
            sent = True
    return attempt


def _reason(exc: BaseException) -> str:
    """The error without the backend's leading "what it was doing: " and errno numbers:
    ``listing changes: connection problem: [Errno 111] Connection refused`` -> ``connection
    problem: Connection refused``."""
    text = str(exc) or type(exc).__name__
    head, sep, rest = text.partition(": ")
    text = rest if sep and rest else head
    return re.sub(r"\[Errno -?\d+\] ", "", text)


def _seconds(delay: float) -> str:
    return f"{delay:.1f} s" if delay < 10 else f"{delay:.0f} s"

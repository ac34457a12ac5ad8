"""Observe a remote: its current items, from a full listing or the cache plus its changes.

A full listing happens on the first run, with ``--full``, when the last one is older than
``sync.full_every_hours``, or when the remote forgot our cursor. Otherwise the cached listing is
brought up to date with the change feed, which costs a call or two however big the library is.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass

from photosync.remotes.base import CursorExpired, Remote, RemoteItem, changes_since, listing_pages
from photosync.state.journal import close_unfinished, unfinished_uploads
from photosync.state.listings import cursor_of, replace_cache, update_cache

log = logging.getLogger("photosync.sync")


@dataclass
class RemoteView:
    """How this run's view of the remote came about; the items are in the listing cache
    (``state.listings``), never all in memory: ``state.focus`` reads what the planner needs."""

    complete: bool  # True: an item missing here is gone from the remote
    full: bool  # this run made a full listing


def observe(conn: sqlite3.Connection, remote: Remote, *, full: bool, full_every_hours: float,
            now: float) -> RemoteView:
    _recover_interrupted_uploads(conn, remote)
    known = cursor_of(conn, remote.name)
    if full or known is None or now - known[1] > full_every_hours * 3600:
        return _full_listing(conn, remote, now)
    try:
        changes = changes_since(remote, known[0])
    except CursorExpired:
        log.info("%s: the change cursor expired; listing everything", remote.name)
        return _full_listing(conn, remote, now)
    update_cache(conn, remote.name, changes.changed, changes.removed_ids, changes.cursor)
    return RemoteView(remote.capabilities.changes_report_deletions, False)


def _full_listing(conn: sqlite3.Connection, remote: Remote, now: float) -> RemoteView:
    replace_cache(conn, remote.name, listing_pages(remote), now)
    return RemoteView(True, True)


def _recover_interrupted_uploads(conn: sqlite3.Connection, remote: Remote) -> None:
    """An upload a killed run started may have landed: look it up by signature, never redo it."""
    found: list[RemoteItem] = []
    for _entry, signature in unfinished_uploads(conn, remote.name):
        found.extend(remote.find_by_signature(signature))
    if found:
        log.info("%s: %d upload(s) of an interrupted run had landed; they are used, not repeated",
                 remote.name, len(found))
        update_cache(conn, remote.name, found, [])
    close_unfinished(conn, remote.name)

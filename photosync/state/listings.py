"""Each remote's cached listing and change cursor (migration 2), kept current by its changes.

Items are stored as JSON :class:`~photosync.remotes.base.RemoteItem` values, so a run that only
asks for changes still plans against the whole remote. Beside the JSON, each row has the keys the
planner matches on (migration 11: signature, MD5, content version, a state that keeps it from
being in sync, the name-and-date key of an untagged item, the album titles), so the SQL of
:mod:`photosync.state.focus` can tell which items are in sync without parsing a million of them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import datetime
from typing import NamedTuple

from photosync.remotes.base import RemoteItem, withheld
from photosync.state.db import transaction
from photosync.sync.match import content_version, name_date_key

_COLUMNS = "remote, id, data, signature, md5, version, state, name_key, albums"
_INSERT = f"INSERT OR REPLACE INTO remote_items ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
UNSETTLED_VIDEO = ("pending", "failed")  # a video the remote has not processed (yet)


class Cursor(NamedTuple):
    """Where a remote's changes continue from, and when it was last listed in full."""

    cursor: str
    full_listing_at: float


def item_to_json(item: RemoteItem) -> str:
    data = asdict(item)
    data["date_taken"] = item.date_taken.isoformat() if item.date_taken else None
    data["extra"] = dict(item.extra)
    return json.dumps(data, default=str)


def item_from_json(text: str) -> RemoteItem:
    data = json.loads(text)
    data["date_taken"] = datetime.fromisoformat(data["date_taken"]) if data["date_taken"] else None
    data["albums"] = tuple(data["albums"])
    return RemoteItem(**data)


def item_state(item: RemoteItem) -> str | None:
    """What keeps a listed item from being simply in sync: its original withheld, or a video
    the remote is still processing or failed to (the planner says so each run)."""
    if withheld(item):
        return "withheld"
    state = item.extra.get("video_state")
    return str(state) if state in UNSETTLED_VIDEO else None


def name_key(item: RemoteItem) -> str | None:
    """Matching rule (c)'s key of an untagged item with a known date, as stored."""
    if item.signature or not item.date_taken_known or item.date_taken is None:
        return None
    stem, taken = name_date_key(item.name, item.date_taken)
    return f"{stem}|{taken.isoformat()}"


def _row(remote: str, item: RemoteItem) -> tuple[str | None, ...]:
    return (remote, item.id, item_to_json(item), item.signature, item.md5,
            content_version(item), item_state(item), name_key(item), albums_json(item.albums))


def albums_json(titles: tuple[str, ...]) -> str:
    """The album titles as stored: SQLite's own ``json_array`` text for them, so SQL can compare
    an item's albums with a pair's album (``state.focus``) without parsing."""
    return json.dumps(list(titles), ensure_ascii=False, separators=(",", ":"))


def fill_keys(conn: sqlite3.Connection) -> None:
    """The key columns of every cached item, from its JSON (migration 11, inside its
    transaction)."""
    rows = conn.execute("SELECT remote, data FROM remote_items").fetchall()
    conn.executemany("UPDATE remote_items SET signature = ?, md5 = ?, version = ?, state = ?, "
                     "name_key = ?, albums = ? WHERE remote = ? AND id = ?",
                     ((*_row(remote, item)[3:], remote, item.id)
                      for remote, item in ((r[0], item_from_json(r[1])) for r in rows)))


def cached_items(conn: sqlite3.Connection, remote: str) -> list[RemoteItem]:
    rows = conn.execute("SELECT data FROM remote_items WHERE remote = ?", (remote,))
    return [item_from_json(row[0]) for row in rows]


def cached_items_by_id(conn: sqlite3.Connection, remote: str,
                       ids: Iterable[str]) -> list[RemoteItem]:
    """The cached items among ``ids``, in that order (unknown ids are left out)."""
    found = []
    for item_id in ids:
        row = conn.execute("SELECT data FROM remote_items WHERE remote = ? AND id = ?",
                           (remote, item_id)).fetchone()
        if row:
            found.append(item_from_json(row[0]))
    return found


def usage_counts(conn: sqlite3.Connection, remote: str) -> tuple[int, int]:
    """(items, non-public items) of the cached listing, counted in SQL (nothing loaded); an
    item whose privacy is unknown (listed by an older photosync) counts as non-public, the side
    that never plans too many."""
    row = conn.execute("SELECT COUNT(*), "
                       "COALESCE(SUM(json_extract(data, '$.extra.public') IS NOT 1), 0) "
                       "FROM remote_items WHERE remote = ?", (remote,)).fetchone()
    return int(row[0]), int(row[1])


def replace_cache(conn: sqlite3.Connection, remote: str, pages: Iterable[Iterable[RemoteItem]],
                  listed_at: float) -> str:
    """A full listing, page by page as it arrives (a million items are never in memory at
    once): the cache becomes exactly its items, in one transaction, so a listing that fails
    half-way leaves the previous cache as it was. ``pages`` ends by returning the cursor
    (a generator's return value); that cursor is stored and returned."""
    with transaction(conn):
        conn.execute("DELETE FROM remote_items WHERE remote = ?", (remote,))
        walk = iter(pages)
        while True:
            try:
                page = next(walk)
            except StopIteration as end:
                cursor = str(end.value)
                break
            conn.executemany(_INSERT, (_row(remote, i) for i in page))
        conn.execute("INSERT INTO remote_cursors (remote, cursor, full_listing_at) "
                     "VALUES (?, ?, ?) ON CONFLICT (remote) DO UPDATE SET "
                     "cursor = excluded.cursor, full_listing_at = excluded.full_listing_at",
                     (remote, cursor, listed_at))
    return cursor


def update_cache(conn: sqlite3.Connection, remote: str, changed: Iterable[RemoteItem],
                 removed_ids: Iterable[str], cursor: str | None = None) -> None:
    """Changes since the cursor (or one action's result): upsert and delete rows."""
    with transaction(conn):
        conn.executemany(_INSERT, (_row(remote, i) for i in changed))
        conn.executemany("DELETE FROM remote_items WHERE remote = ? AND id = ?",
                         ((remote, i) for i in removed_ids))
        if cursor is not None:
            conn.execute("UPDATE remote_cursors SET cursor = ? WHERE remote = ?",
                         (cursor, remote))


def cursor_of(conn: sqlite3.Connection, remote: str) -> Cursor | None:
    row = conn.execute("SELECT cursor, full_listing_at FROM remote_cursors WHERE remote = ?",
                       (remote,)).fetchone()
    return Cursor(row[0], row[1]) if row else None


def withheld_counts(conn: sqlite3.Connection, remote: str) -> dict[str, int]:
    """Why -> how many listed items the remote withholds the original of (``extra.withheld``)
    and no pair shows: photos kept on the remote only, for ``photosync status``."""
    rows = conn.execute(
        "SELECT json_extract(r.data, '$.extra.withheld') AS why, COUNT(*) FROM remote_items r "
        "WHERE r.remote = ? AND why IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pairs p "
        "WHERE p.remote = r.remote AND p.remote_id = r.id) GROUP BY why", (remote,))
    return {str(row[0]): int(row[1]) for row in rows}


def album_rows(conn: sqlite3.Connection, remote: str
               ) -> Iterator[tuple[str | None, tuple[str, ...] | None, int]]:
    """(the album a pair in sync was synced from, the album titles the remote lists its item in
    (None: not listed), how many such pairs): grouped in SQL, one row per combination, so a
    million pairs are a few thousand rows."""
    rows = conn.execute("SELECT p.album, i.albums, COUNT(*) FROM pairs p LEFT JOIN remote_items i "
                        "ON i.remote = p.remote AND i.id = p.remote_id WHERE p.remote = ? AND "
                        "p.status = 'synced' GROUP BY p.album, i.albums", (remote,))
    for album, titles, count in rows:
        yield album, (tuple(json.loads(titles)) if titles is not None else None), int(count)

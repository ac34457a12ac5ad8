"""Each remote's cached listing and change cursor (migration 2), kept current by its changes.

Items are stored as JSON :class:`~photosync.remotes.base.RemoteItem` values, so a run that only
asks for changes still plans against the whole remote.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import NamedTuple

from photosync.remotes.base import RemoteItem
from photosync.state.db import transaction


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
    item whose privacy is unknown counts as non-public, as ``flickr_account.usage_of`` does."""
    row = conn.execute("SELECT COUNT(*), "
                       "COALESCE(SUM(json_extract(data, '$.extra.public') IS NOT 1), 0) "
                       "FROM remote_items WHERE remote = ?", (remote,)).fetchone()
    return int(row[0]), int(row[1])


def replace_cache(conn: sqlite3.Connection, remote: str, items: Iterable[RemoteItem], cursor: str,
                  listed_at: float) -> None:
    """A full listing: the cache becomes exactly ``items``."""
    with transaction(conn):
        conn.execute("DELETE FROM remote_items WHERE remote = ?", (remote,))
        conn.executemany("INSERT INTO remote_items (remote, id, data) VALUES (?, ?, ?)",
                         ((remote, i.id, item_to_json(i)) for i in items))
        conn.execute("INSERT INTO remote_cursors (remote, cursor, full_listing_at) "
                     "VALUES (?, ?, ?) ON CONFLICT (remote) DO UPDATE SET "
                     "cursor = excluded.cursor, full_listing_at = excluded.full_listing_at",
                     (remote, cursor, listed_at))


def update_cache(conn: sqlite3.Connection, remote: str, changed: Iterable[RemoteItem],
                 removed_ids: Iterable[str], cursor: str | None = None) -> None:
    """Changes since the cursor (or one action's result): upsert and delete rows."""
    with transaction(conn):
        conn.executemany("INSERT OR REPLACE INTO remote_items (remote, id, data) VALUES (?, ?, ?)",
                         ((remote, i.id, item_to_json(i)) for i in changed))
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

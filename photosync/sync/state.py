"""The sync engine's rows in the state database: pairs, cached remote listings, cursors, journal.

Tables are created by migration 2 in ``photosync/state/db.py``. Every write here is one short
explicit transaction, so a kill at any moment leaves the database consistent: an action is
journalled as started before its I/O and as done (with its pair) after.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import asdict
from datetime import datetime
from typing import Iterable

from photosync.remotes.base import RemoteItem
from photosync.state.db import transaction
from photosync.sync.plan import Action, Pair


def load_pairs(conn: sqlite3.Connection, remote: str) -> list[Pair]:
    rows = conn.execute("SELECT remote_id, signature, path, version, album, status FROM pairs "
                        "WHERE remote = ? ORDER BY remote_id", (remote,))
    return [Pair(*row) for row in rows]


def save_pairs(conn: sqlite3.Connection, remote: str, pairs: Iterable[Pair],
               forget: Iterable[str] = ()) -> None:
    now = time.time()
    with transaction(conn):
        for remote_id in forget:
            conn.execute("DELETE FROM pairs WHERE remote = ? AND remote_id = ?", (remote, remote_id))
        for p in pairs:
            conn.execute(
                "INSERT INTO pairs (remote, remote_id, signature, path, version, album, status, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (remote, remote_id) DO UPDATE SET "
                "signature = excluded.signature, path = excluded.path, version = excluded.version, "
                "album = excluded.album, status = excluded.status, updated = excluded.updated",
                (remote, p.remote_id, p.signature, p.path, p.version, p.album, p.status, now))


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


def cached_items_by_id(conn: sqlite3.Connection, remote: str, ids: Iterable[str]) -> list[RemoteItem]:
    found = []
    for item_id in ids:
        row = conn.execute("SELECT data FROM remote_items WHERE remote = ? AND id = ?", (remote, item_id)).fetchone()
        if row:
            found.append(item_from_json(row[0]))
    return found


def replace_cache(conn: sqlite3.Connection, remote: str, items: Iterable[RemoteItem], cursor: str,
                  listed_at: float) -> None:
    """A full listing: the cache becomes exactly ``items``."""
    with transaction(conn):
        conn.execute("DELETE FROM remote_items WHERE remote = ?", (remote,))
        conn.executemany("INSERT INTO remote_items (remote, id, data) VALUES (?, ?, ?)",
                         ((remote, i.id, item_to_json(i)) for i in items))
        _set_cursor(conn, remote, cursor, listed_at)


def update_cache(conn: sqlite3.Connection, remote: str, changed: Iterable[RemoteItem],
                 removed_ids: Iterable[str], cursor: str | None = None) -> None:
    """Changes since the cursor (or one action's result): upsert and delete rows."""
    with transaction(conn):
        conn.executemany("INSERT OR REPLACE INTO remote_items (remote, id, data) VALUES (?, ?, ?)",
                         ((remote, i.id, item_to_json(i)) for i in changed))
        conn.executemany("DELETE FROM remote_items WHERE remote = ? AND id = ?",
                         ((remote, i) for i in removed_ids))
        if cursor is not None:
            conn.execute("UPDATE remote_cursors SET cursor = ? WHERE remote = ?", (cursor, remote))


def _set_cursor(conn: sqlite3.Connection, remote: str, cursor: str, listed_at: float) -> None:
    conn.execute("INSERT INTO remote_cursors (remote, cursor, full_listing_at) VALUES (?, ?, ?) "
                 "ON CONFLICT (remote) DO UPDATE SET cursor = excluded.cursor, "
                 "full_listing_at = excluded.full_listing_at", (remote, cursor, listed_at))


def cursor_of(conn: sqlite3.Connection, remote: str) -> tuple[str, float] | None:
    row = conn.execute("SELECT cursor, full_listing_at FROM remote_cursors WHERE remote = ?",
                       (remote,)).fetchone()
    return (row[0], row[1]) if row else None


def start_run(conn: sqlite3.Connection, dry_run: bool) -> int:
    with transaction(conn):
        cur = conn.execute("INSERT INTO runs (started, dry_run) VALUES (?, ?)", (time.time(), int(dry_run)))
    return int(cur.lastrowid)


def finish_run(conn: sqlite3.Connection, run_id: int, exit_code: int, summary: dict,
               errors: list[dict]) -> None:
    """Close a run with what went wrong (``[{remote, path, error}]``): `photosync status`
    shows it when no daemon runs."""
    with transaction(conn):
        conn.execute("UPDATE runs SET finished = ?, exit_code = ?, summary = ?, errors = ? "
                     "WHERE id = ?", (time.time(), exit_code, json.dumps(summary),
                                      json.dumps(errors), run_id))


def journal_start(conn: sqlite3.Connection, run_id: int, action: Action) -> int:
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO journal (run_id, remote, action, path, remote_id, signature, state, started) "
            "VALUES (?, ?, ?, ?, ?, ?, 'started', ?)",
            (run_id, action.remote, action.kind, action.path, action.remote_id, action.signature, time.time()))
    return int(cur.lastrowid)


def journal_end(conn: sqlite3.Connection, entry: int, error: str | None = None) -> None:
    with transaction(conn):
        conn.execute("UPDATE journal SET state = ?, error = ?, finished = ? WHERE id = ?",
                     ("failed" if error else "done", error, time.time(), entry))


def unfinished_uploads(conn: sqlite3.Connection, remote: str) -> list[tuple[int, str]]:
    """(journal id, signature) of uploads a killed run started but never saw finish."""
    rows = conn.execute("SELECT id, signature FROM journal WHERE remote = ? AND state = 'started' "
                        "AND action IN ('upload', 'replace_remote') AND signature IS NOT NULL", (remote,))
    return [(row[0], row[1]) for row in rows]


def close_unfinished(conn: sqlite3.Connection, remote: str) -> None:
    with transaction(conn):
        conn.execute("UPDATE journal SET state = 'failed', error = 'interrupted', finished = ? "
                     "WHERE remote = ? AND state = 'started'", (time.time(), remote))

"""The last-synced pairs: which local picture and remote item were in sync (migration 2).

Every write is one short explicit transaction, so a kill at any moment leaves the pairs
consistent with the journal (see :mod:`photosync.state.journal`).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from datetime import datetime

from photosync.state.db import transaction
from photosync.sync.actions import Pair


def load_pairs(conn: sqlite3.Connection, remote: str) -> list[Pair]:
    """Every pair of ``remote``, by remote id."""
    rows = conn.execute("SELECT remote_id, signature, path, version, album, status FROM pairs "
                        "WHERE remote = ? ORDER BY remote_id", (remote,))
    return [Pair(*row) for row in rows]


def save_pairs(conn: sqlite3.Connection, remote: str, pairs: Iterable[Pair],
               forget: Iterable[str] = ()) -> None:
    """Drop the pairs of the ``forget`` remote ids and upsert ``pairs``, in one transaction."""
    now = time.time()
    with transaction(conn):
        for remote_id in forget:
            conn.execute("DELETE FROM pairs WHERE remote = ? AND remote_id = ?",
                         (remote, remote_id))
        for p in pairs:
            conn.execute(
                "INSERT INTO pairs (remote, remote_id, signature, path, version, album, status, "
                "updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (remote, remote_id) DO "
                "UPDATE SET signature = excluded.signature, path = excluded.path, "
                "version = excluded.version, album = excluded.album, status = excluded.status, "
                "updated = excluded.updated",
                (remote, p.remote_id, p.signature, p.path, p.version, p.album, p.status, now))


def album_members(conn: sqlite3.Connection, remote: str
                  ) -> list[tuple[str, str | None, datetime | None, str]]:
    """(remote id, album, date taken of its local file, local path) of each pair in sync: what
    the album planner orders albums by (read only when some album is out of step)."""
    rows = conn.execute("SELECT p.remote_id, p.album, f.date_taken, p.path FROM pairs p LEFT JOIN "
                        "files f ON f.path = p.path AND f.status = 'present' AND f.status != "
                        "'gone' WHERE p.remote = ? AND p.status = 'synced' ORDER BY p.remote_id",
                        (remote,))
    return [(r[0], r[1], datetime.fromisoformat(r[2]) if r[2] else None, r[3]) for r in rows]

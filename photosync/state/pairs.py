"""The last-synced pairs: which local picture and remote item were in sync (migration 2).

Every write is one short explicit transaction, so a kill at any moment leaves the pairs
consistent with the journal (see :mod:`photosync.state.journal`).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable

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

"""What the dashboard, its metrics and the daemon's alerts read of the state database.

Read-mostly summaries over the index, the failures and the journal; the one write is the retry of
a single failed item, chosen by its row id (never by a path from a request).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from photosync.state.db import transaction

PAGE_ROWS = 500  # at most this many rows of one kind on a page


def file_totals(conn: sqlite3.Connection) -> dict[str, tuple[int, int]]:
    """status -> (files, bytes) over the index."""
    return {row[0]: (row[1], row[2] or 0) for row in conn.execute(
        "SELECT status, COUNT(*), SUM(size) FROM files GROUP BY status")}


def failing_items(conn: sqlite3.Connection, limit: int = PAGE_ROWS) -> list[dict[str, Any]]:
    """Items that failed, parked ones first, each with its row id (the retry button's key)."""
    return [dict(r) for r in conn.execute(
        "SELECT rowid, * FROM daemon_failures ORDER BY parked DESC, remote, item LIMIT ?",
        (limit,))]


def unreadable_files(conn: sqlite3.Connection, limit: int = PAGE_ROWS) -> list[sqlite3.Row]:
    return conn.execute("SELECT id, path, error FROM files WHERE status = 'failed' "
                        "ORDER BY path LIMIT ?", (limit,)).fetchall()


def recent_conflicts(conn: sqlite3.Connection, limit: int = 50) -> list[sqlite3.Row]:
    """Conflicts the runs kept both versions of, newest first."""
    return conn.execute("SELECT id, run_id, remote, path, reason, finished FROM journal "
                        "WHERE action = 'conflict' AND state = 'done' ORDER BY id DESC LIMIT ?",
                        (limit,)).fetchall()


def forget_failure(conn: sqlite3.Connection, rowid: int) -> None:
    """Retry one failed item at the next sync: its failure record goes."""
    with transaction(conn):
        conn.execute("DELETE FROM daemon_failures WHERE rowid = ?", (rowid,))


def photo_ids(conn: sqlite3.Connection, paths: list[str]) -> dict[str, int]:
    """path -> file id of the present photos among ``paths`` (thumbnails are served by id)."""
    found: dict[str, int] = {}
    for start in range(0, len(paths), 500):
        chunk = paths[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute("SELECT path, id FROM files WHERE status = 'present' AND "
                                f"media = 'photo' AND path IN ({marks})", chunk):
            found[row[0]] = row[1]
    return found


def failure_counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """(parked, waiting for a retry) items."""
    row = conn.execute("SELECT COALESCE(SUM(parked = 1), 0), COALESCE(SUM(parked = 0), 0) "
                       "FROM daemon_failures").fetchone()
    return int(row[0]), int(row[1])


def file_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """status -> files in the index."""
    return dict(conn.execute("SELECT status, COUNT(*) FROM files GROUP BY status").fetchall())


def indexed_any(conn: sqlite3.Connection) -> bool:
    """True once any photo is indexed (an empty library root then means an unmounted share)."""
    return conn.execute("SELECT 1 FROM files WHERE status = 'present' LIMIT 1").fetchone() \
        is not None

"""The watch daemon's failing items (migration 4): attempts, backoff and parking per item.

The rules (what counts as an attempt, when an item parks) are in ``photosync/daemon/failures.py``;
this module only reads and writes the rows. :func:`get`, :func:`put` and :func:`delete` run inside
the caller's :func:`~photosync.state.db.transaction`, so one run's outcomes are counted together.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from photosync.state.db import transaction

_COLUMNS = ("remote, action, item, fingerprint, path, remote_id, attempts, error, first_failed, "
            "last_failed, next_retry, parked")


@dataclass(frozen=True)
class Failing:
    """One item of one remote whose ``action`` keeps failing."""

    remote: str
    action: str
    item: str  # the path for local-side actions, the remote id otherwise
    fingerprint: str  # which version of the item failed: a new one starts over
    path: str | None
    remote_id: str | None
    attempts: int
    error: str
    first_failed: float
    last_failed: float
    next_retry: float | None  # None once parked
    parked: bool


def _row(row: sqlite3.Row | tuple[object, ...]) -> Failing:
    values = list(row)
    values[-1] = bool(values[-1])
    return Failing(*values)


def of_remote(conn: sqlite3.Connection, remote: str) -> dict[tuple[str, str], Failing]:
    """This remote's failing items by (action, item)."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM daemon_failures WHERE remote = ?", (remote,))
    return {(f.action, f.item): f for f in map(_row, rows)}


def listing(conn: sqlite3.Connection) -> list[Failing]:
    """Every failing item, parked ones first."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM daemon_failures "
                        "ORDER BY parked DESC, remote, item")
    return [_row(row) for row in rows]


def get(conn: sqlite3.Connection, remote: str, action: str, item: str) -> Failing | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM daemon_failures "
                       "WHERE remote = ? AND action = ? AND item = ?",
                       (remote, action, item)).fetchone()
    return None if row is None else _row(row)


def put(conn: sqlite3.Connection, failing: Failing) -> None:
    f = failing
    conn.execute(f"INSERT OR REPLACE INTO daemon_failures ({_COLUMNS}) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (f.remote, f.action, f.item, f.fingerprint, f.path, f.remote_id, f.attempts,
                  f.error, f.first_failed, f.last_failed, f.next_retry, int(f.parked)))


def delete(conn: sqlite3.Connection, remote: str, keys: Iterable[tuple[str, str]]) -> None:
    """Forget the (action, item) ``keys`` of ``remote``."""
    conn.executemany("DELETE FROM daemon_failures WHERE remote = ? AND action = ? AND item = ?",
                     [(remote, action, item) for action, item in keys])


def pending_retry(conn: sqlite3.Connection, remote: str) -> float | None:
    """The earliest retry time among this remote's waiting (not parked) items."""
    row = conn.execute("SELECT MIN(next_retry) FROM daemon_failures "
                       "WHERE remote = ? AND parked = 0", (remote,)).fetchone()
    return None if row[0] is None else float(row[0])


def delete_all(conn: sqlite3.Connection) -> int:
    """Forget every failing item; returns how many there were."""
    with transaction(conn):
        return conn.execute("DELETE FROM daemon_failures").rowcount

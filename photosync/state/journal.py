"""The journal (migration 2): every action recorded as started before its I/O and as done or
failed after, so a killed run's uploads can be found again by the next one."""

from __future__ import annotations

import sqlite3
import time
from typing import NamedTuple, Protocol

from photosync.state.db import transaction


class Journalled(Protocol):
    """What the journal keeps of an action."""

    @property
    def kind(self) -> str: ...
    @property
    def remote(self) -> str: ...
    @property
    def path(self) -> str | None: ...
    @property
    def remote_id(self) -> str | None: ...
    @property
    def signature(self) -> str | None: ...
    @property
    def reason(self) -> str: ...
    @property
    def size(self) -> int | None: ...


class Unfinished(NamedTuple):
    """An upload a killed run started but never saw finish."""

    entry: int
    signature: str


def journal_start(conn: sqlite3.Connection, run_id: int, action: Journalled) -> int:
    """Record ``action`` as started; returns its journal entry."""
    with transaction(conn):
        cur = conn.execute(
            "INSERT INTO journal (run_id, remote, action, path, remote_id, signature, state, "
            "started, reason, bytes) VALUES (?, ?, ?, ?, ?, ?, 'started', ?, ?, ?)",
            (run_id, action.remote, action.kind, action.path, action.remote_id, action.signature,
             time.time(), action.reason, action.size))
    return int(cur.lastrowid or 0)


def journal_end(conn: sqlite3.Connection, entry: int, error: str | None = None) -> None:
    with transaction(conn):
        conn.execute("UPDATE journal SET state = ?, error = ?, finished = ? WHERE id = ?",
                     ("failed" if error else "done", error, time.time(), entry))


def unfinished_uploads(conn: sqlite3.Connection, remote: str) -> list[Unfinished]:
    """Uploads a killed run started but never saw finish."""
    rows = conn.execute("SELECT id, signature FROM journal WHERE remote = ? AND state = 'started' "
                        "AND action IN ('upload', 'replace_remote') AND signature IS NOT NULL",
                        (remote,))
    return [Unfinished(row[0], row[1]) for row in rows]


def close_unfinished(conn: sqlite3.Connection, remote: str) -> None:
    with transaction(conn):
        conn.execute("UPDATE journal SET state = 'failed', error = 'interrupted', finished = ? "
                     "WHERE remote = ? AND state = 'started'", (time.time(), remote))

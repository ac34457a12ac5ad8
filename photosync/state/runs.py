"""Sync runs (migration 2, errors since 6): when each started and finished, how it ended and
what went wrong, so ``photosync status`` can tell about the last one when no daemon runs."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from photosync.state.db import transaction


@dataclass(frozen=True)
class Run:
    id: int
    started: float
    finished: float | None  # None: still running, or killed
    exit_code: int | None
    summary: dict[str, Any]  # {remote: {action: count}}
    errors: list[dict[str, Any]]  # [{remote, path, error}]


def start_run(conn: sqlite3.Connection, dry_run: bool) -> int:
    with transaction(conn):
        cur = conn.execute("INSERT INTO runs (started, dry_run) VALUES (?, ?)",
                           (time.time(), int(dry_run)))
    return int(cur.lastrowid or 0)


def finish_run(conn: sqlite3.Connection, run_id: int, exit_code: int, summary: dict[str, Any],
               errors: list[dict[str, Any]]) -> None:
    """Close a run with what went wrong (``[{remote, path, error}]``): `photosync status`
    shows it when no daemon runs."""
    with transaction(conn):
        conn.execute("UPDATE runs SET finished = ?, exit_code = ?, summary = ?, errors = ? "
                     "WHERE id = ?", (time.time(), exit_code, json.dumps(summary),
                                      json.dumps(errors), run_id))


def last_run(conn: sqlite3.Connection, unfinished: bool) -> Run | None:
    """The newest real (not dry) run; with ``unfinished``, one that never finished counts too."""
    row = conn.execute("SELECT id, started, finished, exit_code, summary, errors FROM runs "
                       "WHERE dry_run = 0 AND (finished IS NOT NULL OR ?) ORDER BY id DESC "
                       "LIMIT 1", (unfinished,)).fetchone()
    if row is None:
        return None
    return Run(row[0], row[1], row[2], row[3], json.loads(row[4] or "{}"),
               json.loads(row[5] or "[]"))

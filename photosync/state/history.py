"""Past sync runs and what each did: the data ``photosync history`` and the dashboard show.

Read-only over the ``runs`` and ``journal`` tables that ``photosync.sync.state`` writes (a dry run
never writes them). Every query is bounded (``limit``) and indexed, so a library with years of
history answers at once.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

ACTION_COLUMNS = ("id", "run_id", "remote", "action", "path", "remote_id", "state", "error",
                  "reason", "bytes", "started", "finished")


def runs(conn: sqlite3.Connection, limit: int = 20, before: int | None = None
         ) -> list[dict[str, Any]]:
    """The latest finished or running sync runs, newest first, with their failure counts."""
    rows = conn.execute(
        "SELECT r.*, (SELECT COUNT(*) FROM journal j WHERE j.run_id = r.id AND j.state = 'failed') "
        "AS failed FROM runs r WHERE r.dry_run = 0 AND r.id < ? ORDER BY r.id DESC LIMIT ?",
        (before if before is not None else 2**62, limit))
    return [_run(row) for row in rows]


def run(conn: sqlite3.Connection, run_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT r.*, (SELECT COUNT(*) FROM journal j WHERE j.run_id = r.id AND j.state = 'failed') "
        "AS failed FROM runs r WHERE r.id = ? AND r.dry_run = 0", (run_id,)).fetchone()
    return _run(row) if row else None


def _run(row: sqlite3.Row) -> dict[str, Any]:
    return {"id": row["id"], "started": row["started"], "finished": row["finished"],
            "exit_code": row["exit_code"], "summary": json.loads(row["summary"] or "{}"),
            "failed": row["failed"]}


def actions(conn: sqlite3.Connection, run_id: int | None = None, remote: str | None = None,
            action: str | None = None, path: str | None = None, limit: int = 200,
            offset: int = 0) -> list[dict[str, Any]]:
    """Journalled actions, a run's errors first, then in the order they ran (newest run first).

    ``path`` matches any part of the local path or the remote id (case-insensitive).
    """
    where, args = ["1 = 1"], []
    for column, value in (("run_id", run_id), ("remote", remote), ("action", action)):
        if value is not None and value != "":
            where.append(f"{column} = ?")
            args.append(value)
    if path:
        where.append("(path LIKE ? ESCAPE '\\' OR remote_id LIKE ? ESCAPE '\\')")
        pattern = "%" + path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        args += [pattern, pattern]
    sql = (f"SELECT {', '.join(ACTION_COLUMNS)} FROM journal WHERE {' AND '.join(where)} "
           "ORDER BY run_id DESC, state = 'failed' DESC, id LIMIT ? OFFSET ?")
    rows = conn.execute(sql, (*args, limit, offset))
    return [dict(zip(ACTION_COLUMNS, row, strict=True)) for row in rows]


def failing_streak(conn: sqlite3.Connection, remote: str) -> int:
    """How many of the latest runs of ``remote`` in a row did not end cleanly (exit code not 0)."""
    streak = 0
    for row in conn.execute("SELECT exit_code FROM runs WHERE dry_run = 0 AND finished IS NOT NULL "
                            "AND json_type(summary, '$.' || ?) IS NOT NULL "
                            "ORDER BY id DESC LIMIT 100", (remote,)):
        if row[0] == 0:
            break
        streak += 1
    return streak

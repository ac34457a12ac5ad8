"""Items that keep failing: retried with backoff a few times, then parked until they change.

The sync engine retries transient errors inside one run; this is the layer above, across runs
of the daemon. After a run, each failed action of a remote that was otherwise usable counts one
attempt; a success forgets it. Before the next plan executes, :func:`filter_plan` turns the
actions of items still waiting (backoff) or parked (``max_attempts`` reached) into skips with the
reason, so a bad file costs a few attempts, not one per poll forever. A parked item comes back by
itself when it changes (a new signature, a new remote version), or when the user asks (SIGUSR1
-> :func:`unpark_all`). ``photosync status`` lists them all.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace

from photosync.state.db import transaction
from photosync.sync.actions import Action, Skip
from photosync.sync.plan import Plan

# Actions about a remote item (download side) are keyed by its id; the rest by the local path.
_REMOTE_SIDE = frozenset({"download", "replace_local", "conflict", "delete_local", "retag"})


def key_of(action: Action) -> tuple[str, str]:
    """(item, fingerprint): which item an action is about, and which version of it."""
    if action.kind in _REMOTE_SIDE:
        return action.remote_id or "", action.signature or action.reason
    return action.path or action.remote_id or "", action.signature or ""


def retry_delay(attempts: int, first: float) -> float:
    """Seconds before attempt ``attempts + 1``: first, 4x first, 16x first, ..."""
    return first * 4 ** (attempts - 1)


def filter_plan(conn: sqlite3.Connection, remote: str, plan: Plan, now: float | None = None
                ) -> Plan:
    """Skip the actions of items that wait for a retry or are parked; forget what changed."""
    now = time.time() if now is None else now
    rows = {(r["action"], r["item"]): r for r in conn.execute(
        "SELECT * FROM daemon_failures WHERE remote = ?", (remote,))}
    if not rows:
        return plan
    actions, seen, stale = [], set(), []
    for action in plan.actions:
        item, fingerprint = key_of(action)
        row = rows.get((action.kind, item))
        if row is None or action.kind == "skip":
            actions.append(action)
            continue
        seen.add((action.kind, item))
        if row["fingerprint"] != fingerprint:
            stale.append((action.kind, item))  # it changed: a fresh start
            actions.append(action)
        elif row["parked"]:
            actions.append(_skip(action, f"parked after {row['attempts']} failed attempts "
                                         f"(last: {row['error']}); retried when it changes"))
        elif row["next_retry"] is not None and row["next_retry"] > now:
            at = time.strftime('%H:%M:%S', time.localtime(row['next_retry']))
            actions.append(_skip(action, f"failed {row['attempts']} time(s) (last: "
                                         f"{row['error']}); retried at {at}"))
        else:
            actions.append(action)
    if not plan.aborted:
        stale += [key for key in rows if key not in seen]  # nothing to do for it any more
    _forget(conn, remote, stale)
    return replace(plan, actions=actions)


def _skip(action: Action, reason: str) -> Action:
    return Skip.of(action, reason)


def record(conn: sqlite3.Connection, remote: str, outcomes: list, *, max_attempts: int,
           first_delay: float, now: float | None = None) -> float | None:
    """Count the failed actions of a run, forget the ones that worked; returns the earliest time
    a failed (not parked) item should be retried, or None."""
    now = time.time() if now is None else now
    earliest: float | None = None
    with transaction(conn):
        for outcome in outcomes:
            action = outcome.action
            item, fingerprint = key_of(action)
            if outcome.error is None:
                conn.execute("DELETE FROM daemon_failures WHERE remote = ? AND action = ? AND item = ?",
                             (remote, action.kind, item))
                continue
            row = conn.execute("SELECT attempts, fingerprint, first_failed FROM daemon_failures "
                               "WHERE remote = ? AND action = ? AND item = ?",
                               (remote, action.kind, item)).fetchone()
            same = row is not None and row["fingerprint"] == fingerprint
            attempts = row["attempts"] + 1 if same else 1
            parked = attempts >= max_attempts
            next_retry = None if parked else now + retry_delay(attempts, first_delay)
            if next_retry is not None:
                earliest = next_retry if earliest is None else min(earliest, next_retry)
            conn.execute(
                "INSERT OR REPLACE INTO daemon_failures (remote, action, item, fingerprint, path, "
                "remote_id, attempts, error, first_failed, last_failed, next_retry, parked) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (remote, action.kind, item, fingerprint, action.path, action.remote_id, attempts,
                 outcome.error, row["first_failed"] if same else now, now, next_retry, int(parked)))
    return earliest


def pending_retry(conn: sqlite3.Connection, remote: str) -> float | None:
    """The earliest retry time among this remote's waiting (not parked) items."""
    row = conn.execute("SELECT MIN(next_retry) FROM daemon_failures WHERE remote = ? AND parked = 0",
                       (remote,)).fetchone()
    return row[0]


def unpark_all(conn: sqlite3.Connection) -> int:
    """Give every waiting or parked item a fresh start; returns how many."""
    with transaction(conn):
        return conn.execute("DELETE FROM daemon_failures").rowcount


def listing(conn: sqlite3.Connection) -> list[dict]:
    """Every failing item, parked ones first, for ``photosync status``."""
    rows = conn.execute("SELECT * FROM daemon_failures ORDER BY parked DESC, remote, item")
    return [{"remote": r["remote"], "action": r["action"], "path": r["path"], "remote_id": r["remote_id"],
             "error": r["error"], "attempts": r["attempts"], "parked": bool(r["parked"]),
             "first_failed": r["first_failed"], "last_failed": r["last_failed"],
             "next_retry": r["next_retry"]} for r in rows]


def _forget(conn: sqlite3.Connection, remote: str, keys: list[tuple[str, str]]) -> None:
    if not keys:
        return
    with transaction(conn):
        conn.executemany("DELETE FROM daemon_failures WHERE remote = ? AND action = ? AND item = ?",
                         [(remote, kind, item) for kind, item in keys])

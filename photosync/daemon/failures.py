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

import logging
import sqlite3
import threading
import time
from dataclasses import replace
from typing import Any

from photosync.errors import UploadsRefused
from photosync.state import failures as store
from photosync.state.db import transaction
from photosync.state.failures import Failing
from photosync.sync.actions import Action, Skip
from photosync.sync.plan import Plan

log = logging.getLogger("photosync.daemon")
UPLOADS = frozenset({"upload", "replace_remote"})  # what a daily upload limit holds back
UPLOADS_RESUME_SECONDS = 3600.0  # see UploadWaits

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


def filter_plan(conn: sqlite3.Connection, remote: str, plan: Plan,
                now: float | None = None) -> Plan:
    """Skip the actions of items that wait for a retry or are parked; forget what changed."""
    now = time.time() if now is None else now
    rows = store.of_remote(conn, remote)
    if not rows:
        return plan
    actions: list[Action] = []
    seen: set[tuple[str, str]] = set()
    stale: list[tuple[str, str]] = []
    for action in plan.actions:
        item, fingerprint = key_of(action)
        row = rows.get((action.kind, item))
        if row is None or action.kind == "skip":
            actions.append(action)
            continue
        seen.add((action.kind, item))
        if row.fingerprint != fingerprint:
            stale.append((action.kind, item))  # it changed: a fresh start
            actions.append(action)
        elif row.parked:
            actions.append(_skip(action, f"parked after {row.attempts} failed attempts "
                                         f"(last: {row.error}); retried when it changes"))
        elif row.next_retry is not None and row.next_retry > now:
            at = time.strftime('%H:%M:%S', time.localtime(row.next_retry))
            actions.append(_skip(action, f"failed {row.attempts} time(s) (last: {row.error}); "
                                         f"retried at {at}"))
        else:
            actions.append(action)
    if not plan.aborted:
        stale += [key for key in rows if key not in seen]  # nothing to do for it any more
    if stale:
        with transaction(conn):
            store.delete(conn, remote, stale)
    return replace(plan, actions=actions)


class UploadWaits:
    """Remotes whose uploads wait for a daily limit to lift (Drive's 750 GB a day): the daemon
    sends them no upload for ``UPLOADS_RESUME_SECONDS`` instead of meeting the same refusal at
    every sync. An hour, because Google does not say when its day turns: resumed at most an hour
    late, for at most ``sync.workers`` refused requests (no bytes) an hour. This process only: a
    restarted daemon tries once, and waits again if refused."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def observe(self, remote: str, refused: UploadsRefused | None,
                now: float | None = None) -> None:
        """After a sync: a daily limit met starts the wait (which ends by itself)."""
        if refused is None or not refused.daily:
            return
        now = time.time() if now is None else now
        with self._lock:
            self._until[remote] = now + UPLOADS_RESUME_SECONDS
        at = time.strftime("%H:%M", time.localtime(now + UPLOADS_RESUME_SECONDS))
        log.info("%s: no uploads tried before %s (%s)", remote, at, refused)

    def filter(self, remote: str, plan: Plan, now: float | None = None) -> Plan:
        """``plan`` with its uploads turned into skips while ``remote``'s uploads wait."""
        now = time.time() if now is None else now
        with self._lock:
            until = self._until.get(remote, 0.0)
        if until <= now:
            return plan
        at = time.strftime("%H:%M", time.localtime(until))
        why = f"waits for the daily upload limit to lift; tried again after {at}"
        return replace(plan, actions=[_skip(a, f"{a.kind} {why}") if a.kind in UPLOADS else a
                                      for a in plan.actions])


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
                store.delete(conn, remote, [(action.kind, item)])
                continue
            row = store.get(conn, remote, action.kind, item)
            same = row is not None and row.fingerprint == fingerprint
            attempts = row.attempts + 1 if row is not None and same else 1
            parked = attempts >= max_attempts
            next_retry = None if parked else now + retry_delay(attempts, first_delay)
            if next_retry is not None:
                earliest = next_retry if earliest is None else min(earliest, next_retry)
            first = row.first_failed if row is not None and same else now
            store.put(conn, Failing(remote, action.kind, item, fingerprint, action.path,
                                    action.remote_id, attempts, outcome.error, first, now,
                                    next_retry, parked))
    return earliest


def pending_retry(conn: sqlite3.Connection, remote: str) -> float | None:
    """The earliest retry time among this remote's waiting (not parked) items."""
    return store.pending_retry(conn, remote)


def unpark_all(conn: sqlite3.Connection) -> int:
    """Give every waiting or parked item a fresh start; returns how many."""
    return store.delete_all(conn)


def listing(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every failing item, parked ones first, for ``photosync status``."""
    return [{"remote": f.remote, "action": f.action, "path": f.path, "remote_id": f.remote_id,
             "error": f.error, "attempts": f.attempts, "parked": f.parked,
             "first_failed": f.first_failed, "last_failed": f.last_failed,
             "next_retry": f.next_retry} for f in store.listing(conn)]

"""What the daemon's threads do: an incremental scan, and one remote's sync, which returns a
typed :class:`SyncResult` (how it went, why, when to come back) for the loop to act on.

Both run off the main thread and raise :class:`Cancelled` once the daemon is stopping; neither
touches the loop's state.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from photosync.config import Config
from photosync.daemon import failures
from photosync.daemon.companion import Companion
from photosync.daemon.schedule import Result
from photosync.errors import StateDamaged
from photosync.library.scan import ScanResult, scan
from photosync.library.walk import FileEntry
from photosync.remotes import registry
from photosync.state.db import damaged, is_damaged, open_db
from photosync.sync.execute import Outcome
from photosync.sync.plan import Plan
from photosync.sync.report import done_line
from photosync.sync.results import RemoteReport
from photosync.sync.run import RemoteFactory, SyncOptions, sync_locked

log = logging.getLogger("photosync.daemon")


class Cancelled(Exception):
    """Raised inside a scan or a sync when the daemon is stopping."""


@dataclass(frozen=True)
class SyncResult:
    """How one sync of one remote went, for its schedule and the log."""

    result: Result
    error: str | None = None  # why it is not "ok"
    retry_at: float | None = None  # the earliest retry of an item that failed (not parked)
    counts: dict[str, int] = field(default_factory=dict)  # planned actions per kind
    parked: int = 0  # items parked across all remotes, after this sync
    account: dict[str, Any] | None = None  # the account's kind, limits and usage (Flickr)
    account_cap: str | None = None  # a cap of the account left photos out: the first cause


def raise_if_damaged(state_dir: Path, exc: Exception) -> None:
    """A damaged state database fails every scan and sync alike: stop (exit 2, one line
    naming the recovery) instead of retrying forever."""
    if isinstance(exc, StateDamaged):
        raise exc
    if is_damaged(exc):
        raise damaged(state_dir, exc) from None


def scan_library(config: Config, unsettled: frozenset[str],
                 stopping: threading.Event) -> ScanResult:
    """An incremental scan that holds back files still being written (``unsettled`` or changed
    within the settle time): they are scanned once they settle."""
    settle = max(0.0, config.daemon.settle_seconds - 0.25)

    def hold(entry: FileEntry) -> bool:
        if entry.abs_path in unsettled:
            return True
        try:
            changed = os.stat(entry.abs_path).st_ctime
        except OSError:
            return False  # the scan reports it
        return time.time() - changed < settle

    def progress(_p: object) -> None:
        if stopping.is_set():
            raise Cancelled()

    conn = open_db(config.state_dir)
    try:
        return scan(conn, config.library, progress=progress, hold=hold)
    finally:
        conn.close()


def sync_remote(config: Config, name: str, *, factory: RemoteFactory | None,
                local_complete: bool, stopping: threading.Event,
                companion: Companion | None = None,
                waits: failures.UploadWaits | None = None) -> SyncResult:
    """One sync of one remote against the index the scan thread keeps current; its failed items
    are counted (and parked) before the result is classified. ``waits``: remotes whose uploads
    wait for a daily limit (their uploads become skips meanwhile)."""
    label = registry.label(name)
    waits = waits or failures.UploadWaits()

    def plan_filter(conn: sqlite3.Connection, remote: str, plan: Plan) -> Plan:
        return waits.filter(remote, failures.filter_plan(conn, remote, plan))

    def progress(_label: str, _total: int) -> Callable[[Outcome], None]:
        def each(outcome: Outcome) -> None:
            if outcome.error is None:  # a failure is already a warning, from the executor
                log.info("%s", done_line(label, outcome))  # "Flickr: uploaded 2024/a.jpg"
            if stopping.is_set():
                raise Cancelled()
        return each

    if companion is None:
        options = SyncOptions(remotes=[name], local_scan=False, local_complete=local_complete,
                              plan_filter=plan_filter)
        report = sync_locked(config, options, factory=factory, progress=progress).remotes[0]
    else:  # issue 21: the dashboard's progress, metrics and alerts, held deletions allowed once
        hooks = companion.prepare(config, name, factory)
        options = SyncOptions(remotes=[name], local_scan=False, local_complete=local_complete,
                              plan_filter=plan_filter, on_retry=hooks.on_retry,
                              force_deletes=hooks.force_deletes)
        report = sync_locked(hooks.config, options, factory=hooks.factory,
                             progress=hooks.counting(progress)).remotes[0]
        companion.observe(name, report, hooks)
    waits.observe(name, report.refused)
    retry_at, parked = _record_failures(config, name, report)
    return classify(report, retry_at, parked)


def _record_failures(config: Config, name: str, report: RemoteReport) -> tuple[float | None, int]:
    """Count this sync's failed items; returns the remote's next item retry and how many items
    are parked in all."""
    usable = report.error is None
    outcomes = report.outcomes if usable else [o for o in report.outcomes if o.error is None]
    # a full remote is no fault of the files: they are tried again at the next sync, not parked
    refused = report.uploads_refused
    outcomes = [o for o in outcomes if refused is None or o.error != refused]
    conn = open_db(config.state_dir)
    try:
        failures.record(conn, name, outcomes, max_attempts=config.daemon.max_attempts,
                        first_delay=config.daemon.retry_seconds)
        retry_at = failures.pending_retry(conn, name)
        parked = sum(1 for f in failures.listing(conn) if f["parked"])
    finally:
        conn.close()
    return retry_at, parked


def classify(report: RemoteReport, retry_at: float | None, parked: int) -> SyncResult:
    """The remote unusable ("auth", "unavailable"), some items failed or the plan was held
    ("items_failed"), or "ok"; with the account the sync learnt (Flickr)."""
    return replace(_classify(report, retry_at, parked),
                   account=report.account.to_dict() if report.account else None,
                   account_cap=report.account_cap)


def _classify(report: RemoteReport, retry_at: float | None, parked: int) -> SyncResult:
    counts: dict[str, int] = {}
    for action in report.plan.actions if report.plan else []:
        counts[action.kind] = counts.get(action.kind, 0) + 1
    if report.error:
        result: Result = "auth" if report.auth_needed else "unavailable"
        return SyncResult(result, report.error, None, counts, parked)
    failed = [o for o in report.outcomes if o.error]
    held = report.plan.aborted if report.plan and report.plan.aborted else None
    # photos a cap left out while the user has not chosen which go up (a failure until then;
    # they are skips, so never retried nor parked)
    if not held and report.plan and report.account_cap in report.plan.messages:
        held = report.account_cap
    if held:
        return SyncResult("items_failed", held, retry_at, counts, parked)
    if failed:
        first = failed[0]
        error = (f"{len(failed)} item(s) failed, e.g. "
                 f"{first.action.path or first.action.remote_id}: {first.error}")
        return SyncResult("items_failed", error, retry_at, counts, parked)
    return SyncResult("ok", None, retry_at, counts, parked)

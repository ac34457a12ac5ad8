"""One sync run: lock, scan, then for each remote observe -> plan -> execute -> record.

``--dry-run`` is the same run on an in-memory copy of the database with no executor: it lists the
remotes (read-only calls) and plans, and nothing anywhere changes, not even the state database.
One remote failing (authorization, outage) never stops the others.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal

from photosync.config import Config
from photosync.errors import (EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL, EXIT_REMOTE,
                              AuthorizationNeeded, LocalDiskError, PhotosyncError,
                              RemoteError, TokenFileError, TransientError)
from photosync.library.rules import compile_rules, normalise_extensions
from photosync.library.scan import ScanResult, scan
from photosync.remotes import registry
from photosync.remotes.base import Remote, RemoteItem
from photosync.remotes.files import remove_partials
from photosync.remotes.retry import OnRetry, RetryingRemote
from photosync.state import index
from photosync.state.db import open_db, open_memory_copy, rolling_backup
from photosync.state.listings import cached_items
from photosync.state.lock import StateLock
from photosync.state.pairs import load_pairs
from photosync.state.runs import finish_run, start_run
from photosync.sync.execute import Executor, Outcome, download_destination
from photosync.sync.observe import observe
from photosync.sync.albums import albums_in_step, members_of, plan_albums
from photosync.sync.plan import TRANSFERS, Pair, Plan, Policy, plan

log = logging.getLogger("photosync.sync")
Direction = Literal["up", "down", "both"]


@dataclass
class SyncOptions:
    dry_run: bool = False
    full: bool = False
    remotes: list[str] | None = None  # None: every enabled remote
    direction: Direction | None = None  # narrows each remote's configured direction
    force_deletes: bool = False  # this run: neither sync.max_delete nor max_delete_percent holds
    # For the watch daemon: False when the caller keeps the index current itself (it scans and
    # removes stale .part files; a sync must not delete another thread's download in progress).
    local_scan: bool = True
    local_complete: bool = True  # with local_scan False: the caller's last scan read everything
    # For the watch daemon: (connection, remote name, plan) -> the plan to execute (parked items
    # turned into skips).
    plan_filter: Callable[[sqlite3.Connection, str, Plan], Plan] | None = None
    # For the watch daemon's dashboard (issue 21): told of each retry (method, error, delay).
    on_retry: OnRetry | None = None


@dataclass
class RemoteReport:
    name: str
    label: str
    plan: Plan | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None  # the remote could not be used
    auth_needed: bool = False  # ... because its authorization is missing, revoked or expired
    full: str | None = None  # the remote refused uploads (storage full, upload limit): why
    disk: LocalDiskError | None = None  # the library's disk refused a download: no more this run
    full_listing: bool = False
    # id(action) -> the file a download created (or in a dry run would create), from the root
    files: dict[int, str] = field(default_factory=dict)


@dataclass
class SyncReport:
    dry_run: bool
    scan: ScanResult | None = None
    remotes: list[RemoteReport] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if any(r.error for r in self.remotes):
            return EXIT_REMOTE
        failed = any(o.error for r in self.remotes for o in r.outcomes)
        held = any(r.plan and (r.plan.aborted or r.plan.messages) for r in self.remotes)
        if failed or held or (self.scan and self.scan.failed):
            return EXIT_PARTIAL
        return EXIT_OK


RemoteFactory = Callable[[str, Config], Remote]
Progress = Callable[[str, int], Callable[[Outcome], None]]  # (remote label, total) -> per-item hook


def sync(config: Config, options: SyncOptions, factory: RemoteFactory | None = None,
         progress: Progress | None = None, clock: Callable[[], float] = time.time,
         scan_progress: Callable | None = None) -> SyncReport:
    """Run one sync under the state lock; ``factory`` builds a remote by name (default: the
    registry's backends)."""
    with StateLock(config.state_dir):
        return sync_locked(config, options, factory, progress, clock, scan_progress)


def sync_locked(config: Config, options: SyncOptions, factory: RemoteFactory | None = None,
                progress: Progress | None = None, clock: Callable[[], float] = time.time,
                scan_progress: Callable | None = None) -> SyncReport:
    """One sync by a caller that already holds the state lock (the ``watch`` daemon)."""
    factory = factory or (lambda name, cfg: registry.build(name, cfg))
    report = SyncReport(options.dry_run)
    conn = _connection(config.state_dir, options.dry_run)
    try:
        if not options.dry_run and options.local_scan:
            remove_partials(config.library.root)
        run_id = start_run(conn, options.dry_run)
        try:
            _run(conn, config, options, factory, progress, clock, scan_progress, report, run_id)
        except BaseException as exc:  # Ctrl-C, the daemon stopping: `photosync status` says so
            ctrl_c = isinstance(exc, KeyboardInterrupt)
            why = INTERRUPTED if ctrl_c else {"remote": None, "path": None, "error":
                                              f"stopped before the end ({exc or type(exc).__name__})"}
            finish_run(conn, run_id, EXIT_INTERRUPTED if ctrl_c else EXIT_PARTIAL,
                             summary(report), errors(report) + [why])
            raise
        finish_run(conn, run_id, report.exit_code, summary(report), errors(report))
        if not options.dry_run:
            rolling_backup(conn, config.state_dir, clock())
    finally:
        conn.close()
    return report


INTERRUPTED = {"remote": None, "path": None, "error": "interrupted (Ctrl-C or SIGINT)"}


def _run(conn: sqlite3.Connection, config: Config, options: SyncOptions, factory: RemoteFactory,
         progress: Progress | None, clock: Callable[[], float], scan_progress: Callable | None,
         report: SyncReport, run_id: int) -> None:
    """Scan, then each remote (twice when photos downloaded from one go to the others)."""
    if options.local_scan:
        report.scan = scan(conn, config.library, progress=scan_progress)
    local = [f for f in index.present_files(conn) if f.signature]
    scan_failed = bool(report.scan.failed) if report.scan else not options.local_complete
    names = options.remotes or registry.enabled(config)
    for name in names:
        report.remotes.append(_sync_remote(conn, config, options, name, local, factory,
                                           progress, clock, run_id, scan_failed,
                                           disk=_disk(report)))
    if options.local_scan and not options.dry_run and len(names) > 1 and _downloaded(report):
        # Photos just downloaded from one remote go to the others in the same run.
        second = scan(conn, config.library, progress=scan_progress)
        local = [f for f in index.present_files(conn) if f.signature]
        for first in report.remotes:
            if first.error is None:
                _merge(first, _sync_remote(conn, config, options, first.name, local, factory,
                                           progress, clock, run_id, bool(second.failed),
                                           _transfers_done(first), _disk(report)))


def _disk(report: SyncReport) -> LocalDiskError | None:
    """The library's disk refused a download earlier in this run: later passes skip downloads."""
    return next((r.disk for r in report.remotes if r.disk is not None), None)


def _transfers_done(report: RemoteReport) -> int:
    """Transfers a first pass made: the second pass has only the rest of sync.max_operations."""
    return sum(1 for o in report.outcomes if o.action.kind in TRANSFERS)


def _downloaded(report: SyncReport) -> bool:
    return any(o.error is None and o.action.kind in ("download", "conflict", "replace_local")
               for r in report.remotes for o in r.outcomes)


def _merge(first: RemoteReport, second: RemoteReport) -> None:
    """Fold a second pass over a remote into the first pass's report."""
    first.outcomes.extend(second.outcomes)
    first.files.update(second.files)
    first.error = first.error or second.error
    first.full = first.full or second.full
    first.disk = first.disk or second.disk
    if second.plan is None:
        return
    if first.plan is None:
        first.plan = second.plan
        return
    first.plan.actions.extend(a for a in second.plan.actions if a.kind != "skip")
    first.plan.messages.extend(m for m in second.plan.messages if m not in first.plan.messages)
    first.plan.notes.extend(m for m in second.plan.notes if m not in first.plan.notes)
    first.plan.aborted = first.plan.aborted or second.plan.aborted


def _connection(state_dir: Path, dry_run: bool) -> sqlite3.Connection:
    """The state database, or for a dry run a private in-memory copy of it."""
    return open_memory_copy(state_dir) if dry_run else open_db(state_dir)


def _sync_remote(conn: sqlite3.Connection, config: Config, options: SyncOptions, name: str,
                 local: list, factory: RemoteFactory, progress: Progress | None,
                 clock: Callable[[], float], run_id: int, scan_failed: bool,
                 transfers_done: int = 0, disk: LocalDiskError | None = None) -> RemoteReport:
    report = RemoteReport(name, registry.label(name))
    try:
        backend = factory(name, config)
        if options.dry_run:
            _keep_caches(backend)
        remote = RetryingRemote(backend, on_retry=options.on_retry)
        view = observe(conn, remote, full=options.full, full_every_hours=config.sync.full_every_hours,
                       now=clock())
        report.full_listing = view.full
        policy = policy_for(config, name, remote, view.complete, options.direction,
                            local_complete=not scan_failed, transfers_done=transfers_done,
                            force_deletes=options.force_deletes)
        pairs = load_pairs(conn, name)
        report.plan = plan(local, view.items, pairs, policy)
        if options.plan_filter is not None:
            report.plan = options.plan_filter(conn, name, report.plan)
        if report.plan.aborted:
            return report
        dates = {f.path: f.date_taken for f in local}
        adopt = bool(getattr(registry.section(config, name), "adopt_albums", False)) \
            if hasattr(config, name) else False
        if options.dry_run:
            report.files = _predicted_files(config.library.root, report.plan, view.items)
            report.plan.notes.extend(_collections_note(remote, report.label))
            _album_phase(remote, policy, report, _predicted_pairs(pairs, report.plan), view.items,
                         dates, adopt, None, None)
            return report
        executor = Executor(conn, config.library.root, remote, policy, compile_rules(config.library),
                            run_id, workers=config.sync.workers, wait=config.sync.wait, disk=disk)
        if progress:
            executor.on_done = progress(report.label, sum(1 for a in report.plan.actions if a.kind != "skip"))
        report.outcomes = executor.apply(report.plan)
        report.files = {id(o.action): o.file for o in report.outcomes if o.file}
        if executor.fatal is None:
            items = {i.id: i for i in cached_items(conn, name)}
            _album_phase(remote, policy, report, load_pairs(conn, name), items, dates, adopt,
                         executor, progress)
        report.full = str(executor.full) if executor.full is not None else None
        report.disk = executor.disk
        if executor.fatal is not None:
            report.error = str(executor.fatal)
            report.auth_needed = isinstance(executor.fatal, AuthorizationNeeded)
    # A listing that failed after its retries too, or a token file to fix (this remote only).
    except (RemoteError, TransientError, TokenFileError) as exc:
        report.error = str(exc)
        report.auth_needed = isinstance(exc, (AuthorizationNeeded, TokenFileError))
        log.error("%s: %s", report.label, exc)
    return report


def _keep_caches(remote: Remote) -> None:
    """A dry run leaves a backend's own cache files in state_dir (Flickr's album index) as
    they were: it changes nothing, not even a cache."""
    index = getattr(remote, "index", None)
    if index is not None and hasattr(index, "persist"):
        index.persist = False


def _album_phase(remote: Remote, policy: Policy, report: RemoteReport, pairs: list[Pair],
                 items: dict[str, RemoteItem] | list[RemoteItem], dates: dict, adopt: bool,
                 executor: Executor | None, progress: Progress | None) -> None:
    """Plan (and unless dry-run, apply) the album actions; list albums only when needed."""
    if isinstance(items, list):
        items = {i.id: i for i in items}
    # Photos downloaded into this remote's download folder were in no album there: keep it so.
    own_folder = policy.album_separator.join(p for p in policy.download_dir.split("/") if p)
    members = members_of(pairs, dates, ignore_album=own_folder)
    # The cache shows which albums hold a photo, not which of them are ours: a photo moved out
    # of every album would look in step, so a move always has the albums listed.
    moved = any(a.kind == "move" for a in report.plan.actions)
    if not policy.capabilities.albums or not moved and albums_in_step(members, items, policy):
        return
    actions, messages = plan_albums(members, remote.list_albums(), policy, adopt)
    report.plan.actions.extend(actions)
    report.plan.notes.extend(messages)
    if executor is not None and actions:
        if progress:  # its own closing line: album failures are counted where they happen
            executor.on_done = progress(f"{report.label} albums", len(actions))
        report.outcomes.extend(executor.apply_albums(actions))


def _collections_note(remote: Remote, label: str) -> list[str]:
    """Flickr collections are read-only through the API: shown in the dry-run report only."""
    lines = [line for c in remote.list_collections() for line in c.describe(1)]
    return [f"{label} collections (read-only, not synced):\n" + "\n".join(lines)] if lines else []


def _predicted_files(root: Path, planned: Plan, items: list[RemoteItem]) -> dict[int, str]:
    """For a dry run: the file each download would create (names taken now are not reused)."""
    by_id = {i.id: i for i in items}
    taken: set[Path] = set()
    files = {}
    for a in planned.actions:
        if a.kind == "download" and a.remote_id in by_id:
            try:
                dest = download_destination(root, a, by_id[a.remote_id], taken)
            except PhotosyncError:  # an unsafe name: the real run reports it
                continue
            taken.add(dest)
            files[id(a)] = dest.relative_to(root).as_posix()
    return files


def _predicted_pairs(pairs: list[Pair], planned: Plan) -> list[Pair]:
    """For a dry run: the pairs as they would be after the plan, new uploads under made-up ids."""
    by_id = {p.remote_id: p for p in pairs if p.remote_id not in set(planned.forget)}
    by_id.update({p.remote_id: p for p in planned.relink})
    for a in planned.actions:
        if a.kind == "upload":
            by_id[f"new:{a.path}"] = Pair(f"new:{a.path}", a.signature or "", a.path, None, a.album)
        elif a.kind == "move" and a.pair:
            by_id[a.pair.remote_id] = Pair(a.pair.remote_id, a.pair.signature, a.path, a.pair.version, a.album)
    return list(by_id.values())


def policy_for(config: Config, name: str, remote: Remote, complete: bool,
               direction: Direction | None, local_complete: bool = True,
               transfers_done: int = 0, force_deletes: bool = False) -> Policy:
    section = registry.section(config, name) if hasattr(config, name) else None
    configured = getattr(section, "direction", "both")
    return Policy(
        remote=name, label=registry.label(name), capabilities=remote.capabilities,
        direction=_narrow(configured, direction),
        on_local_delete=config.sync.on_local_delete, on_remote_delete=config.sync.on_remote_delete,
        max_delete=config.sync.max_delete, max_delete_percent=config.sync.max_delete_percent,
        force_deletes=force_deletes, max_operations=config.sync.max_operations,
        transfers_done=transfers_done,
        listing_complete=complete, local_complete=local_complete, download_dir=getattr(section, "download_dir", "Downloads"),
        download_into_album=getattr(section, "download_into_album", True),
        album_separator=config.library.album_separator,
        extensions=normalise_extensions(config.library.extensions))


def _narrow(configured: str, requested: Direction | None) -> str:
    """``--direction`` can only narrow what the config allows, never widen it."""
    if requested in (None, "both"):
        return configured
    wanted = "upload" if requested == "up" else "download"
    return wanted if configured in ("both", wanted) else "none"


def summary(report: SyncReport) -> dict[str, dict[str, int]]:
    """{remote: {action: count}} over planned actions (the JSON report's ``summary``)."""
    out: dict[str, dict[str, int]] = {}
    for r in report.remotes:
        counts: dict[str, int] = {}
        for action in r.plan.actions if r.plan else []:
            counts[action.kind] = counts.get(action.kind, 0) + 1
        out[r.name] = counts
    return out


def failed(report: SyncReport) -> dict[str, dict[str, int]]:
    """{remote: {action: count}} of the actions that failed or were not done (``failed``)."""
    out: dict[str, dict[str, int]] = {}
    for r in report.remotes:
        counts: dict[str, int] = {}
        for o in r.outcomes:
            if o.error:
                counts[o.action.kind] = counts.get(o.action.kind, 0) + 1
        out[r.name] = counts
    return out


def errors(report: SyncReport) -> list[dict[str, str | None]]:
    """What went wrong, one entry per failed item (``{remote, path, error}``), then each remote
    that could not be used, then unreadable local files: the JSON report's ``errors``."""
    out: list[dict[str, str | None]] = []
    for r in report.remotes:
        items = [{"path": o.action.path or o.action.remote_id, "remote": r.name, "error": o.error}
                 for o in r.outcomes if o.error and o.error != r.error]  # r.error: once, below
        out += sorted(items, key=lambda e: e["path"] or "")
        if r.error:
            out.append({"path": None, "remote": r.name, "error": r.error})
    for failure in report.scan.failed if report.scan else []:
        out.append({"path": failure.path, "remote": None, "error": failure.reason})
    return out


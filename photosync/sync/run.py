"""One sync run: lock, scan, then for each remote observe -> plan -> execute -> record.

``--dry-run`` is the same run on a private copy of the database with no executor: it lists the
remotes (read-only calls) and plans, and nothing anywhere changes, not even the state database.
One remote failing (authorization, outage) never stops the others.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from photosync.config import Config, Direction, FlickrConfig, RemoteSection
from photosync.errors import (
    EXIT_INTERRUPTED,
    EXIT_PARTIAL,
    AuthorizationNeeded,
    ItemError,
    LocalDiskError,
    RemoteError,
    TokenFileError,
    TransientError,
    UploadsRefused,
)
from photosync.library.rules import compile_rules
from photosync.library.scan import ProgressFn, scan
from photosync.remotes import registry
from photosync.remotes.bandwidth import parse_size
from photosync.remotes.base import Remote
from photosync.remotes.files import remove_partials
from photosync.remotes.retry import OnRetry, RetryingRemote
from photosync.state.accounts import load_account, save_account
from photosync.state.db import open_db, open_scratch_copy, rolling_backup
from photosync.state.focus import focus, local_albums, stem_twins
from photosync.state.listings import album_rows, usage_counts
from photosync.state.lock import StateLock
from photosync.state.pairs import album_members
from photosync.state.progress import save_to_go
from photosync.state.runs import finish_run, start_run
from photosync.sync import media
from photosync.sync.actions import TRANSFERS, Conflict, Download, Move, ReplaceLocal, Skip
from photosync.sync.albums import albums_in_step, members_of, plan_albums
from photosync.sync.budget import TransferBudget
from photosync.sync.caps import AccountCaps, plan_against_caps
from photosync.sync.dryrun import DryRun, read_only
from photosync.sync.eta import calls_per_hour, photos_to_go
from photosync.sync.execute import Executor, Outcome
from photosync.sync.observe import RemoteView, observe
from photosync.sync.plan import Plan, plan
from photosync.sync.policy import Evidence, Policy
from photosync.sync.previews import update_previews
from photosync.sync.results import RemoteReport, SyncReport, errors, summary

log = logging.getLogger("photosync.sync")


@dataclass
class SyncOptions:
    dry_run: bool = False
    full_listing: bool = False  # --full: list every remote in full, not only its changes
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


RemoteFactory = Callable[[str, Config], Remote]
Progress = Callable[[str, int], Callable[[Outcome], None]]  # (remote label, total) -> per-item hook


@dataclass
class RunContext:
    """What every remote's pass of one run shares (instead of a dozen parameters)."""

    conn: sqlite3.Connection
    config: Config
    options: SyncOptions
    factory: RemoteFactory
    progress: Progress | None
    clock: Callable[[], float]
    run_id: int
    report: SyncReport
    live_clips: frozenset[str] = frozenset()  # which of them are Live Photo clips
    local_complete: bool = True  # the last scan read every file
    budget: TransferBudget = field(default_factory=lambda: TransferBudget(0))  # max_transfer

    def rescan(self, scan_progress: ProgressFn | None) -> None:
        """Scan the library (when this run scans); find its Live Photo clips and shots."""
        if self.options.local_scan:
            result = scan(self.conn, self.config.library, progress=scan_progress)
            self.report.scan = self.report.scan or result
            self.local_complete = not result.failed
        else:
            self.local_complete = self.options.local_complete
        twins = stem_twins(self.conn)
        self.live_clips = media.live_clips(twins)
        self.report.shots = media.shots(twins)

    def refused(self, name: str) -> UploadsRefused | None:
        """Remote ``name`` refused uploads earlier in this run: its second pass sends none."""
        return next((r.refused for r in self.report.remotes
                     if r.name == name and r.refused is not None), None)

    @property
    def disk(self) -> LocalDiskError | None:
        """The library's disk refused a download earlier in this run: later passes skip them."""
        return next((r.disk for r in self.report.remotes if r.disk is not None), None)


def sync(config: Config, options: SyncOptions, factory: RemoteFactory | None = None,
         progress: Progress | None = None, clock: Callable[[], float] = time.time,
         scan_progress: ProgressFn | None = None) -> SyncReport:
    """Run one sync under the state lock; ``factory`` builds a remote by name (default: the
    registry's backends)."""
    with StateLock(config.state_dir):
        return sync_locked(config, options, factory, progress, clock, scan_progress)


def sync_locked(config: Config, options: SyncOptions, factory: RemoteFactory | None = None,
                progress: Progress | None = None, clock: Callable[[], float] = time.time,
                scan_progress: ProgressFn | None = None) -> SyncReport:
    """One sync by a caller that already holds the state lock (the ``watch`` daemon)."""
    report = SyncReport(options.dry_run)
    conn = _connection(config.state_dir, options.dry_run)
    try:
        if not options.dry_run and options.local_scan:
            remove_partials(config.library.root)
        run_id = start_run(conn, options.dry_run)
        ctx = RunContext(conn, config, options, factory or registry.build,
                         None if options.dry_run else progress, clock, run_id, report)
        ctx.budget = TransferBudget(parse_size(config.sync.max_transfer),
                                    config.sync.max_transfer)
        try:
            _run(ctx, scan_progress)
        except BaseException as exc:  # Ctrl-C, the daemon stopping: `photosync status` says so
            ctrl_c = isinstance(exc, KeyboardInterrupt)
            stopped = f"stopped before the end ({exc or type(exc).__name__})"
            why = INTERRUPTED if ctrl_c else {"remote": None, "path": None, "error": stopped}
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


def _run(ctx: RunContext, scan_progress: ProgressFn | None) -> None:
    """Scan, then each remote (twice when photos downloaded from one go to the others)."""
    ctx.rescan(scan_progress)
    names = ctx.options.remotes or registry.enabled(ctx.config)
    for name in names:
        ctx.report.remotes.append(_sync_remote(ctx, name))
    if ctx.options.local_scan and not ctx.options.dry_run and len(names) > 1 \
            and _downloaded(ctx.report):
        # Photos just downloaded from one remote go to the others in the same run.
        ctx.rescan(scan_progress)
        for first in list(ctx.report.remotes):
            if first.error is None:
                _merge(first, _sync_remote(ctx, first.name, _transfers_done(first)))
    _note_to_go(ctx)


def _note_to_go(ctx: RunContext) -> None:
    """Each remote's photos to go and the quota in force, in the report and (a real run) in
    state_dir for ``photosync status`` and the dashboard."""
    for r in ctx.report.remotes:
        r.to_go = photos_to_go(r.plan, r.outcomes)
        r.calls_per_hour = calls_per_hour(ctx.config, r.name)
    known = {r.name: r.to_go for r in ctx.report.remotes if r.to_go is not None}
    if known and not ctx.options.dry_run:
        save_to_go(ctx.config.state_dir, known, ctx.clock())


def _transfers_done(report: RemoteReport) -> int:
    """Transfers a first pass made: the second pass has only the rest of sync.max_operations."""
    return sum(1 for o in report.outcomes if o.action.kind in TRANSFERS)


def _downloaded(report: SyncReport) -> bool:
    return any(o.error is None and isinstance(o.action, Download | Conflict | ReplaceLocal)
               for r in report.remotes for o in r.outcomes)


def _merge(first: RemoteReport, second: RemoteReport) -> None:
    """Fold a second pass over a remote into the first pass's report."""
    first.outcomes.extend(second.outcomes)
    first.files.update(second.files)
    first.error = first.error or second.error
    first.refused = first.refused or second.refused
    first.disk = first.disk or second.disk
    first.account = second.account or first.account
    first.account_cap = first.account_cap or second.account_cap
    if second.plan is None:
        return
    if first.plan is None:
        first.plan = second.plan
        return
    first.plan.actions.extend(a for a in second.plan.actions if not isinstance(a, Skip))
    first.plan.messages.extend(m for m in second.plan.messages if m not in first.plan.messages)
    first.plan.notes.extend(m for m in second.plan.notes if m not in first.plan.notes)
    first.plan.aborted = first.plan.aborted or second.plan.aborted
    first.plan.postponed = second.plan.postponed  # the later pass knows what is left


def _connection(state_dir: Path, dry_run: bool) -> sqlite3.Connection:
    """The state database, or for a dry run a private copy of it (removed when closed)."""
    return open_scratch_copy(state_dir) if dry_run else open_db(state_dir)


def _section(config: Config, name: str) -> RemoteSection | None:
    """The typed config section of remote ``name``; None for one without (the test remote)."""
    section: RemoteSection | None = getattr(config, name, None)
    return section


def _sync_remote(ctx: RunContext, name: str, transfers_done: int = 0) -> RemoteReport:
    """Observe, plan, execute (or dry-run) and put albums right, for one remote."""
    report = RemoteReport(name, registry.label(name))
    try:
        backend = ctx.factory(name, ctx.config)
        if ctx.options.dry_run:
            read_only(backend)
        remote = RetryingRemote(backend, on_retry=ctx.options.on_retry)
        view = observe(ctx.conn, remote, full=ctx.options.full_listing,
                       full_every_hours=ctx.config.sync.full_every_hours, now=ctx.clock())
        report.listed_in_full = view.full
        section = _section(ctx.config, name)
        policy = Policy.from_config(ctx.config, name, report.label, remote.capabilities, section,
                                    ctx.options.direction)
        seen = focus(ctx.conn, name, ctx.clock())  # all but the photos plainly in sync
        evidence = Evidence(listing_complete=view.complete, local_complete=ctx.local_complete,
                            force_deletes=ctx.options.force_deletes,
                            transfers_done=transfers_done, live_clips=ctx.live_clips,
                            settled=seen.settled, videos_sent=seen.videos_sent)
        report.plan = plan(seen.local, seen.items, seen.pairs, policy, evidence)
        if seen.adopted:
            report.plan.notes.insert(0, f"{seen.adopted} photo(s) already on {report.label} "
                                        f"matched by signature tag and paired: nothing to "
                                        f"transfer")
        caps = _account_caps(ctx, name, backend, remote, view, section, report)
        if caps is not None and policy.uploads:
            report.account_cap = plan_against_caps(report.plan, caps, seen.paths)
        for note in report.plan.notes:  # said before the transfers they announce
            log.info("%s: %s", report.label, note)
        if ctx.options.plan_filter is not None:
            report.plan = ctx.options.plan_filter(ctx.conn, name, report.plan)
        if report.plan.aborted:
            return report
        if ctx.options.dry_run:
            report.plan.notes.extend(_collections_note(remote, report.label))
            named = {a.remote_id for a in report.plan.actions if a.remote_id}
            report.items = {i.id: i for i in seen.items if i.id in named}
        adopt = isinstance(section, FlickrConfig) and section.adopt_albums
        _execute(ctx, remote, policy, report, adopt, seen.albums_unconfirmed == 0)
        if report.account is not None:  # this run's uploads count too
            report.account = report.account.with_usage(*usage_counts(ctx.conn, name))
            save_account(ctx.conn, name, report.account, ctx.clock())
        if not ctx.options.dry_run and report.error is None:
            keep = isinstance(section, FlickrConfig) and section.download_previews
            report.plan.notes.extend(update_previews(ctx.conn, ctx.config.library.root, remote,
                                                     report.plan, policy, keep))
    # A listing that failed after its retries too, or a token file to fix (this remote only).
    except (RemoteError, TransientError, TokenFileError) as exc:
        report.error = str(exc)
        report.auth_needed = isinstance(exc, (AuthorizationNeeded, TokenFileError))
        log.error("%s: %s", report.label, exc)
    return report


def _account_caps(ctx: RunContext, name: str, backend: Remote, remote: RetryingRemote,
                  view: RemoteView, section: RemoteSection | None,
                  report: RemoteReport) -> AccountCaps | None:
    """The account's caps for planning (Flickr): its kind and limits asked again on a full
    listing (2 calls) or when never asked, its usage counted over the listing (no call)."""
    read = getattr(backend, "account", None)
    if read is None or not isinstance(section, FlickrConfig):
        return None
    known = load_account(ctx.conn, name)
    if known is None or view.full:
        try:
            known = remote.call("account", read)
        except ItemError as exc:  # an endpoint without these methods: plan as before
            log.warning("%s: could not read the account's kind and limits: %s", report.label,
                        exc)
            return None
    assert known is not None
    report.account = known.with_usage(*usage_counts(ctx.conn, name))
    save_account(ctx.conn, name, report.account, ctx.clock())
    return AccountCaps(report.label, report.account, section.privacy, section.cap_order,
                       tuple(section.cap_albums))


def _execute(ctx: RunContext, remote: Remote, policy: Policy, report: RemoteReport,
             adopt: bool, albums_confirmed: bool) -> None:
    """Apply the plan (a dry run records into its in-memory database only), then the albums;
    ``albums_confirmed``: before the plan, SQL saw every photo in sync in its album."""
    assert report.plan is not None
    kind = DryRun if ctx.options.dry_run else Executor
    executor = kind(ctx.conn, ctx.config.library.root, remote, policy,
                    compile_rules(ctx.config.library), ctx.run_id,
                    workers=ctx.config.sync.workers,
                    wait=0.0 if ctx.options.dry_run else ctx.config.sync.wait, disk=ctx.disk,
                    uploads_refused=ctx.refused(report.name), budget=ctx.budget)
    if ctx.progress:
        executor.on_done = ctx.progress(report.label, sum(1 for a in report.plan.actions
                                                          if not isinstance(a, Skip)))
    report.outcomes = executor.apply(report.plan)
    report.files = {id(o.action): o.file for o in report.outcomes if o.file}
    changed = report.plan.relink or report.plan.forget or any(
        not isinstance(a, Skip) for a in report.plan.actions)
    if executor.fatal is None and (changed or not albums_confirmed):
        _album_phase(ctx, remote, policy, report, executor, adopt)
    report.refused = executor.uploads_refused
    report.disk = executor.disk
    if executor.fatal is not None:
        report.error = str(executor.fatal)
        report.auth_needed = isinstance(executor.fatal, AuthorizationNeeded)


def _album_phase(ctx: RunContext, remote: Remote, policy: Policy, report: RemoteReport,
                 executor: Executor, adopt: bool) -> None:
    """Plan and apply the album actions; list albums only when needed."""
    assert report.plan is not None
    # Photos downloaded into this remote's download folder were in no album there: keep it so.
    own_folder = policy.album_separator.join(p for p in policy.download_dir.split("/") if p)
    # The cache shows which albums hold a photo, not which of them are ours: a photo moved out
    # of every album would look in step, so a move always has the albums listed.
    moved = any(isinstance(a, Move) for a in report.plan.actions)
    if not policy.capabilities.albums or not moved and albums_in_step(
            album_rows(ctx.conn, remote.name), policy, ignore_album=own_folder):
        return
    members = members_of(album_members(ctx.conn, remote.name), ignore_album=own_folder)
    actions, messages = plan_albums(members, executor.list_albums(), policy, adopt,
                                    folders=local_albums(ctx.conn))
    report.plan.actions.extend(actions)
    report.plan.notes.extend(messages)
    if actions:
        if ctx.progress:  # its own closing line: album failures are counted where they happen
            executor.on_done = ctx.progress(f"{report.label} albums", len(actions))
        report.outcomes.extend(executor.apply_albums(actions))


def _collections_note(remote: RetryingRemote, label: str) -> list[str]:
    """Flickr collections are read-only through the API: shown in the dry-run report only."""
    lines = [line for c in remote.list_collections() for line in c.describe(1)]
    return [f"{label} collections (read-only, not synced):\n" + "\n".join(lines)] if lines else []

"""What ``photosync watch`` offers besides syncing (issue 21): the dashboard and ``/metrics``,
alerts, the trash's retention, and deletions held back that the user allows once.

The :class:`~photosync.daemon.service.Service` calls it at a few marked places only (start,
stop, each turn of its loop, around each remote's sync, the status document), so the service
stays about syncing. Nothing here may stop a sync: every hook catches and logs its own errors.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photosync.auth.tokens import TokenStore
from photosync.config import Config
from photosync.daemon import failures
from photosync.errors import PhotosyncError, StateDamaged
from photosync.notify.alerts import Alerter
from photosync.remotes import registry
from photosync.remotes.retry import OnRetry
from photosync.state import dashboard, history
from photosync.state.db import open_db
from photosync.sync import trash
from photosync.sync.results import RemoteReport
from photosync.sync.run import Progress, RemoteFactory
from photosync.web.metrics import Metrics

if TYPE_CHECKING:
    from photosync.daemon.service import Service
    from photosync.web.server import WebServer

log = logging.getLogger("photosync.daemon")
PURGE_EVERY = 86400.0
USAGE_EVERY = 3600.0  # an account's usage is read at most this often (one API call)
TESTING_TOKEN_DAYS = 7.0  # Google's refresh tokens of OAuth apps in "Testing" status die then
WARN_BEFORE = 86400.0


@dataclass
class RunHooks:
    """One remote's sync as the companion prepares it: its config, its factory, what it built."""

    config: Config
    factory: RemoteFactory
    on_retry: OnRetry
    force_deletes: bool = False  # the user allowed the held deletions for this run
    started: float = field(default_factory=time.monotonic)
    backends: list[Any] = field(default_factory=list)
    done: int = 0  # actions finished so far in this run (the overview's progress)
    total: int = 0

    def counting(self, progress: Progress) -> Progress:
        """``progress`` that also counts the run's finished actions (a second pass adds more)."""

        def start(label: str, total: int) -> Callable[[Any], None]:
            inner = progress(label, total)
            self.total += total

            def each(outcome: Any) -> None:
                self.done += 1
                inner(outcome)

            return each

        return start


@dataclass
class Seen:
    """What the last sync of a remote said, for the dashboard and alerts."""

    held: list[str] = field(default_factory=list)  # deletions held back by sync.max_delete
    aborted: str | None = None  # nothing done: a side listed nothing (the share unmounted?)
    full: str | None = None
    auth: str | None = None


@dataclass(frozen=True)
class Usage:
    """An account's storage, as the remote reports it (remotes that can)."""

    used: int
    limit: int | None  # None: unlimited
    at: float

    @property
    def full(self) -> bool:
        return self.limit is not None and self.used >= self.limit


class Companion:
    def __init__(self, service: Service):
        self.service = service
        self._lock = threading.Lock()
        self.allowed: set[str] = set()  # remotes whose next run may delete past sync.max_delete
        self.seen: dict[str, Seen] = {}
        self.retrying: dict[str, tuple[float, str]] = {}  # remote -> (retry at, why): backing off
        self.running: dict[str, RunHooks] = {}  # remotes syncing now
        self.usage: dict[str, Usage] = {}
        self.next_purge = 0.0
        self.next_token_check = 0.0
        self.web: WebServer | None = None
        self.metrics = Metrics(lambda: Path(self.config.state_dir), self.settling_count)
        self.alerter = Alerter(service.config.notify.urls, Path(service.config.state_dir))

    @property
    def config(self) -> Config:
        return self.service.config

    # -- hooks the service calls -------------------------------------------------------------
    def started(self) -> None:
        web = self.config.daemon.web
        if web.enabled:
            from photosync.web.server import (
                WebServer,  # Flask only when the dashboard is on
            )

            try:
                self.web = WebServer(self)
                self.web.start()
                log.info("dashboard on %s (`photosync web url` prints a login link)", self.web.url)
            except OSError as exc:
                self.web = None
                log.error(
                    "dashboard: cannot listen on %s: %s; syncing goes on without it",
                    web.listen,
                    exc.strerror or exc,
                )
        self.tick()

    def stopping(self) -> None:
        if self.web is not None:
            self.web.stop()
        self.alerter.close()

    def tick(self) -> None:
        """Each turn of the daemon's loop: the daily trash purge, the library root check."""
        try:
            now = time.time()
            if now >= self.next_purge:
                self.next_purge = now + PURGE_EVERY
                days = self.config.sync.trash_days
                gone = trash.purge_expired(Path(self.config.library.root), days)
                if gone:
                    log.info("trash: purged run folders older than %d days: %s", days, gone)
            self._check_root()
            if now >= self.next_token_check:
                self.next_token_check = now + 600
                self._check_testing_token(now)
        except StateDamaged:
            pass  # the daemon's own open of the database stops it, with the one message
        except Exception as exc:  # noqa: BLE001 - never stops the daemon
            log.warning("daemon housekeeping failed: %s", exc)

    def prepare(self, config: Config, name: str, factory: RemoteFactory | None) -> RunHooks:
        """Before a remote's sync (on its thread): allowances and API-call counting."""
        with self._lock:
            allowed = name in self.allowed
            self.allowed.discard(name)
        if allowed:
            log.warning(
                "%s: the user allowed the held deletions for this run", registry.label(name)
            )

        def on_retry(method: str, exc: BaseException, delay: float) -> None:
            with self._lock:
                self.retrying[name] = (time.time() + delay, str(exc))

        hooks = RunHooks(
            config,
            factory or (lambda n, cfg: registry.build(n, cfg)),
            on_retry,
            force_deletes=allowed,
        )
        build = hooks.factory

        def counting(n: str, cfg: Config) -> Any:
            backend = build(n, cfg)
            hooks.backends.append(backend)
            return backend

        hooks.factory = counting
        with self._lock:
            self.running[name] = hooks
        return hooks

    def observe(self, name: str, report: RemoteReport, hooks: RunHooks) -> None:
        """After a remote's sync (on its thread): metrics, what the dashboard shows, alerts."""
        try:
            self._observe(name, report, hooks)
        except Exception as exc:  # noqa: BLE001 - an alert or a metric never stops a run
            log.warning("%s: after-sync bookkeeping failed: %s", registry.label(name), exc)

    # -- the dashboard's requests -------------------------------------------------------------
    def allow_deletions(self, name: str) -> None:
        with self._lock:
            self.allowed.add(name)
        self.service.request("now")

    def sync_now(self) -> None:
        self.service.request("now")

    def settling(self) -> list[str]:
        try:
            paths = list(self.service.settler.pending) + list(self.service.settler.ready)
        except RuntimeError:  # changed while copied (another thread): the next page shows it
            return []
        root = self.service.root
        return sorted(os.path.relpath(p, root) for p in paths)

    def settling_count(self) -> int:
        return len(self.settling())

    def backing_off(self, name: str, now: float | None = None) -> str | None:
        """While a remote's sync waits to retry a failed request: why (None otherwise)."""
        now = time.time() if now is None else now
        with self._lock:
            until, why = self.retrying.get(name, (0.0, ""))
        return why if until > now - 1.0 else None

    def progress(self, name: str) -> tuple[int, int] | None:
        """(done, planned) actions of a remote's sync in progress; None when it is not syncing."""
        with self._lock:
            hooks = self.running.get(name)
        return (hooks.done, hooks.total) if hooks is not None else None

    def web_url(self) -> str | None:
        return self.web.url if self.web is not None else None

    # -- internals ----------------------------------------------------------------------------
    def _observe(self, name: str, report: RemoteReport, hooks: RunHooks) -> None:
        label = registry.label(name)
        seconds = time.monotonic() - hooks.started
        calls, waits = _api_counts(hooks)
        failed = [o for o in report.outcomes if o.error]
        plan = report.plan
        held = [m for m in (plan.messages if plan else []) if "max_delete" in m]
        aborted = plan.aborted if plan else None
        ok = report.error is None and not failed and not held and not aborted
        self.metrics.observe(name, report.outcomes, ok, seconds, time.time(), calls, waits)
        if report.error is None:
            self._read_usage(name, hooks)
        with self._lock:
            self.retrying.pop(name, None)
            self.running.pop(name, None)
            self.seen[name] = Seen(
                held, aborted, report.uploads_refused, report.error if report.auth_needed else None
            )
        self._alerts(name, label, report, held + ([aborted] if aborted else []))

    def _read_usage(self, name: str, hooks: RunHooks) -> None:
        last = self.usage.get(name)
        if last is not None and time.time() - last.at < USAGE_EVERY:
            return
        for backend in hooks.backends:
            read = getattr(backend, "account_usage", None)
            if read is not None:
                used, limit = read()
                with self._lock:
                    self.usage[name] = Usage(used, limit, time.time())
                self.metrics.usage(name, used, limit)

    def _alerts(self, name: str, label: str, report: RemoteReport, held: list[str]) -> None:
        self._toggle(
            f"auth:{name}",
            report.auth_needed,
            f"photosync: {label} needs authorization",
            f"{report.error}. Reconnect it on the dashboard or run `photosync auth "
            f"{name}`; the other remotes go on syncing.",
        )
        usage = self.usage.get(name)
        over = usage is not None and usage.full
        # a daily upload limit lifts by itself (the daemon waits for it): nothing to fix, no alert
        full = report.refused is not None and not report.refused.daily
        self._toggle(
            f"full:{name}",
            full or over,
            f"photosync: {label} is full",
            f"{report.uploads_refused or 'its storage is used up'}: no more uploads to it until "
            f"there is room.",
        )
        self._toggle(
            f"held:{name}",
            bool(held),
            f"photosync: deletions held back on {label}",
            "\n".join(held) + "\nSee the dashboard's Problems page.",
        )
        conn = open_db(self.config.state_dir)
        try:
            parked = [f for f in failures.listing(conn) if f["parked"] and f["remote"] == name]
            streak = history.failing_streak(conn, name)
        finally:
            conn.close()
        self._toggle(
            f"parked:{name}",
            bool(parked),
            f"photosync: {len(parked)} item(s) parked on {label}",
            "\n".join(f"{f['path'] or f['remote_id']}: {f['error']}" for f in parked[:10]),
        )
        limit = self.config.notify.failed_runs
        self._toggle(
            f"failing:{name}",
            streak >= limit,
            f"photosync: {label} sync failed {limit} times in a row",
            f"The last: {report.error or 'see the dashboard Activity page'}",
        )

    def _toggle(self, key: str, on: bool, title: str, body: str) -> None:
        self.alerter.urls = list(self.config.notify.urls)  # a reload may have changed them
        if on:
            self.alerter.alert(key, title, body)
        else:
            self.alerter.clear(key)

    def _check_root(self) -> None:
        root = Path(self.config.library.root)
        missing = not root.is_dir()
        if not missing:
            with os.scandir(root) as entries:
                missing = next(entries, None) is None and self._indexed_any()
        self._toggle(
            "root",
            missing,
            "photosync: the library folder is missing",
            f"{root} is missing or empty (is the share mounted?). Nothing is synced or "
            f"deleted until it is back.",
        )

    def _check_testing_token(self, now: float) -> None:
        """drive.app_in_testing: warn a day before the Drive token's 7 days are over."""
        drive = self.config.drive
        if not (drive.enabled and drive.app_in_testing):
            return
        try:
            token = TokenStore(self.config.state_dir).load("drive") or {}
        except PhotosyncError:
            return  # the sync reports a damaged token file itself
        authorized = token.get("authorized_at")
        if not isinstance(authorized, (int, float)):
            return
        dies = authorized + TESTING_TOKEN_DAYS * 86400
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(dies))
        self._toggle(
            "expiring:drive",
            now >= dies - WARN_BEFORE,
            "photosync: Google Drive authorization expires within a day",
            f'The OAuth app is in "Testing" status (drive.app_in_testing): Google '
            f"ends its authorization on {when}, 7 days after it was given. Reconnect "
            f"Google Drive on the dashboard's Authorization page or run `photosync auth "
            f'drive`; publishing the app ("In production") ends this.',
        )

    def _indexed_any(self) -> bool:
        conn = open_db(self.config.state_dir)
        try:
            return dashboard.indexed_any(conn)
        finally:
            conn.close()


def _api_counts(hooks: RunHooks) -> tuple[int, int]:
    """(API calls, rate-limit waits) of the backends a sync built, from their limiters."""
    limiters = [lim for lim in (getattr(b, "limiter", None) for b in hooks.backends) if lim]
    return (sum(getattr(lim, "acquired", 0) for lim in limiters),
            sum(getattr(lim, "waits", 0) for lim in limiters))

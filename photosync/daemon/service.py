"""``photosync watch``: scan, sync, then keep the library and the remotes in step until stopped.

Threads, each with one job, so nothing waits for what it does not need:
- the main thread (this loop): signals, watcher events into the :class:`Settler`, deciding what
  runs next, the status file and sd_notify. It never does I/O that can hang.
- one scan thread: an incremental scan per settled batch (files still being written are held);
- one thread per remote: ``sync_locked`` for that remote alone, with the index kept current by
  the scan thread, so a remote that is down or slow never delays the other or the watching.
Remote syncs start only while no scan runs (they see a complete index); scans may run while
remotes sync (they write only the ``files`` table).

Signals: SIGTERM/SIGINT stop (transfers in flight get a few seconds to finish, then are abandoned;
every finished action is already recorded, and the next start resumes the rest); SIGHUP reloads the
config (an invalid one is reported and the running config kept); SIGUSR1 syncs everything now,
including remotes in backoff and parked items.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import signal
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from photosync import config as config_mod
from photosync.config import Config
from photosync.daemon import failures
from photosync.daemon.notify import Notifier
from photosync.daemon.schedule import RemoteSchedule, Result, Timing
from photosync.daemon.settle import Settler
from photosync.daemon.status import running_daemon, write_status
from photosync.daemon.watcher import Watcher, WatchLimitReached
from photosync.errors import ConfigError, LockedError, PhotosyncError, StateDamaged
from photosync.library.rules import compile_rules
from photosync.library.scan import ScanResult, scan
from photosync.library.walk import FileEntry
from photosync.remotes import registry
from photosync.remotes.files import remove_partials
from photosync.state.db import damaged, is_damaged, open_db
from photosync.state.lock import StateLock
from photosync.sync.execute import Outcome
from photosync.sync.report import counts_in_words, done_line
from photosync.sync.run import RemoteFactory, SyncOptions, sync_locked

log = logging.getLogger("photosync.daemon")
MAX_SLEEP = 30.0  # the loop wakes at least this often (keep-alives)
AUTH_CHECK = 5.0  # while a remote waits for authorization: how often its token file is checked


def _glibc() -> ctypes.CDLL | None:
    """glibc, for malloc_trim (None on other C libraries, e.g. musl). Loaded by its soname: no
    ``ctypes.util.find_library``, which runs ldconfig in a subprocess."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _glibc()


class Cancelled(Exception):
    """Raised inside a scan or a sync when the daemon is stopping."""


@dataclass
class ScanJob:
    batch: list[str]
    unsettled: frozenset[str]
    future: Future


def release_memory() -> None:
    """Give the heap a burst of work left behind back to the system: a first sync of a large
    library (listings, plans, reports) would otherwise keep the daemon's RSS at its peak for
    good, glibc's malloc keeping freed pages. Costs a few milliseconds, once per idle turn."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


class Service:
    """``Service(config).run()`` until :meth:`request_stop` (or SIGTERM/SIGINT)."""

    def __init__(self, config: Config, *, factory: RemoteFactory | None = None,
                 notifier: Notifier | None = None, load_config: Callable[[], Config] | None = None,
                 stop_timeout: float = 8.0):
        self.config = config
        self.factory = factory
        self.notifier = notifier or Notifier()
        self.load_config = load_config or (lambda: config_mod.load(self.config.source))
        self.stop_timeout = stop_timeout
        self.root = os.path.abspath(config.library.root)
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.requests: set[str] = set()  # "reload", "now": set by signal handlers
        self.asked: set[str] = set()  # remotes asked to sync now (SIGUSR1) and not synced since
        self._inbox: list[tuple[str, bool | None, bool]] = []
        self._inbox_lock = threading.Lock()
        self.settler = Settler(config.daemon.settle_seconds, config.daemon.max_batch_delay_seconds)
        self.schedules: dict[str, RemoteSchedule] = {}
        self.remote_jobs: dict[str, Future] = {}
        self.pools: dict[str, ThreadPoolExecutor] = {}
        self.scan_pool = ThreadPoolExecutor(1, thread_name_prefix="photosync-scan")
        self.scan_job: ScanJob | None = None
        self.scan_wanted = True  # a full sync at start
        self.watcher: Watcher | None = None
        self.mode = "starting"
        self.next_rescan: float | None = None
        self.started = time.time()
        self.batches = 0
        self.last_batch: dict | None = None
        self.last_scan: dict | None = None
        self.local_complete = False  # the last scan read everything (else: no deletions planned)
        self.config_error: str | None = None
        self.warning: str | None = None
        self.parked = 0
        self.abandoned = False  # threads were still busy when we stopped
        self._ready_sent = False
        self._last_keepalive = 0.0
        self._last_doc: dict | None = None
        self._token_changes: dict[str, float | None] = {}
        self._lock = StateLock(config.state_dir)
        self._sync_schedules()

    # -- lifecycle ----------------------------------------------------------------------------
    def run(self, install_signals: bool = True) -> int:
        self._acquire()
        try:
            if install_signals and threading.current_thread() is threading.main_thread():
                self._install_signals()
            self._start()
            while not self.stopping.is_set():
                self.step()
                self._sleep()
        finally:
            self._shutdown()
        return 0

    def request_stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def request(self, what: str) -> None:
        self.requests.add(what)
        self.wake.set()

    def _acquire(self) -> None:
        try:
            self._lock.acquire()
        except LockedError:
            pid = running_daemon(self.config.state_dir)
            if pid:
                raise LockedError(f"photosync watch is already running for {self.config.state_dir} "
                                  f"(pid {pid}); `photosync status` shows what it is doing") from None
            raise

    def _install_signals(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self.request_stop())
        signal.signal(signal.SIGINT, lambda *_: self.request_stop())
        signal.signal(signal.SIGHUP, lambda *_: self.request("reload"))
        signal.signal(signal.SIGUSR1, lambda *_: self.request("now"))

    def _start(self) -> None:
        removed = remove_partials(Path(self.root))  # we hold the lock: nobody else is writing
        if removed:
            log.info("removed %d partial download(s) an earlier run left behind", removed)
        self._start_watching()
        log.info("watching %s (%s); settle %s s, remotes polled every %s min: %s", self.root,
                 self.mode, self.config.daemon.settle_seconds, self.config.daemon.poll_minutes,
                 ", ".join(s.label for s in self.schedules.values()) or "no remote enabled")
        self._publish()

    def _start_watching(self) -> None:
        fs_type = config_mod.remote_filesystem_type(Path(self.root))
        if fs_type:
            self._fall_back(f"library.root is on a network filesystem ({fs_type}): changes made by "
                            f"other machines raise no inotify events; rescanning every "
                            f"{self.config.daemon.rescan_seconds:g} s instead")
            return
        self.watcher = Watcher(Path(self.root), compile_rules(self.config.library), self._on_change)
        try:
            self.watcher.start()
            self.mode = "inotify"
        except WatchLimitReached as exc:
            self.watcher = None
            self._fall_back(str(exc))

    def _fall_back(self, message: str) -> None:
        if self.warning != message:
            log.warning("%s", message)
        self.warning, self.mode = message, "polling"
        self.next_rescan = time.monotonic() + self.config.daemon.rescan_seconds

    def _shutdown(self) -> None:
        self.stopping.set()
        self.notifier.stopping()
        log.info("stopping")
        if self.watcher is not None:
            self.watcher.stop()
        jobs = list(self.remote_jobs.values()) + ([self.scan_job.future] if self.scan_job else [])
        _done, busy = wait_futures(jobs, timeout=self.stop_timeout)
        for pool in [self.scan_pool, *self.pools.values()]:
            pool.shutdown(wait=False, cancel_futures=True)
        if busy:
            self.abandoned = True
            log.warning("%d transfer thread(s) still busy after %g s: abandoned; finished actions "
                        "are recorded and the next start resumes the rest", len(busy), self.stop_timeout)
        self._publish(state="stopped")
        self._lock.release()
        self.notifier.close()

    # -- one turn of the loop -----------------------------------------------------------------
    def step(self) -> None:
        self._handle_requests()
        self._drain_inbox()
        self.settler.tick()
        self._collect()
        self._check_reauthorized()
        self._start_work()
        self._publish()

    def _sleep(self) -> None:
        now = time.monotonic()
        times = [now + MAX_SLEEP]
        deadline = self.settler.next_deadline()
        if deadline is not None:
            times.append(deadline)
        if self.next_rescan is not None:
            times.append(self.next_rescan)
        wall = time.time()
        for sched in self.schedules.values():
            wakeup = sched.next_wakeup()
            if wakeup is not None:
                times.append(now + wakeup - wall)
        if self.notifier.watchdog_seconds:
            times.append(self._last_keepalive + self.notifier.watchdog_seconds / 2)
        if any(s.last_result == "auth" and s.retry_at is not None for s in self.schedules.values()):
            times.append(now + AUTH_CHECK)  # notice a new token soon after `photosync auth`
        timeout = max(0.0, min(times) - now)
        if self.wake.wait(timeout):
            self.wake.clear()
            time.sleep(0.05)  # let an event storm gather: one turn handles many events
        if self.notifier.watchdog_seconds and time.monotonic() - self._last_keepalive >= \
                self.notifier.watchdog_seconds / 2:
            self.notifier.keepalive()
            self._last_keepalive = time.monotonic()

    def _on_change(self, rel: str, writing: bool | None, is_dir: bool) -> None:
        """Called on the watcher's thread: queue it, wake the loop."""
        with self._inbox_lock:
            self._inbox.append((rel, writing, is_dir))
        self.wake.set()

    def _drain_inbox(self) -> None:
        with self._inbox_lock:
            events, self._inbox = self._inbox, []
        folders = False
        for rel, writing, is_dir in events:
            self.settler.touch(os.path.join(self.root, rel), writing)
            folders = folders or is_dir
        if folders and self.watcher is not None:
            try:
                self.watcher.check_coverage()
            except WatchLimitReached as exc:
                self.watcher = None
                self._fall_back(str(exc))
                self.scan_wanted = True

    def _handle_requests(self) -> None:
        requests, self.requests = self.requests, set()
        if "reload" in requests:
            self._reload()
        if "now" in requests:
            log.info("asked to sync now: every remote, parked items included")
            conn = open_db(self.config.state_dir)
            try:
                failures.unpark_all(conn)
            finally:
                conn.close()
            for sched in self.schedules.values():
                sched.force()
            self.asked = set(self.schedules)
            self.scan_wanted = True

    # -- starting scans and syncs ------------------------------------------------------------
    def _start_work(self) -> None:
        if self.stopping.is_set():
            return
        if self.scan_job is None:
            batch: list[str] = []
            if self.settler.batch_due():
                batch = self.settler.take_batch()
            polling_due = self.next_rescan is not None and time.monotonic() >= self.next_rescan
            if batch or self.scan_wanted or polling_due:
                self._start_scan(batch)
                return
        if self.scan_job is not None:
            return  # remotes sync against a complete index
        for name, sched in self.schedules.items():
            reason = sched.reason_to_start()
            if reason and name not in self.remote_jobs:
                log.debug("%s: syncing (%s)", sched.label, reason)
                sched.started()
                self.remote_jobs[name] = self._submit(self.pools[name], self._sync_remote,
                                                      self.config, name)

    def _start_scan(self, batch: list[str]) -> None:
        self.scan_wanted = False
        if self.mode == "polling":
            self.next_rescan = time.monotonic() + self.config.daemon.rescan_seconds
        if batch:
            self.batches += 1
            self.last_batch = {"files": len(batch), "at": time.time()}
            log.info("batch %d: %d settled change(s)", self.batches, len(batch))
        unsettled = frozenset(self.settler.pending)
        future = self._submit(self.scan_pool, self._scan, self.config, unsettled)
        self.scan_job = ScanJob(batch, unsettled, future)
        if not self._ready_sent:
            self._ready_sent = True
            self.notifier.ready("first sync started")

    def _submit(self, pool: ThreadPoolExecutor, fn: Callable, *args: object) -> Future:
        future = pool.submit(fn, *args)
        future.add_done_callback(lambda _f: self.wake.set())
        return future

    # -- what the threads do ------------------------------------------------------------------
    def _scan(self, config: Config, unsettled: frozenset[str]) -> ScanResult:
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
            if self.stopping.is_set():
                raise Cancelled()

        conn = open_db(config.state_dir)
        try:
            return scan(conn, config.library, progress=progress, hold=hold)
        finally:
            conn.close()

    def _sync_remote(self, config: Config, name: str) -> tuple[Result, str | None, float | None, dict]:
        label = registry.label(name)

        def progress(_label: str, _total: int) -> Callable[[Outcome], None]:
            def each(outcome: Outcome) -> None:
                if outcome.error is None:  # a failure is already a warning, from the executor
                    log.info("%s", done_line(label, outcome))  # "Flickr: uploaded 2024/a.jpg"
                if self.stopping.is_set():
                    raise Cancelled()
            return each

        options = SyncOptions(remotes=[name], local_scan=False, local_complete=self.local_complete,
                              plan_filter=failures.filter_plan)
        report = sync_locked(config, options, factory=self.factory, progress=progress).remotes[0]
        conn = open_db(config.state_dir)
        try:
            usable = report.error is None
            outcomes = report.outcomes if usable else [o for o in report.outcomes if o.error is None]
            # a full remote is no fault of the files: they are tried again at the next sync, not parked
            refused = report.uploads_refused
            outcomes = [o for o in outcomes if refused is None or o.error != refused]
            failures.record(conn, name, outcomes, max_attempts=config.daemon.max_attempts,
                            first_delay=config.daemon.retry_seconds)
            retry_at = failures.pending_retry(conn, name)
            self.parked = sum(1 for f in failures.listing(conn) if f["parked"])
        finally:
            conn.close()
        counts: dict[str, int] = {}
        for action in report.plan.actions if report.plan else []:
            counts[action.kind] = counts.get(action.kind, 0) + 1
        if report.error:
            return ("auth" if report.auth_needed else "unavailable"), report.error, None, counts
        failed = [o for o in report.outcomes if o.error]
        held = report.plan.aborted if report.plan and report.plan.aborted else None
        if failed or held:
            error = held or f"{len(failed)} item(s) failed, e.g. {failed[0].action.path or failed[0].action.remote_id}: {failed[0].error}"
            return "items_failed", error, retry_at, counts
        return "ok", None, retry_at, counts

    # -- results ------------------------------------------------------------------------------
    def _collect(self) -> None:
        finished = False
        job = self.scan_job
        if job is not None and job.future.done():
            self.scan_job = None
            self._scan_finished(job)
            finished = True
        for name, future in list(self.remote_jobs.items()):
            if future.done():
                del self.remote_jobs[name]
                self._sync_finished(name, future)
                finished = True
        if finished and self.scan_job is None and not self.remote_jobs:
            release_memory()

    def _scan_finished(self, job: ScanJob) -> None:
        try:
            result = job.future.result()
        except Cancelled:
            return
        except Exception as exc:  # noqa: BLE001 - e.g. the share is unmounted: report, retry later
            self._stop_if_damaged(exc)
            log.error("scan failed: %s", exc if isinstance(exc, PhotosyncError) else repr(exc))
            self.last_scan = {"at": time.time(), "error": str(exc)}
            self._retry_scan_later()
            return
        self.last_scan = {"at": time.time(), "summary": result.summary(), "held": len(result.held)}
        self.local_complete = not result.failed
        for rel in result.held:  # still being written: watch them settle
            self.settler.touch(os.path.join(self.root, rel))
        if result.new or result.changed or result.moved or result.gone:
            log.info("scan: %s", result.summary())
            for sched in self.schedules.values():
                sched.changed_locally()

    def _stop_if_damaged(self, exc: Exception) -> None:
        """A damaged state database fails every scan and sync alike: stop (exit 2, one line
        naming the recovery) instead of retrying forever."""
        if isinstance(exc, StateDamaged):
            raise exc
        if is_damaged(exc):
            raise damaged(self.config.state_dir, exc) from None

    def _retry_scan_later(self) -> None:
        self.next_rescan = time.monotonic() + self.config.daemon.rescan_seconds

    def _sync_finished(self, name: str, future: Future) -> None:
        sched = self.schedules.get(name)
        if sched is None:  # disabled by a reload meanwhile
            return
        try:
            result, error, retry_at, counts = future.result()
        except Cancelled:
            sched.finished("crashed", "stopped")
            return
        except Exception as exc:  # noqa: BLE001 - a bug or a missing backend must not stop the rest
            self._stop_if_damaged(exc)
            message = str(exc) if isinstance(exc, PhotosyncError) else f"{type(exc).__name__}: {exc}"
            log.error("%s: sync failed: %s", sched.label, message, exc_info=not isinstance(exc, PhotosyncError))
            sched.finished("crashed", message)
            return
        sched.finished(result, error, retry_at, counts)
        busy = {k: n for k, n in counts.items() if k != "skip"}
        asked, self.asked = name in self.asked, self.asked - {name}
        if result == "ok":
            # "Flickr: synced: 2 uploaded, 1 created album"; nothing to do is said when asked
            (log.info if busy or asked else log.debug)(
                "%s: %s", sched.label, f"synced: {counts_in_words(busy)}" if busy
                else "nothing to do" + (" (asked to sync now)" if asked else ""))
        elif result == "auth":
            log.error("%s: authorization refused (%s); retrying in %g min or after `photosync auth %s`",
                      sched.label, error, self.config.daemon.auth_retry_minutes, name)
            self._token_changes[name] = self._token_changed(name)
        elif result == "unavailable":
            log.warning("%s: unavailable (%s); retrying in %.0f s", sched.label, error,
                        (sched.retry_at or time.time()) - time.time())
        else:
            log.warning("%s: %s", sched.label, error)

    def _check_reauthorized(self) -> None:
        """A remote refused for authorization retries at once when its token file changes."""
        for name, sched in self.schedules.items():
            if sched.last_result == "auth" and sched.retry_at is not None:
                if self._token_changed(name) != self._token_changes.get(name):
                    log.info("%s: token file changed; retrying now", sched.label)
                    sched.force()

    def _token_changed(self, name: str) -> float | None:
        """When the token file last changed: a new token, or a `chmod 600` of one refused."""
        try:
            return (Path(self.config.state_dir) / "tokens" / f"{name}.json").stat().st_ctime
        except OSError:
            return None

    # -- config reload ------------------------------------------------------------------------
    def _reload(self) -> None:
        self.notifier.reloading()
        try:
            new = self.load_config()
        except PhotosyncError as exc:
            problems = exc.problems if isinstance(exc, ConfigError) else [str(exc)]
            self.config_error = "config reload failed, still running with the previous config: " + \
                "; ".join(problems)
            log.error("%s", self.config_error)
            self.notifier.reloaded()
            return
        if Path(new.state_dir) != Path(self.config.state_dir):
            log.warning("state_dir changed in the config: that needs a restart; keeping %s",
                        self.config.state_dir)
            new.state_dir = self.config.state_dir
        old_root = self.root
        self.config, self.config_error = new, None
        self.root = os.path.abspath(new.library.root)
        self.settler.settle = new.daemon.settle_seconds
        self.settler.max_delay = new.daemon.max_batch_delay_seconds
        if self.root != old_root or self.watcher is None:
            if self.watcher is not None:
                self.watcher.stop()
                self.watcher = None
            self.next_rescan = None
            self._start_watching()
        else:
            self.watcher.set_rules(compile_rules(new.library))
        self._sync_schedules()
        for sched in self.schedules.values():
            sched.changed_locally()
        self.scan_wanted = True
        log.info("config reloaded from %s", new.source)
        self.notifier.reloaded()

    def _sync_schedules(self) -> None:
        """One schedule (and thread) per enabled remote; timings from the current config."""
        d = self.config.daemon
        timing = Timing(poll=d.poll_minutes * 60, first_backoff=min(30.0, d.poll_minutes * 60),
                        max_backoff=d.max_backoff_minutes * 60, auth_retry=d.auth_retry_minutes * 60)
        enabled = registry.enabled(self.config)
        for name in list(self.schedules):
            if name not in enabled:
                del self.schedules[name]
        for name in enabled:
            if name in self.schedules:
                self.schedules[name].timing = timing
            else:
                self.schedules[name] = RemoteSchedule(name, registry.label(name), timing, time.time)
                self.pools.setdefault(name, ThreadPoolExecutor(1, thread_name_prefix=f"photosync-{name}"))

    # -- status -------------------------------------------------------------------------------
    def _publish(self, state: str | None = None) -> None:
        state = state or ("stopping" if self.stopping.is_set() else "running")
        pending = len(self.settler.pending) + len(self.settler.ready)
        remotes = {}
        for name, s in self.schedules.items():
            nxt = s.next_wakeup()
            remotes[name] = {"label": s.label, "state": s.state, "last_started": s.last_started,
                             "last_finished": s.last_finished, "last_result": s.last_result,
                             "last_error": s.last_error, "last_summary": s.last_summary,
                             "next_sync": None if s.running or s.dirty else nxt}
        doc = {"pid": os.getpid(), "started": self.started, "state": state, "mode": self.mode,
               "root": self.root, "pending": pending, "scanning": self.scan_job is not None,
               "batches": self.batches, "last_batch": self.last_batch, "last_scan": self.last_scan,
               "config_error": self.config_error, "warning": self.warning, "parked": self.parked,
               "remotes": remotes}
        if state == "stopped":
            doc["stopped"] = time.time()
        if doc != self._last_doc:
            self._last_doc = doc
            write_status(self.config.state_dir, doc)
        self.notifier.status(self._one_line(doc))

    def _one_line(self, doc: dict) -> str:
        parts = []
        if doc["scanning"]:
            parts.append("scanning")
        if doc["pending"]:
            parts.append(f"{doc['pending']} file(s) settling")
        for r in doc["remotes"].values():
            text = r["state"]
            if r["state"] == "idle" and r["last_result"]:
                text = {"ok": "ok", "items_failed": "some items failed"}.get(r["last_result"], r["last_result"])
            parts.append(f"{r['label']}: {text}")
        if doc["parked"]:
            parts.append(f"{doc['parked']} parked")
        if self.mode == "polling":
            parts.append("polling (no inotify)")
        if doc["config_error"]:
            parts.append("config reload failed")
        return "; ".join(parts) or "idle"

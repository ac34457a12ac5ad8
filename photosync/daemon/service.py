"""``photosync watch``: scan, sync, then keep the library and the remotes in step until stopped.

Threads, each with one job, so nothing waits for what it does not need:
- the main thread (this loop): signals, watcher events into the :class:`Settler`, deciding what
  runs next, the status file and sd_notify. It never does I/O that can hang.
- one scan thread: an incremental scan per settled batch (files still being written are held);
- one thread per remote (:mod:`workers`): ``sync_locked`` for that remote alone (:mod:`jobs`),
  with the index kept current by the scan thread, so a remote that is down or slow never delays
  the other or the watching. The status document is :mod:`document`.
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
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from pathlib import Path
from typing import Any

from photosync import config as config_mod
from photosync.config import Config
from photosync.daemon import failures
from photosync.daemon.companion import Companion
from photosync.daemon.document import DaemonStatus, write_status
from photosync.daemon.jobs import SyncResult, sync_remote
from photosync.daemon.notify import Notifier
from photosync.daemon.scans import LocalScans
from photosync.daemon.settle import Settler
from photosync.daemon.status import running_daemon
from photosync.daemon.watcher import Watcher, WatchLimitReached
from photosync.daemon.workers import RemoteWorkers
from photosync.errors import ConfigError, LockedError, PhotosyncError
from photosync.library.rules import compile_rules
from photosync.library.scan import ScanResult
from photosync.remotes.files import remove_partials
from photosync.state.db import open_db
from photosync.state.lock import StateLock
from photosync.sync.run import RemoteFactory

log = logging.getLogger("photosync.daemon")
MAX_SLEEP = 30.0  # the loop wakes at least this often (keep-alives)


def _glibc() -> ctypes.CDLL | None:
    """glibc, for malloc_trim (None on other C libraries, e.g. musl). Loaded by its soname: no
    ``ctypes.util.find_library``, which runs ldconfig in a subprocess."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _glibc()


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
        self.upload_waits = failures.UploadWaits()  # remotes at a daily upload limit
        self.notifier = notifier or Notifier()
        self.load_config = load_config or (lambda: config_mod.load(self.config.source))
        self.stop_timeout = stop_timeout
        self.root = os.path.abspath(config.library.root)
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.requests: set[str] = set()  # "reload", "now": set by signal handlers
        self._inbox: list[tuple[str, bool | None, bool]] = []
        self._inbox_lock = threading.Lock()
        self.settler = Settler(config.daemon.settle_seconds, config.daemon.max_batch_delay_seconds)
        self.remotes = RemoteWorkers(config)
        self.scans = LocalScans(self.stopping, lambda _f: self.wake.set())
        self.watcher: Watcher | None = None
        self.mode = "starting"
        self.started = time.time()
        self.config_error: str | None = None
        self.warning: str | None = None
        self.abandoned = False  # threads were still busy when we stopped
        self._ready_sent = False
        self._last_keepalive = 0.0
        self._last_doc: DaemonStatus | None = None
        self._lock = StateLock(config.state_dir)
        self.companion = Companion(self)  # issue 21: dashboard, metrics, alerts, trash retention

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
                raise LockedError(f"photosync watch is already running for "
                                  f"{self.config.state_dir} (pid {pid}); `photosync status` "
                                  f"shows what it is doing") from None
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
                 self.remotes.labels)
        self.companion.started()  # issue 21
        self._publish()

    def _start_watching(self) -> None:
        fs_type = config_mod.remote_filesystem_type(Path(self.root))
        if fs_type:
            self._fall_back(f"library.root is on a network filesystem ({fs_type}): changes made "
                            f"by other machines raise no inotify events; rescanning every "
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
        self.scans.rescan_in(self.config.daemon.rescan_seconds)

    def _shutdown(self) -> None:
        self.stopping.set()
        self.notifier.stopping()
        log.info("stopping")
        if self.watcher is not None:
            self.watcher.stop()
        jobs: list[Future[Any]] = list(self.remotes.jobs.values())
        if self.scans.job:
            jobs.append(self.scans.job)
        _done, busy = wait_futures(jobs, timeout=self.stop_timeout)
        self.scans.shutdown()
        self.remotes.shutdown()
        if busy:
            self.abandoned = True
            log.warning("%d transfer thread(s) still busy after %g s: abandoned; finished "
                        "actions are recorded and the next start resumes the rest", len(busy),
                        self.stop_timeout)
        self._publish(state="stopped")
        self._lock.release()
        self.notifier.close()

    # -- one turn of the loop -----------------------------------------------------------------
    def step(self) -> None:
        self._handle_requests()
        self._drain_inbox()
        self.settler.tick()
        self._collect()
        self.remotes.check_reauthorized()
        self._start_work()
        self.companion.tick()  # issue 21
        self._publish()

    def _sleep(self) -> None:
        now = time.monotonic()
        times = [now + MAX_SLEEP, *self.remotes.wakeups(now)]
        deadline = self.settler.next_deadline()
        if deadline is not None:
            times.append(deadline)
        if self.scans.next_rescan is not None:
            times.append(self.scans.next_rescan)
        watchdog = self.notifier.watchdog_seconds
        if watchdog:
            times.append(self._last_keepalive + watchdog / 2)
        if self.wake.wait(max(0.0, min(times) - now)):
            self.wake.clear()
            time.sleep(0.05)  # let an event storm gather: one turn handles many events
        if watchdog and time.monotonic() - self._last_keepalive >= watchdog / 2:
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
                self.scans.wanted = True

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
            self.remotes.force_all()
            self.scans.wanted = True
        if "sync" in requests:  # issue 21: the dashboard retried an item; parked ones stay parked
            self.remotes.force_all(asked=False)

    # -- starting scans and syncs ------------------------------------------------------------
    def _start_work(self) -> None:
        if self.stopping.is_set():
            return
        if self.scans.job is None:
            batch = self.settler.take_batch() if self.settler.batch_due() else []
            if batch or self.scans.due():
                self.scans.start(self.config, batch, frozenset(self.settler.pending),
                                 polling=self.mode == "polling")
                if not self._ready_sent:
                    self._ready_sent = True
                    self.notifier.ready("first sync started")
        if self.scans.job is None:  # remotes sync against a complete index
            self.remotes.start_due(self._submit_sync)

    def _submit_sync(self, pool: ThreadPoolExecutor, name: str) -> Future[SyncResult]:
        config = self.config  # local_complete is read when the job starts: after a scan
        future = pool.submit(lambda: sync_remote(
            config, name, factory=self.factory, local_complete=self.scans.local_complete,
            stopping=self.stopping, companion=self.companion, waits=self.upload_waits))
        future.add_done_callback(lambda _f: self.wake.set())
        return future

    # -- results ------------------------------------------------------------------------------
    def _collect(self) -> None:
        scanned = self.scans.finished()
        if scanned:
            result = self.scans.collect(self.config)
            if result is not None:
                self._scanned(result)
        synced = self.remotes.collect()
        if (scanned or synced) and self.scans.job is None and not self.remotes.jobs:
            release_memory()

    def _scanned(self, result: ScanResult) -> None:
        for rel in result.held:  # still being written: watch them settle
            self.settler.touch(os.path.join(self.root, rel))
        if result.new or result.changed or result.moved or result.gone:
            log.info("scan: %s", result.summary())
            self.remotes.changed_locally()

    # -- config reload ------------------------------------------------------------------------
    def _reload(self) -> None:
        self.notifier.reloading()
        try:
            new = self.load_config()
        except PhotosyncError as exc:
            problems = exc.problems if isinstance(exc, ConfigError) else [str(exc)]
            self.config_error = ("config reload failed, still running with the previous config: "
                                 + "; ".join(problems))
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
        self._rewatch(changed_root=self.root != old_root)
        self.remotes.configure(new)
        self.remotes.changed_locally()
        self.scans.wanted = True
        log.info("config reloaded from %s", new.source)
        self.notifier.reloaded()

    def _rewatch(self, changed_root: bool) -> None:
        """Watch the new root (or try inotify again), or apply the new rules to the watcher."""
        if changed_root or self.watcher is None:
            if self.watcher is not None:
                self.watcher.stop()
                self.watcher = None
            self.scans.next_rescan = None
            self._start_watching()
        else:
            self.watcher.set_rules(compile_rules(self.config.library))

    # -- status -------------------------------------------------------------------------------
    def _publish(self, state: str | None = None) -> None:
        state = state or ("stopping" if self.stopping.is_set() else "running")
        doc = DaemonStatus(
            pid=os.getpid(), started=self.started, state=state, mode=self.mode, root=self.root,
            pending=len(self.settler.pending) + len(self.settler.ready),
            scanning=self.scans.job is not None, batches=self.scans.batches,
            last_batch=self.scans.last_batch, last_scan=self.scans.last_scan,
            config_error=self.config_error, warning=self.warning,
            parked=self.remotes.parked, remotes=self.remotes.status(),
            web=self.companion.web_url(),
            stopped=time.time() if state == "stopped" else None)
        if doc != self._last_doc:
            self._last_doc = doc
            write_status(self.config.state_dir, doc)
        self.notifier.status(doc.one_line())

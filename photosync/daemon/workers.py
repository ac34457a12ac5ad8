"""The daemon's remotes: one schedule and one thread per enabled remote, their sync jobs, and
what the log says when one finishes.

A remote that is down, slow or refused waits on its own schedule while the others carry on.
Owned by the loop's thread (the jobs only run :func:`jobs.sync_remote`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from photosync.config import Config
from photosync.daemon.document import RemoteStatus
from photosync.daemon.jobs import Cancelled, SyncResult, raise_if_damaged
from photosync.daemon.schedule import RemoteSchedule, Timing
from photosync.errors import PhotosyncError
from photosync.remotes import registry
from photosync.sync.report import counts_in_words

log = logging.getLogger("photosync.daemon")
AUTH_CHECK = 5.0  # while a remote waits for authorization: how often its token file is checked

# (remote name) -> the future of its sync job, on that remote's own thread
Submit = Callable[[ThreadPoolExecutor, str], "Future[SyncResult]"]


class RemoteWorkers:
    """Every enabled remote's schedule, thread and running job."""

    def __init__(self, config: Config):
        self.config = config
        self.schedules: dict[str, RemoteSchedule] = {}
        self.jobs: dict[str, Future[SyncResult]] = {}
        self.pools: dict[str, ThreadPoolExecutor] = {}
        self.asked: set[str] = set()  # asked to sync now (SIGUSR1) and not synced since
        self.parked = 0  # items parked, as of the last sync
        self._token_changes: dict[str, float | None] = {}
        self.configure(config)

    def configure(self, config: Config) -> None:
        """One schedule (and thread) per enabled remote; timings from the current config."""
        self.config = config
        d = config.daemon
        timing = Timing(poll=d.poll_minutes * 60, first_backoff=min(30.0, d.poll_minutes * 60),
                        max_backoff=d.max_backoff_minutes * 60,
                        auth_retry=d.auth_retry_minutes * 60)
        enabled = registry.enabled(config)
        for name in list(self.schedules):
            if name not in enabled:
                del self.schedules[name]
        for name in enabled:
            if name in self.schedules:
                self.schedules[name].timing = timing
            else:
                self.schedules[name] = RemoteSchedule(name, registry.label(name), timing, time.time)
                self.pools.setdefault(name, ThreadPoolExecutor(
                    1, thread_name_prefix=f"photosync-{name}"))

    @property
    def labels(self) -> str:
        return ", ".join(s.label for s in self.schedules.values()) or "no remote enabled"

    def start_due(self, submit: Submit) -> None:
        """Start the sync of every remote whose schedule says so and that is not syncing."""
        for name, sched in self.schedules.items():
            reason = sched.reason_to_start()
            if reason and name not in self.jobs:
                log.debug("%s: syncing (%s)", sched.label, reason)
                sched.started()
                self.jobs[name] = submit(self.pools[name], name)

    def collect(self) -> bool:
        """Act on every finished job; True if any finished."""
        finished = False
        for name, future in list(self.jobs.items()):
            if future.done():
                del self.jobs[name]
                self._finished(name, future)
                finished = True
        return finished

    def _finished(self, name: str, future: Future[SyncResult]) -> None:
        sched = self.schedules.get(name)
        if sched is None:  # disabled by a reload meanwhile
            return
        try:
            outcome = future.result()
        except Cancelled:
            sched.finished("crashed", "stopped")
            return
        except Exception as exc:  # noqa: BLE001 - a bug or a missing backend must not stop the rest
            raise_if_damaged(self.config.state_dir, exc)
            ours = isinstance(exc, PhotosyncError)
            message = str(exc) if ours else f"{type(exc).__name__}: {exc}"
            log.error("%s: sync failed: %s", sched.label, message, exc_info=not ours)
            sched.finished("crashed", message)
            return
        self.parked = outcome.parked
        sched.finished(outcome.result, outcome.error, outcome.retry_at, outcome.counts,
                       outcome.account, outcome.account_cap)
        asked, self.asked = name in self.asked, self.asked - {name}
        self._announce(name, sched, outcome, asked)

    def _announce(self, name: str, sched: RemoteSchedule, outcome: SyncResult,
                  asked: bool) -> None:
        """One log line per sync that did something, failed, or was asked for."""
        if outcome.result == "ok":
            # "Flickr: synced: 2 uploaded, 1 created album"; nothing to do is said when asked
            busy = {k: n for k, n in outcome.counts.items() if k != "skip"}
            (log.info if busy or asked else log.debug)(
                "%s: %s", sched.label, f"synced: {counts_in_words(busy)}" if busy
                else "nothing to do" + (" (asked to sync now)" if asked else ""))
        elif outcome.result == "auth":
            log.error("%s: authorization refused (%s); retrying in %g min or after "
                      "`photosync auth %s`", sched.label, outcome.error,
                      self.config.daemon.auth_retry_minutes, name)
            self._token_changes[name] = self._token_changed(name)
        elif outcome.result == "unavailable":
            log.warning("%s: unavailable (%s); retrying in %.0f s", sched.label, outcome.error,
                        (sched.retry_at or time.time()) - time.time())
        else:
            log.warning("%s: %s", sched.label, outcome.error)

    def check_reauthorized(self) -> None:
        """A remote refused for authorization retries at once when its token file changes."""
        for name, sched in self._waiting_for_auth():
            if self._token_changed(name) != self._token_changes.get(name):
                log.info("%s: token file changed; retrying now", sched.label)
                sched.force()

    def _waiting_for_auth(self) -> list[tuple[str, RemoteSchedule]]:
        return [(name, s) for name, s in self.schedules.items()
                if s.last_result == "auth" and s.retry_at is not None]

    def _token_changed(self, name: str) -> float | None:
        """When the token file last changed: a new token, or a `chmod 600` of one refused."""
        try:
            return (Path(self.config.state_dir) / "tokens" / f"{name}.json").stat().st_ctime
        except OSError:
            return None

    def wakeups(self, now: float) -> list[float]:
        """Monotonic times when a schedule may want to start a sync (``now``: monotonic)."""
        wall = time.time()
        times = [now + wakeup - wall for s in self.schedules.values()
                 if (wakeup := s.next_wakeup()) is not None]
        if self._waiting_for_auth():
            times.append(now + AUTH_CHECK)  # notice a new token soon after `photosync auth`
        return times

    def force_all(self, asked: bool = True) -> None:
        """Sync every remote now, in backoff or not (SIGUSR1; ``asked``: the log says when such
        a sync had nothing to do)."""
        for sched in self.schedules.values():
            sched.force()
        if asked:
            self.asked = set(self.schedules)

    def changed_locally(self) -> None:
        for sched in self.schedules.values():
            sched.changed_locally()

    def status(self) -> dict[str, RemoteStatus]:
        return {name: sched.status() for name, sched in self.schedules.items()}

    def shutdown(self) -> None:
        """Drop queued jobs; running ones are left to finish (or be abandoned)."""
        for pool in self.pools.values():
            pool.shutdown(wait=False, cancel_futures=True)

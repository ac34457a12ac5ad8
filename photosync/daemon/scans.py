"""The daemon's scan thread: when the library is scanned (a settled batch, a request, a rescan
while polling), the job in flight, and what the last scan found.

Owned by the loop's thread; the job itself is :func:`jobs.scan_library`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from photosync.config import Config
from photosync.daemon.document import Batch, ScanRecord
from photosync.daemon.jobs import Cancelled, raise_if_damaged, scan_library
from photosync.errors import PhotosyncError
from photosync.library.scan import ScanResult

log = logging.getLogger("photosync.daemon")


class LocalScans:
    """One scan at a time, on its own thread; ``done`` is called when a job finishes."""

    def __init__(self, stopping: threading.Event, done: Callable[[Future[ScanResult]], None]):
        self.stopping, self._done = stopping, done
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="photosync-scan")
        self.job: Future[ScanResult] | None = None  # the scan in flight
        self.wanted = True  # a full sync at start
        self.next_rescan: float | None = None  # monotonic; set while polling or after a failure
        self.batches = 0
        self.last_batch: Batch | None = None
        self.last_scan: ScanRecord | None = None
        self.local_complete = False  # the last scan read everything (else: no deletions planned)

    def due(self) -> bool:
        """Asked for, or the polling rescan's time has come."""
        return self.wanted or (self.next_rescan is not None
                               and time.monotonic() >= self.next_rescan)

    def rescan_in(self, seconds: float) -> None:
        self.next_rescan = time.monotonic() + seconds

    def start(self, config: Config, batch: list[str], unsettled: frozenset[str],
              polling: bool) -> None:
        """Scan now; ``batch``: the settled changes that triggered it (none: a full rescan)."""
        self.wanted = False
        if polling:
            self.rescan_in(config.daemon.rescan_seconds)
        if batch:
            self.batches += 1
            self.last_batch = Batch(files=len(batch), at=time.time())
            log.info("batch %d: %d settled change(s)", self.batches, len(batch))
        self.job = self.pool.submit(scan_library, config, unsettled, self.stopping)
        self.job.add_done_callback(self._done)

    def finished(self) -> bool:
        return self.job is not None and self.job.done()

    def collect(self, config: Config) -> ScanResult | None:
        """The :meth:`finished` job's result (None: it failed or was cancelled)."""
        job, self.job = self.job, None
        if job is None:
            return None
        try:
            result = job.result()
        except Cancelled:
            return None
        except Exception as exc:  # noqa: BLE001 - e.g. the share is unmounted: report, retry later
            raise_if_damaged(config.state_dir, exc)
            log.error("scan failed: %s", exc if isinstance(exc, PhotosyncError) else repr(exc))
            self.last_scan = ScanRecord(at=time.time(), error=str(exc))
            self.rescan_in(config.daemon.rescan_seconds)
            return None
        self.last_scan = ScanRecord(at=time.time(), summary=result.summary(),
                                    held=len(result.held))
        self.local_complete = not result.failed
        return result

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)

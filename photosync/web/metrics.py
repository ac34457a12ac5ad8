"""``/metrics``: the daemon's numbers in the Prometheus text format (prometheus_client).

Counters and the run-duration histogram are fed by the daemon after each remote's sync; the
library's gauges (photos indexed, failed, parked, settling) are read at scrape time from the
state database (indexed counts) and the live daemon. One registry per daemon, not the global one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from photosync.state import dashboard
from photosync.state.db import open_db
from photosync.sync.actions import DELETIONS, TRANSFERS

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Library(Collector):
    """Gauges read when scraped: cheap indexed counts, no state kept in memory."""

    def __init__(self, state_dir: Callable[[], Path], settling: Callable[[], int]):
        self.state_dir = state_dir
        self.settling = settling

    def collect(self) -> Iterator[GaugeMetricFamily]:
        conn = open_db(self.state_dir())
        try:
            files = dashboard.file_counts(conn)
            parked, waiting = dashboard.failure_counts(conn)
        finally:
            conn.close()
        yield GaugeMetricFamily("photosync_photos_indexed", "Local photos in the index",
                                value=files.get("present", 0))
        yield GaugeMetricFamily("photosync_photos_unreadable", "Local files that cannot be read",
                                value=files.get("failed", 0))
        yield GaugeMetricFamily("photosync_photos_pending", "Changed files still settling",
                                value=self.settling())
        yield GaugeMetricFamily("photosync_items_parked", "Items parked after failing repeatedly",
                                value=parked)
        yield GaugeMetricFamily("photosync_items_retrying", "Failed items waiting for a retry",
                                value=waiting)



class Metrics:
    def __init__(self, state_dir: Callable[[], Path], settling: Callable[[], int]):
        self.registry = CollectorRegistry()
        r = self.registry
        self.transfers = Counter("photosync_transfers", "Actions done, per remote and kind",
                                 ["remote", "action"], registry=r)
        self.failures = Counter("photosync_action_failures", "Actions that failed",
                                ["remote", "action"], registry=r)
        self.bytes = Counter("photosync_transferred_bytes", "Bytes uploaded or downloaded",
                             ["remote", "direction"], registry=r)
        self.api_calls = Counter("photosync_api_calls", "Requests made to a remote's API",
                                 ["remote"], registry=r)
        self.rate_waits = Counter("photosync_rate_limit_waits",
                                  "Requests that waited for the rate limit or a Retry-After",
                                  ["remote"], registry=r)
        self.last_success = Gauge("photosync_last_success_timestamp_seconds",
                                  "When a sync of the remote last finished without error",
                                  ["remote"], registry=r)
        self.durations = Histogram("photosync_run_duration_seconds",
                                   "How long a remote's sync took",
                                   ["remote"], registry=r,
                                   buckets=(1, 5, 15, 60, 300, 900, 3600, 4 * 3600, float("inf")))
        self.account_used = Gauge("photosync_account_used_bytes", "Storage the account uses",
                                  ["remote"], registry=r)
        self.account_limit = Gauge("photosync_account_limit_bytes",
                                   "The account's storage limit (absent: unlimited)",
                                   ["remote"], registry=r)
        r.register(_Library(state_dir, settling))

    def observe(self, remote: str, outcomes: list, ok: bool, seconds: float, now: float,
                calls: int = 0, waits: int = 0) -> None:
        """One remote's sync: its outcomes (``photosync.sync.execute.Outcome``), how it ended."""
        for outcome in outcomes:
            kind = outcome.action.kind
            if outcome.error:
                self.failures.labels(remote, kind).inc()
                continue
            self.transfers.labels(remote, kind).inc()
            if kind in TRANSFERS and kind not in DELETIONS:
                direction = "up" if kind in ("upload", "replace_remote") else "down"
                self.bytes.labels(remote, direction).inc(outcome.action.size)
        self.api_calls.labels(remote).inc(calls)
        self.rate_waits.labels(remote).inc(waits)
        self.durations.labels(remote).observe(seconds)
        if ok:
            self.last_success.labels(remote).set(now)

    def usage(self, remote: str, used: int, limit: int | None) -> None:
        self.account_used.labels(remote).set(used)
        if limit is not None:
            self.account_limit.labels(remote).set(limit)

    def render(self) -> bytes:
        return generate_latest(self.registry)

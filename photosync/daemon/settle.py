"""When a changed file is complete, and when a burst of them becomes one batch (pure logic).

A file is *settled* once its size, mtime and ctime were seen unchanged for ``settle_seconds`` by
our own clock, and no writer holds it open (a write without its close-after-write event; NAS
copies over SMB keep the file open between chunks, however slowly they arrive). A missing path is
a state like any other: a deletion settles too. Settled paths wait in ``ready`` until the whole
burst has settled (nothing pending), or until the oldest has waited ``max_delay`` (so an hour-long
copy still syncs as it goes): then they leave as one batch, one reconciliation.

No I/O besides the injected ``stat``, no threads: the service calls it from one thread.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

Signature = tuple[int, int, int] | None  # (size, mtime_ns, ctime_ns); None: the path is missing
StatFn = Callable[[str], os.stat_result]


def stat_signature(path: str, stat: StatFn = os.stat) -> Signature:
    try:
        st = stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass
class _Pending:
    signature: Signature
    changed_at: float  # our clock: the last time the signature (or an event) said "changed"
    writing: bool = False  # written to, not closed yet


class Settler:
    """``touch(path)`` on every event; ``tick()`` when :meth:`next_deadline` comes; then
    ``take_batch()`` when :meth:`batch_due`."""

    def __init__(self, settle_seconds: float, max_delay: float, *,
                 clock: Callable[[], float] = time.monotonic, stat: StatFn = os.stat,
                 open_timeout: float = 600.0):
        self.settle = settle_seconds
        self.max_delay = max_delay
        self.open_timeout = open_timeout  # a writer silent this long is taken for gone
        self.clock = clock
        self.stat = stat
        self.pending: dict[str, _Pending] = {}
        self.ready: dict[str, float] = {}  # path -> when it settled

    def touch(self, path: str, writing: bool | None = None) -> None:
        """Something happened to ``path``: it must settle (again) before it is synced.
        ``writing``: True for a write, False for a close after writing, None otherwise."""
        now = self.clock()
        self.ready.pop(path, None)
        signature = stat_signature(path, self.stat)
        entry = self.pending.get(path)
        if entry is None:
            entry = self.pending[path] = _Pending(signature, now)
        elif writing is not False or signature != entry.signature:  # a bare close changes nothing
            entry.signature, entry.changed_at = signature, now
        if writing is not None:
            entry.writing = writing

    def tick(self) -> None:
        """Re-check the paths whose settle time has come."""
        now = self.clock()
        for path, entry in list(self.pending.items()):
            if now - entry.changed_at < self.settle:
                continue
            signature = stat_signature(path, self.stat)
            if signature != entry.signature:
                entry.signature, entry.changed_at = signature, now  # still growing
            elif entry.writing and now - entry.changed_at < self.open_timeout:
                continue
            else:
                del self.pending[path]
                self.ready[path] = now

    def next_deadline(self) -> float | None:
        """Our clock's time of the next useful :meth:`tick` (or batch), None when idle."""
        times = [e.changed_at + self.settle for e in self.pending.values() if not e.writing]
        times += [e.changed_at + self.open_timeout for e in self.pending.values() if e.writing]
        if self.ready and self.pending:
            times.append(min(self.ready.values()) + self.max_delay)
        elif self.ready:
            times.append(self.clock())
        return min(times) if times else None

    def batch_due(self) -> bool:
        if not self.ready:
            return False
        return not self.pending or self.clock() - min(self.ready.values()) >= self.max_delay

    def take_batch(self) -> list[str]:
        batch = sorted(self.ready)
        self.ready.clear()
        return batch

    def unsettled(self, path: str) -> bool:
        """True while ``path`` is still pending (being written, or not quiet long enough)."""
        return path in self.pending

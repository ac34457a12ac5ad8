"""When each remote syncs next: on local changes, on its poll timer, or after a backoff (pure).

One :class:`RemoteSchedule` per remote, so a remote that is down, rate-limited or no longer
authorized waits on its own while the others (and the local watching) carry on:

- unavailable (outage, rate limit, a crash in its backend): exponential backoff with jitter from
  ``first_backoff`` up to ``max_backoff``, reset by the first success;
- authorization revoked or missing: retried only every ``auth_retry`` seconds (or at once when
  the user re-authorizes or asks with SIGUSR1), never in a loop;
- some items failed: the remote comes back for them at ``item_retry_at`` (see failures.py).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from photosync.daemon.document import RemoteStatus

Result = Literal["ok", "items_failed", "unavailable", "auth", "crashed"]


@dataclass
class Timing:
    poll: float  # seconds between polls of a healthy remote
    first_backoff: float = 30.0
    max_backoff: float = 1800.0
    auth_retry: float = 3600.0


@dataclass
class RemoteSchedule:
    name: str
    label: str
    timing: Timing
    now: Callable[[], float]
    rng: random.Random = field(default_factory=random.Random)
    dirty: bool = True  # local changes it has not synced yet (a fresh start syncs everything)
    running: bool = False
    next_poll: float = 0.0
    retry_at: float | None = None  # set: in backoff (or waiting for authorization) until then
    item_retry_at: float | None = None
    failures_in_a_row: int = 0
    last_started: float | None = None
    last_finished: float | None = None
    last_result: Result | None = None
    last_error: str | None = None
    last_summary: dict[str, int] = field(default_factory=dict)
    account: dict[str, Any] | None = None  # the account as the last sync learnt it (Flickr)
    account_cap: str | None = None  # a cap of the account left photos out at the last sync

    def reason_to_start(self) -> str | None:
        """Why it should sync now ("changes", "poll", "retry"), or None."""
        now = self.now()
        if self.running or (self.retry_at is not None and now < self.retry_at):
            return None
        if self.retry_at is not None:
            return "retry"
        if self.dirty:
            return "changes"
        if now >= self.next_poll:
            return "poll"
        if self.item_retry_at is not None and now >= self.item_retry_at:
            return "retry"
        return None

    def next_wakeup(self) -> float | None:
        """The time :meth:`reason_to_start` may change its answer (None: only on an event)."""
        if self.running:
            return None
        if self.retry_at is not None:
            return self.retry_at
        times = [self.next_poll] + ([self.item_retry_at] if self.item_retry_at is not None else [])
        return min(times)

    def started(self) -> None:
        self.running, self.dirty = True, False
        self.last_started = self.now()

    def finished(self, result: Result, error: str | None = None, item_retry_at: float | None = None,
                 summary: dict[str, int] | None = None, account: dict[str, Any] | None = None,
                 account_cap: str | None = None) -> None:
        now = self.now()
        self.account = account or self.account
        self.account_cap = account_cap
        self.running = False
        self.last_finished, self.last_result, self.last_error = now, result, error
        self.last_summary = summary or {}
        self.item_retry_at = item_retry_at
        if result in ("ok", "items_failed"):
            self.failures_in_a_row, self.retry_at = 0, None
            self.next_poll = now + self.timing.poll
        elif result == "auth":
            self.failures_in_a_row += 1
            self.retry_at = now + self.timing.auth_retry
        else:
            self.failures_in_a_row += 1
            self.retry_at = now + self.backoff(self.failures_in_a_row)

    def backoff(self, attempt: int) -> float:
        base = min(self.timing.max_backoff, self.timing.first_backoff * 2 ** (attempt - 1))
        return base * self.rng.uniform(0.8, 1.2)

    def changed_locally(self) -> None:
        self.dirty = True

    def force(self) -> None:
        """The user asked (SIGUSR1, new authorization): sync now whatever the backoff."""
        self.retry_at, self.dirty = None, True

    @property
    def state(self) -> str:
        if self.running:
            return "syncing"
        if self.retry_at is not None:
            return "waiting for authorization" if self.last_result == "auth" else "backing off"
        return "idle"

    def status(self) -> RemoteStatus:
        """Its part of the status document (no next sync while one runs or changes wait)."""
        return RemoteStatus(label=self.label, state=self.state, last_started=self.last_started,
                            last_finished=self.last_finished, last_result=self.last_result,
                            last_error=self.last_error, last_summary=self.last_summary,
                            account=self.account, account_cap=self.account_cap,
                            next_sync=None if self.running or self.dirty else self.next_wakeup())

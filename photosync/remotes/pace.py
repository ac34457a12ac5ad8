"""Pacing: one token-bucket rate limiter per remote, shared by all its worker threads.

A backend calls :meth:`RateLimiter.acquire` before every HTTP request; the retry wrapper calls
:meth:`RateLimiter.hold` when the remote answers "slow down" (429 with Retry-After), so every
thread backs off together instead of each one discovering the limit on its own (rclone's pacer
does the same). The clock and sleep are injectable so tests run on a fake clock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from photosync.config import Config

Clock = Callable[[], float]
Sleep = Callable[[float], None]


class RateLimiter:
    """At most ``burst + rate * t`` requests in any window of ``t`` seconds; ``rate=None``: no
    limit."""

    def __init__(
        self,
        rate: float | None = None,
        burst: int = 1,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ):
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive or None")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._last = clock()
        self._held_until = 0.0
        self.acquired = 0  # requests let through so far, for tests and stats
        self.waits = 0  # times a request had to wait (the rate limit or the remote's "slow down")

    @classmethod
    def per_hour(cls, calls: int, burst: int = 1, **kwargs) -> RateLimiter:
        """Flickr-style quota: at most ``calls`` in *any* hour (3,600 by default in the config).

        A bucket lets ``burst + rate * t`` through in ``t`` seconds, so the rate is what the burst
        leaves of the hour: ``(calls - burst) / 3600`` (a burst of 300 of 3,600: 0.92/s, not 1/s,
        which would allow 3,900 calls in the first hour of a long sync).
        """
        burst = max(1, min(burst, calls - 1)) if calls > 1 else 1
        return cls(max(calls - burst, 1) / 3600.0, burst, **kwargs)

    def acquire(self) -> None:
        """Block until one request may go out."""
        while True:
            with self._lock:
                wait = self._reserve()
                if wait <= 0:
                    self.acquired += 1
                    return
                self.waits += 1
            self.sleep(wait)

    def take(self, amount: float) -> None:
        """Block until ``amount`` more units (bytes, for ``sync.bwlimit``) may go out. Reserved at
        once and then waited for, so threads take turns at the rate and an amount larger than
        the burst still passes (after its time)."""
        with self._lock:
            wait = self._owe(amount)
            if wait > 0:
                self.waits += 1
        if wait > 0:
            self.sleep(wait)

    def set_rate(self, rate: float | None, burst: int) -> None:
        """Change the rate from now on (a bandwidth timetable turning to its next entry)."""
        with self._lock:
            now = self.clock()
            if self.rate is None:
                self._tokens = float(burst)
            else:
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self.rate, self.burst = rate, burst

    def hold(self, seconds: float) -> None:
        """Let no request out for ``seconds`` from now (the remote asked us to wait)."""
        with self._lock:
            self._held_until = max(self._held_until, self.clock() + seconds)

    def _reserve(self) -> float:
        """Take a token and return 0, or return how long to wait for one. Lock held."""
        now = self.clock()
        if now < self._held_until:
            return self._held_until - now
        if self.rate is None:
            return 0.0
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1 - 1e-9:  # tolerate float rounding of elapsed * rate
            self._tokens = max(0.0, self._tokens - 1)
            return 0.0
        return max((1 - self._tokens) / self.rate, 1e-6)


    def _owe(self, amount: float) -> float:
        """Take ``amount`` now, into debt if need be; how long to wait it off. Lock held."""
        if self.rate is None:
            return 0.0
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate) - amount
        self._last = now
        return -self._tokens / self.rate if self._tokens < 0 else 0.0


def limiter_for(service: str, config: Config) -> RateLimiter:
    """The one limiter of a configured remote: ``flickr.rate_limit_per_hour`` or
    ``drive.rate_limit_per_second`` (bursts of up to one second's worth).

    Flickr's quota is per hour, so a burst of a twelfth of it (300 calls of 3,600) is within the
    rules: a small sync finishes at once instead of at one call a second, and a long one settles
    to the rate the burst leaves (3,300 more in the hour). Only one-shot runs started several
    times an hour, each using its whole burst, could go over.
    """
    if service == "flickr":
        per_hour = config.flickr.rate_limit_per_hour
        return RateLimiter.per_hour(per_hour, burst=max(1, per_hour // 12))
    if service == "drive":
        rate = config.drive.rate_limit_per_second
        return RateLimiter(rate, burst=max(1, int(rate)))
    raise ValueError(f"no rate limit configured for {service!r}")

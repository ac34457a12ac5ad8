"""The token-bucket limiter on a fake clock, and the bounded transfer pool."""

from __future__ import annotations

import threading
import time

import pytest

from photosync.remotes.pace import RateLimiter
from photosync.remotes.pool import run_pool

from .contract import FakeClock, RecordingLimiter


def test_limiter_spaces_requests_at_the_rate() -> None:
    clock = FakeClock()
    limiter = RecordingLimiter(2.0, burst=1, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        limiter.acquire()
    assert limiter.times == pytest.approx([1000.0, 1000.5, 1001.0, 1001.5, 1002.0])


def test_limiter_burst_then_rate() -> None:
    clock = FakeClock()
    limiter = RecordingLimiter(1.0, burst=3, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        limiter.acquire()
    assert limiter.times == pytest.approx([1000, 1000, 1000, 1001, 1002])


@pytest.mark.parametrize("burst", [1, 300])
def test_flickr_quota_holds_in_every_hour_burst_included(burst: int) -> None:
    clock = FakeClock()
    limiter = RecordingLimiter.per_hour(3600, burst=burst, clock=clock, sleep=clock.sleep)
    for _ in range(9000):
        limiter.acquire()
    times = limiter.times
    assert sum(1 for t in times if t < times[0] + 1e-9) == burst  # the burst goes out at once
    end = 0
    for start, t in enumerate(times):  # sliding one-hour windows
        while end < len(times) and times[end] < t + 3600:
            end += 1
        assert end - start <= 3600
    assert clock.now - 1000 == pytest.approx((9000 - burst) * 3600 / (3600 - burst), rel=1e-3)


def test_unlimited_limiter_never_sleeps() -> None:
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    for _ in range(1000):
        limiter.acquire()
    assert clock.sleeps == [] and limiter.acquired == 1000


def test_hold_pauses_everyone() -> None:
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    limiter.hold(10)
    limiter.hold(3)  # a shorter hold never shortens a longer one
    limiter.acquire()
    assert clock.now == 1010


def test_limiter_is_thread_safe_in_real_time() -> None:
    limiter = RateLimiter(200.0, burst=1)
    stamps: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(10):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stamps) == 40
    assert max(stamps) - min(stamps) >= 39 / 200 * 0.9


def test_pool_runs_everything_and_keeps_going_after_failures() -> None:
    def work(n: int) -> int:
        if n % 3 == 0:
            raise ValueError(f"bad {n}")
        return n * 10
    outcomes = list(run_pool(range(10), work, workers=3))
    assert sorted(o.item for o in outcomes) == list(range(10))
    assert {o.item: o.result for o in outcomes if o.ok} == {n: n * 10 for n in range(10) if n % 3}
    assert sorted(str(o.error) for o in outcomes if not o.ok) == ["bad 0", "bad 3", "bad 6", "bad 9"]


def test_pool_is_bounded_and_concurrent() -> None:
    running, peak, lock = 0, 0, threading.Lock()
    barrier = threading.Barrier(4, timeout=5)
    pulled = []

    def items():
        for n in range(40):
            pulled.append(n)
            yield n

    def work(n: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        if n < 4:
            barrier.wait()  # proves 4 run at once
        time.sleep(0.001)
        with lock:
            running -= 1
        return n
    stream = run_pool(items(), work, workers=4)
    first = next(stream)
    assert first.ok
    assert len(pulled) <= 9  # 2 * workers queued, plus the one refill
    rest = list(stream)
    assert len(rest) == 39 and peak == 4


def test_pool_lets_keyboard_interrupt_through() -> None:
    def work(n: int) -> int:
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        list(run_pool([1], work, workers=1))


def test_pool_rejects_zero_workers() -> None:
    with pytest.raises(ValueError):
        list(run_pool([1], lambda n: n, workers=0))


def test_limiter_for_reads_the_config() -> None:
    from photosync.config import Config
    from photosync.remotes.pace import limiter_for
    config = Config()
    config.flickr.rate_limit_per_hour = 1800
    config.drive.rate_limit_per_second = 8.0
    flickr, drive = limiter_for("flickr", config), limiter_for("drive", config)
    assert flickr.burst == 150  # a twelfth of the hourly quota at once, the rest over the hour
    assert flickr.rate == pytest.approx((1800 - 150) / 3600)
    assert (drive.rate, drive.burst) == (8.0, 8)
    with pytest.raises(ValueError):
        limiter_for("dropbox", config)

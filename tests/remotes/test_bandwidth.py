"""sync.bwlimit's timetable and the byte bucket, on a fake clock (the rate actually reached
against the emulators is bench/bench_bwlimit.py's figure)."""

from __future__ import annotations

from datetime import datetime

import pytest

from photosync.remotes.bandwidth import Bandwidth, parse_bwlimit, parse_size
from photosync.remotes.pace import RateLimiter

from .contract import FakeClock

MIB = 1 << 20


def test_a_day_timetable_holds_from_each_time_until_the_next_and_wraps_at_midnight() -> None:
    table = parse_bwlimit("08:00,1M 12:00,512k 23:00,off")
    friday = datetime(2026, 12, 4)
    rates = [table.rate_at(friday.replace(hour=h, minute=m))
             for h, m in ((0, 0), (7, 59), (8, 0), (12, 30), (22, 59), (23, 0))]
    assert rates == [None, None, MIB, 512 * 1024, 512 * 1024, None]


def test_weekday_entries_hold_until_the_next_entry_of_the_week() -> None:
    table = parse_bwlimit("Mon-08:00,512k Fri-18:00,off")
    monday = datetime(2026, 12, 7)
    assert table.rate_at(monday.replace(hour=7)) is None  # still Friday's "off"
    assert table.rate_at(monday.replace(hour=9)) == 512 * 1024
    assert table.rate_at(datetime(2026, 12, 10, 23)) == 512 * 1024  # Thursday
    assert table.rate_at(datetime(2026, 12, 11, 18)) is None  # Friday 18:00


@pytest.mark.parametrize("text, bytes_", [("off", 0), ("0", 0), ("500M", 500 * MIB),
                                          ("50G", 50 << 30), ("1.5k", 1536), ("2MiB", 2 * MIB)])
def test_sizes_use_rclones_binary_units(text: str, bytes_: int) -> None:
    assert parse_size(text) == bytes_


def test_the_byte_bucket_paces_all_threads_together_and_follows_the_timetable() -> None:
    clock = FakeClock()
    now = [datetime(2026, 12, 4, 7, 59)]
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    bandwidth = Bandwidth(parse_bwlimit("08:00,1M 09:00,off"), now=lambda: now[0],
                          limiter=limiter)
    start = clock.now
    bandwidth.take(10 * MIB)
    assert clock.now == start  # off before 08:00
    now[0] = datetime(2026, 12, 4, 8, 0)
    clock.sleep(1)  # the timetable is read at most once a second
    start = clock.now
    for _ in range(10):
        bandwidth.take(MIB)
    assert clock.now - start == pytest.approx(10 - 0.1, abs=0.01)  # 1 MiB/s after a 0.1 s burst

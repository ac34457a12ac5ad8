"""Bandwidth: ``sync.bwlimit`` (rclone's ``--bwlimit`` syntax, with its day timetable) and the
byte sizes of ``sync.max_transfer`` (rclone's ``--max-transfer``).

One :class:`Bandwidth` per process and setting, shared by every transfer of every remote (the
limit is for all of them together, uploads and downloads alike). It paces bytes with the
project's own token bucket (:class:`photosync.remotes.pace.RateLimiter`, in its byte mode
:meth:`~photosync.remotes.pace.RateLimiter.take`) rather than a second bucket from a library.
Uploads read their file through :func:`paced` (a file object whose ``read`` waits for the
bytes it returns: flickrapi's multipart encoder and googleapiclient's media upload both read
the file that way, so no HTTP library is patched); downloads pace the writes of
``atomic_download``, which holds back the next read from the socket.

Sizes and rates use rclone's binary units: ``512k`` is 512 KiB, ``1M`` 1 MiB, ``50G`` 50 GiB.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from photosync.remotes.pace import RateLimiter

UNITS = {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([bkmgtp])?(?:i?b)?$", re.IGNORECASE)
_SLOT = re.compile(r"^(?:(mon|tue|wed|thu|fri|sat|sun)-)?(\d{1,2}):(\d{2}),(.+)$", re.IGNORECASE)
_TIME = re.compile(r"\d:\d\d$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OFF = ("off", "0", "")
BURST_SECONDS = 0.1  # bytes a quiet moment saves up: 0.1 s worth, so short transfers hold too


def parse_size(text: str) -> int:
    """Bytes in ``text`` (``500M``, ``50G``, ``1.5T``; ``off`` or ``0``: 0). A bare number is
    refused (rclone reads it as KiB, which surprises): ``ValueError`` says what to write."""
    value = str(text).strip()
    if value.lower() in OFF:
        return 0
    match = _SIZE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a size: write e.g. 500M or 50G (off: no limit)")
    number, unit = match.groups()
    if unit is None:
        raise ValueError(f"{value!r} has no unit: write {number}K, {number}M or {number}G "
                         f"(binary units, as rclone)")
    return int(float(number) * UNITS[unit.lower()])


def _rate(text: str) -> float | None:
    """Bytes per second of one rate (``1M``, ``512k``, ``off``: None)."""
    if ":" in text:
        raise ValueError(f"{text!r}: separate upload:download rates are not supported; give "
                         f"one rate for all transfers")
    return float(parse_size(text)) or None


@dataclass(frozen=True)
class Timetable:
    """Rates (bytes per second, None: no limit) from minutes of the week (Monday 00:00 is 0):
    each applies until the next one, the last one until the first (rclone's timetable)."""

    slots: tuple[tuple[int, float | None], ...]

    def rate_at(self, when: datetime) -> float | None:
        minute = when.weekday() * 1440 + when.hour * 60 + when.minute
        current = self.slots[-1][1]
        for start, rate in self.slots:
            if start > minute:
                break
            current = rate
        return current

    @property
    def unlimited(self) -> bool:
        return all(rate is None for _start, rate in self.slots)


def parse_bwlimit(text: str) -> Timetable:
    """``sync.bwlimit``: one rate (``1M``, ``512k``, ``off``) or a timetable of ``HH:MM,RATE``
    entries (``08:00,1M 23:00,off``), each optionally for one weekday (``Mon-08:00,512k``); an
    entry without a weekday holds every day. ``ValueError`` names the entry at fault."""
    entries = str(text).split()
    if len(entries) <= 1 and "," not in str(text) and not _TIME.search(str(text)):
        return Timetable(((0, _rate(entries[0] if entries else "off")),))
    slots: dict[int, float | None] = {}
    for entry in entries:
        match = _SLOT.match(entry)
        if not match:
            raise ValueError(f"{entry!r} is not HH:MM,RATE (e.g. 08:00,1M or Mon-08:00,512k)")
        day, hours, minutes, rate = match.groups()
        if int(hours) > 23 or int(minutes) > 59:
            raise ValueError(f"{entry!r}: {hours}:{minutes} is not a time of day (00:00-23:59)")
        at = int(hours) * 60 + int(minutes)
        days = [DAYS.index(day.lower())] if day else range(7)
        for d in days:
            slots[d * 1440 + at] = _rate(rate)
    return Timetable(tuple(sorted(slots.items())))


class Bandwidth:
    """The bytes per second all transfers may move together, following a timetable."""

    def __init__(self, timetable: Timetable, *, now: Callable[[], datetime] = datetime.now,
                 limiter: RateLimiter | None = None):
        self.timetable = timetable
        self.now = now
        self.limiter = limiter or RateLimiter(None)
        self._lock = threading.Lock()
        self._checked = -1.0

    def take(self, size: int) -> None:
        """Wait until ``size`` more bytes may move (the timetable read at most once a second)."""
        self._follow_timetable()
        self.limiter.take(size)

    def _follow_timetable(self) -> None:
        tick = self.limiter.clock()
        with self._lock:
            if self._checked >= 0 and tick - self._checked < 1.0:
                return
            self._checked = tick
        rate = self.timetable.rate_at(self.now())
        if rate != self.limiter.rate:
            self.limiter.set_rate(rate, max(1, int((rate or 0) * BURST_SECONDS)))


class PacedReader:
    """A file opened for reading whose ``read`` waits for the bandwidth of what it returns. Seek,
    tell and every other attribute pass through (googleapiclient measures the file with seek and
    tell, the multipart encoder with ``len`` or ``fileno``)."""

    def __init__(self, raw: BinaryIO, bandwidth: Bandwidth):
        self.raw = raw
        self.bandwidth = bandwidth

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        if data:
            self.bandwidth.take(len(data))
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def __getattr__(self, name: str) -> Any:
        """Everything else is the file's own (``fileno`` of a plain file, ``len`` of a
        :class:`~photosync.remotes.files.VerifiedReader`): clients size a body by what the
        object has, so the wrapper has exactly what the file has."""
        return getattr(self.raw, name)

    def close(self) -> None:
        self.raw.close()


def paced(raw: BinaryIO, bandwidth: Bandwidth | None) -> Any:
    """``raw`` read under ``bandwidth`` (``raw`` itself without a limit)."""
    return raw if bandwidth is None else PacedReader(raw, bandwidth)


_shared: dict[str, Bandwidth] = {}
_shared_lock = threading.Lock()


def shared(spec: str) -> Bandwidth | None:
    """The process's one :class:`Bandwidth` for ``sync.bwlimit`` = ``spec`` (validated by the
    config); None when it never limits."""
    timetable = parse_bwlimit(spec)
    if timetable.unlimited:
        return None
    with _shared_lock:
        if spec not in _shared:
            _shared[spec] = Bandwidth(timetable)
        return _shared[spec]

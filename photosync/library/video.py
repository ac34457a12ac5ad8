"""A video's date taken, from its container's own metadata, read by ``ffprobe`` (FFmpeg).

Why ffprobe (Debian's ``ffmpeg`` package): one maintained reader for every container phones and
cameras write (MP4/MOV/3GP QuickTime atoms, Matroska, AVI, AVCHD .mts), including Apple's keyed
metadata ``com.apple.quicktime.creationdate``, the only place an iPhone clip keeps the camera's
local time and time zone; the tests need FFmpeg anyway to make real videos. One short process per
video costs tens of milliseconds, nothing beside hashing the video's bytes.

Rules: Apple's creation date (local time with its offset) first; else the container's
``creation_time``, which QuickTime and Matroska define as UTC (recorded with offset ``+00:00``).
A zero date (QuickTime's 1904 epoch, 1970) means "no date". Never raises: no ffprobe, a damaged
container or a timeout mean "no date".
"""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

FFPROBE = "ffprobe"
TIMEOUT = 60.0  # seconds; ffprobe reads only the container's header atoms
APPLE_DATE = "com.apple.quicktime.creationdate"
_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*"
                   r"(Z|[+-]\d{2}:?\d{2})?\s*$")

Date = tuple[str | None, str | None, str | None]  # (ISO naive time, sub-seconds, offset)
NO_DATE: Date = (None, None, None)


def video_date(path: str) -> Date:
    """(date taken as naive ISO, sub-second digits, ``+hh:mm``) of the video at ``path``."""
    return video_facts(path)[0]


def video_facts(path: str) -> tuple[Date, float | None]:
    """The video's date taken (as :func:`video_date`) and its length in seconds (None when the
    container does not say): one ffprobe."""
    tags, duration = _probe(path)
    for key in (APPLE_DATE, "creation_time"):
        date = parse_date(str(tags.get(key) or ""), utc_default=key == "creation_time")
        if date != NO_DATE:
            return date, duration
    return NO_DATE, duration


def parse_date(text: str, utc_default: bool) -> Date:
    """``2021-06-07T08:09:10+0200`` -> ("2021-06-07T08:09:10", None, "+02:00"); a time without
    an offset is UTC when ``utc_default`` (the container says so), else of unknown zone."""
    match = _DATE.match(text)
    if match is None:
        return NO_DATE
    y, mo, d, h, mi, s = (int(g) for g in match.groups()[:6])
    if y <= 1970 or not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 61):
        return NO_DATE
    subsec = (match.group(7) or "").rstrip("0") or None
    zone = match.group(8)
    if zone == "Z" or (zone is None and utc_default):
        offset: str | None = "+00:00"
    elif zone:
        digits = zone[1:].replace(":", "")
        offset = f"{zone[0]}{digits[:2]}:{digits[2:]}"
    else:
        offset = None
    return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{min(s, 59):02d}", subsec, offset


def _probe(path: str) -> tuple[dict[str, Any], float | None]:
    """The container's tags, completed by its first stream's (some cameras tag only that), and
    its duration in seconds."""
    try:
        done = subprocess.run(
            [FFPROBE, "-v", "error", "-print_format", "json", "-show_entries",
             "format=duration:format_tags:stream_tags", "--", path],
            capture_output=True, timeout=TIMEOUT, check=False)
        found = json.loads(done.stdout or b"{}")
    except (OSError, subprocess.SubprocessError, ValueError):
        return {}, None
    tags: dict[str, Any] = {}
    for stream in reversed(found.get("streams") or []):
        tags.update(stream.get("tags") or {})
    container = found.get("format") or {}
    tags.update(container.get("tags") or {})
    try:
        duration: float | None = float(str(container.get("duration")))
    except ValueError:  # absent ("None") or not a number
        duration = None
    return tags, duration if duration is not None and duration >= 0 else None

"""The Drive entries of ``bench_remote_listing.py`` and ``bench_remote_uploads.py``.

Listing: a seeded 20,000-photo Drive (5 album folders under "Photos") listed by DriveRemote;
calls counted by the emulator (``/_admin/calls``) against ceil(N/1000) + 2. Uploads: 2 MB files
through the sync engine's pool, each a full ``DriveRemote.upload`` (multipart create with a
generated id; ids come 100 per ``generateIds`` call).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from photosync.emulators import start
from photosync.emulators.drive_client import admin, mint_credentials
from photosync.remotes.base import list_all
from photosync.remotes.pool import run_pool


def remote_on(url: str):
    from photosync.remotes.drive import DriveRemote
    return DriveRemote(mint_credentials(url), url, "Photos")


def drive_listing(photos: int) -> dict:
    server = start("drive")
    try:
        seeded = admin(server.url, "seed", {"count": photos, "albums": 5, "parent": "Photos"})
        remote = remote_on(server.url)
        before = admin(server.url, "calls")
        began = time.perf_counter()
        listing = list_all(remote)
        seconds = time.perf_counter() - began
        after = admin(server.url, "calls")
        calls = after["total"] - before["total"]
        methods = {k: v - before["methods"].get(k, 0) for k, v in after["methods"].items()
                   if v - before["methods"].get(k, 0)}
        albums_listed = sum(1 for i in listing.items if i.albums)
        again_start = admin(server.url, "calls")["total"]
        list_all(remote)
        again = admin(server.url, "calls")["total"] - again_start
        return {"items": len(listing.items), "expected": seeded["files"], "seconds": seconds,
                "photo_calls": calls, "album_calls": 0, "total_calls": calls,
                "bound": math.ceil(photos / 1000) + 2, "second_listing_calls": again,
                "methods": methods, "in_albums": albums_listed}
    finally:
        server.stop()


def drive_uploads(path: Path, count: int, workers: int, latency_ms: float) -> float:
    """Seconds for ``count`` uploads on ``workers`` threads; the emulator runs in its own process
    (``bench_remote_uploads.emulator``) so it does not share the client's GIL."""
    from bench_remote_uploads import emulator

    with emulator("drive", latency_ms) as url:
        remote = remote_on(url)
        jobs = [(n, f"{n:064x}") for n in range(count)]
        began = time.perf_counter()
        outcomes = list(run_pool(jobs, lambda job: remote.upload(path, f"photo-{job[0]}.jpg", None,
                                                                 job[1]), workers=workers))
        seconds = time.perf_counter() - began
        failed = [o.error for o in outcomes if not o.ok]
        if failed:
            raise SystemExit(f"{len(failed)} Drive uploads failed, e.g. {failed[0]}")
        return seconds

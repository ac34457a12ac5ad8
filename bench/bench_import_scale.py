"""N photos (default 100,000) imported into each emulator, then listed by photosync's remotes.

Issue 20 measures a no-op ``photosync sync`` at 1,000,000 photos; the emulators are seeded with
``POST /_admin/import`` (photosync's own uploads, made in one request per chunk). This prints,
per emulator (each in its own process, as ``bench_remote_uploads.emulator`` runs them): the
import time, the emulator's resident memory, the time and API calls of listing everything with
``FlickrRemote`` / ``DriveRemote`` (``listing_pages``, as ``list_all`` walks it; the first and
last ten pages timed apart: a page must not cost more as the listing goes on), and the time and
calls of a change feed with nothing new (``changes_since`` from the listing's cursor).
"""

from __future__ import annotations

import argparse
import hashlib
import time
from datetime import datetime, timedelta
from typing import Any

from bench_remote_uploads import emulator_process  # bench/ is on sys.path when run as a script

from photosync.emulators import admin
from photosync.remotes.base import Remote, changes_since, listing_pages
from photosync.remotes.flickr_feed import CURSOR_MARGIN

ALBUM_SIZE = 250  # photos per album ("2001/Trip 0004")


def synthetic(start: int, count: int) -> list[dict[str, Any]]:
    """Photos ``start``..``start + count - 1`` of a made-up library: one every 10 minutes,
    albums of ALBUM_SIZE per year folder, distinct signatures and MD5s."""
    first = datetime(2000, 1, 1, 9)
    photos = []
    for n in range(start, start + count):
        taken = first + timedelta(minutes=10 * n)
        photos.append({"name": f"IMG_{n:07d}.jpg",
                       "album": f"{taken.year}/Trip {n // ALBUM_SIZE:04d}",
                       "taken": taken.isoformat(),
                       "signature": hashlib.sha256(b"sig%d" % n).hexdigest(),
                       "md5": hashlib.md5(b"md5%d" % n).hexdigest(), "size": 3_000_000 + n})
    return photos


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def calls(url: str) -> int:
    return int(admin(url, "calls")["total"])


def flickr_remote(url: str) -> Remote:
    from photosync.remotes.flickr import FlickrRemote

    minted = admin(url, "token", {"username": "testuser", "perms": "delete"})
    return FlickrRemote(minted["api_key"], minted["api_secret"], minted["oauth_token"],
                        minted["oauth_token_secret"], url)


def drive_remote(url: str) -> Remote:
    from photosync.emulators.drive_client import mint_credentials
    from photosync.remotes.drive import DriveRemote

    return DriveRemote(mint_credentials(url), url, "Photos")


REMOTES = {"flickr": flickr_remote, "drive": drive_remote}


def measure(service: str, count: int, chunk: int) -> None:
    with emulator_process(service) as (url, process):
        began = time.perf_counter()
        albums = 0
        for start in range(0, count, chunk):
            answer = admin(url, "import", {"photos": synthetic(start, min(chunk, count - start))},
                           timeout=600)
            albums = max(albums, answer["albums"])
        imported = time.perf_counter() - began
        print(f"{service}: imported {count:,} photos in {imported:.1f} s "
              f"({count / imported:,.0f}/s); emulator RSS {rss_mb(process.pid):,.0f} MB")
        time.sleep(CURSOR_MARGIN + 1)  # else Flickr's cursor re-reads the last uploads' second
        remote = REMOTES[service](url)
        before, began, pages, items = calls(url), time.perf_counter(), [], 0
        walk = listing_pages(remote)
        while True:
            page_began = time.perf_counter()
            try:
                items += len(next(walk))
            except StopIteration as end:
                cursor = end.value
                break
            pages.append(time.perf_counter() - page_began)
        listed, listing_calls = time.perf_counter() - began, calls(url) - before
        head, tail = pages[:10], pages[-10:]
        print(f"{service}: listed {items:,} items in {listed:.1f} s, {listing_calls} calls, "
              f"{len(pages)} pages; ms/page first 10 {1000 * sum(head) / len(head):.0f}, "
              f"last 10 {1000 * sum(tail) / len(tail):.0f}; RSS {rss_mb(process.pid):,.0f} MB")
        before, began = calls(url), time.perf_counter()
        changes = changes_since(remote, cursor)
        print(f"{service}: no-op change feed: {len(changes.changed)} changed, "
              f"{len(changes.removed_ids)} removed, {time.perf_counter() - began:.2f} s, "
              f"{calls(url) - before} calls")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=100_000)
    parser.add_argument("--chunk", type=int, default=50_000, help="photos per import request")
    parser.add_argument("--remotes", nargs="*", default=list(REMOTES))
    args = parser.parse_args()
    for service in args.remotes:
        measure(service, args.count, args.chunk)


if __name__ == "__main__":
    main()

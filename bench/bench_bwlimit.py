"""``sync.bwlimit`` measured: bytes per second of uploads and downloads under 1 MiB/s and 4 MiB/s
limits, on both emulators, each with its ratio to the limit (target: within 10%).

Each figure is ``sync.workers`` (4) transfers at once of 2 MB JPEGs through the real remotes
(``FlickrRemote`` over flickrapi/requests, ``DriveRemote`` over googleapiclient), run for about
``--seconds`` at the limit; bytes are the files' sizes, time is the wall clock of the whole batch.
The emulators run in their own processes (``bench_remote_uploads.emulator``), as real services
would. The files to download are put there first without a limit.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_remote_uploads import emulator, two_mb_jpeg  # bench/ is on sys.path as a script

from photosync.emulators.drive_client import mint_credentials
from photosync.emulators.flickr_testing import admin
from photosync.remotes.bandwidth import Bandwidth, parse_bwlimit
from photosync.remotes.pool import run_pool

TOLERANCE = 0.10
LIMITS = ("1M", "4M")
WORKERS = 4


def flickr_remote(url: str, bandwidth: Bandwidth | None) -> Any:
    from photosync.remotes.flickr import FlickrRemote

    minted = admin(url, "token", {"username": "testuser", "perms": "delete"})
    return FlickrRemote(minted["api_key"], minted["api_secret"], minted["oauth_token"],
                        minted["oauth_token_secret"], url, bandwidth=bandwidth)


def drive_remote(url: str, bandwidth: Bandwidth | None) -> Any:
    from photosync.remotes.drive import DriveRemote

    return DriveRemote(mint_credentials(url), url, "Photos", bandwidth=bandwidth)


REMOTES: dict[str, Callable[[str, Bandwidth | None], Any]] = {
    "flickr": flickr_remote, "drive": drive_remote}


def measure(name: str, url: str, photo: Path, count: int, spec: str, folder: Path) -> dict:
    """Uploads then downloads of ``count`` copies of ``photo`` under ``spec``: bytes per second."""
    make = REMOTES[name]
    size = photo.stat().st_size
    jobs = [(n, f"{n:064x}") for n in range(count)]

    def timed(work: Callable[[Any], Any], items: list) -> float:
        began = time.perf_counter()
        failed = [o.error for o in run_pool(items, work, WORKERS) if not o.ok]
        if failed:
            raise SystemExit(f"{name}: {len(failed)} transfers failed, e.g. {failed[0]}")
        return time.perf_counter() - began

    limited = make(url, Bandwidth(parse_bwlimit(spec)))
    up = timed(lambda job: limited.upload(photo, f"{spec}-{job[0]}.jpg", None, job[1]), jobs)
    free = make(url, None)  # the files to download, put there without a limit
    ids = [free.upload(photo, f"get-{spec}-{n}.jpg", None, f"{n + 1000:064x}").id
           for n in range(count)]
    limited = make(url, Bandwidth(parse_bwlimit(spec)))
    down = timed(lambda item: limited.download(item, folder / f"{name}-{spec}-{item}.jpg"), ids)
    return {"up": count * size / up, "down": count * size / down}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12.0, help="about this long per figure")
    parser.add_argument("remotes", nargs="*", default=list(REMOTES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        photo = two_mb_jpeg(folder)
        size = photo.stat().st_size
        print(f"{'remote':<8}{'limit':>7}  {'upload B/s':>12} {'ratio':>6}  "
              f"{'download B/s':>12} {'ratio':>6}")
        worst = 0.0
        for name in args.remotes:
            with emulator(name, 0) as url:
                for spec in LIMITS:
                    limit = parse_bwlimit(spec).slots[0][1] or 1.0
                    count = max(WORKERS, round(limit * args.seconds / size))
                    got = measure(name, url, photo, count, spec, folder)
                    up, down = got["up"] / limit, got["down"] / limit
                    worst = max(worst, abs(up - 1), abs(down - 1))
                    print(f"{name:<8}{spec + '/s':>7}  {got['up']:>12,.0f} {up:>6.3f}  "
                          f"{got['down']:>12,.0f} {down:>6.3f}")
        verdict = "PASS" if worst <= TOLERANCE else "FAIL"
        print(f"{verdict}: every figure within {worst:.1%} of its limit "
              f"(target {TOLERANCE:.0%})")
        if worst > TOLERANCE:
            raise SystemExit(1)


if __name__ == "__main__":
    main()

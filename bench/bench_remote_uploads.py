"""200 uploads of 2 MB with 100 ms emulated latency: 4 workers vs 1 (target: >= 3.5x faster).

Uploads run through ``photosync.remotes.pool.run_pool`` (the sync engine's transfer pool), each
one a full ``Remote.upload`` (the upload request and the answer-as-a-listing lookup). Each remote
is one entry of ``REMOTES``: ``(path, count, workers) -> seconds``; Drive can add its own.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

from photosync.emulators.flickr_testing import admin
from photosync.remotes.pool import run_pool

TARGET = 3.5
SIZE = 2 * 1024 * 1024


def two_mb_jpeg(folder: Path) -> Path:
    """A real JPEG of about 2 MB (noise compresses badly), made once."""
    from wand.image import Image

    path = folder / "big.jpg"
    with Image(width=1400, height=1000, pseudo="plasma:") as img:
        img.noise("gaussian", attenuate=1.0)
        img.format = "jpeg"
        img.compression_quality = 97
        data = img.make_blob()
    path.write_bytes(data)
    return path


@contextlib.contextmanager
def emulator(service: str, latency_ms: float) -> Iterator[str]:
    """The emulator in its own process, as a real service would be: it must not share our GIL
    (on 2 cores, parsing 2 MB multipart bodies in-process would be what the benchmark measures)."""
    with emulator_process(service, latency_ms) as (url, _process):
        yield url


@contextlib.contextmanager
def emulator_process(service: str, latency_ms: float = 0.0
                     ) -> Iterator[tuple[str, subprocess.Popen]]:
    """:func:`emulator`, with its process (to read its memory use)."""
    command = [sys.executable, "-c", "from photosync.emulators.cli import run; run()", service,
               "--rate-limit", "0", "--latency-ms", str(latency_ms)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("ready "):
            raise SystemExit(f"emulator did not start: {line!r}")
        yield line.split()[1], process
    finally:
        process.terminate()
        process.wait(120)  # an emulator holding a million photos takes a while to exit


def flickr(path: Path, count: int, workers: int, latency_ms: float) -> float:
    from photosync.remotes.flickr import FlickrRemote

    with emulator("flickr", latency_ms) as url:
        minted = admin(url, "token", {"username": "testuser", "perms": "delete"})
        remote = FlickrRemote(minted["api_key"], minted["api_secret"], minted["oauth_token"],
                              minted["oauth_token_secret"], url)
        jobs = [(n, f"{n:064x}") for n in range(count)]
        began = time.perf_counter()
        outcomes = list(run_pool(jobs, lambda job: remote.upload(path, f"photo-{job[0]}.jpg", None,
                                                                 job[1]), workers=workers))
        seconds = time.perf_counter() - began
        failed = [o.error for o in outcomes if not o.ok]
        if failed:
            raise SystemExit(f"{len(failed)} uploads failed, e.g. {failed[0]}")
        return seconds


from drive_bench import drive_uploads  # noqa: E402  (bench/ is on sys.path when run as a script)

REMOTES = {"flickr": flickr, "drive": drive_uploads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("remotes", nargs="*", default=list(REMOTES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = two_mb_jpeg(Path(tmp))
        print(f"file: {path.stat().st_size / 1e6:.2f} MB, {args.count} uploads, "
              f"{args.latency_ms:.0f} ms latency")
        for name in args.remotes:
            one = REMOTES[name](path, args.count, 1, args.latency_ms)
            four = REMOTES[name](path, args.count, 4, args.latency_ms)
            ratio = one / four
            print(f"{name}: 1 worker {one:.1f} s, 4 workers {four:.1f} s: {ratio:.2f}x "
                  f"(target >= {TARGET}x) {'OK' if ratio >= TARGET else 'BELOW TARGET'}")


if __name__ == "__main__":
    main()

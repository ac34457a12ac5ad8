"""`photosync sync` end to end, through the CLI, against both emulators (each in its own process).

1. A library of N photos (default 10,000) already in sync with Flickr and Drive:
   - a no-op incremental sync: target <= 5 s, <= 3 Flickr and <= 2 Drive API calls, not growing
     with the library (counted by the emulators' /_admin/calls);
   - the same with --full: target <= ceil(N/500) + 2 Flickr and ceil(N/1000) + 2 Drive calls for
     the listings, <= 10 s.
2. The first sync of M photos (default 1,000) to both remotes with 50 ms latency: photos per
   second, and the ratio to the same uploads done one at a time (sync.workers: 1).

Usage: bench_sync.py [--photos N] [--first M]. Prints each figure with its target and ratio.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path

from photosync.emulators.images import make_image
from bench_remote_uploads import emulator  # the emulator in its own process
from photosync.emulators import admin





def make_library(root: Path, count: int) -> None:
    start = datetime(2015, 1, 1)
    for i in range(count):
        path = root / f"{2015 + i % 8}" / f"album{i % 40:02d}" / f"IMG_{i:06d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make_image(f"bench-{i}", 32, 24, date_taken=start + timedelta(minutes=i)))


def setup(tmp: Path, flickr: str, drive: str, workers: int = 4) -> Path:
    from photosync.auth.tokens import TokenStore

    creds = admin(flickr, "credentials")
    (tmp / "client.json").write_text(json.dumps(admin(drive, "credentials")))
    config = tmp / "config.yaml"
    config.write_text(f"""library:
  root: {tmp / 'lib'}
state_dir: {tmp / 'state'}
flickr:
  api_key: {creds['api_key']}
  api_secret: {creds['api_secret']}
  endpoint: {flickr}
  rate_limit_per_hour: 10000000
drive:
  client_secrets: {tmp / 'client.json'}
  endpoint: {drive}
  rate_limit_per_second: 10000
sync:
  workers: {workers}
""")
    store = TokenStore(tmp / "state")
    store.save("flickr", admin(flickr, "token", {"username": "bench", "perms": "delete"}))
    store.save("drive", admin(drive, "token", {}))
    return config


def run_sync(config: Path, *args: str) -> tuple[float, dict]:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "photosync", "-q", "--config", str(config), "sync",
                             "--json", *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"sync failed ({result.returncode}): {result.stderr[-2000:]}")
    return elapsed, json.loads(result.stdout)


def calls(url: str) -> int:
    return admin(url, "calls")["total"]


def measured(urls: tuple[str, str], config: Path, *args: str) -> tuple[float, int, int]:
    before = [calls(u) for u in urls]
    elapsed, doc = run_sync(config, *args)
    busy = [a for a in doc["actions"] if a["action"] != "skip"]
    assert not busy, f"expected a no-op, got {len(busy)} actions"
    after = [calls(u) for u in urls]
    return elapsed, after[0] - before[0] - 1, after[1] - before[1] - 1  # minus our own /calls read


def in_sync(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        flickr = stack.enter_context(emulator("flickr", 0))
        drive = stack.enter_context(emulator("drive", 0))
        config = setup(tmp, flickr, drive)
        t = time.perf_counter()
        make_library(tmp / "lib", n)
        print(f"library of {n} photos made in {time.perf_counter() - t:.1f} s")
        elapsed, doc = run_sync(config)
        print(f"first sync of {n} photos to both remotes: {elapsed:.1f} s "
              f"({n / elapsed:.0f} photos/s per remote pair)")
        urls = (flickr, drive)
        elapsed, f_calls, d_calls = measured(urls, config)
        print(f"first no-op sync (sees the remotes' echo of our own first sync): {elapsed:.2f} s; "
              f"Flickr {f_calls} calls, Drive {d_calls} calls")
        elapsed, f_calls, d_calls = measured(urls, config)
        print(f"no-op incremental sync: {elapsed:.2f} s (target <= 5 s, ratio {elapsed / 5:.2f}); "
              f"Flickr {f_calls} calls (target <= 3), Drive {d_calls} calls (target <= 2)")
        elapsed, f_calls, d_calls = measured(urls, config, "--full")
        f_min, d_min = math.ceil(n / 500) + 2, math.ceil(n / 1000) + 2
        print(f"no-op --full sync: {elapsed:.2f} s (target <= 10 s, ratio {elapsed / 10:.2f}); "
              f"Flickr {f_calls} calls (listing minimum {f_min}), Drive {d_calls} calls "
              f"(listing minimum {d_min})")


def first_sync(m: int, latency_ms: float) -> None:
    times = {}
    for workers in (4, 1):
        with tempfile.TemporaryDirectory() as tmp_name, ExitStack() as stack:
            tmp = Path(tmp_name)
            flickr = stack.enter_context(emulator("flickr", latency_ms))
            drive = stack.enter_context(emulator("drive", latency_ms))
            config = setup(tmp, flickr, drive, workers)
            make_library(tmp / "lib", m)
            times[workers], _ = run_sync(config)
    rate = m / times[4]
    print(f"first sync of {m} photos to both remotes, {latency_ms:.0f} ms latency: {times[4]:.1f} s, "
          f"{rate:.1f} photos/s; one by one (workers: 1) {times[1]:.1f} s; "
          f"ratio {times[1] / times[4]:.2f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=10_000)
    parser.add_argument("--first", type=int, default=1_000)
    parser.add_argument("--latency-ms", type=float, default=50)
    args = parser.parse_args()
    in_sync(args.photos)
    first_sync(args.first, args.latency_ms)


if __name__ == "__main__":
    main()

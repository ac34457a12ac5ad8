"""`photosync mirror flickr --me` through the CLI against the Flickr emulator (its own process).

1. A first mirror of an N-photo stream (default 5,000; 5 % videos, albums, collections) at info
   level 0. Target: <= 1.05 API calls per photo. "API calls" are REST requests (what Flickr's
   3,600-an-hour quota counts); the emulator's /_admin/calls also counts file requests
   ("static": one per photo, two per video because of the play/orig redirect), printed apart.
2. A re-run on the unchanged stream. Target: <= 3 API calls, no file requests.
3. Downloads in parallel: M photos (default 300) with 20 ms of emulator latency, sync.workers 4
   against 1 (the ratio of the two times).

Usage: bench_mirror.py [--photos N] [--parallel M]. Prints each figure with its target.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_remote_uploads import emulator  # the emulator in its own process
from photosync.emulators import admin


def setup(tmp: Path, url: str, workers: int) -> Path:
    from photosync.auth.tokens import TokenStore

    token = admin(url, "token", {"username": "testuser", "perms": "read"})
    TokenStore(tmp / "state").save("flickr", token)
    (tmp / "lib").mkdir(exist_ok=True)
    config = tmp / f"config-{workers}.yaml"
    config.write_text(json.dumps({
        "library": {"root": str(tmp / "lib")}, "state_dir": str(tmp / "state"),
        "flickr": {"api_key": token["api_key"], "api_secret": token["api_secret"], "endpoint": url,
                   "rate_limit_per_hour": 10_000_000}, "sync": {"workers": workers}}))
    return config


def run_mirror(url: str, config: Path, dest: Path) -> tuple[float, int, int]:
    """(seconds, REST calls, file requests) of one mirror run."""
    before = admin(url, "calls")["methods"]
    began = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "photosync", "-q", "--config", str(config), "mirror",
                             "flickr", "--me", str(dest), "--statistics"], capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(f"mirror failed ({result.returncode}): {result.stdout}\n{result.stderr[-2000:]}")
    after = admin(url, "calls")["methods"]
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    files = delta.get("static", 0)
    return seconds, sum(delta.values()) - files, files


def stream_figures(photos: int) -> None:
    with emulator("flickr", 0) as url, tempfile.TemporaryDirectory() as tmp:
        admin(url, "seed", {"accounts": ["testuser"], "photos": photos, "albums": 5})
        config = setup(Path(tmp), url, 4)
        seconds, rest, files = run_mirror(url, config, Path(tmp) / "mirror")
        per_photo = rest / photos
        print(f"first mirror of {photos} photos: {seconds:.1f} s ({photos / seconds:.0f} photos/s)")
        print(f"  API calls (REST): {rest} = {per_photo:.4f} per photo; target <= 1.05 "
              f"(ratio {per_photo / 1.05:.3f})")
        print(f"  file requests: {files} = {files / photos:.3f} per photo (REST + files: "
              f"{(rest + files) / photos:.3f} per photo)")
        seconds, rest, files = run_mirror(url, config, Path(tmp) / "mirror")
        print(f"re-run on the unchanged stream: {seconds:.2f} s, {rest} API calls (target <= 3, "
              f"ratio {rest / 3:.2f}), {files} file requests")


def parallel_figures(photos: int) -> None:
    times = {}
    for workers in (1, 4):
        with emulator("flickr", 20) as url, tempfile.TemporaryDirectory() as tmp:
            admin(url, "seed", {"accounts": ["testuser"], "photos": photos, "albums": 0,
                                "video_ratio": 0})
            times[workers] = run_mirror(url, setup(Path(tmp), url, workers), Path(tmp) / "m")[0]
    print(f"{photos} photos, 20 ms latency: workers 1 {times[1]:.1f} s, workers 4 {times[4]:.1f} s "
          f"({times[1] / times[4]:.1f}x faster in parallel)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=5000)
    parser.add_argument("--parallel", type=int, default=300)
    args = parser.parse_args()
    stream_figures(args.photos)
    parallel_figures(args.parallel)


if __name__ == "__main__":
    main()

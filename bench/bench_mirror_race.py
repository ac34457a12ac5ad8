"""Mirror and sync downloads against the download floor and a peer tool, side by side in one run.

On one emulated account (its own process; default 2,000 photos of 3000x2000, 1 % videos,
10 % with comments, 20 ms latency per request), with the SHIPPED pacing (3,600 API calls an hour):

1. The floor: the same original files fetched with ``--workers`` parallel plain HTTP GETs and
   nothing else (URLs from the emulator's state, not timed).
2. ``photosync mirror flickr --me --info-level 2``: wall time and its ratio to the floor (target
   <= 1.3), API calls per photo (target <= 1.15 per photo with comments + ceil(N/500) + small),
   CPU seconds per photo; a no-op re-run (target 3 calls); 10 photo files deleted, then a plain
   re-run: how many came back and its calls.
3. ``flickr_download`` (PyPI, unmodified, through tests/emulators/flickr_download_run.py) mirroring
   the same account with sidecars (-j) into its own folder: photosync's speed-up (target >= 3x) and
   the ratio of API calls (target <= 0.5).
4. ``photosync sync`` bringing the same N Flickr-only photos down into an empty library: wall time
   and its ratio to the floor, and to the *indexing floor*: the same parallel GETs, each file
   written and its ImageMagick signature computed in a pool of one process per core (what any
   run must do that keeps the index photosync is built on; a 6 MP photo's signature is ~0.15 CPU
   seconds here, so on 2 cores this floor is CPU-bound, not network-bound). Unpaced: sync tags every photo it downloads (one addTags each,
   after the transfers), so with the shipped pacing the run would add N calls at 0.92 a second
   past the burst; what that pacing would add is printed beside it.
5. CPU per photo at no latency: this tree, and with ``--baseline-src DIR`` (a checkout of the code
   before, e.g. ``git worktree add /tmp/base f666d77``) the same mirror run from that tree.

Usage: bench_mirror_race.py [--photos N] [--latency MS] [--workers W] [--cpu-photos M]
[--baseline-src DIR] [--no-peer] [--no-sync]. Prints each figure with its target or baseline.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench_remote_uploads import emulator  # the emulator in its own process
from photosync.emulators import admin

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT / "tests" / "emulators" / "flickr_download_run.py"


def seed(url: str, photos: int) -> dict:
    return admin(url, "seed", {"accounts": ["testuser"], "photos": photos, "albums": 5,
                               "video_ratio": 0.01, "comment_ratio": 0.1, "seed": 18})


def account(url: str, tmp: Path, workers: int, perms: str = "read",
            rate_limit: int | None = None) -> tuple[Path, dict]:
    """A config (shipped pacing unless ``rate_limit``) and the token saved for it."""
    from photosync.auth.tokens import TokenStore

    token = admin(url, "token", {"username": "testuser", "perms": perms})
    state = tmp / "state"
    TokenStore(state).save("flickr", token)
    (tmp / "lib").mkdir(parents=True, exist_ok=True)
    flickr = {"api_key": token["api_key"], "api_secret": token["api_secret"], "endpoint": url}
    if rate_limit:
        flickr["rate_limit_per_hour"] = rate_limit
    config = tmp / "config.yaml"
    config.write_text(json.dumps({"library": {"root": str(tmp / "lib")}, "state_dir": str(state),
                                  "flickr": flickr, "sync": {"workers": workers}}))
    return config, token


class Run:
    """One subprocess: wall seconds, CPU seconds, REST calls and file requests it caused."""

    def __init__(self, url: str, command: list[str], env: dict[str, str] | None = None,
                 cwd: Path | None = None):
        before = admin(url, "calls")["methods"]
        cpu = _child_cpu()
        began = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd)
        self.seconds = time.perf_counter() - began
        self.cpu = _child_cpu() - cpu
        if result.returncode not in (0,):
            raise SystemExit(f"{command[:6]} failed ({result.returncode}):\n{result.stdout[-2000:]}"
                             f"\n{result.stderr[-2000:]}")
        self.stdout, self.stderr = result.stdout, result.stderr
        after = admin(url, "calls")["methods"]
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
        self.files = delta.pop("static", 0)
        self.methods = {k: v for k, v in delta.items() if v}
        self.rest = sum(self.methods.values())


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def photosync(config: Path, *args: str, src: Path | None = None) -> tuple[list[str], dict]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return [sys.executable, "-m", "photosync", "-q", "--config", str(config), *args], env


def floor(url: str, workers: int) -> tuple[float, int, int]:
    """(seconds, files, bytes): every original fetched with plain parallel GETs, nothing else."""
    photos = admin(url, "state?hashes=0")["photos"]
    urls = [f"{url}/{p['server']}/{p['id']}_{p['originalsecret']}_o.{p['originalformat']}"
            for p in photos]
    local = threading.local()

    def get(address: str) -> int:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        response = session.get(address, timeout=60)
        response.raise_for_status()
        return len(response.content)
    began = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        sizes = list(pool.map(get, urls))
    return time.perf_counter() - began, len(sizes), sum(sizes)


def _signature_of(data: bytes) -> str:
    from wand.image import Image
    with tempfile.NamedTemporaryFile(suffix=".jpg") as f:
        f.write(data)
        f.flush()
        with Image(filename=f.name) as img:
            return str(img.signature)


def indexing_floor(url: str, workers: int) -> float:
    """Seconds to fetch every original with plain parallel GETs and compute each one's
    ImageMagick signature in a process pool (one process per core), overlapping the two."""
    from concurrent.futures import ProcessPoolExecutor
    photos = [p for p in admin(url, "state?hashes=0")["photos"] if p["media"] == "photo"]
    urls = [f"{url}/{p['server']}/{p['id']}_{p['originalsecret']}_o.{p['originalformat']}"
            for p in photos]
    local = threading.local()
    began = time.perf_counter()
    with ProcessPoolExecutor(os.cpu_count() or 1) as cpus, ThreadPoolExecutor(workers) as net:
        def get_and_sign(address: str) -> str:
            session = getattr(local, "session", None) or requests.Session()
            local.session = session
            response = session.get(address, timeout=60)
            response.raise_for_status()
            return cpus.submit(_signature_of, response.content).result()
        list(net.map(get_and_sign, urls))
    return time.perf_counter() - began


def mirror_figures(url: str, tmp: Path, photos: int, workers: int, floor_s: float) -> Run:
    config, _ = account(url, tmp / "ps", workers)
    dest = tmp / "ps" / "mirror"
    command, env = photosync(config, "mirror", "flickr", "--me", "--info-level", "2", str(dest),
                             "--statistics")
    first = Run(url, command, env)
    state = admin(url, "state?hashes=0")["photos"]
    commented = sum(1 for p in state if p["comments"])
    budget = 1.15 * commented + math.ceil(photos / 500)
    print(f"photosync mirror --info-level 2 of {photos} photos ({commented} with comments): "
          f"{first.seconds:.1f} s = {first.seconds / floor_s:.2f}x the floor (target <= 1.3)")
    print(f"  API calls: {first.rest} ({first.rest / photos:.3f} per photo; "
          f"1.15 x {commented} + ceil({photos}/500) = {budget:.0f} + small): {first.methods}")
    print(f"  file requests: {first.files}; CPU {first.cpu:.1f} s = "
          f"{first.cpu / photos * 1000:.2f} ms per photo")
    again = Run(url, command, env)
    print(f"  no-op re-run: {again.rest} API calls (target 3), {again.files} file requests, "
          f"{again.seconds:.2f} s")
    lost = sorted((dest / "photostream").glob("*.jpg"))[:10]
    for path in lost:
        path.unlink()
    restore = Run(url, command, env)
    back = sum(1 for p in lost if p.exists())
    print(f"  10 photo files deleted, plain re-run: {back} restored, {restore.rest} API calls, "
          f"{restore.files} file requests; it said: "
          f"{(restore.stderr.strip().splitlines() or ['nothing'])[-1]}")
    return first


def peer_figures(url: str, tmp: Path, photos: int, ours: Run) -> None:
    token = admin(url, "token", {"username": "testuser", "perms": "read"})
    home, work = tmp / "peer-home", tmp / "peer"
    home.mkdir()
    work.mkdir()
    (home / ".flickr_token").write_text(f"{token['oauth_token']}\n{token['oauth_token_secret']}")
    command = [sys.executable, str(PEER), url, "-k", token["api_key"], "-s", token["api_secret"],
               "-t", "-n", "id", "-p", "testuser", "-j", "--metadata_store"]
    peer = Run(url, command, {**os.environ, "HOME": str(home)}, cwd=work)
    got = sum(1 for p in (work / "testuser").iterdir() if not p.name.endswith(".json")) - 1
    print(f"flickr_download -j of the same account: {peer.seconds:.1f} s, {peer.rest} API calls "
          f"({peer.rest / photos:.2f} per photo), {got} files, CPU {peer.cpu:.1f} s: {peer.methods}")
    print(f"  photosync is {peer.seconds / ours.seconds:.1f}x faster (target >= 3) with "
          f"{ours.rest / peer.rest:.3f} of its API calls (target <= 0.5)")
    again = Run(url, command, {**os.environ, "HOME": str(home)}, cwd=work)
    print(f"  flickr_download re-run with --metadata_store: {again.rest} API calls, "
          f"{again.seconds:.1f} s")


def sync_figures(url: str, tmp: Path, photos: int, workers: int, floor_s: float) -> None:
    index_s = indexing_floor(url, workers)
    print(f"indexing floor: the same GETs, each photo's signature computed on {os.cpu_count()} "
          f"cores: {index_s:.1f} s = {index_s / floor_s:.2f}x the download floor")
    config, _ = account(url, tmp / "sync", workers, perms="delete", rate_limit=10_000_000)
    command, env = photosync(config, "sync")
    run = Run(url, command, env)
    paced = max(0, run.rest - 300) / (3300 / 3600)
    files = sum(1 for p in (tmp / "sync" / "lib").rglob("*") if p.is_file())
    print(f"photosync sync bringing {photos} Flickr-only photos down: {run.seconds:.1f} s = "
          f"{run.seconds / floor_s:.2f}x the download floor, "
          f"{run.seconds / index_s:.2f}x the indexing floor; {files} files in the library, "
          f"{run.rest} API calls (shipped pacing would add {paced / 60:.0f} min), "
          f"CPU {run.cpu / photos * 1000:.2f} ms per photo: {run.methods}")


def cpu_figures(photos: int, workers: int, baseline: Path | None) -> None:
    trees = [("this tree", None)] + ([("baseline", baseline)] if baseline else [])
    with emulator("flickr", 0) as url, tempfile.TemporaryDirectory() as tmp:
        seed(url, photos)
        for name, src in trees:
            config, _ = account(url, Path(tmp) / name.replace(" ", "-"), workers,
                                rate_limit=10_000_000)
            command, env = photosync(config, "mirror", "flickr", "--me", "--info-level", "2",
                                     str(Path(tmp) / name.replace(" ", "-") / "m"), src=src)
            run = Run(url, command, env)
            print(f"CPU at no latency, {photos} photos, {name}: {run.cpu:.2f} s = "
                  f"{run.cpu / photos * 1000:.2f} ms per photo ({run.seconds:.1f} s wall)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--cpu-photos", type=int, default=500)
    parser.add_argument("--baseline-src", type=Path)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--no-sync", action="store_true")
    args = parser.parse_args()
    with emulator("flickr", args.latency) as url, tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        seed(url, args.photos)
        floor_s, files, size = floor(url, args.workers)
        print(f"floor: {files} originals ({size / 1e6:.0f} MB) with {args.workers} parallel GETs "
              f"at {args.latency:.0f} ms latency: {floor_s:.1f} s")
        ours = mirror_figures(url, tmp, args.photos, args.workers, floor_s)
        if not args.no_peer:
            peer_figures(url, tmp, args.photos, ours)
        if not args.no_sync:
            sync_figures(url, tmp, args.photos, args.workers, floor_s)
    cpu_figures(args.cpu_photos, args.workers, args.baseline_src)


if __name__ == "__main__":
    main()

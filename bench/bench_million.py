"""A library of 1,000,000 files (``--files N`` for a smaller run): built once, then measured.

The library (tiny distinct JPEGs in years / albums of 50-500 files, some 6 folders deep, some
folder and file names not ASCII) and its first (cold) index are cached under
/var/tmp/photosync-bench-1m[-N] so reruns reuse them. Figures, each with its target and, where
one exists, its ratio to a baseline measured in the same run:

- warm rescan, nothing changed: <= 3x ``find -printf '%s %T@'`` and < 30 s;
- peak RSS of the cold index, of a warm rescan and of a no-op ``photosync sync`` (no remote
  enabled: the scan, the run bookkeeping): < 300 MB;
- ``photosync status``, ``duplicates`` and ``history``: < 2 s each;
- the database on disk per 1,000,000 files, and its growth over 10 no-op syncs;
- the idle daemon's RSS after its first sync (``photosync watch``, no remote enabled);
- with ``--remotes``: both emulators seeded with the library (``--seed import``, the default:
  ``POST /_admin/import``, then a first sync that pairs every photo by tag, a lost database's
  path; ``--seed upload``: a first sync that uploads everything), then no-op incremental syncs
  against them: <= 3 Flickr and <= 2 Drive calls, < 30 s, < 300 MB.

Planning after a lost database at this size: ``bench_plan_lost_database.py N``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from index_fixtures import run_cli, timed_shell

NAMES = ("Été à Zürich", "東京 2019", "Ørsted Park", "Fête de la musique", "Año Nuevo",
         "Kraków", "Summer", "Family", "Birthday", "Hiking")


def layout(files: int) -> list[tuple[str, int]]:
    """(album folder, photos in it) covering ``files``: albums of 50-500 under years, every
    tenth six folders deep, names cycling through ``NAMES`` (several not ASCII)."""
    rng = random.Random(20)
    albums: list[tuple[str, int]] = []
    left, n = files, 0
    while left > 0:
        size = min(left, rng.randint(50, 500))
        year = 2000 + n % 25
        name = f"{NAMES[n % len(NAMES)]} {n:05d}"
        folder = (f"{year}/Trips/Europe/{year}/Été/Jour {n % 7}/{name}" if n % 10 == 0
                  else f"{year}/{name}")
        albums.append((folder, size))
        left -= size
        n += 1
    return albums


def generate(root: Path, files: int) -> None:
    from photosync.emulators.images import make_image

    done = root / ".complete"
    if done.exists():
        return
    print(f"generating {files:,} tiny photos into {root} (once)...", flush=True)
    began, i = time.perf_counter(), 0
    start = datetime(2000, 1, 1)
    for folder, size in layout(files):
        path = root / folder
        path.mkdir(parents=True, exist_ok=True)
        for _ in range(size):
            name = f"IMG_{i:07d}.jpg" if i % 13 else f"Café_{i:07d}.jpg"
            target = path / name
            if not target.exists():
                target.write_bytes(make_image(f"m{i}", 16, 12,
                                              date_taken=start + timedelta(minutes=i)))
            i += 1
    done.write_text("ok")
    print(f"  made in {time.perf_counter() - began:.0f} s", flush=True)


def db_size(state: Path) -> int:
    """The database file's size once its WAL is checkpointed into it (the WAL is bounded)."""
    import sqlite3

    conn = sqlite3.connect(state / "photosync.db")
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return (state / "photosync.db").stat().st_size


def idle_daemon(config: Path) -> tuple[int, int]:
    """(RSS, peak RSS) in MB of ``photosync watch`` once its first scan and sync are over and
    it has been idle for 20 s; then it is stopped."""
    import json
    import subprocess

    command = [sys.executable, "-m", "photosync", "-q", "--config", str(config)]
    proc = subprocess.Popen([*command, "watch"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        quiet_since = None
        while quiet_since is None or time.monotonic() - quiet_since < 20:
            time.sleep(2)
            daemon = json.loads(subprocess.run([*command, "status", "--json"], check=True,
                                               capture_output=True, text=True).stdout)["daemon"]
            idle = daemon.get("running") and not daemon.get("scanning") \
                and not daemon.get("pending")
            quiet_since = (quiet_since or time.monotonic()) if idle else None
        status = Path(f"/proc/{proc.pid}/status").read_text()
        kb = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines()
              if line.startswith(("VmRSS", "VmHWM"))}
        return kb["VmRSS"] // 1024, kb["VmHWM"] // 1024
    finally:
        proc.terminate()
        proc.wait(60)


def imported(state: Path, urls: tuple[str, str]) -> None:
    """Both emulators seeded with every indexed photo as photosync's own upload of it
    (``POST /_admin/import``, in chunks): hours of uploads at 1,000,000 photos, in minutes."""
    import sqlite3

    from photosync.emulators import admin

    conn = sqlite3.connect(state / "photosync.db")
    rows = conn.execute("SELECT path, album, date_taken, COALESCE(signature, sha256), md5, size "
                        "FROM files WHERE status = 'present' ORDER BY path")
    began, total = time.perf_counter(), 0
    while chunk := rows.fetchmany(50_000):
        photos = [{"name": path.rsplit("/", 1)[-1], "album": album, "taken": taken,
                   "signature": key, "md5": md5, "size": size}
                  for path, album, taken, key, md5, size in chunk]
        admin(urls[0], "import", {"account": "bench", "photos": photos}, timeout=900)
        admin(urls[1], "import", {"photos": photos}, timeout=900)
        total += len(photos)
    conn.close()
    print(f"both emulators seeded with {total:,} imported photos in "
          f"{time.perf_counter() - began:.0f} s")


def against_emulators(root: Path, base: Path, seed: str) -> None:
    """The library synced once to both emulators (each in its own process), then no-op
    incremental syncs: their API calls (target <= 3 Flickr, <= 2 Drive), time (< 30 s) and
    peak RSS (< 300 MB). ``seed``: ``upload`` (the first sync uploads everything) or
    ``import`` (the emulators are seeded with the library first: the first sync is then a
    lost database's, pairing every photo by its tag)."""
    import shutil
    import subprocess
    from contextlib import ExitStack

    from bench_remote_uploads import emulator
    from bench_sync import calls, setup

    work = base / "remotes"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    subprocess.run(["cp", "-al", str(root), str(work / "lib")], check=True)
    with ExitStack() as stack:
        urls = (stack.enter_context(emulator("flickr", 0)),
                stack.enter_context(emulator("drive", 0)))
        config = setup(work, *urls)
        if seed == "import":
            imported(base / "state", urls)
        wall, rss, code, _, err = run_cli(config, "sync")
        check(code, err, "the first sync to both emulators")
        what = "pairs every photo by tag (a lost database)" if seed == "import" else "uploads"
        print(f"first sync to both emulators ({what}): {wall:.0f} s, peak RSS {rss} MB")
        run_cli(config, "sync")  # sees the remotes' echo of the first sync
        for _ in range(2):
            before = [calls(u) for u in urls]
            wall, rss, code, _, err = run_cli(config, "sync")
            check(code, err, "a no-op sync")
            spent = [calls(u) - b for u, b in zip(urls, before)]  # admin reads are not counted
            print(f"no-op incremental sync against both emulators: {wall:.1f} s (target < 30) "
                  f"{'OK' if wall < 30 else 'MISSED'}; Flickr {spent[0]} calls (target <= 3), "
                  f"Drive {spent[1]} (target <= 2); peak RSS {rss} MB (target < 300) "
                  f"{'OK' if rss < 300 else 'MISSED'}")
    shutil.rmtree(work, ignore_errors=True)


def check(code: int, err: str, what: str) -> None:
    if code != 0:
        raise SystemExit(f"{what} failed (exit {code}): {err[-2000:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1_000_000)
    parser.add_argument("--remotes", action="store_true",
                        help="also sync the library to both emulators once (long), then "
                             "measure no-op syncs against them")
    parser.add_argument("--seed", choices=("import", "upload"), default="import",
                        help="with --remotes: seed the emulators by import (default) or by a "
                             "first sync that uploads everything")
    parser.add_argument("--prepare-only", action="store_true",
                        help="only build the library and its cold index (cached), measure nothing")
    args = parser.parse_args()
    n = args.files
    base = Path("/var/tmp") / ("photosync-bench-1m" if n == 1_000_000
                               else f"photosync-bench-1m-{n}")
    root, state = base / "library", base / "state"
    base.mkdir(parents=True, exist_ok=True)
    os.environ["PHOTOSYNC_BENCH_CACHE"] = str(base)
    import index_fixtures
    index_fixtures.CACHE = base
    generate(root, n)
    config = base / "config.yaml"
    config.write_text(f"library:\n  root: {root}\nstate_dir: {state}\n")
    print(f"{n:,} files; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
          "(other work on this machine slows every figure)")
    if not (state / "photosync.db").exists():
        wall, rss, code, out, err = run_cli(config, "scan")
        check(code, err, "the cold index")
        print(f"cold index (once): {wall:.0f} s, peak RSS {rss} MB ({out.strip()})")
    if args.prepare_only:
        return 0
    find = f"find {root} -type f -printf '%s %T@\\n' > /dev/null"
    timed_shell(find)
    baseline = min(timed_shell(find) for _ in range(3))
    runs = [run_cli(config, "scan") for _ in range(3)]
    for _, _, code, _, err in runs:
        check(code, err, "the warm rescan")
    wall, rss = min(r[0] for r in runs), max(r[1] for r in runs)
    ratio = wall / baseline
    print(f"warm rescan: {wall:.1f} s (best of 3) vs find -printf {baseline:.2f} s: ratio "
          f"{ratio:.2f} (target <= 3) {'OK' if ratio <= 3 else 'MISSED'}; "
          f"< 30 s {'OK' if wall < 30 else 'MISSED'}; peak RSS {rss} MB (target < 300) "
          f"{'OK' if rss < 300 else 'MISSED'}")
    size = db_size(state)
    print(f"database: {size / 1e6:.0f} MB for {n:,} files = {size / n * 1e6 / 1e9:.2f} GB per "
          "1,000,000 files")
    walls = []
    for _ in range(10):
        wall, rss_sync, code, _, err = run_cli(config, "sync")
        check(code, err, "a no-op sync")
        walls.append((wall, rss_sync))
    grown = db_size(state) - size
    print(f"no-op sync (no remote enabled): {min(w for w, _ in walls):.1f} s, peak RSS "
          f"{max(r for _, r in walls)} MB (target < 300); the database grew {grown / 1e3:.0f} kB "
          f"over 10 syncs")
    rss_idle, peak_idle = idle_daemon(config)
    print(f"idle daemon (photosync watch, no remote enabled) after its first sync: RSS "
          f"{rss_idle} MB, peak {peak_idle} MB (target < 300) "
          f"{'OK' if peak_idle < 300 else 'MISSED'}")
    for command in (["status"], ["duplicates"], ["history"]):
        wall, rss_cmd, code, _, err = run_cli(config, *command)
        check(code, err, command[0])
        print(f"photosync {command[0]}: {wall:.2f} s (target < 2 s) "
              f"{'OK' if wall < 2 else 'MISSED'}, peak RSS {rss_cmd} MB")
    if args.remotes:
        against_emulators(root, base, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())

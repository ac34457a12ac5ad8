"""Planning after a lost database: N indexed pictures against N remote items, no pairs.

A real state database (the index and the listing cache, as a sync leaves them) is built for N/10
and N photos; each is then planned in a fresh process the way a sync plans it (``state.focus``:
what the planner would pair by our tag alone is paired in SQL, the rest becomes Python objects,
then ``plan``). Printed for both sizes: the time and the process's peak RSS; the targets are
< 60 s at 1,000,000 and flat memory (the larger's peak RSS at most 1.5x the smaller's; before
this design it grew with N: 1.8 GB at 1,000,000). ``--untagged F`` makes a share F of the items
untagged (matched by MD5 or by name and date, as photos another tool uploaded are): those are
planned in Python, as objects, and are retagged by the plan.

Usage: bench_plan_lost_database.py [N] [--untagged F]   (default 100,000 and 0)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from photosync.remotes.base import Capabilities, RemoteItem
from photosync.state.db import open_db, transaction
from photosync.state.listings import replace_cache

CAPS = Capabilities(hashes=frozenset({"md5"}))


def build(state: Path, n: int, untagged: float) -> None:
    """The index and the listing cache of ``n`` photos (albums of 200), no pairs."""
    t0 = datetime(2020, 1, 1)
    conn = open_db(state)
    cut = int(n * untagged)

    def album(i: int) -> str:
        return f"{2000 + i // 40_000}/Album {i // 200:05d}"

    with transaction(conn):
        conn.executemany(
            "INSERT INTO files (path, size, md5, sha256, signature, date_taken, media, album, "
            "status, first_seen, updated) VALUES (?, 100, ?, ?, ?, ?, 'photo', ?, 'present', 0, 0)",
            ((f"{album(i)}/IMG_{i:07d}.jpg", f"m{i}", f"h{i}", f"s{i}",
              (t0 + timedelta(minutes=i)).isoformat(), album(i)) for i in range(n)))

    def pages():
        for start in range(0, n, 10_000):
            yield [RemoteItem(f"id{i:07d}", f"IMG_{i:07d}.jpg", 100, md5=f"m{i}",
                              signature=None if i < cut else f"s{i}",
                              date_taken=t0 + timedelta(minutes=i), date_taken_known=True,
                              albums=(album(i),)) for i in range(start, min(n, start + 10_000))]
        return "cursor"

    replace_cache(conn, "drive", pages(), 0.0)
    conn.close()


def plan_once(state: Path) -> None:
    """In this (fresh) process: plan the remote as a sync does; print JSON figures."""
    from photosync.state.focus import focus
    from photosync.sync.plan import plan
    from photosync.sync.policy import Evidence, Policy

    conn = open_db(state)
    started = time.perf_counter()
    seen = focus(conn, "drive", time.time())
    result = plan(seen.local, seen.items, seen.pairs, Policy("drive", "Google Drive", CAPS),
                  Evidence(settled=seen.settled, videos_sent=seen.videos_sent))
    wall = time.perf_counter() - started
    kinds = Counter(a.kind for a in result.actions)
    print(json.dumps({"wall": wall, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                      // 1024, "adopted": seen.adopted, "kinds": kinds,
                      "relinked": len(result.relink)}))


def measure(n: int, untagged: float, work: Path) -> dict:
    built = work / f"built-{n}"
    if not (built / "photosync.db").exists():
        build(built, n, untagged)
    state = work / "run"
    shutil.rmtree(state, ignore_errors=True)
    shutil.copytree(built, state)
    out = subprocess.run([sys.executable, __file__, "--plan", str(state)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--untagged", type=float, default=0.0)
    parser.add_argument("--plan", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plan:
        plan_once(args.plan)
        return 0
    work = Path(tempfile.mkdtemp(prefix="lostdb-", dir=os.environ.get("TMPDIR", "/var/tmp")))
    try:
        small = measure(args.n // 10, args.untagged, work)
        large = measure(args.n, args.untagged, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for size, got in ((args.n // 10, small), (args.n, large)):
        print(f"plan after a lost database, {size:,} photos ({args.untagged:.0%} untagged): "
              f"{got['wall']:.1f} s, peak RSS {got['rss']} MB; {got['adopted']:,} paired by tag "
              f"in SQL, {got['relinked']:,} by the planner; actions {dict(got['kinds'])}")
    growth = large["rss"] / small["rss"]
    ok_time, ok_flat = large["wall"] < 60, growth <= 1.5
    print(f"10x the photos: {large['wall'] / small['wall']:.1f}x the time; {growth:.2f}x the "
          f"peak RSS (target flat, <= 1.5x) {'OK' if ok_flat else 'MISSED'}; {args.n:,} in "
          f"{large['wall']:.1f} s (target < 60 s at 1,000,000) {'OK' if ok_time else 'MISSED'}")
    uploads = large["kinds"].get("upload", 0)
    print(f"uploads planned: {uploads} (target 0: every picture is already on the remote)")
    return 0 if ok_time and ok_flat and uploads == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

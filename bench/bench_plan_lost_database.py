"""Planning after a lost database: N new local pictures against N remote items, no pairs.

The planner must match them (by signature tag, MD5, or name and date taken) without a pass over
every remote item per local picture. Target: 10x the photos costs <= 15x the time (near-linear;
the quadratic matcher took 1.8 s for 4,000 and would take ~20 min for 100,000). Pure, in-process.
Usage: bench_plan_lost_database.py [N] (default 100,000; compared with N/10).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from photosync.remotes.base import Capabilities, RemoteItem
from photosync.sync.plan import plan
from photosync.sync.policy import Policy


@dataclass
class Local:
    path: str
    size: int
    md5: str
    signature: str
    date_taken: datetime
    album: str | None


def timed(n: int) -> tuple[float, Counter]:
    t0 = datetime(2020, 1, 1)
    local = [Local(f"a/IMG_{i}.jpg", 100, f"m{i}", f"s{i}", t0 + timedelta(minutes=i), "a") for i in range(n)]
    remote = [RemoteItem(f"id{i:07d}", f"IMG_{i}", 100, md5=f"m{i}" if i % 4 == 2 else None,
                         signature=f"s{i}" if i % 4 < 2 else None, date_taken=t0 + timedelta(minutes=i),
                         date_taken_known=True) for i in range(n)]  # half tagged, 1/4 MD5, 1/4 name+date
    policy = Policy("drive", "Google Drive", Capabilities(hashes=frozenset({"md5"})))
    started = time.perf_counter()
    result = plan(local, remote, [], policy)
    return time.perf_counter() - started, Counter(a.kind for a in result.actions)


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    small, _ = timed(n // 10)
    large, kinds = timed(n)
    print(f"plan, lost database: {n // 10} photos {small:.2f} s, {n} photos {large:.2f} s ({dict(kinds)})")
    ratio = large / small
    print(f"10x the photos: {ratio:.1f}x the time (target <= 15x): {'OK' if ratio <= 15 else 'MISSED'}")
    uploads = kinds.get("upload", 0)
    print(f"uploads planned: {uploads} (target 0: every picture is already on the remote)")
    return 0 if ratio <= 15 and uploads == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

"""The dashboard on a big library: page times with 100,000 photos in the index, and the idle
daemon's CPU with the dashboard on.

1. A state database with BENCH_DASH_PHOTOS (100,000) indexed photos, a history of
   BENCH_DASH_RUNS runs of 1,000 journalled actions each, 200 failing items and a trash of 50
   files; the dashboard served on its own (the same app and server the daemon starts, over
   HTTP, logged in). Each page is fetched BENCH_DASH_REPEAT times: median and worst, target
   < 200 ms per page.
2. `photosync watch` with the dashboard on, a small library, no remote: CPU over BENCH_DASH_IDLE
   (30) s once idle, target < 1 %.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import requests

from photosync.config import parse
from photosync.daemon.companion import Companion
from photosync.emulators.images import make_image
from photosync.state.db import open_db, transaction

PHOTOS = int(os.environ.get("BENCH_DASH_PHOTOS", "100000"))
RUNS = int(os.environ.get("BENCH_DASH_RUNS", "100"))
REPEAT = int(os.environ.get("BENCH_DASH_REPEAT", "10"))
IDLE = float(os.environ.get("BENCH_DASH_IDLE", "30"))
PAGES = ["", "activity", "activity?run=50", "activity?path=2019/0042", "next", "problems",
         "trash", "authorize", "settings", "metrics"]


def fill(state: Path, root: Path) -> None:
    conn = open_db(state)
    now = time.time()
    with transaction(conn):
        conn.executemany(
            "INSERT INTO files (path, size, mtime_ns, md5, sha256, signature, media, album, "
            "status, first_seen, updated) VALUES (?, ?, ?, ?, ?, ?, 'photo', ?, ?, ?, ?)",
            ((f"{2000 + i % 25}/{i % 997:04d}/IMG_{i:06d}.jpg", 2_000_000 + i, i, f"m{i}", f"s{i}",
              f"sig{i}", f"{2000 + i % 25}", "failed" if i % 5000 == 0 else "present", now, now)
             for i in range(PHOTOS)))
        for run in range(1, RUNS + 1):
            conn.execute("INSERT INTO runs (id, started, finished, dry_run, exit_code, summary) "
                         "VALUES (?, ?, ?, 0, 0, ?)", (run, now - 3600 * (RUNS - run),
                                                       now - 3600 * (RUNS - run) + 60,
                                                       json.dumps({"flickr": {"upload": 1000}})))
            conn.executemany(
                "INSERT INTO journal (run_id, remote, action, path, signature, state, error, "
                "started, finished, reason, bytes) VALUES (?, 'flickr', 'upload', ?, ?, ?, ?, ?, "
                "?, 'new local photo', 2000000)",
                ((run, f"2019/{k % 997:04d}/IMG_{run * 1000 + k:06d}.jpg", f"sig{k}",
                  "failed" if k % 100 == 0 else "done", "HTTP 500" if k % 100 == 0 else None,
                  now, now) for k in range(1000)))
        conn.executemany(
            "INSERT INTO daemon_failures (remote, action, item, fingerprint, path, attempts, error, "
            "first_failed, last_failed, next_retry, parked) VALUES ('flickr', 'upload', ?, 'f', "
            "?, 3, 'Filetype was not recognised', ?, ?, NULL, 1)",
            ((f"bad/{i}.webp", f"bad/{i}.webp", now, now) for i in range(200)))
    conn.close()
    trash = root / ".photosync-trash" / "run-7" / "Trip"
    trash.mkdir(parents=True)
    for i in range(50):
        (trash / f"p{i}.jpg").write_bytes(make_image(i, width=640, height=480))


def pages(tmp: Path) -> None:
    root, state = tmp / "photos", tmp / "state"
    root.mkdir()
    began = time.monotonic()
    fill(state, root)
    print(f"index: {PHOTOS} photos, {RUNS * 1000} journalled actions, made in "
          f"{time.monotonic() - began:.1f} s")
    config = parse(f"library:\n  root: {root}\nstate_dir: {state}\n"
                   f"flickr:\n  api_key: k\n  api_secret: s\n"
                   f"daemon:\n  web:\n    listen: 127.0.0.1:0\n", tmp / "config.yaml")
    service = SimpleNamespace(config=config, root=str(root), factory=None, request=lambda w: None,
                              settler=SimpleNamespace(pending={}, ready={}))
    companion = Companion(service)  # type: ignore[arg-type]
    from photosync.web.server import WebServer
    server = WebServer(companion)
    server.start()
    try:
        session = requests.Session()
        token = (state / "web-token").read_text().strip()
        session.post(server.url + "login", data={"secret": token}).raise_for_status()
        worst_page = 0.0
        for path in PAGES:
            times = []
            for _ in range(REPEAT):
                t = time.perf_counter()
                answer = session.get(server.url + path)
                times.append(time.perf_counter() - t)
                answer.raise_for_status()
            worst_page = max(worst_page, statistics.median(times))
            print(f"  /{path:<26} median {statistics.median(times) * 1000:6.1f} ms, "
                  f"worst {max(times) * 1000:6.1f} ms, {len(answer.content) // 1024} KB")
        print(f"slowest page (median): {worst_page * 1000:.1f} ms (target < 200 ms)")
    finally:
        server.stop()


def idle_cpu(tmp: Path) -> None:
    root, state = tmp / "idle-photos", tmp / "idle-state"
    root.mkdir()
    for i in range(20):
        (root / f"p{i}.jpg").write_bytes(make_image(i))
    config = tmp / "idle.yaml"
    config.write_text(f"library:\n  root: {root}\nstate_dir: {state}\n"
                      f"daemon:\n  web:\n    listen: 127.0.0.1:0\n")
    proc = subprocess.Popen([sys.executable, "-m", "photosync", "--config", str(config), "watch"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                doc = json.loads((state / "daemon.json").read_text())
                if doc.get("web") and doc.get("last_scan") and not doc.get("scanning"):
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        time.sleep(2)
        ticks = os.sysconf("SC_CLK_TCK")

        def cpu() -> float:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / ticks
        before, began = cpu(), time.monotonic()
        time.sleep(IDLE)
        used = (cpu() - before) / (time.monotonic() - began) * 100
        print(f"idle daemon with the dashboard on: {used:.2f} % CPU over {IDLE:g} s "
              f"(target < 1 %)")
    finally:
        proc.terminate()
        proc.wait(20)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        pages(Path(tmp))
        idle_cpu(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`photosync watch` with a 10,000-photo library in sync with both emulators (no emulated latency).

Measures, on the daemon process (and its decode workers, if any):
- idle CPU over 60 s once everything is in sync: target < 1 % (no busy polling);
- time from a settled file (written and closed) to its upload done on both remotes:
  target <= settle_seconds + 2 s;
- RSS of the daemon with the 10,000-photo index: target <= 120 MB.
The daemon runs with the Environment= of systemd/photosync.service (its allocator settings).
Environment: BENCH_DAEMON_PHOTOS (10000), BENCH_DAEMON_IDLE (60 s), BENCH_DAEMON_SETTLE (2 s),
BENCH_DAEMON_ENV (the daemon's extra environment, "K=V ..."; default: the unit's). Drive's pacing
is raised for the set-up sync (10,000 uploads at the default 10 calls/s would take 17 minutes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from photosync.auth.tokens import TokenStore
from photosync.emulators import start
from photosync.emulators.images import make_image

PHOTOS = int(os.environ.get("BENCH_DAEMON_PHOTOS", "10000"))
IDLE = float(os.environ.get("BENCH_DAEMON_IDLE", "60"))
SETTLE = float(os.environ.get("BENCH_DAEMON_SETTLE", "2"))
UNIT = Path(__file__).resolve().parent.parent / "systemd" / "photosync.service"


def unit_environment(unit: Path = UNIT) -> dict[str, str]:
    """The Environment= of the systemd unit (less PHOTOSYNC_CONFIG): the daemon runs as deployed.
    BENCH_DAEMON_ENV="K=V ..." replaces it (BENCH_DAEMON_ENV=" " for none)."""
    words = os.environ.get("BENCH_DAEMON_ENV")
    if words is None:
        lines = [line.split("=", 1)[1] for line in unit.read_text().splitlines()
                 if line.startswith("Environment=")]
        words = " ".join(lines)
    pairs = dict(word.split("=", 1) for word in words.split() if "=" in word)
    pairs.pop("PHOTOSYNC_CONFIG", None)
    return pairs


DAEMON_ENV = unit_environment()
TICKS = os.sysconf("SC_CLK_TCK")


def admin(url: str, route: str, body: dict | None = None):
    import urllib.request
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{url}/_admin/{route}", data=data,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as answer:
        return json.loads(answer.read())


def tree(pid: int) -> list[int]:
    """pid and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total / TICKS


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def status(state: Path) -> dict:
    try:
        return json.loads((state / "daemon.json").read_text())
    except (OSError, ValueError):
        return {}


def in_step(state: Path, since: float) -> bool:
    s = status(state)
    remotes = s.get("remotes", {}).values()
    return bool(remotes) and not s["pending"] and not s["scanning"] and all(
        r["state"] == "idle" and (r["last_finished"] or 0) > since and r["last_result"] == "ok"
        for r in remotes)


def wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise SystemExit(f"timed out waiting for {what}")


def make_library(root: Path) -> None:
    variants = [make_image(f"d{i}", 32, 24, date_taken=datetime(2019, 1, 1) + timedelta(minutes=i))
                for i in range(PHOTOS)]
    for i, data in enumerate(variants):
        folder = root / f"album {i // 200:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"IMG_{i:05d}.jpg").write_bytes(data)


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench-daemon-"))
    root, state = tmp / "photos", tmp / "state"
    root.mkdir()
    print(f"making {PHOTOS} photos... (daemon environment: {DAEMON_ENV or 'none'})", flush=True)
    make_library(root)
    flickr = start("flickr", auto_approve=True, rate_limit=0)
    drive = start("drive", auto_approve=True)
    creds = admin(flickr.url, "credentials")
    secrets = tmp / "drive-client.json"
    secrets.write_text(json.dumps(admin(drive.url, "credentials")))
    config = tmp / "config.yaml"
    config.write_text(f"library:\n  root: {root}\nstate_dir: {state}\n"
                      f"flickr:\n  api_key: {creds['api_key']}\n  api_secret: {creds['api_secret']}\n"
                      f"  endpoint: {flickr.url}\n  rate_limit_per_hour: 10000000\ndrive:\n  client_secrets: {secrets}\n  endpoint: {drive.url}\n  rate_limit_per_second: 1000\n"
                      f"sync:\n  workers: 8\ndaemon:\n  settle_seconds: {SETTLE}\n")
    store = TokenStore(state)
    store.save("flickr", admin(flickr.url, "token", {"username": "testuser", "perms": "delete"}))
    store.save("drive", admin(drive.url, "token", {}))
    log = open(tmp / "watch.log", "w")
    began = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "photosync", "--config", str(config), "watch"],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **DAEMON_ENV})
    try:
        print("first sync (upload of everything to both emulators)...", flush=True)
        wait(lambda: in_step(state, began), 3600, "the first sync")
        print(f"  in sync after {time.time() - began:.0f} s", flush=True)
        time.sleep(2)
        pids = tree(proc.pid)
        cpu0, t0 = cpu_seconds(pids), time.monotonic()
        time.sleep(IDLE)
        idle = (cpu_seconds(tree(proc.pid)) - cpu0) / (time.monotonic() - t0) * 100
        rss = rss_mb(proc.pid)
        latencies = []
        for n in range(3):
            path = root / "new" / f"latency-{n}.jpg"
            path.parent.mkdir(exist_ok=True)
            data = make_image(f"latency-{n}", 64, 48)
            written = time.time()
            path.write_bytes(data)
            wait(lambda: in_step(state, written) and all(
                (r["last_summary"] or {}).get("upload") for r in status(state)["remotes"].values()),
                60, "the upload")
            done = max(r["last_finished"] for r in status(state)["remotes"].values())
            latencies.append(done - written)
            time.sleep(1)
        rss = max(rss, rss_mb(proc.pid))
    finally:
        proc.terminate()
        proc.wait(20)
        flickr.stop()
        drive.stop()
    worst = max(latencies)
    print(f"idle CPU over {IDLE:.0f} s: {idle:.2f} % (target < 1 %: ratio {idle / 1:.2f})")
    print(f"settled file -> upload done on both remotes: {', '.join(f'{x:.2f}' for x in latencies)} s; "
          f"settle {SETTLE:g} s + 2 s = {SETTLE + 2:g} s target (ratio {worst / (SETTLE + 2):.2f})")
    print(f"daemon RSS with a {PHOTOS}-photo index: {rss:.0f} MB (target <= 120 MB: ratio {rss / 120:.2f})")
    print(f"(work dir {tmp})")
    return 0 if idle < 1 and worst <= SETTLE + 2 and rss <= 120 else 1


if __name__ == "__main__":
    sys.exit(main())

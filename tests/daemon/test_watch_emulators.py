"""``photosync watch`` as a subprocess against both emulators (the real Flickr and Drive backends)."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter


from tests.daemon.conftest import picture, put, wait_for
from tests.daemon.process import Daemon
from tests.scenarios.conftest import admin


def flickr_titles(d: Daemon) -> Counter:
    return Counter(p["title"] for p in admin(d.flickr, "state?hashes=0")["photos"])


def drive_names(d: Daemon) -> Counter:
    return Counter(f["name"] for f in admin(d.drive, "state")["files"]
                   if not f["trashed"] and f["mimeType"] != "application/vnd.google-apps.folder")


def test_drop_slow_write_and_remote_poll(world):
    put(world.root, "2021/first.jpg", 1)
    world.start()
    wait_for(lambda: flickr_titles(world) == Counter({"first": 1}) and
             drive_names(world) == Counter({"first.jpg": 1}), 60, "the start-up sync")
    put(world.root, "2021/dropped.jpg", 2)
    data = picture("slow", size=200)
    step = len(data) // 4 + 1
    with open(world.root / "2021" / "slow.jpg", "wb") as out:
        for i in range(0, len(data), step):
            out.write(data[i:i + step])
            out.flush()
            time.sleep(0.8)  # longer than settle_seconds, file still open
    wait_for(lambda: flickr_titles(world) == Counter({"first": 1, "dropped": 1, "slow": 1}) and
             set(drive_names(world)) == {"first.jpg", "dropped.jpg", "slow.jpg"}, 60, "the uploads")
    [slow] = [f for f in admin(world.drive, "state")["files"] if f["name"] == "slow.jpg"]
    assert slow["md5Checksum"] == hashlib.md5(data).hexdigest()  # complete, not a prefix
    # a photo added on Drive's web side arrives at the next poll (every 3 s here)
    admin(world.drive, "seed", {"seed": 7, "count": 1, "albums": 0, "parent": "Photos"})
    wait_for(lambda: len(list(world.root.rglob("IMG_*.jpg"))) == 1, 30, "the download")
    time.sleep(2)
    assert max(flickr_titles(world).values()) == 1 and max(drive_names(world).values()) == 1
    assert world.stop() < 10


def test_a_remote_failing_every_call_does_not_stop_the_other(world, cli):
    world.start()
    wait_for(lambda: world.remote("flickr").get("last_result") == "ok", 60)
    admin(world.flickr, "faults", {"fault_rate": 1.0})
    put(world.root, "a.jpg", 1)
    put(world.root, "b.jpg", 2)
    wait_for(lambda: set(drive_names(world)) == {"a.jpg", "b.jpg"}, 60, "Drive uploads")
    assert world.proc.poll() is None
    wait_for(lambda: world.remote("drive").get("last_summary", {}).get("upload"), 30, "Drive's report")
    status = cli("--config", str(world.config), "status", "--json", timeout=30)  # read while it runs
    assert status.returncode == 0, status.stderr
    doc = json.loads(status.stdout)
    assert doc["daemon"]["running"] and doc["daemon"]["pid"] == world.proc.pid
    assert doc["daemon"]["uptime_seconds"] >= 0 and doc["daemon"]["pending"] == 0
    flickr, drive = doc["remotes"]["flickr"], doc["remotes"]["drive"]
    assert flickr["state"] in ("syncing", "backing off")  # its retries, then its own backoff
    assert flickr["authorization"] == drive["authorization"] == "authorized"
    assert drive["last_result"] == "ok" and drive["last_finished"] and drive["last_summary"].get("upload")
    assert doc["failed"] == [] and doc["unreadable"] == []
    text = cli("--config", str(world.config), "status", timeout=30).stdout
    assert f"running (pid {world.proc.pid}" in text and "Google Drive: authorized" in text, text
    admin(world.flickr, "faults", {"fault_rate": 0.0})
    world.stop()  # Flickr's thread may be in its retries: abandoned, resumed at the next start
    world.start()
    wait_for(lambda: set(flickr_titles(world)) == {"a", "b"}, 90, "Flickr catching up")
    assert max(flickr_titles(world).values()) == 1


def test_sigterm_mid_upload_then_restart_converges_without_duplicates(world):
    for i in range(16):
        put(world.root, f"batch/{i:02}.jpg", f"b{i}")
    for url in (world.flickr, world.drive):
        admin(url, "faults", {"latency_ms": 150})
    world.start()
    wait_for(lambda: sum(flickr_titles(world).values()) + sum(drive_names(world).values()) >= 2, 60)
    assert world.stop() < 10
    for url in (world.flickr, world.drive):
        admin(url, "faults", {"latency_ms": 0})
    world.start()
    wait_for(lambda: len(flickr_titles(world)) == 16 and len(drive_names(world)) == 16, 90, "convergence")
    time.sleep(1)
    assert max(flickr_titles(world).values()) == 1 and max(drive_names(world).values()) == 1
    assert not list(world.root.rglob("*.part")) and os.path.isdir(world.root / "batch")


def test_a_free_flickr_account_over_a_cap_is_shown_and_nothing_is_retried(world, cli):
    """Issue 17: photos a free account's 50 non-public leaves out make the daemon's "over an
    account cap" state (status, dashboard), a failure until the user chooses; they are skips:
    never retried, never parked, no upload request past the 50th however often it polls."""
    import requests

    admin(world.flickr, "account", {"username": "testuser", "kind": "free"})
    for i in range(52):
        put(world.root, f"p{i:02}.jpg", i)
    world.start()
    flickr = wait_for(lambda: world.remote("flickr").get("account_cap") and
                      world.remote("flickr"), 90, "the cap")
    assert flickr["account_cap"].startswith("2 photo(s) not uploaded to Flickr: flickr.privacy")
    assert flickr["last_result"] == "items_failed" and flickr["account"]["non_public"] == 50
    wait_for(lambda: (world.remote("flickr").get("last_finished") or 0)
             > flickr["last_finished"], 30, "another poll")
    assert admin(world.flickr, "calls")["methods"].get("upload", 0) == 50
    status = cli("--config", str(world.config), "status", timeout=30).stdout
    assert "Flickr: free account, 50 of 1,000 items, 50 of 50 non-public" in status
    assert "  held by an account cap: 2 photo(s) not uploaded to Flickr" in status
    assert json.loads(cli("--config", str(world.config), "status", "--json",
                          timeout=30).stdout)["failed"] == []
    session = requests.Session()
    session.get(cli("--config", str(world.config), "web", "url").stdout.strip())
    page = session.get(str(world.status()["web"])).text
    assert "over an account cap" in page
    assert "Account: free account, 50 of 1,000 items, 50 of 50 non-public" in page
    assert world.stop() < 10

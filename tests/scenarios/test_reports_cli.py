"""Reports a user can act on (issue 15), through the CLI against the emulators."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from tests.scenarios.conftest import admin


def test_a_size_flickr_does_not_give_is_shown_as_unknown_not_0_b(world):
    admin(world.flickr_url, "seed", {"seed": 2, "accounts": ["testuser"], "photos": 1,
                                     "albums": 0, "video_ratio": 0, "collections": False})
    doc = world.sync("--dry-run", "--remote", "flickr")
    [download] = [a for a in doc["actions"] if a["action"] == "download"]
    assert download["bytes"] is None
    text = world.run("sync", "--dry-run", "--remote", "flickr").stdout
    [row] = [line for line in text.splitlines() if line.startswith("  download ")]
    assert row.split()[-1] == "unknown" and "0 B" not in row, text


def test_status_without_a_daemon_shows_the_last_runs_errors(world):
    for n in range(2):
        world.photo(f"Trip/p{n}.jpg", 60 + n)
    admin(world.drive_url, "quota", {"limit": 1})
    assert world.run("sync", "--remote", "drive").returncode == 1
    doc = json.loads(world.run("status", "--json").stdout)
    run = doc["last_run"]
    assert run["exit_code"] == 1 and run["interrupted"] is False
    assert sorted(e["path"] for e in run["errors"]) == ["Trip/p0.jpg", "Trip/p1.jpg"], run
    assert all(e["remote"] == "drive" and "storage is full" in e["error"] for e in run["errors"])
    text = world.run("status").stdout
    assert "  2 error(s):" in text
    assert "    drive: Trip/p0.jpg: Google Drive storage is full" in text


def test_status_shows_a_run_stopped_by_ctrl_c(world, isolated_env):
    for n in range(12):
        world.photo(f"c/p{n}.jpg", 80 + n)
    admin(world.flickr_url, "faults", {"latency_ms": 150})
    proc = subprocess.Popen([sys.executable, "-m", "photosync", "--config", str(world.config),
                             "sync", "--remote", "flickr"], env=isolated_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not world.flickr_photos() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    run = json.loads(world.run("status", "--json").stdout)["last_run"]
    assert run["exit_code"] == 130 and run["interrupted"] is True, run
    assert "interrupted (Ctrl-C), exit code 130" in world.run("status").stdout
